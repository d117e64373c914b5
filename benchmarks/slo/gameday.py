"""A synthetic one-hour game day, written as a run directory the way a real run writes it.

Primary-provider outage in the middle of the hour (the gateway retries once and falls
over to the secondary), a slow network on the secondary inside it, failures at 0.5% of
the baseline, canary probes, proxy counters every second. Deterministic for a seed.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import msgspec
import numpy as np

from chaos.rundir import RunDir
from chaos.scenario.model import Scenario

T0 = 1_800_000_000.0
OUTAGE = (1200.0, 2400.0)  # primary returns 503
SLOW = (1500.0, 1800.0)  # secondary's network is slow
_dumps = msgspec.json.encode


def scenario(duration: float, users: int) -> Scenario:
    return Scenario.model_validate(
        {
            "version": 1,
            "name": "bench-gameday",
            "target": {"url": "http://127.0.0.1:8080", "served_by": {"header": "x-served-by"}},
            "providers": {
                "primary": {"api": "anthropic", "model": "claude-opus", "price": {"input": 15, "output": 75}},
                "secondary": {"api": "anthropic", "model": "claude-sonnet", "price": {"input": 3, "output": 15}},
                "tertiary": {"api": "openai", "model": "gpt-4o-mini", "price": {"input": 0.15, "output": 0.6}},
            },
            "load": {"users": users, "spawn_rate": users, "duration": duration, "warmup": 30.0, "stop_grace": 5.0},
            "faults": [
                {
                    "name": "primary-503",
                    "at": OUTAGE[0],
                    "for": OUTAGE[1] - OUTAGE[0],
                    "provider": "primary",
                    "http_error": {"status": 503},
                },
                {
                    "name": "secondary-slow",
                    "at": SLOW[0],
                    "for": SLOW[1] - SLOW[0],
                    "network": {"provider": "secondary", "toxic": "latency", "latency": 0.4},
                },
            ],
            "slos": {
                "availability": {"objective": "99.5%"},
                "ttft_p95": {"max": 1.5},
                "chat_e2e_p99": {"max": 4.0},
                "eval_pass_rate": {"objective": "90%"},
                "cost_per_request": {"max": 0.01},
            },
            "expect": [
                {"served_by": "secondary", "during": "primary-503", "at_least": "95%"},
                {"no_traffic_to": "primary", "during": "primary-503", "after": 10.0},
                {"recovers_to": "primary", "within": 15.0},
                {"retry_amplification": {"max": 1.5}},
                {"detect": "page", "slo": "availability", "during": "primary-503", "within": 30.0},
            ],
            "abort": [{"slo": "availability", "below": "80%", "over": 10.0}, {"max_cost_usd": 1000}],
        }
    )


def write_run(directory: Path, *, duration: float, rate: float, seed: int = 7) -> int:
    """Write records.jsonl, ledger.jsonl, events.jsonl and proxies.jsonl; return the request count."""
    rng = np.random.default_rng(seed)
    count = int(duration * rate)
    sent = np.sort(rng.uniform(0, duration, count))
    kind = rng.choice(np.array(["chat_stream", "chat", "eval"]), count, p=[0.6, 0.3, 0.1])
    outage = (sent >= OUTAGE[0]) & (sent < OUTAGE[1])
    slow = (sent >= SLOW[0]) & (sent < SLOW[1])
    ttft = rng.gamma(4, 0.15, count) + np.where(outage, 0.05, 0) + np.where(slow, 0.4, 0)
    e2e = ttft + rng.uniform(0.3, 1.2, count)
    failed = rng.random(count) < np.where(outage, 0.01, 0.002)
    served = np.where(outage, "secondary", "primary")
    tokens = rng.integers(20, 64, count)
    eval_pass = rng.random(count) < 0.95
    ids = [uuid.UUID(bytes=bytes(b)).hex for b in rng.integers(0, 256, (count, 16), dtype=np.uint8)]
    directory.mkdir(parents=True, exist_ok=True)
    files = RunDir(directory)
    with files.records.open("wb") as out:
        out.write(_dumps({"record": "load", "event": "start", "t": T0}) + b"\n")
        for i in range(count):
            t = T0 + float(sent[i])
            stream = bool(kind[i] == "chat_stream")
            base = {
                "id": ids[i],
                "kind": str(kind[i]),
                "endpoint": "/v1/chat/completions",
                "stream": stream,
                "t_sent": t,
            }
            out.write(_dumps({"record": "sent", **base}) + b"\n")
            ended = {
                "record": "ended",
                **base,
                "t_headers": t + float(ttft[i]) * 0.5,
                "t_first_token": t + float(ttft[i]),
                "t_ended": t + float(e2e[i]),
            }
            if failed[i]:
                ended |= {"status": 503, "outcome": "failed", "error_kind": "http_5xx"}
            else:
                ended |= {"status": 200, "outcome": "ok", "output_tokens": int(tokens[i]), "served_by": str(served[i])}
                if kind[i] == "eval":
                    ended |= {"eval_id": "q1", "eval_pass": bool(eval_pass[i])}
            out.write(_dumps(ended) + b"\n")
        out.write(_dumps({"record": "load", "event": "stop", "t": T0 + duration}) + b"\n")
    _write_ledger(files.ledger, ids=ids, sent=sent, outage=outage, failed=failed, tokens=tokens, rng=rng)
    _write_events(files.events)
    _write_proxies(files.proxies, duration)
    return count


def _write_ledger(
    path: Path,
    *,
    ids: list[str],
    sent: np.ndarray,
    outage: np.ndarray,
    failed: np.ndarray,
    tokens: np.ndarray,
    rng: np.random.Generator,
) -> None:
    seq = 0
    with path.open("wb") as out:
        for i, request_id in enumerate(ids):
            t = T0 + float(sent[i]) + 0.01
            rows = [("primary", 503, 0)] if outage[i] and rng.random() < 0.05 else []
            rows.append(("secondary" if outage[i] else "primary", 500 if failed[i] else 200, int(tokens[i])))
            for attempt, (provider, status, output) in enumerate(rows, start=1):
                seq += 1
                out.write(
                    _dumps(
                        {
                            "record": "ledger",
                            "seq": seq,
                            "t": t,
                            "t_end": t + 1.0,
                            "provider": provider,
                            "endpoint": "/v1/messages",
                            "model": "m",
                            "stream": True,
                            "status": status,
                            "end": "completed" if status == 200 else "failed",
                            "input_tokens": 120 if status == 200 else 0,
                            "output_tokens": output if status == 200 else 0,
                            "request_id": request_id,
                            "attempt": attempt,
                        }
                    )
                    + b"\n"
                )
        for second in range(0, int(sent[-1]) if len(sent) else 0, 10):
            seq += 1
            out.write(
                _dumps(
                    {
                        "record": "ledger",
                        "seq": seq,
                        "t": T0 + second,
                        "t_end": T0 + second + 0.5,
                        "provider": "primary",
                        "endpoint": "/v1/messages",
                        "model": "m",
                        "stream": False,
                        "status": 200,
                        "end": "completed",
                        "input_tokens": 5,
                        "output_tokens": 1,
                        "canary": True,
                    }
                )
                + b"\n"
            )


def _write_events(path: Path) -> None:
    events = [
        ("primary-503", "http_error", "inject", OUTAGE[0]),
        ("secondary-slow", "network", "inject", SLOW[0]),
        ("secondary-slow", "network", "restore", SLOW[1]),
        ("primary-503", "http_error", "restore", OUTAGE[1]),
    ]
    with path.open("wb") as out:
        for fault, kind, action, at in events:
            out.write(
                _dumps(
                    {
                        "record": "fault",
                        "run_id": "bench",
                        "fault": fault,
                        "kind": kind,
                        "action": action,
                        "t_intended": T0 + at,
                        "t_actual": T0 + at + 0.05,
                    }
                )
                + b"\n"
            )


def _write_proxies(path: Path, duration: float) -> None:
    with path.open("wb") as out:
        for second in range(int(duration)):
            for proxy in ("primary", "secondary", "tertiary"):
                out.write(
                    _dumps(
                        {
                            "record": "proxy",
                            "t": T0 + second,
                            "proxy": proxy,
                            "accepted": second * 100,
                            "cut": 0,
                            "reset": 0,
                        }
                    )
                    + b"\n"
                )
