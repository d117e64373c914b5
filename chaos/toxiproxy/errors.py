"""What can go wrong talking to a Toxiproxy server.

    ChaosError
    +-- ToxiproxyError          any failure; ``status`` is None when no answer came
        +-- ToxiproxyUnreachable    connection refused, timed out, or broken mid-answer
        +-- BadRequest          400: a missing field, an invalid toxic type or stream, a mistyped attribute
        +-- NotFound            404: no such proxy or toxic
        +-- Conflict            409: the proxy or toxic already exists
        +-- ServerError         500: e.g. the listen address is taken (the OS message)

Each carries Toxiproxy's own message (``{"error": msg, "status": code}``).
"""

from __future__ import annotations

from chaos.errors import ChaosError


class ToxiproxyError(ChaosError):
    def __init__(self, message: str, *, status: int | None = None, url: str = "") -> None:
        where = f" ({url})" if url else ""
        super().__init__(f"toxiproxy: {message}{where}")
        self.status = status
        self.detail = message


class ToxiproxyUnreachable(ToxiproxyError):
    pass


class BadRequest(ToxiproxyError):
    pass


class NotFound(ToxiproxyError):
    pass


class Conflict(ToxiproxyError):
    pass


class ServerError(ToxiproxyError):
    pass


ERRORS_BY_STATUS: dict[int, type[ToxiproxyError]] = {
    400: BadRequest,
    404: NotFound,
    409: Conflict,
    500: ServerError,
}
