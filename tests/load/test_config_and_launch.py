"""LoadConfig from a scenario, the shapes it describes, and the command that runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chaos.envrefs import Resolver
from chaos.errors import ChaosError
from chaos.load.config import CONFIG_ENV, LoadConfig, RemoteWorkers, ShapeConfig
from chaos.load.launch import BUILTIN_LOCUSTFILE, locust_command, too_few_workers
from chaos.rundir import RunDir
from chaos.scenario.base import Api
from chaos.scenario.loading import load_scenario
from chaos.scenario.traffic import Bursts, Shape, Stage
from chaos.slo.builder import served_lookup
from tests.load.helpers import ROOT, config

OUTAGE = ROOT / "scenarios" / "provider-outage.yaml"


def test_a_scenario_becomes_the_config_of_its_load(tmp_path: Path) -> None:
    scenario = load_scenario(OUTAGE)
    cfg = LoadConfig.from_scenario(
        scenario, target_url="http://127.0.0.1:9000", records=RunDir(tmp_path).records, run_id="run-1"
    )
    assert (cfg.api, cfg.model, cfg.run_id, cfg.processes) == (Api.OPENAI, "gateway", "run-1", 1)
    assert cfg.headers == {"Authorization": "Bearer ${GATEWAY_KEY:-demo}"}  # a reference, never its value
    assert (cfg.served_by.source, cfg.served_by.name) == ("header", "x-served-by")
    # a value equal to a provider's name or model names that provider; anything else is kept as said
    assert cfg.served_by.provider("claude-sonnet") == "secondary"
    assert cfg.served_by.provider("primary") == "primary"
    assert cfg.served_by.provider("gpt-5") == "gpt-5"
    assert cfg.served_by.provider("") is None
    assert cfg.eval_set == (ROOT / "scenarios" / "evals" / "general.jsonl").resolve()
    assert (cfg.mix.chat_stream, cfg.mix.chat, cfg.mix.eval) == (0.6, 0.3, 0.1)
    assert (cfg.shape.users, cfg.shape.spawn_rate, cfg.shape.duration, cfg.shape.kind) == (100, 100, 100, "constant")
    assert (cfg.client_timeout, cfg.max_tokens, cfg.wait.min, cfg.wait.max) == (20, 48, 0.2, 0.8)
    assert cfg.stop_grace == pytest.approx(1.5 * (0.5 + 48 / 80 + 0.1))  # the slowest provider's p99, padded
    assert cfg.records.is_absolute()
    assert LoadConfig.model_validate_json(cfg.model_dump_json()) == cfg


def test_a_scaled_scenario_loads_as_long_as_scaled_at_the_same_pace(tmp_path: Path) -> None:
    scenario = load_scenario(OUTAGE, scale=0.4)
    cfg = LoadConfig.from_scenario(scenario, target_url="http://127.0.0.1:9000", records=tmp_path / "r", run_id="r")
    assert (cfg.shape.users, cfg.shape.spawn_rate, cfg.shape.duration) == (100, 100, 40)
    assert (cfg.client_timeout, cfg.wait.min, cfg.wait.max) == (20, 0.2, 0.8)


def test_an_explicit_served_by_map_wins_over_names_and_models(tmp_path: Path) -> None:
    scenario = load_scenario(OUTAGE, ["target.served_by={json: model, map: {claude-sonnet: tertiary}}"])
    cfg = LoadConfig.from_scenario(scenario, target_url="http://127.0.0.1:1", records=tmp_path / "r", run_id="r")
    assert (cfg.served_by.source, cfg.served_by.name) == ("json", "model")
    assert cfg.served_by.provider("claude-sonnet") == "tertiary"


def test_the_load_records_who_served_as_the_verdict_counts_it(tmp_path: Path) -> None:
    """One mapping: what the load writes in served_by is the provider the verdict's code names."""
    scenario = load_scenario(
        OUTAGE, ["providers.tertiary.model=claude-sonnet", "target.served_by.map={cache-7: secondary}"]
    )
    cfg = LoadConfig.from_scenario(scenario, target_url="http://127.0.0.1:1", records=tmp_path / "r", run_id="r")
    names = list(scenario.scenario.providers)
    codes = served_lookup(scenario.scenario)
    for value in ("primary", "tertiary", "claude-opus", "claude-sonnet", "cache-7"):
        assert names[codes[value]] == cfg.served_by.provider(value), value
    assert cfg.served_by.provider("claude-sonnet") == "secondary"  # a shared model: the first in fallback order
    assert "gpt-5" not in codes  # unknown to both
    assert cfg.served_by.provider("gpt-5") == "gpt-5"


