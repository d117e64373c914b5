"""One request to the target, measured and classified, on Locust's fast HTTP client.

The request goes through the user's ``LocustUserAgent`` (``self.client.client``, what
``FastHttpSession`` sends with), which returns as soon as the response headers are in
(time to headers); the body is then read as the bytes arrive, a stream line by line
(a fixed-size read waits for the chunk to fill and inflates TTFT). Every request ends
with exactly one ``RequestEnded`` record and one Locust request event, however it ended,
including when the user is killed at the end of the stop grace; the event carries the
end-to-end time and the failure kind. Going past ``FastHttpSession.request`` saves its
bookkeeping, which reports at the headers and is replaced here anyway.
"""

from __future__ import annotations

import errno
import socket
import time
from typing import TYPE_CHECKING

import gevent  # type: ignore[import-untyped]
from geventhttpclient._parser import HTTPParseError
from geventhttpclient.header import Headers
from geventhttpclient.response import HTTPConnectionClosed, HTTPSocketResponse
from geventhttpclient.useragent import ConnectionError as AgentError
from locust.contrib.fasthttp import FastResponse

from chaos.evals import EvalCase
from chaos.kinds import ErrorKind, Outcome, RequestKind
from chaos.load.sse import MalformedStream, SseDecoder
from chaos.load.trace import Trace
from chaos.load.wire import error_message
from chaos.observe.context import traceparent
from chaos.records import RequestEnded

if TYPE_CHECKING:
    from chaos.load.runtime.users import LLMUser

_REFUSED = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH}
_RESET = {errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED}


class RequestFailed(Exception):
    """What Locust's statistics show for a failed request: its kind (and status)."""


class LoadGeneratorFailed(Exception):
    """A request failed on this side, not the target's; its text is scrubbed of secrets."""


def exchange(user: LLMUser, kind: RequestKind, prompt: str, item: EvalCase | None = None) -> RequestEnded:
    runtime = user.runtime
    config = runtime.config
    request_id = runtime.request_id()
    stream = kind is RequestKind.CHAT_STREAM
    headers = {
        **runtime.headers,
        "x-request-id": request_id,
        "traceparent": traceparent(request_id),
        "content-type": "application/json",
        "accept": "text/event-stream" if stream else "application/json",
        "accept-encoding": "identity",  # read the stream as it comes, not through a decompressor
    }
    payload = runtime.wire.body(prompt, stream=stream)
    # the clock starts here: only the sent record is written between it and the request
    trace = Trace(
        id=request_id,
        kind=kind,
        endpoint=runtime.path,
        stream=stream,
        worker=runtime.worker,
        eval_id=item.id if item is not None else None,
    )
    runtime.recorder.write(trace.sent())
    response: FastResponse | None = None
    received = 0
    reraise: BaseException | None = None
    timeout = gevent.Timeout(config.client_timeout)
    timeout.start()
    try:
        response = _send(user, payload, headers)
        received = _read(response, trace, user)
    except gevent.Timeout:
        trace.fail(ErrorKind.TIMEOUT, f"no complete answer within the client timeout ({config.client_timeout:g}s)")
    except gevent.GreenletExit as exc:
        trace.cut_by_stop()
        reraise = exc
    except (OSError, HTTPParseError, AgentError) as exc:
        trace.fail(*classify(exc))
    except Exception as exc:
        # Not the target's doing: recorded as failed with no error kind, then raised for
        # Locust to log, as a new exception whose text holds no header value it may carry.
        trace.fail(None, f"the load generator failed: {exc!r}")
        reraise = LoadGeneratorFailed(runtime.secrets.scrub(repr(exc)))
    finally:
        timeout.close()
        if response is not None:
            response.release()
    now = time.perf_counter()
    if item is not None and trace.error is None:
        trace.eval_pass = item.judge(trace.answer)
    if trace.error is not None:  # a message about the request, or one the target sent back, may quote a header
        trace.error = runtime.secrets.scrub(trace.error)
    record = trace.ended(now)
    runtime.recorder.write(record)
    user.environment.events.request.fire(
        request_type="POST",
        name=kind.value,
        response_time=(now - trace.sent_at) * 1000,
        response_length=received,
        response=response,
        context=user.context(),
        exception=_failure(record),
        start_time=trace.t_sent,
        url=runtime.path,
    )
    if isinstance(reraise, LoadGeneratorFailed):
        raise reraise from None
    if reraise is not None:
        raise reraise
    return record


def _send(user: LLMUser, payload: str, headers: dict[str, str]) -> FastResponse:
    """The response once its headers are in, whatever its status."""
    try:
        response = user.client.client.urlopen(user.runtime.url, method="POST", payload=payload, headers=headers)
    except AgentError as exc:
        error_response = getattr(exc, "response", None)  # a status the agent does not like: the answer is there
        if not isinstance(error_response, FastResponse):
            raise
        return error_response
    assert isinstance(response, FastResponse)  # LocustUserAgent.response_type
    return response


