"""Load for AI workloads: Locust users for LLM targets, the request recorder, shapes.

    config.py    LoadConfig: everything the load process needs, built from a scenario
    launch.py    the Locust command line and environment for a LoadConfig
    summary.py   a records file at a glance (requests, outcomes, Locust's own count)
    evals.py     eval sets and the rule that judges an answer
    prompts.py   the chat prompts of the built-in load
    sse.py       server-sent events, decoded as the bytes arrive
    wire.py      OpenAI / Anthropic request bodies, answers and stream events
    trace.py     one request's timeline -> its RequestSent / RequestEnded records
    clock.py     rebasing a worker's records to the master's clock
    runtime/     what runs inside the Locust process (imports Locust and gevent)

Everything but ``runtime/`` is safe to import from the orchestrator.
"""
