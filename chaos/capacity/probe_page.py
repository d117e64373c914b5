"""The probe as a report ``Page``: the knee in a sentence, the steps, the providers' load
against their quotas, the burst; charts of the steps in the run report's style."""

from __future__ import annotations

from chaos.capacity.bursts import BurstResult
from chaos.capacity.charts import as_chart, new_figure
from chaos.capacity.probe import ProbeResult
from chaos.capacity.steps import StepResult, StepState
from chaos.report.charts import STYLE
from chaos.report.figures import count, percent, response_time, seconds
from chaos.report.view import Cell, Chart, Page, Section, Table, table

_TONE = {StepState.HOLDING: "pass", StepState.UNDECIDED: "inconclusive", StepState.BROKEN: "fail"}


def knee_sentence(result: ProbeResult) -> str:
    knee = result.knee
    if knee.broken_step is None:
        return (
            f"No SLO broke up to {knee.rate:g}/s, the last step reached: {knee.saturated}."
            if knee.rate
            else ("No step was reached.")
        )
    held = (
        f"The knee: {knee.rate:g}/s ({knee.step}: {knee.sent_per_s:.1f} requests/s sent, "
        f"{knee.tokens_per_s:,.0f} tokens/s billed)"
        if knee.rate is not None and knee.sent_per_s is not None and knee.tokens_per_s is not None
        else "Even the first step broke"
    )
    return f"{held}; at {knee.broken_rate:g}/s {knee.broke_first} broke first; saturated: {knee.saturated}."


def _slo_cell(step: StepResult, name: str) -> Cell:
    result = next((r for r in step.slos if r.slo == name), None)
    if result is None:
        return Cell("-")
    figure = percent(result.ratio) if result.ratio is not None else "-"
    tone = "fail" if name in step.below else ("pass" if result.verdict.value == "pass" else "inconclusive")
    return Cell(f"{figure} of {count(result.total)}", tone=tone)


def steps_table(steps: list[StepResult], title: str = "Steps") -> Table:
    names = list(dict.fromkeys(r.slo for step in steps for r in step.slos))
    return table(
        title,
        ("step", "rate", "users", "state", "sent/s", "answered/s", "tokens/s", "429s to users", *names),
        [
            (
                step.name,
                f"{step.rate:g}/s",
                count(step.users),
                Cell(step.state.value.replace("_", " "), tone=_TONE.get(step.state, "")),
                f"{step.sent_per_s:.1f}",
                f"{step.answered_per_s:.1f}",
                f"{step.tokens_per_s:,.0f}",
                count(step.http_429_to_users),
                *(_slo_cell(step, name) for name in names),
            )
            for step in steps
        ],
        note="Each step's window (after its ramp) judged as a segment: broken when an SLO's good share lies below "
        "its objective (failed, or about to), undecided when too few requests decide it.",
    )


def providers_table(steps: list[StepResult]) -> Table:
    return table(
        "Providers and proxies per step",
        (
            "step",
            "provider",
            "calls",
            "429",
            "by quota",
            "admitted/min",
            "quota rpm",
            "tokens/min",
            "quota tpm",
            "proxy",
        ),
        [
            (
                step.name,
                load.provider,
                count(load.calls),
                count(load.refused),
                count(load.refused_by_quota),
                f"{load.admitted_per_min:.0f}",
                count(load.quota_rpm),
                f"{load.tokens_per_min:,.0f}",
                count(load.quota_tpm),
                count(step.proxies_accepted.get(load.provider)),
            )
            for step in steps
            for load in step.providers
        ],
        note="From the providers' ledger (429s their quota refused are marked quota) and the proxies' accepted "
        "connection counts, in each step's window.",
    )


def burst_sentence(burst: BurstResult) -> str:
    back = response_time(burst.recovery) + (" after it" if isinstance(burst.recovery, float | int) else "")
    return (
        f"The burst: {burst.rate:g}/s for {seconds(burst.end - burst.start, 0)} over a base of {burst.base_rate:g}/s: "
        f"{percent(burst.shed)} of its requests shed (failed or degraded), {count(burst.http_429_to_users)} "
        f"answered 429 to users, every SLO back: {back}."
    )


def burst_section(burst: BurstResult) -> Section:
    return Section(
        "Burst",
        paragraphs=(burst_sentence(burst),),
        tables=(steps_table(burst.windows, "Before, during and after the burst"),),
        charts=(burst_chart(burst),),
    )


def probe_page(result: ProbeResult) -> Page:
    sections = [
        Section(
            "Steps",
            paragraphs=(
                f"Open-model load: each user sends a request every {seconds(result.every, 0)} (the client timeout; "
                "Locust's constant_throughput under a stepped LoadTestShape), so a step sends its rate whatever the "
                "target's latency.",
            ),
            tables=(steps_table(result.steps),),
            charts=(steps_chart(result.steps),),
        ),
        Section("Providers", tables=(providers_table(result.steps),)),
    ]
    if result.burst is not None:
        sections.append(burst_section(result.burst))
    return Page(
        title=f"Capacity probe: {result.scenario}",
        headline=knee_sentence(result),
        tone="",
        facts=(("scenario", result.scenario_path), ("runs", ", ".join(result.runs))),
        sections=tuple(sections),
    )


def steps_chart(steps: list[StepResult]) -> Chart:
    import matplotlib as mpl

    reached = [s for s in steps if s.state is not StepState.NOT_REACHED]
    with mpl.rc_context(STYLE), mpl.rc_context({"svg.hashsalt": "probe-steps"}):
        figure, axes = new_figure()
        x = [s.rate for s in reached]
        axes.plot(x, x, linestyle=":", color="#7f7f7f", label="meant")
        axes.plot(x, [s.sent_per_s for s in reached], marker="o", label="sent/s")
        axes.plot(x, [s.answered_per_s for s in reached], marker="o", label="answered/s")
        for step in reached:
            if step.state is StepState.BROKEN:
                axes.axvline(step.rate, color="#d62728", alpha=0.4, label=f"broken: {step.name}")
                break
        axes.set_xlabel("step rate, requests per second")
        axes.set_ylabel("requests per second")
        axes.legend(loc="upper left")
        return as_chart("probe-steps", "Throughput per step", figure, "Sent and answered against the rate meant.")


def burst_chart(burst: BurstResult) -> Chart:
    import matplotlib as mpl

    with mpl.rc_context(STYLE), mpl.rc_context({"svg.hashsalt": "probe-burst"}):
        figure, axes = new_figure()
        names = [w.name for w in burst.windows]
        axes.bar(names, [w.answered_per_s for w in burst.windows], label="answered/s")
        axes.bar(
            names,
            [w.sent_per_s - w.answered_per_s for w in burst.windows],
            bottom=[w.answered_per_s for w in burst.windows],
            color="#d62728",
            label="failed/s",
        )
        axes.set_ylabel("requests per second")
        axes.legend(loc="upper left")
        return as_chart("probe-burst", "The burst", figure, "Requests per second answered and failed, per window.")
