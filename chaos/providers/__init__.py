"""Mock LLM providers: OpenAI- and Anthropic-compatible servers, faults at run time, a ledger.

config.py        what a providers process serves (a providers file or a scenario)
server.py        one process: a port per provider, the admin API, the ready-file
provider.py      one provider's routes and a request's path from receipt to ledger
streaming.py     paced stream frames and the ways a stream breaks
requests.py      request bodies of both APIs, and their 400s
wire.py          the answer in tokens, and what each wire format renders
openai_wire.py   OpenAI's JSON, chunks, errors and limit headers
anthropic_wire.py  Anthropic's JSON, events, errors and limit headers
behaviours.py    faults with a TTL, their scope, rate and precedence
quotas.py        requests and tokens per minute (rate-limit headers, rpm/tpm quotas)
text.py          the token counter and deterministic answers
tools.py         when to call a tool, and schema-valid arguments
(eval sets: chaos/evals.py, shared with the load and the demo gateway)
ledger.py        one row per request, billed
lease.py         the run lease
findings.py      client findings from the ledger (pure)
admin.py         the admin API (the server)
admin_models.py  its JSON bodies, shared by the server and the client
admin_client.py  the typed async client the orchestrator and `chaos reset` use
metrics.py       Prometheus metrics
"""

from chaos.providers.findings import Thresholds, client_findings

__all__ = ["Thresholds", "client_findings"]