def _read(response: FastResponse, trace: Trace, user: LLMUser) -> int:
    """Read the answer into ``trace``; returns the bytes received."""
    runtime = user.runtime
    status = response.status_code
    trace.headers(status, time.perf_counter())
    response_headers = response.headers
    assert response_headers is not None
    served_by = runtime.config.served_by
    if served_by.source == "header" and served_by.name is not None:
        trace.served_by = served_by.provider(_header(response_headers, served_by.name))
    trace.degraded = _header(response_headers, runtime.config.degraded_header) or None
    if not 200 <= status < 300:
        body = _safe_content(response)
        message = error_message(body)
        trace.fail(ErrorKind.for_status(status), f"HTTP {status}" + (f": {message}" if message else ""))
        return len(body)
    try:
        return _read_stream(response, trace, user) if trace.stream else _read_whole(response, trace, user)
    except MalformedStream as exc:
        trace.fail(ErrorKind.MALFORMED, str(exc))
        return 0


def _read_whole(response: FastResponse, trace: Trace, user: LLMUser) -> int:
    runtime = user.runtime
    body = response.content
    answer = runtime.wire.answer(body)
    if answer.error is not None:
        trace.fail(ErrorKind.STREAM_ERROR, answer.error)
        return len(body)
    trace.delta(answer.text, time.perf_counter())
    trace.output_tokens = answer.output_tokens or 0
    if runtime.config.served_by.source == "json":
        trace.served_by = runtime.config.served_by.provider(answer.served_value)
    return len(body)


def _read_stream(response: FastResponse, trace: Trace, user: LLMUser) -> int:
    runtime = user.runtime
    raw = response._response  # geventhttpclient's socket response, read as the bytes arrive
    assert raw is not None
    decoder = SseDecoder()
    stream = runtime.wire.stream()
    received = 0
    while stream.error is None:
        chunk = _arrived_lines(raw)
        received += len(chunk)
        for event in decoder.feed(chunk) if chunk else decoder.finish():
            text = stream.feed(event)
            if text:
                trace.delta(text, time.perf_counter())
            if stream.error is not None:
                trace.fail(ErrorKind.STREAM_ERROR, stream.error)
                break
        if not chunk:
            break
    if runtime.config.served_by.source == "json":
        trace.served_by = runtime.config.served_by.provider(stream.served_value)
    trace.output_tokens = stream.output_tokens
    if stream.error is None and not stream.done:
        trace.fail(ErrorKind.TRUNCATED, "the stream ended without its terminal event")
    return received


def _arrived_lines(raw: HTTPSocketResponse) -> bytes:
    """The whole lines that have arrived, all of them; or, when none has, the next one as soon as it does.

    Lines that arrived together were received together; taking them in one piece instead
    of one ``readline`` each saves most of the cost of reading a stream. ``b""``: the end.
    """
    buffered = raw._body_buffer  # what geventhttpclient has received of the body and not yet handed out
    end = buffered.rfind(b"\n") + 1
    if end == 0:
        return raw.readline(b"\n")
    lines = bytes(buffered[:end])
    del buffered[:end]
    return lines


def _header(headers: Headers, name: str) -> str | None:
    value = headers.get(name)
    return value[0] if isinstance(value, list) else value


def _safe_content(response: FastResponse) -> bytes:
    """An error answer's body, as far as it came."""
    try:
        return response.content or b""
    except (OSError, HTTPParseError, gevent.Timeout):
        return b""


def classify(error: BaseException | None) -> tuple[ErrorKind, str]:
    """A transport error -> its kind and a short reason (the first cause that tells)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, gevent.Timeout | socket.timeout):
            return ErrorKind.TIMEOUT, "timed out"
        if isinstance(error, ConnectionRefusedError | socket.gaierror) or (
            isinstance(error, OSError) and error.errno in _REFUSED
        ):
            return ErrorKind.REFUSED, f"connection refused: {error}"
        if isinstance(error, ConnectionResetError | BrokenPipeError | HTTPConnectionClosed) or (
            isinstance(error, OSError) and error.errno in _RESET
        ):
            return ErrorKind.RESET, f"connection reset: {error}"
        if isinstance(error, HTTPParseError):
            if "incomplete" in str(error).lower() or "closed" in str(error).lower():
                return ErrorKind.RESET, f"connection closed mid-answer: {error}"
            return ErrorKind.MALFORMED, f"not valid HTTP: {error}"
        error = getattr(error, "original", None) or error.__cause__
    return ErrorKind.RESET, "the connection failed"


def _failure(record: RequestEnded) -> RequestFailed | None:
    if record.outcome is Outcome.OK:
        return None
    if record.error_kind is None:
        return RequestFailed("load generator error")
    status = f" ({record.status})" if record.status and record.error_kind.value.startswith("http") else ""
    return RequestFailed(f"{record.error_kind.value}{status}")
