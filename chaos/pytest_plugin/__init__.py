"""The pytest plugin: chaos in a team's own test suite (registered as ``pytest11``).

Two levels, one vocabulary (the scenario language's fault kinds):

- unit: ``chaos_providers`` starts the mock providers in the test process, points the
  official SDKs at them, injects provider faults from the test
  (``chaos_providers["openai"].fault(http_error={"status": 529})``) and asserts on what
  the providers saw (``calls``, ``assert_resilient``, ``assert_fell_back``);
  ``chaos_toxiproxy`` puts the embedded Toxiproxy in front of them for network faults.
- scenario: ``chaos_run`` (or ``@pytest.mark.chaos_scenario``) runs a whole scenario with
  ``chaos run`` in a child process and judges it by its verdict.

``pytest --chaos-report PATH`` writes what the session exercised. Importing the plugin
costs pytest and the standard library only: everything else is imported by the fixture
that needs it, and Locust never enters the test process.
"""
