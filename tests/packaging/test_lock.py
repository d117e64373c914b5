"""The locks pin what pyproject.toml asks for, with hashes, and the venv runs what they pin.

``make lock`` refreshes ``requirements/*.lock`` from pyproject.toml's ranges; ``make`` and
``.ci/run`` install only from them. These tests fail when the two drift apart: a range
added or narrowed in pyproject.toml without a refresh, a pin outside its range, a line
without a hash, or a venv that was installed some other way.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = {"dev.lock": ("dev",), "litellm.lock": ("dev", "litellm")}


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: Marker | None
    hashes: int

    def applies(self, extras: tuple[str, ...] = ()) -> bool:
        return self.marker is None or self.marker.evaluate({"extra": ",".join(extras)})


def read_lock(path: Path) -> list[Pin]:
    """``name==version [; marker]`` entries, each followed by its ``--hash`` lines."""
    pins: list[Pin] = []
    entry: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        stripped = line.strip()
        if entry and not stripped.startswith("--hash"):
            requirement = Requirement(entry[0].rstrip(" \\"))
            (spec,) = requirement.specifier
            hashes = sum(1 for part in entry[1:] if part.startswith("--hash=sha256:"))
            pins.append(Pin(canonicalize_name(requirement.name), Version(spec.version), requirement.marker, hashes))
            entry = []
        if stripped and not stripped.startswith("#") and not stripped.startswith("--hash"):
            entry = [stripped]
        elif stripped.startswith("--hash") and entry:
            entry.append(stripped.rstrip(" \\"))
    return pins


def wanted(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    lines += [
        line
        for line in (ROOT / "requirements" / "build.in").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(("lock", "extras"), LOCKS.items())
def test_every_range_in_pyproject_is_pinned_in_the_lock_within_its_range(lock: str, extras: tuple[str, ...]) -> None:
    pins = read_lock(ROOT / "requirements" / lock)
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    for requirement in wanted(extras):
        name = canonicalize_name(requirement.name)
        assert name in by_name, f"{requirement} is in pyproject.toml but not in {lock}: run `make lock`"
        for pin in by_name[name]:
            assert requirement.specifier.contains(pin.version, prereleases=True), (
                f"{lock} pins {name}=={pin.version}, outside pyproject.toml's {requirement}: run `make lock`"
            )


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_is_exact_and_hashed(lock: str) -> None:
    pins = read_lock(ROOT / "requirements" / lock)
    assert len(pins) > 50
    unhashed = [pin.name for pin in pins if pin.hashes == 0]
    assert unhashed == []
    header = (ROOT / "requirements" / lock).read_text(encoding="utf-8").splitlines()[:2]
    assert header[1].strip("# ") == "make lock", "the lock says how to refresh it"


def test_the_venv_runs_exactly_what_the_dev_lock_pins() -> None:
    """``make install`` installs from the lock: a venv installed another way fails here."""
    mismatched = []
    for pin in read_lock(ROOT / "requirements" / "dev.lock"):
        if not pin.applies():
            continue
        try:
            installed = Version(metadata.version(pin.name))
        except metadata.PackageNotFoundError:
            mismatched.append(f"{pin.name}: not installed, lock pins {pin.version}")
            continue
        if installed != pin.version:
            mismatched.append(f"{pin.name}: {installed} installed, lock pins {pin.version}")
    assert mismatched == [], "reinstall with `make clean install`"
