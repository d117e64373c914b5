"""``${NAME}`` and ``${NAME:-default}`` references to environment variables.

Scenarios keep secrets as references; only the process that sends them (the load
generator, the orchestrator talking to a staging URL) resolves them, at the last moment,
so journals, logs and reports only ever hold the reference.

Where a resolved value is a secret (a header the load sends), it is resolved through a
``Resolver``, which remembers what it put in: any text that may be recorded (an
exception's message, a log line, an error a target sent back) goes through
``Resolver.scrub`` first, which puts the reference back in place of the value, however
it is spelled there (as is, escaped as ``repr`` or JSON escape it, or one line of it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from chaos.errors import ChaosError

REFERENCE = re.compile(r"\$\{([^}]*)\}")
_FORM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?$", re.DOTALL)
# Shorter values are not scrubbed: they would blank out ordinary words and numbers, and
# nothing that short is a secret worth the name.
MIN_SCRUBBED = 4
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def check_references(value: str) -> str:
    """Raise ValueError for a reference that names no variable; return ``value``."""
    for match in REFERENCE.finditer(value):
        if not _FORM.match(match.group(1)):
            raise ValueError(
                f"${{{match.group(1)}}} is not an environment variable reference "
                "like ${API_KEY} or ${API_KEY:-default}"
            )
    return value


class Resolver:
    """Resolves references against one environment and keeps every value it resolved."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self._spellings: dict[str, str] = {}  # a way the value may appear in text -> its reference

    def values(self, value: str) -> dict[str, str]:
        """Each variable ``value`` refers to -> what it resolves to; a ``ChaosError`` names
        a variable that is not set and has no default."""
        resolved: dict[str, str] = {}
        for match in REFERENCE.finditer(value):
            form = _FORM.match(match.group(1))
            if form is None:
                raise ChaosError(f"${{{match.group(1)}}} is not an environment variable reference")
            name, default = form.group("name"), form.group("default")
            if name in self.environ:
                resolved[name] = self.environ[name]
            elif default is not None:
                resolved[name] = default
            else:
                raise ChaosError(f"environment variable {name} is not set", hint=f"export {name}=... before the run")
        return resolved

    def resolve(self, value: str) -> str:
        """Replace every reference by its variable's value (or its default), and remember the values."""
        resolved = self.values(value)
        for name, secret in resolved.items():
            self._remember(secret, "${" + name + "}")
        return REFERENCE.sub(lambda match: resolved[_name(match)], value)

    def scrub(self, text: str) -> str:
        """``text`` with every value this resolver put in replaced by its reference."""
        for spelling, reference in self._spellings.items():
            if spelling in text:
                text = text.replace(spelling, reference)
        return text

    def _remember(self, secret: str, reference: str) -> None:
        spellings = {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1], *_CONTROL.split(secret)}
        for spelling in spellings:
            if len(spelling) >= MIN_SCRUBBED:
                self._spellings.setdefault(spelling, reference)
        # Longest first, so that a value is replaced whole before any line of it is.
        self._spellings = dict(sorted(self._spellings.items(), key=lambda item: -len(item[0])))


def resolve(value: str, environ: Mapping[str, str]) -> str:
    """Replace every reference by its variable's value (or its default): for values that
    are not secrets (URLs the journal records)."""
    return Resolver(environ).resolve(value)


def _name(match: re.Match[str]) -> str:
    form = _FORM.match(match.group(1))
    assert form is not None  # values() checked every reference
    return form.group("name")
