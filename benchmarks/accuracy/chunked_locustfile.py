"""The baseline of the TTFT benchmark: a plain FastHttpUser reading the stream in 1 KiB chunks.

This is what a first locustfile usually does (``iter_content``); it sees the first token
only once a chunk has filled. It appends ``{"ttft": s}`` lines to the file ``BENCH_OUT``.
"""

import json
import os
import re
import time

from locust import FastHttpUser, between, task

BODY = json.dumps(
    {
        "model": "gateway",
        "max_tokens": 64,
        "stream": True,
        "messages": [{"role": "user", "content": "Write a haiku about a server that never sleeps."}],
    }
)


FIRST_TOKEN = re.compile(r'"content": "[^"]')  # a non-empty text delta (the role chunk's is empty)


class ChunkedReader(FastHttpUser):
    wait_time = between(0.05, 0.1)

    def on_start(self) -> None:
        self.out = open(os.environ["BENCH_OUT"], "a")  # noqa: SIM115 (one file per user, closed on stop)

    def on_stop(self) -> None:
        self.out.close()

    @task
    def stream(self) -> None:
        sent = time.perf_counter()
        headers = {"content-type": "application/json", "accept-encoding": "identity"}
        with self.client.post(
            "/v1/chat/completions", data=BODY, headers=headers, stream=True, catch_response=True
        ) as r:
            for chunk in r.iter_content(1024):
                if FIRST_TOKEN.search(chunk):
                    break
            ttft = time.perf_counter() - sent
            for _ in r.iter_content(1024):
                pass
        self.out.write(json.dumps({"ttft": ttft}) + "\n")
        self.out.flush()
