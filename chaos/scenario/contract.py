"""The target's environment contract by name, and the ``{placeholders}`` that refer to it.

A started target is told where everything is through variables (README, "the
environment contract"): ``CHAOS_PROVIDERS``, ``CHAOS_PROVIDER_<NAME>_URL`` and its
siblings, ``CHAOS_TARGET_PORT``, ``CHAOS_RUN_ID``, ``CHAOS_EVAL_SET``, and with
``observe.traces`` OpenTelemetry's own ``OTEL_EXPORTER_OTLP_ENDPOINT``. ``target.start``
and ``target.env`` may name the same values as placeholders (``{port}``,
``{provider.primary.url}``), filled in by the run that knows them, so that an app taking
its port or its providers on the command line needs no wrapper script. Each placeholder
is one contract variable: this module is the one place that pairs them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping

from chaos.scenario.model import Scenario

PROVIDERS = "CHAOS_PROVIDERS"
TARGET_PORT = "CHAOS_TARGET_PORT"
RUN_ID = "CHAOS_RUN_ID"
EVAL_SET = "CHAOS_EVAL_SET"
# The run's OTLP/HTTP receiver, under the name every OpenTelemetry SDK's exporter reads.
OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"

# Per provider: CHAOS_PROVIDER_<NAME>_<FIELD>.
PROVIDER_FIELDS = ("url", "api", "model", "api_key", "price_input", "price_output")

# A placeholder is a lower-case dotted name in braces; anything else in braces (a JSON
# argument, a shell's ${VAR}) is left as written.
PLACEHOLDER = re.compile(r"(?<!\$)\{([a-z_][a-z0-9_.-]*)\}")


def env_name(provider: str) -> str:
    """``primary-eu`` -> ``PRIMARY_EU``: upper-cased, other characters as ``_``."""
    return re.sub(r"[^A-Z0-9]", "_", provider.upper())


def provider_variable(provider: str, field: str) -> str:
    return f"CHAOS_PROVIDER_{env_name(provider)}_{field.upper()}"


def available(priced: Mapping[str, bool], *, eval_set: bool) -> dict[str, str]:
    """Placeholder -> contract variable, for what a run sets: ``priced`` maps each provider
    name (in fallback order) to whether it has a price; ``eval_set``, whether the load has one."""
    names = {"port": TARGET_PORT, "run_id": RUN_ID, "providers": PROVIDERS}
    if eval_set:
        names["eval_set"] = EVAL_SET
    for provider, has_price in priced.items():
        fields = PROVIDER_FIELDS if has_price else PROVIDER_FIELDS[:4]
        names |= {f"provider.{provider}.{field}": provider_variable(provider, field) for field in fields}
    return names


def of_scenario(scenario: Scenario) -> dict[str, str]:
    """``available`` for a valid scenario."""
    priced = {name: provider.price is not None for name, provider in scenario.providers.items()}
    return available(priced, eval_set=scenario.load.eval_set is not None)


def check_placeholders(value: str, names: Mapping[str, str]) -> list[str]:
    """A message for each placeholder in ``value`` that is not among ``names``."""
    problems = []
    for match in PLACEHOLDER.finditer(value):
        placeholder = match.group(1)
        if placeholder not in names:
            close = difflib.get_close_matches(placeholder, list(names), n=1, cutoff=0.6)
            hint = f' (did you mean "{{{close[0]}}}"?)' if close else ""
            problems.append(
                f"{{{placeholder}}} is not a value this run sets{hint}; one of {{port}}, {{run_id}}, {{providers}}, "
                "{eval_set} (with load.eval_set), {provider.NAME.url|api|model|api_key}, "
                "{provider.NAME.price_input|price_output} (with a price)"
            )
    return problems


def fill(value: str, names: Mapping[str, str], contract: Mapping[str, str]) -> str:
    """``value`` with each placeholder replaced by the value of its contract variable."""

    def substitute(match: re.Match[str]) -> str:
        variable = names.get(match.group(1))
        return contract[variable] if variable is not None and variable in contract else match.group(0)

    return PLACEHOLDER.sub(substitute, value)
