"""The version of the system under test, read as ``target.version`` says, for the journal.

Read once the target is ready: a command's output, the answer of a path on the target
(or a URL), or a header of its health check; the first line, at most ``MAX_CHARS``
characters. A version that cannot be read does not stop the run: the journal says why
(``unknown: ...``), as a version is a record of what ran, not a precondition.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from chaos.scenario.model import TargetVersion
from chaos.stack.local import start_command

TIMEOUT_S = 10.0
MAX_CHARS = 200


async def target_version(version: TargetVersion, target_url: str, health: str, cwd: Path) -> str:
    """The version ``version`` points at, or ``unknown: why``."""
    try:
        if version.command is not None:
            return _first_line(await _run(version.command, cwd))
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            if version.header is not None:
                answer = await client.get(target_url.rstrip("/") + health)
                value = answer.headers.get(version.header)
                return _first_line(value) if value else f"unknown: no {version.header} header on {health}"
            assert version.url is not None  # one source is given (TargetVersion)
            url = target_url.rstrip("/") + version.url if version.url.startswith("/") else version.url
            answer = await client.get(url)
            answer.raise_for_status()
            if version.json_field is None:
                return _first_line(answer.text)
            body = answer.json()
            if not isinstance(body, dict) or version.json_field not in body:
                return f"unknown: no field {version.json_field} in the answer of {version.url}"
            return _first_line(str(body[version.json_field]))
    except (OSError, httpx.HTTPError, ValueError, TimeoutError) as exc:
        return f"unknown: {type(exc).__name__}: {exc}"[:MAX_CHARS]


async def _run(argv: list[str], cwd: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        *start_command(argv), cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), TIMEOUT_S)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    if process.returncode != 0:
        raise ValueError(
            f"{argv[0]} exited with code {process.returncode}: {_first_line(out.decode(errors='replace'))}"
        )
    return out.decode(errors="replace")


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0].strip()[:MAX_CHARS] if lines else "unknown: empty"
