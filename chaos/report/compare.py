"""Two runs side by side: the same scenario against two versions of the target (or two
models), per SLO and segment, with the deltas and a regression flag.

A row regresses when run B's verdict is worse than run A's (pass, then inconclusive,
then fail), or when both measured a good share and B's Wilson 95% interval lies wholly
below A's: a drop the data shows, not noise. An expectation regresses when its verdict
worsens; a response time when B detected, mitigated or recovered later than A by more
than ``SLOWER_BY_S``, or never where A did (or did not need to). Everything is read from the two journals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chaos.journal import Journal
from chaos.report import figures as fig
from chaos.report.run_page import headline, verdict_word
from chaos.report.view import Cell, Chart, Page, Section, Table, table
from chaos.slo.results import ResponseTime, SloResult
from chaos.wilson import Verdict

COMPARISON_HTML = "comparison.html"
COMPARISON_MD = "comparison.md"
SLOWER_BY_S = 1.0  # a response time later by less than this is the same time, given whole-second alerts
_RANK = {Verdict.PASS: 0, Verdict.INCONCLUSIVE: 1, Verdict.FAIL: 2}


@dataclass(frozen=True)
class SloPair:
    slo: str
    segment: str
    a: SloResult | None
    b: SloResult | None

    @property
    def regressed(self) -> bool:
        if self.a is None or self.b is None:
            return False
        if _RANK[self.b.verdict] > _RANK[self.a.verdict]:
            return True
        return self.a.low is not None and self.b.high is not None and self.b.high < self.a.low

    @property
    def improved(self) -> bool:
        if self.a is None or self.b is None:
            return False
        if _RANK[self.b.verdict] < _RANK[self.a.verdict]:
            return True
        return self.b.low is not None and self.a.high is not None and self.a.high < self.b.low


def slo_pairs(a: Journal, b: Journal) -> list[SloPair]:
    """Every SLO and segment either run judged, in A's order, then B's new ones."""
    first = {(r.slo, r.segment): r for r in (a.evaluation.slos if a.evaluation else [])}
    second = {(r.slo, r.segment): r for r in (b.evaluation.slos if b.evaluation else [])}
    keys = list(dict.fromkeys([*first, *second]))
    return [SloPair(slo, segment, first.get((slo, segment)), second.get((slo, segment))) for slo, segment in keys]


def regressions(a: Journal, b: Journal) -> list[str]:
    """What got worse from A to B, one line each."""
    found = [f"{p.slo} in {p.segment}: {_short(p.a)} -> {_short(p.b)}" for p in slo_pairs(a, b) if p.regressed]
    found += [
        f"{name}: {va} -> {vb}"
        for name, va, vb in _expectation_pairs(a, b)
        if va is not None and vb is not None and _RANK[vb] > _RANK[va]
    ]
    found += [f"{fault} {what}: {sa} -> {sb}" for fault, what, sa, sb, worse in _response_pairs(a, b) if worse]
    return found


def compare_page(a: Journal, b: Journal, charts: Sequence[Chart] = ()) -> Page:
    worse = regressions(a, b)
    if worse:
        sentence = f"REGRESSION: {len(worse)} thing(s) got worse from A to B: " + "; ".join(worse[:3])
        sentence += f" (and {len(worse) - 3} more)" if len(worse) > 3 else ""
    else:
        sentence = "No regression: nothing B measured is worse than A beyond what the data can tell apart."
    notes = []
    if a.scenario_name != b.scenario_name:
        notes.append(
            f"The runs are of different scenarios ({a.scenario_name}, {b.scenario_name}): segments may differ."
        )
    sections = [
        Section(
            "The two runs",
            paragraphs=tuple(notes),
            tables=(
                table(
                    "Runs",
                    ("", "scenario", "run", "target version", "started", "verdict"),
                    [
                        (
                            label,
                            j.scenario_name,
                            Cell(j.run_id, code=True),
                            j.versions.get("target", "-"),
                            _started(j),
                            Cell(headline(j), verdict_word(j)),
                        )
                        for label, j in (("A", a), ("B", b))
                    ],
                ),
            ),
            key="runs",
        ),
        Section("SLOs by segment, A against B", tables=(slo_comparison(a, b),), key="slos"),
    ]
    if charts:
        sections.append(Section("Charts", charts=tuple(charts), key="charts"))
    sections.append(Section("Expectations and response times", tables=(_expectations(a, b), _responses(a, b))))
    return Page(
        title=f"{b.scenario_name}: run B against run A",
        headline=sentence,
        tone="fail" if worse else "pass",
        facts=(("A", a.run_id), ("B", b.run_id)),
        sections=tuple(sections),
    )


def _started(journal: Journal) -> str:
    from chaos.journal import iso

    return iso(journal.started_at)


def slo_comparison(a: Journal, b: Journal) -> Table:
    rows = []
    for pair in slo_pairs(a, b):
        flag = Cell("regression", "fail") if pair.regressed else Cell("better", "pass") if pair.improved else Cell("")
        judged = pair.b or pair.a
        objective = fig.objective(judged) if judged is not None else "-"
        rows.append(
            (
                pair.slo,
                pair.segment,
                objective,
                _short(pair.a),
                _short(pair.b),
                _delta(pair.a, pair.b),
                _verdict(pair.a),
                _verdict(pair.b),
                flag,
            )
        )
    return table(
        "SLOs by segment",
        ("SLO", "segment", "objective", "A", "B", "B - A", "A verdict", "B verdict", ""),
        rows,
        note="A regression: B's verdict is worse, or B's Wilson 95% interval lies wholly below A's. "
        "Deltas of a good share are in percentage points.",
    )


def _short(result: SloResult | None) -> str:
    if result is None:
        return "not judged"
    if result.cost is not None:
        per = result.cost.per_request_usd
        return f"{fig.usd(per)}/req" if per is not None else f"{fig.usd(result.cost.total_usd)} total"
    if not result.total:
        return "no data"
    text = f"{fig.percent(result.ratio, 2)} of {fig.count(result.total)}"
    if result.latency is not None:
        value = result.latency.value_s
        text += f", p{result.latency.percentile:g} {fig.seconds(value) if value is not None else 'a failure'}"
    return text


def _delta(a: SloResult | None, b: SloResult | None) -> str:
    if a is None or b is None:
        return "-"
    if a.cost is not None and b.cost is not None:
        if a.cost.per_request_usd is None or b.cost.per_request_usd is None:
            return "-"
        return f"{b.cost.per_request_usd - a.cost.per_request_usd:+.4f} $/req"
    if a.ratio is None or b.ratio is None:
        return "-"
    delta = f"{(b.ratio - a.ratio) * 100:+.2f} pp"
    if a.latency is not None and b.latency is not None and a.latency.value_s and b.latency.value_s:
        delta += f", {b.latency.value_s - a.latency.value_s:+.2f}s"
    return delta


def _verdict(result: SloResult | None) -> Cell:
    return Cell("-") if result is None else Cell(result.verdict.value, result.verdict.value)


def _expectation_pairs(a: Journal, b: Journal) -> list[tuple[str, Verdict | None, Verdict | None]]:
    first = {e.expectation: e.verdict for e in (a.evaluation.expectations if a.evaluation else [])}
    second = {e.expectation: e.verdict for e in (b.evaluation.expectations if b.evaluation else [])}
    return [(name, first.get(name), second.get(name)) for name in dict.fromkeys([*first, *second])]


def _expectations(a: Journal, b: Journal) -> Table:
    rows = []
    for name, va, vb in _expectation_pairs(a, b):
        worse = va is not None and vb is not None and _RANK[vb] > _RANK[va]
        rows.append(
            (
                Cell(name, code=True),
                Cell(va.value, va.value) if va else Cell("-"),
                Cell(vb.value, vb.value) if vb else Cell("-"),
                Cell("regression", "fail") if worse else Cell(""),
            )
        )
    return table("Expectations", ("expectation", "A", "B", ""), rows)


def _response_pairs(a: Journal, b: Journal) -> list[tuple[str, str, str, str, bool]]:
    """Per fault both runs injected, and per response: A's, B's, and whether B's is worse."""
    first = {r.fault: r for r in (a.evaluation.responses if a.evaluation else [])}
    second = {r.fault: r for r in (b.evaluation.responses if b.evaluation else [])}
    pairs = []
    for fault in (name for name in first if name in second):
        for what in ("detect", "mitigate", "recover"):
            ta, tb = getattr(first[fault], what), getattr(second[fault], what)
            pairs.append((fault, what, fig.response_time(ta), fig.response_time(tb), _later(ta, tb)))
    return pairs


def _later(a: ResponseTime, b: ResponseTime) -> bool:
    if isinstance(b, str) and b == "never":
        return a != "never"
    return isinstance(a, float | int) and isinstance(b, float | int) and b - a > SLOWER_BY_S


def _responses(a: Journal, b: Journal) -> Table:
    return table(
        "Time to detect, mitigate and recover",
        ("fault", "", "A", "B", ""),
        [
            (fault, what, ta, tb, Cell("regression", "fail") if worse else Cell(""))
            for fault, what, ta, tb, worse in _response_pairs(a, b)
        ],
        note=f"A response time regresses when B's is later by more than {SLOWER_BY_S:g}s, or never came where "
        "A's came or was not needed.",
    )
