"""A journal's figures as people read them: one spelling for every report format.

HTML, Markdown and JUnit all say "97.1% of 2,427" and "[96.4%, 97.7%]" the same way,
because they all take their words from here. Nothing here computes a figure: each one
is read from the journal as it stands.
"""

from __future__ import annotations

from chaos.slo.results import ResponseTime, SloResult
from chaos.wilson import Verdict


def percent(share: float | None, digits: int = 1) -> str:
    """``0.97123`` -> ``97.1%``; ``None`` -> ``-``."""
    return "-" if share is None else f"{share * 100:.{digits}f}%"


def count(number: int | None) -> str:
    """``2427`` -> ``2,427``."""
    return "-" if number is None else f"{number:,}"


def seconds(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}s"


def usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.4f}"


def offset(value: float | None) -> str:
    """A time from the start of load: ``t+12.3s``."""
    return "-" if value is None else f"t+{value:.1f}s"


def response_time(value: ResponseTime) -> str:
    """A time to detect, mitigate or recover: ``4.0s``, ``not needed`` or ``never``."""
    return f"{value:.1f}s" if isinstance(value, float | int) else value.replace("_", " ")


def objective(result: SloResult) -> str:
    """``>= 99.5%``, ``p95 of ttft <= 1.5s``, ``<= $0.01 per request``."""
    if result.cost is not None:
        if result.cost.max_usd is None and result.cost.total_max_usd is not None:
            return f"<= ${result.cost.total_max_usd:g} in total"
        return f"<= ${result.objective:g} per request"
    if result.latency is not None:
        return f"p{result.latency.percentile:g} of {result.latency.metric} <= {result.latency.max_s:g}s"
    return f">= {result.objective * 100:g}%"


def wilson(result: SloResult) -> str:
    """The Wilson 95% interval of the good ratio: ``[96.4%, 97.7%]``."""
    if result.low is None or result.high is None:
        return "-"
    return f"[{percent(result.low)}, {percent(result.high)}]"


def good_of_total(result: SloResult) -> str:
    """``2,356 of 2,427``."""
    if result.total is None:
        return "-"
    return f"{count(result.good)} of {count(result.total)}"


def measured(result: SloResult) -> str:
    """What was measured, in the SLO's own terms: a share, a percentile or a cost."""
    if result.cost is not None:
        per = result.cost.per_request_usd
        if per is not None:
            return f"{usd(per)} per request ({usd(result.cost.total_usd)} over {count(result.cost.answered)})"
        return f"{usd(result.cost.total_usd)} in total"
    if result.ratio is None:
        return "no data"
    figure = f"{percent(result.ratio)} of {count(result.total)}"
    if result.latency is not None:
        exact = result.latency
        spelled = seconds(exact.value_s) if exact.value_s is not None else "a failure"
        figure += f", p{exact.percentile:g} {spelled} (successes only {seconds(exact.value_ok_s)})"
    return figure


def undecided_because(result: SloResult) -> str:
    """Why an SLO is inconclusive in a segment ("" when it is not)."""
    if result.verdict is not Verdict.INCONCLUSIVE:
        return ""
    if not result.total:
        return "no request measured in this segment"
    if result.low is not None and result.high is not None:
        return f"the Wilson 95% interval {wilson(result)} contains the objective {percent(result.objective, 2)}"
    return "too few requests to decide"


def slo_sentence(result: SloResult) -> str:
    """One SLO in one segment with its figures, as a CI failure message reads it:
    ``availability 97.1% of 2,427 in primary-503, objective >= 99.5%, Wilson 95% [96.4%, 97.7%]``."""
    sentence = f"{result.slo} {measured(result)} in {result.segment}, objective {objective(result)}"
    if result.low is not None and result.high is not None and result.cost is None:
        sentence += f", Wilson 95% {wilson(result)}"
    return sentence
