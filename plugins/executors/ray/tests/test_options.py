"""What a node's resources and the -E options decide, and how a record crosses to the driver."""

from __future__ import annotations

from pathlib import Path

import pytest
from agentbench_ray.episodes import make_record
from agentbench_ray.options import load_options, node_slots, parse_bytes, scaled_config
from agentbench_ray.transport import pack, unpack

from agentbench import ConfigError, EpisodeResult, RunConfig


def test_a_node_s_slots_come_from_its_resources() -> None:
    plain = load_options({})
    assert node_slots({"CPU": 2.0}, plain) == 8  # 4 per CPU by default
    assert node_slots({"CPU": 2.0, "agentbench_slots": 3.0}, plain) == 3
    assert node_slots({"CPU": 0.0}, plain) == 0  # a head started with --num-cpus 0 runs none
    capped = load_options({"memory_per_slot": "2GiB"})
    assert node_slots({"CPU": 8.0, "memory": 5 * 2**30}, capped) == 2
    assert node_slots({"CPU": 8.0}, load_options({"slots": 5})) == 5


def test_bad_options_are_errors_that_name_them() -> None:
    with pytest.raises(ConfigError, match="unknown ray executor option 'adress'"):
        load_options({"adress": "auto"})
    with pytest.raises(ConfigError, match="artifacts"):
        load_options({"artifacts": "somewhere"})
    assert parse_bytes("512M") == 512 * 2**20


def test_runtime_env_options_merge() -> None:
    options = load_options(
        {"runtime_env": '{"env_vars": {"A": "1"}}', "working_dir": "/src", "py_modules": "a,b"}
    )
    assert options.ray_runtime_env() == {
        "env_vars": {"A": "1"},
        "working_dir": "/src",
        "py_modules": ["a", "b"],
    }
    assert load_options({}).ray_runtime_env() is None


def test_each_worker_gets_its_share_of_the_connection_limits() -> None:
    config = RunConfig(
        task="t",
        model="oracle",
        max_connections=100,
        roles={"critic": {"model": "oracle", "max_connections": 10}},
    )
    quarter = scaled_config(config, 0.25)
    assert quarter.max_connections == 25 and quarter.roles["critic"].max_connections == 2
    assert scaled_config(config, 0.001).max_connections == 1  # never below one
    assert config.max_connections == 100  # the run's own config is untouched


def test_artifacts_travel_with_their_record(tmp_path: Path) -> None:
    worker_dir, driver_dir = tmp_path / "worker" / "a" / "0", tmp_path / "driver" / "a" / "0"
    worker_dir.mkdir(parents=True)
    (worker_dir / "shot.png").write_bytes(b"\x89PNG")
    result = EpisodeResult(
        run_id="r", task="t", sample_id="a", epoch=0, model="m", status="infra_error", error="x"
    )
    events = [{"type": "artifact", "name": "shot.png", "path": str(worker_dir / "shot.png")}]
    record = make_record(result, events, ["shot.png"], [("pair", {"k": 1})])
    packed = pack(record, "10.0.0.7 (node abc)", worker_dir, ship=True)
    assert not worker_dir.exists()  # the worker keeps no copy
    back = unpack(packed, driver_dir)
    assert (driver_dir / "shot.png").read_bytes() == b"\x89PNG"
    assert back.events[0]["path"] == str(driver_dir / "shot.png")
    assert back.events[-1] == {"type": "executor", "t": 0.0, "node": "10.0.0.7 (node abc)"}
    assert back.result.error == "on node 10.0.0.7 (node abc): x"
    assert back.records == [("pair", {"k": 1})] and back.artifacts == ["shot.png"]