def test_a_scenario_locustfile_resolves_next_to_the_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(OUTAGE, ["load.locustfile=../loadtests/chat.py"])
    cfg = LoadConfig.from_scenario(scenario, target_url="http://127.0.0.1:1", records=tmp_path / "r", run_id="r")
    assert cfg.locustfile == ROOT / "loadtests" / "chat.py"


@pytest.mark.parametrize(
    ("url", "api", "host", "path"),
    [
        ("http://127.0.0.1:8080", Api.OPENAI, "http://127.0.0.1:8080", "/v1/chat/completions"),
        ("http://127.0.0.1:8080/", Api.ANTHROPIC, "http://127.0.0.1:8080", "/v1/messages"),
        ("http://127.0.0.1:8080/openai/v1", Api.OPENAI, "http://127.0.0.1:8080", "/openai/v1/chat/completions"),
        ("https://gw.staging:8443/v1/", Api.ANTHROPIC, "https://gw.staging:8443", "/v1/messages"),
    ],
)
def test_listen_and_sdk_style_base_urls_reach_the_chat_endpoint(
    tmp_path: Path, url: str, api: Api, host: str, path: str
) -> None:
    cfg = config(tmp_path, url, api=api)
    assert (cfg.host, cfg.path) == (host, path)


def test_shapes_say_how_many_users_to_aim_for() -> None:
    constant = ShapeConfig(users=5, spawn_rate=2, duration=60)
    assert [constant.target(t) for t in (0, 59)] == [(5, 2), (5, 2)]
    stages = ShapeConfig(
        users=1,
        spawn_rate=1,
        duration=60,
        shape=Shape(stages=[Stage(until=10, users=3, spawn_rate=3), Stage(until=20, users=8, spawn_rate=4)]),
    )
    assert [stages.target(t) for t in (0, 9.9, 10, 19.9, 25)] == [(3, 3), (3, 3), (8, 4), (8, 4), (0, 4)]
    bursts = ShapeConfig(
        users=2, spawn_rate=1, duration=60, shape=Shape(bursts=Bursts(every=10, length=3, users=9, spawn_rate=30))
    )
    assert [bursts.target(t) for t in (0, 5, 10, 12.9, 13, 20.5)] == [(2, 1), (2, 1), (9, 30), (9, 30), (2, 1), (9, 30)]
    assert (constant.kind, stages.kind, bursts.kind) == ("constant", "stages", "bursts")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target_url": "ftp://host"}, "is not an http"),
        ({"records": Path("relative.jsonl")}, "absolute path"),
        ({"headers": {"Authorization": "Bearer ${not a name}"}}, "not an environment variable reference"),
        ({"wait": {"min": 2.0, "max": 1.0}}, "min must not exceed max"),
        ({"eval_set": None}, "eval traffic needs"),
        ({"mix": {"chat_stream": 0.5, "chat": 0.1, "eval": 0.1}}, "add up"),
    ],
)
def test_an_inconsistent_config_is_refused(tmp_path: Path, overrides: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config(tmp_path, "http://127.0.0.1:1", **overrides)


def test_a_config_file_that_is_missing_or_wrong_is_a_chaos_error(tmp_path: Path) -> None:
    with pytest.raises(ChaosError, match="cannot read"):
        LoadConfig.read(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"run_id": "r"}))
    with pytest.raises(ChaosError, match="invalid load config"):
        LoadConfig.read(bad)


def test_one_process_runs_headless_and_exits_zero_on_failed_requests(tmp_path: Path) -> None:
    cfg = config(tmp_path, "http://127.0.0.1:8080/v1")
    run_dir = RunDir(tmp_path)
    command = locust_command(cfg, run_dir, python="py", base_env={"PATH": "/bin", "LOCUST_USERS": "9"})
    argv = command.argv
    assert argv[:3] == ["py", "-m", "locust"]
    assert argv[argv.index("--locustfile") + 1] == str(BUILTIN_LOCUSTFILE)
    assert argv[argv.index("--host") + 1] == "http://127.0.0.1:8080"
    assert argv[argv.index("--exit-code-on-error") + 1] == "0"
    assert "--headless" in argv
    assert "--processes" not in argv
    assert command.env == {"PATH": "/bin", CONFIG_ENV: str(run_dir.load_config), "PYTHONUNBUFFERED": "1"}
    assert command.cwd == tmp_path
    assert command.locust_stats == run_dir.locust_stats
    assert argv[argv.index("--json-file") + 1] + ".json" == str(run_dir.locust_stats)


