"""Bad requests get the provider's own 4xx shape, never a 500 or a crash (hypothesis hammers)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.providers.conftest import JSON, Mock

pytestmark = pytest.mark.e2e
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
FIELDS = [
    "max_tokens",
    "max_completion_tokens",
    "stream",
    "stream_options",
    "tools",
    "tool_choice",
    "system",
    "input",
    "dimensions",
    "encoding_format",
]
messages = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system", "tool", "robot", 3]), "content": json_values}
    ),
    max_size=3,
)
near_valid = st.fixed_dictionaries(
    {"model": st.sampled_from(["m", "", 5, None]), "messages": messages | json_values},
    optional=dict.fromkeys(FIELDS, json_values),
)
bodies = (
    st.binary(max_size=200)
    | json_values.map(lambda v: json.dumps(v).encode())
    | near_valid.map(lambda v: json.dumps(v).encode())
)

OPENAI = {"Authorization": "Bearer k", "Content-Type": "application/json"}
ANTHROPIC = {"x-api-key": "k", "anthropic-version": "2023-06-01", "Content-Type": "application/json"}


def assert_provider_shape(api: str, response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    if response.status_code == 200:
        return
    body = response.json()
    if api == "openai":
        assert set(body["error"]) == {"message", "type", "param", "code"}
    else:
        assert body["type"] == "error"
        assert set(body["error"]) == {"type", "message"}


@pytest.fixture(scope="module")
def client() -> Any:
    with httpx.Client(timeout=10, headers=JSON) as client:
        yield client


@SETTINGS
@given(body=bodies, path=st.sampled_from(["/chat/completions", "/embeddings"]))
def test_openai_api_answers_bad_bodies_with_openai_errors(
    mock: Mock, client: httpx.Client, body: bytes, path: str
) -> None:
    assert_provider_shape("openai", client.post(f"{mock.url('oai')}{path}", content=body, headers=OPENAI))


@SETTINGS
@given(body=bodies)
def test_anthropic_api_answers_bad_bodies_with_anthropic_errors(mock: Mock, client: httpx.Client, body: bytes) -> None:
    assert_provider_shape("anthropic", client.post(f"{mock.url('anth')}/v1/messages", content=body, headers=ANTHROPIC))


def test_huge_bodies_get_413_in_each_shape(mock: Mock, client: httpx.Client) -> None:
    huge = b'{"model": "m", "messages": [{"role": "user", "content": "' + b"x" * (9 * 1024 * 1024) + b'"}]}'
    for api, url, headers in (
        ("openai", f"{mock.url('oai')}/chat/completions", OPENAI),
        ("anthropic", f"{mock.url('anth')}/v1/messages", ANTHROPIC),
    ):
        response = client.post(url, content=huge, headers=headers)
        assert response.status_code == 413
        assert_provider_shape(api, response)
    assert client.get(f"{mock.admin}/healthz").status_code == 200


def test_missing_credentials_and_unknown_paths(mock: Mock, client: httpx.Client) -> None:
    body = b'{"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}'
    assert client.post(f"{mock.url('oai')}/chat/completions", content=body).status_code == 401
    assert client.post(f"{mock.url('anth')}/v1/messages", content=body, headers={"x-api-key": "k"}).status_code == 400
    for api, url in (("openai", f"{mock.url('oai')}/nope"), ("anthropic", f"{mock.url('anth')}/v1/complete")):
        response = client.get(url)
        assert response.status_code == 404
        assert_provider_shape(api, response)
    assert client.get(f"{mock.url('oai')}/chat/completions").status_code == 404


behaviour_bodies = st.fixed_dictionaries(
    {},
    optional={
        "provider": st.sampled_from(["oai", "anth", "nobody", 1]),
        "run": json_values,
        "ttl_s": json_values | st.floats(),
        "http_error": json_values | st.fixed_dictionaries({}, optional={"status": json_values, "rate": json_values}),
        "slow_tokens": json_values,
        "stream_cut": st.fixed_dictionaries({}, optional={"mode": json_values, "after_tokens": json_values}),
        "quality": json_values,
        "scope": json_values,
    },
)


@SETTINGS
@given(
    name=st.text(
        st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="/?#%\\"), min_size=1, max_size=30
    ),
    body=behaviour_bodies | json_values,
    query=st.dictionaries(
        st.sampled_from(["after", "since", "until", "run", "id", "canary", "ledger"]), st.text(max_size=8)
    ),
)
def test_admin_api_answers_bad_input_with_4xx_json(
    mock: Mock, client: httpx.Client, name: str, body: Any, query: dict[str, str]
) -> None:
    admin = mock.admin
    answers = [
        client.put(f"{admin}/behaviours/{name}", content=json.dumps(body)),
        client.put(f"{admin}/lease", content=json.dumps(body)),
        client.get(f"{admin}/ledger", params=query),
        client.delete(f"{admin}/behaviours", params=query),
        client.delete(f"{admin}/lease", params=query),
        client.get(f"{admin}/findings", params=query),
    ]
    for answer in answers:
        assert answer.status_code < 500, answer.text
        answer.json()
    mock.reset()
