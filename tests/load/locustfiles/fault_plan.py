"""The prompts of every_fault.py and the error kind each must be recorded as (no Locust import)."""

STREAMED = [
    ("hello", None),
    ("fault:status:500", "http_5xx"),
    ("fault:status:503", "http_5xx"),
    ("fault:status:429", "http_429"),
    ("fault:status:529", "http_529"),
    ("fault:status:404", "http_4xx"),
    ("fault:hang", "timeout"),
    ("fault:hang_stream", "timeout"),
    ("fault:disconnect", "reset"),
    ("fault:truncated", "truncated"),
    ("fault:malformed", "malformed"),
    ("fault:stream_error", "stream_error"),
]
WHOLE = [
    ("hello", None),
    ("fault:status:503", "http_5xx"),
    ("fault:hang", "timeout"),
    ("fault:disconnect", "reset"),
    ("fault:malformed", "malformed"),
    ("fault:stream_error", "stream_error"),
]
