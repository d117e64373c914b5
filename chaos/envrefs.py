"""``${NAME}`` and ``${NAME:-default}`` references to environment variables.

Scenarios keep secrets as references; only the process that sends them (the load
generator, the orchestrator talking to a staging URL) resolves them, at the last moment,
so journals, logs and reports only ever hold the reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from chaos.errors import ChaosError

REFERENCE = re.compile(r"\$\{([^}]*)\}")
_FORM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?$", re.DOTALL)


def check_references(value: str) -> str:
    """Raise ValueError for a reference that names no variable; return ``value``."""
    for match in REFERENCE.finditer(value):
        if not _FORM.match(match.group(1)):
            raise ValueError(
                f"${{{match.group(1)}}} is not an environment variable reference "
                "like ${API_KEY} or ${API_KEY:-default}"
            )
    return value


def resolve(value: str, environ: Mapping[str, str]) -> str:
    """Replace every reference by its variable's value (or its default)."""

    def substitute(match: re.Match[str]) -> str:
        form = _FORM.match(match.group(1))
        if form is None:
            raise ChaosError(f"${{{match.group(1)}}} is not an environment variable reference")
        name, default = form.group("name"), form.group("default")
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise ChaosError(f"environment variable {name} is not set", hint=f"export {name}=... before the run")

    return REFERENCE.sub(substitute, value)


def names(value: str) -> list[str]:
    """The variable names ``value`` refers to."""
    return [form.group("name") for match in REFERENCE.finditer(value) if (form := _FORM.match(match.group(1)))]
