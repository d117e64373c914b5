"""The judgement of a run, as pure functions over its records (no I/O but the loader).

Entry points (import them from their modules: this package stays cheap to import):

    loading.load_run(directory, scenario) -> data.RunData        the run's JSONL files, in columns
    evaluate.evaluate(scenario, data, *, aborted, baseline_gate_failed, findings) -> results.Evaluation
    evaluate.steady_state_gate(scenario, data, at) -> results.GateResult
    live.LiveMonitor(scenario).feed(chunk) / .check(now) / .summary(now)   every second of a run

What the plan shares with the verdict sits below both: the timeline's cut into segments
(``chaos.segments``), what an SLO covers (``chaos.scenario.selection``) and the Wilson
interval (``chaos.wilson``).

Modules: ``sli`` (what is good), ``series`` (sliding windows), ``alerts``, ``response``,
``verdicts``, ``expectations``, ``buckets``, ``percentiles``; ``data``/``wire``/``builder``/
``ids`` hold the columns and make them; ``results`` the pydantic models the journal stores.
"""
