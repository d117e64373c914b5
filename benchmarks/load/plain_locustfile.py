"""The baselines of the load benchmark: a plain FastHttpUser sending the same requests, uninstrumented.

The same mix as the built-in load (60% streamed chat, 30% chat, 10% evals), the same
bodies and headers, no wait, nothing recorded. ``PLAIN_STREAMS=lines`` consumes a
streamed answer with Locust's own ``iter_lines`` (how a plain locustfile streams);
``PLAIN_STREAMS=whole`` reads it whole, like any other answer (no streaming at all).
"""

import json
import os
import random
import uuid
from pathlib import Path

import meter  # noqa: F401  (the benchmark's probe installs itself)
from locust import FastHttpUser, constant, task

from chaos.evals import load_eval_set
from chaos.load.prompts import CHAT_PROMPTS

EVAL_SET = Path(__file__).resolve().parents[2] / "scenarios" / "evals" / "general.jsonl"
EVALS = [item.prompt for item in load_eval_set(EVAL_SET).cases]
KINDS = ["chat_stream", "chat", "eval"]
WEIGHTS = [0.6, 0.3, 0.1]
STREAM_LINES = os.environ.get("PLAIN_STREAMS", "lines") == "lines"


def body(prompt: str, stream: bool) -> str:
    data = {"model": "gateway", "max_tokens": 64, "messages": [{"role": "user", "content": prompt}]}
    if stream:
        data["stream"] = True
        data["stream_options"] = {"include_usage": True}
    return json.dumps(data)


class PlainUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def one_request(self) -> None:
        kind = random.choices(KINDS, WEIGHTS)[0]
        prompt = random.choice(EVALS if kind == "eval" else CHAT_PROMPTS)
        headers = {
            "x-request-id": uuid.uuid4().hex,
            "content-type": "application/json",
            "accept": "text/event-stream" if kind == "chat_stream" else "application/json",
            "accept-encoding": "identity",
        }
        path, data = "/v1/chat/completions", body(prompt, kind == "chat_stream")
        if kind == "chat_stream" and STREAM_LINES:
            for _ in self.client.iter_lines(path, method="POST", data=data, headers=headers, name=kind):
                pass
        else:
            self.client.post(path, data=data, headers=headers, name=kind)