def test_several_processes_run_a_master_and_local_workers_on_a_given_port(tmp_path: Path) -> None:
    cfg = config(tmp_path, "http://127.0.0.1:8080", processes=3)
    with pytest.raises(ValueError, match="master_port"):
        locust_command(cfg, RunDir(tmp_path))
    argv = locust_command(cfg, RunDir(tmp_path), master_port=41234).argv
    assert argv[argv.index("--processes") + 1] == "3"
    assert argv[argv.index("--master-bind-host") + 1] == "127.0.0.1"
    assert argv[argv.index("--master-bind-port") + 1] == argv[argv.index("--master-port") + 1] == "41234"


def test_the_orchestrators_side_never_imports_locust_or_gevent() -> None:
    code = (
        "import sys, chaos.load.config, chaos.load.launch, chaos.evals, chaos.load.trace, chaos.load.clock;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent', 'aiohttp')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_header_references_resolve_only_when_asked_and_a_missing_variable_is_named(tmp_path: Path) -> None:
    cfg = config(tmp_path, "http://127.0.0.1:1", headers={"Authorization": "Bearer ${KEY}", "x-team": "${TEAM:-sre}"})
    assert cfg.resolved_headers(Resolver({"KEY": "k1"})) == {"Authorization": "Bearer k1", "x-team": "sre"}
    with pytest.raises(ChaosError, match="KEY is not set"):
        cfg.resolved_headers(Resolver({}))


def test_a_target_outside_the_allowed_hosts_is_refused(tmp_path: Path) -> None:
    scenario = load_scenario(OUTAGE)
    with pytest.raises(ChaosError, match=r"may not target api\.example\.com"):
        LoadConfig.from_scenario(scenario, target_url="https://api.example.com", records=tmp_path / "r", run_id="r")


def test_remote_workers_run_a_master_that_waits_for_them_where_it_was_told_to_listen(tmp_path: Path) -> None:
    remote = RemoteWorkers(count=3, timeout=12.5, bind_host="0.0.0.0", bind_port=6000)
    argv = locust_command(config(tmp_path, "http://127.0.0.1:8080", workers=remote), RunDir(tmp_path)).argv
    assert "--master" in argv
    assert "--processes" not in argv
    assert argv[argv.index("--expect-workers") + 1] == "3"
    assert argv[argv.index("--expect-workers-max-wait") + 1] == "13"  # Locust takes whole seconds: never less
    assert argv[argv.index("--master-bind-host") + 1] == "0.0.0.0"
    assert argv[argv.index("--master-bind-port") + 1] == "6000"


def test_remote_workers_and_local_processes_are_one_choice(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="choose one"):
        config(tmp_path, "http://127.0.0.1:8080", processes=2, workers=RemoteWorkers(count=2))


def test_a_remote_worker_is_sent_no_path_of_the_masters_machine(tmp_path: Path) -> None:
    cfg = config(tmp_path, "http://127.0.0.1:8080", locustfile=ROOT / "loadtests" / "chat.py")
    sent = cfg.for_worker()
    assert (sent.eval_set, sent.locustfile) == (None, None)
    assert sent.evals == cfg.eval_items() != []
    assert sent.headers == cfg.headers
    assert LoadConfig.model_validate_json(sent.model_dump_json()) == sent


def test_too_few_workers_says_how_many_came_and_where_the_master_listened(tmp_path: Path) -> None:
    cfg = config(tmp_path, "http://127.0.0.1:8080", workers=RemoteWorkers(count=4, timeout=30, bind_port=6001))
    message = too_few_workers(cfg, 3)
    assert message.startswith("only 3 of 4 load workers came within 30 s; the load did not start")
    assert "127.0.0.1:6001" in message
    assert "chaos worker --master HOST:6001" in message
