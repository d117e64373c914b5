"""structlog configured once: JSON lines off a terminal (or when asked), readable lines on one."""

import io
import json

import structlog

from chaos import logs


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_lines_when_not_a_terminal():
    out = io.StringIO()
    logs.configure(stream=out)
    structlog.get_logger().info("fault injected", fault="primary-503", run="r1")
    record = json.loads(out.getvalue().strip())
    assert (record["event"], record["fault"], record["level"]) == ("fault injected", "primary-503", "info")
    assert "timestamp" in record


def test_readable_lines_on_a_terminal_and_json_when_forced():
    tty = Tty()
    logs.configure(stream=tty)
    structlog.get_logger().warning("lease held", holder="other")
    line = tty.getvalue()
    assert "lease held" in line
    assert "holder" in line
    assert not line.lstrip().startswith("{")
    forced = Tty()
    logs.configure(json_lines=True, stream=forced)
    structlog.get_logger().warning("lease held", holder="other")
    assert json.loads(forced.getvalue())["holder"] == "other"


def test_level_filters():
    out = io.StringIO()
    logs.configure(level="warning", stream=out)
    structlog.get_logger().info("hidden")
    structlog.get_logger().error("shown")
    assert [json.loads(line)["event"] for line in out.getvalue().splitlines()] == ["shown"]
