"""Tokens as the mock providers count them, and the answers they write.

The token counter (documented, so that a test or a reader can check any bill by hand):
a token is a maximal run of letters, digits and underscores, or any other single
character that is not white space. ``"Hello, world!"`` is 4 tokens. Input tokens are
the tokens of every text the request carries (system prompt, message texts, tool
definitions as JSON); output tokens are the tokens of the text (or tool-call arguments)
the provider sent.

Answers are filler text derived from the prompt: the same prompt and length always give
the same words, so a test can compare two answers, and a stream split into tokens adds
up to the non-stream answer. Each streamed token is one of ``answer_tokens``: the first
word bare, then `` word`` with its leading space, then a closing ``.``; counting the
joined text gives back exactly the number of tokens sent.
"""

from __future__ import annotations

import json
import re
import zlib

TOKEN = re.compile(r"\w+|[^\w\s]")

# A fixed pool of plain ASCII words: JSON-safe as they are, so that stream frames can be
# assembled without escaping each token.
_TEXT = (
    "the system answers every request with measured words while the provider keeps its own "
    "pace and the gateway decides where traffic goes next when a fault arrives during load "
    "latency budget retries fallback model stream token cost quality signal window recovery "
    "steady state error rate objective burn alert page ticket team incident review change "
    "deploy region cluster cache canary probe health check timeout circuit breaker backoff "
    "jitter quota limit minute second request response header body chunk event delta usage"
)
_WORDS = _TEXT.split()
_POOL_SIZE = 4099  # prime, so that offsets spread evenly
_POOL = tuple(_WORDS[(i * 7 + i // len(_WORDS)) % len(_WORDS)] for i in range(_POOL_SIZE))
_CAPITALIZED = tuple(word.capitalize() for word in _POOL)
_SPACED = tuple(" " + word for word in _POOL) * 2  # twice, so that a slice can run past the end
# Every token the filler can produce, already quoted as JSON (read-only).
_QUOTED = {
    form: f'"{form}"' for word in _WORDS for form in (word, " " + word, word.capitalize(), " " + word.capitalize())
} | {".": '"."'}


def count_tokens(text: str) -> int:
    return len(TOKEN.findall(text))


def seed_of(text: str) -> int:
    """A stable seed for a prompt (not Python's salted ``hash``)."""
    return zlib.crc32(text.encode("utf-8", "surrogatepass"))


def filler_tokens(seed: int, count: int) -> list[str]:
    """``count`` tokens of filler: words, each but the first with its leading space, then a period."""
    if count <= 0:
        return []
    words = count - 1
    start = seed % _POOL_SIZE
    if words == 0:
        return ["."]
    tokens = [_CAPITALIZED[start]]
    while len(tokens) < words:  # the pool wraps around for answers longer than it
        end = min(start + 1 + words - len(tokens), 2 * _POOL_SIZE)
        tokens += _SPACED[start + 1 : end]
        start = (end - 1) % _POOL_SIZE
    tokens.append(".")
    return tokens


def split_tokens(text: str) -> list[str]:
    """``text`` cut into stream pieces, one token each, white space kept with the token after it."""
    pieces: list[str] = []
    last = 0
    for match in TOKEN.finditer(text):
        pieces.append(text[last : match.end()])
        last = match.end()
    if last < len(text) and pieces:
        pieces[-1] += text[last:]
    return pieces


def json_string(text: str) -> str:
    """``text`` as a JSON string literal; the filler's own tokens come ready-made."""
    quoted = _QUOTED.get(text)
    return quoted if quoted is not None else json.dumps(text, ensure_ascii=False)
