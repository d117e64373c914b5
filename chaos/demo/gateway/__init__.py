"""``python -m chaos.demo.gateway``: an OpenAI-compatible AI gateway with a fallback chain.

Each resilience is one small module: ``breaker`` (circuit breaker per provider),
``backoff`` (retries that honour retry-after), ``cache`` (exact-match answers),
``quality`` (canary evals that demote a provider), ``router`` (the fallback chain, the
timeouts and the cost guard), ``app`` (the HTTP face). ``--break KIND`` switches exactly
one of them off, so that every library scenario can prove it catches that bug.
"""
