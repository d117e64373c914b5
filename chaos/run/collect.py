"""What a run gathers while it runs: records tailed, ledger and proxy counters pulled.

Each pull lands in its JSON-lines file at once (``ledger.jsonl``, ``proxies.jsonl``) and
feeds the live monitor that the abort rules and the live view read, so a run killed at
any moment keeps everything up to that moment.
"""

from __future__ import annotations

import structlog

from chaos.errors import ChaosError
from chaos.kinds import LoadEventKind
from chaos.providers.admin_client import AdminClient
from chaos.records import LedgerRow, LoadEvent, ProxyCounters, dump_record, parse_record
from chaos.run.jsonl import JsonlTail, JsonlWriter
from chaos.rundir import RunDir
from chaos.slo.live import LiveMonitor
from chaos.toxiproxy.client import ToxiproxyClient

log = structlog.get_logger()


class Collector:
    def __init__(
        self,
        run_dir: RunDir,
        run_id: str,
        monitor: LiveMonitor,
        admin: AdminClient,
        toxiproxy: ToxiproxyClient,
    ) -> None:
        self.run_id = run_id
        self.monitor = monitor
        self.admin = admin
        self.toxiproxy = toxiproxy
        self.records = JsonlTail(run_dir.records)
        self.ledger_file = JsonlWriter(run_dir.ledger)
        self.proxies_file = JsonlWriter(run_dir.proxies)
        self.ledger_rows: list[LedgerRow] = []
        self.last_counters: dict[str, ProxyCounters] = {}
        self.load_events: list[LoadEvent] = []
        self._ledger_seq = 0

    @property
    def t0(self) -> float | None:
        """Epoch seconds of the start of load, once the load said so."""
        return next((e.t for e in self.load_events if e.event is LoadEventKind.START), None)

    @property
    def ledger_seq(self) -> int:
        """The sequence number of the last ledger row pulled."""
        return self._ledger_seq

    def summary(self) -> LoadEvent | None:
        return next((e for e in self.load_events if e.event is LoadEventKind.SUMMARY), None)

    def tail_records(self) -> None:
        lines = self.records.read()
        if not lines:
            return
        for line in lines:
            if b'"record":"load"' in line:
                event = parse_record(line)
                if isinstance(event, LoadEvent):
                    self.load_events.append(event)
                    if event.event is LoadEventKind.WORKER_LOST:
                        log.warning("load worker lost", worker=event.worker, **event.detail)
        self.monitor.feed(b"\n".join(lines) + b"\n")

    async def pull_ledger(self) -> None:
        page = await self.admin.ledger(after=self._ledger_seq, run=self.run_id)
        # Pulls overlap (a canary gate pulls beside the beat's pull), each asking after the
        # same row: keep a row only if no pull that answered first kept it.
        rows = [row for row in page.rows if row.seq > self._ledger_seq]
        self._ledger_seq = max(self._ledger_seq, page.last_seq)
        if rows:
            self.ledger_file.write_all(list(rows))
            self.ledger_rows.extend(rows)
            self.monitor.feed("".join(dump_record(row) for row in rows).encode())

    async def pull_counters(self) -> None:
        counters = await self.toxiproxy.counters()
        if counters:
            self.proxies_file.write_all(list(counters))
            self.last_counters.update((c.proxy, c) for c in counters)

    async def pull(self) -> None:
        """Everything at once; an environment hiccup is logged, not fatal (the next pull retries)."""
        self.tail_records()
        try:
            await self.pull_ledger()
            await self.pull_counters()
        except ChaosError as exc:
            log.warning("pull failed", error=exc.message)

    def close(self) -> None:
        self.ledger_file.close()
        self.proxies_file.close()
