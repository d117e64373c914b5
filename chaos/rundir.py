"""A run directory, and the name of every file in it: the one place those names are spelled.

    journal.json          the run record (``chaos.journal``), written atomically
    scenario.yaml         the scenario as written, byte for byte (a journal is rebuilt from it)
    run.json              how the run was started: run id, scenario path, overrides, start time
    records.jsonl         each request sent and ended, and the load's own events (the recorder)
    events.jsonl          each fault action, intended and actual time (the orchestrator)
    ledger.jsonl          what each provider received and billed (pulled from the admin API)
    proxies.jsonl         the proxies' connection counters (pulled from Toxiproxy's /metrics)
    spans.jsonl           the target's spans, received over OTLP/HTTP (``observe.traces``)
    metrics.jsonl         the target's Prometheus samples, scraped every second (``observe.metrics``)
    alerts.jsonl          the ALERTS series of the run's Prometheus (``observe.alerts``)
    change.jsonl          the canary plan as it went (``change:``): its state after each step,
                          gate and rollback, one line each (``chaos.run.canary``)
    prometheus/           that Prometheus's configuration (prometheus.yml) and its data/
    load-config.json      the load process's configuration (``chaos.load.config``)
    locust-stats.json     Locust's own statistics, for cross-checking the records
    locust.log            Locust's log
    providers.yaml        the providers file the run's mock providers serve
    providers.ready.json  the providers' ready-file (their URLs, once every port listens)
    toxiproxy.ready.json  the embedded Toxiproxy's ready-file
    orchestrator.log      ``chaos run``'s own log (JSON lines)
    logs/NAME.log         each child process's output (providers, toxiproxy, target, load)
    report.html           the report: one offline page, charts inline (``chaos.report``)
    report.md             the same report in Markdown, its charts beside it in charts/
    charts/NAME.svg       each chart of the Markdown report
    junit.xml             the verdict as JUnit XML, for CI
    report.png            a headless browser's picture of report.html (taken by the tests)

Every reader and writer names a file through ``RunDir``: a run directory is read by
other processes and other commands (``chaos report`` rebuilds a killed run's journal from
it), so a name spelled twice is a file one of them cannot find.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def journal(self) -> Path:
        return self.path / "journal.json"

    @property
    def scenario_copy(self) -> Path:
        return self.path / "scenario.yaml"

    @property
    def run_start(self) -> Path:
        return self.path / "run.json"

    @property
    def records(self) -> Path:
        return self.path / "records.jsonl"

    @property
    def events(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def ledger(self) -> Path:
        return self.path / "ledger.jsonl"

    @property
    def proxies(self) -> Path:
        return self.path / "proxies.jsonl"

    @property
    def spans(self) -> Path:
        return self.path / "spans.jsonl"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.jsonl"

    @property
    def alerts(self) -> Path:
        return self.path / "alerts.jsonl"

    @property
    def change(self) -> Path:
        return self.path / "change.jsonl"

    @property
    def prometheus(self) -> Path:
        return self.path / "prometheus"

    @property
    def prometheus_config(self) -> Path:
        return self.prometheus / "prometheus.yml"

    @property
    def prometheus_data(self) -> Path:
        return self.prometheus / "data"

    @property
    def record_files(self) -> tuple[Path, ...]:
        """The raw files a verdict is judged from (``chaos.slo.loading.load_run``)."""
        return self.records, self.events, self.ledger, self.proxies

    @property
    def load_config(self) -> Path:
        return self.path / "load-config.json"

    @property
    def locust_stats(self) -> Path:
        return self.path / "locust-stats.json"

    @property
    def locust_log(self) -> Path:
        return self.path / "locust.log"

    @property
    def providers_config(self) -> Path:
        return self.path / "providers.yaml"

    @property
    def providers_ready(self) -> Path:
        return self.path / "providers.ready.json"

    @property
    def toxiproxy_ready(self) -> Path:
        return self.path / "toxiproxy.ready.json"

    @property
    def orchestrator_log(self) -> Path:
        return self.path / "orchestrator.log"

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    def log(self, process: str) -> Path:
        """Where a child process's output goes."""
        return self.logs / f"{process}.log"

    @property
    def report_html(self) -> Path:
        return self.path / "report.html"

    @property
    def report_md(self) -> Path:
        return self.path / "report.md"

    @property
    def junit(self) -> Path:
        return self.path / "junit.xml"

    @property
    def charts(self) -> Path:
        return self.path / "charts"

    def chart(self, name: str) -> Path:
        """Where the Markdown report's chart ``name`` goes."""
        return self.charts / f"{name}.svg"

    @property
    def screenshot(self) -> Path:
        return self.path / "report.png"
