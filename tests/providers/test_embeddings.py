"""Embeddings as OpenAI serves them: the largest request it takes does not hold up the
providers process (the admin API answers meanwhile), and what it refuses is refused."""

from __future__ import annotations

import base64
import threading
import time

import httpx
import numpy as np

from tests.providers.conftest import Mock
from tests.providers.test_faults import OPENAI_HEADERS

INPUTS, DIMENSIONS = 2048, 4096  # the most one request may ask for


def embeddings(mock: Mock, **body: object) -> httpx.Response:
    url = f"{mock.url('oai')}/embeddings"
    return httpx.post(url, json={"model": "text-embedding-3-large", **body}, headers=OPENAI_HEADERS, timeout=120)


def test_the_largest_request_is_answered_whole_while_the_admin_api_keeps_answering(mock: Mock) -> None:
    answers: list[httpx.Response] = []
    texts = [f"input number {index}" for index in range(INPUTS)]
    body = {"input": texts, "dimensions": DIMENSIONS, "encoding_format": "base64"}
    big = threading.Thread(target=lambda: answers.append(embeddings(mock, **body)))
    slowest = 0.0
    with httpx.Client(timeout=30) as admin:
        big.start()
        while big.is_alive():
            began = time.monotonic()
            assert admin.get(f"{mock.admin}/healthz").status_code == 200
            slowest = max(slowest, time.monotonic() - began)
            time.sleep(0.02)
    big.join()
    assert slowest < 0.5, f"the admin API waited {slowest:.2f} s behind one embeddings request"
    (answer,) = answers
    assert answer.status_code == 200, answer.text[:300]
    data = answer.json()["data"]
    assert [item["index"] for item in data] == list(range(INPUTS))
    first = np.frombuffer(base64.b64decode(data[0]["embedding"]), dtype="<f4")
    assert first.shape == (DIMENSIONS,)
    assert abs(float(np.linalg.norm(first)) - 1) < 1e-3
    again = embeddings(mock, input=texts[0], dimensions=DIMENSIONS, encoding_format="float").json()["data"][0]
    assert np.allclose(again["embedding"], first, atol=1e-6)  # the same text, the same vector, in either encoding


def test_inputs_beyond_openais_token_limits_are_refused_as_openai_refuses_them(mock: Mock) -> None:
    too_long = embeddings(mock, input="word " * 9000)
    assert too_long.status_code == 400
    error = too_long.json()["error"]
    assert error["message"].startswith("This model's maximum context length is 8192 tokens, however you requested")
    assert error["param"] == "input"
    too_many = embeddings(mock, input=["word " * 8000] * 40)
    assert too_many.status_code == 400
    assert too_many.json()["error"]["message"].endswith("tokens, max 300000 tokens per request")
    assert embeddings(mock, input=["word " * 8000] * 30).status_code == 200
