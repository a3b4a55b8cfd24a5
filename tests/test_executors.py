"""The plan -> executor -> store seam: executors are plugins; only the runner records."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import runner_fixtures

from agentbench import ConfigError, Plan, RunConfig, Sample, UnknownNameError, build_environment
from agentbench._runner.store import Store
from agentbench.api import run_async
from agentbench.plugins import load_plugins

FX = runner_fixtures


def test_a_plan_is_plain_data_that_rebuilds_its_environment(tmp_path: Path) -> None:
    config = RunConfig(task="hello-arith", model="oracle", run_dir=str(tmp_path))
    plan = Plan(
        run_id="r",
        run_dir=str(tmp_path / "r"),
        config=config,
        episodes=[(Sample(id="a", input="x"), 0), (Sample(id="b"), 1)],
    )
    copy = Plan.model_validate_json(plan.model_dump_json())
    assert copy == plan and copy.episodes[1][0].id == "b"
    env = build_environment(copy)
    assert env.task.name == "hello-arith" and env.models["default"].ref == "oracle"


async def test_an_unknown_executor_is_an_error_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="unknown executor 'nosuch'"):
        await run_async(
            "t-say",
            model="t-say",
            executor="nosuch",
            run_dir=str(tmp_path / "runs"),
            registry=load_plugins(extra=[FX]),
        )
    assert not (tmp_path / "runs").exists()


async def test_fail_fast_stops_the_executor(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="failed: RuntimeError: boom on s1"):
        await run_async(
            "t-say",
            model="t-say",
            task_options={"n": 6, "fail_ids": ["s1"]},
            max_episodes=1,
            fail_fast=True,
            run_dir=str(tmp_path),
            run_name="ff",
            registry=load_plugins(extra=[FX]),
        )
    with Store(tmp_path / "ff") as store:
        assert len(store.results("ff")) == 2  # s0, then s1 which stopped it


def test_an_executor_from_a_plugin_distribution_runs_the_episodes(tmp_path: Path) -> None:
    env = FX.install_fake_dist(tmp_path / "site")
    log = tmp_path / "executor.log"
    out = subprocess.run(
        [
            *FX.agentbench_cmd(),
            "run",
            "t-say",
            "--model",
            "t-say",
            "-T",
            "n=3",
            "--epochs",
            "2",
            "--executor",
            "t-serial",
            "-E",
            f"log={log}",
            "--run-dir",
            str(tmp_path / "runs"),
            "--run-name",
            "ex",
            "--json",
            "--no-progress",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert summary["completed"] == 6 and summary["metrics"]["pass@1"] == 1.0
    assert sorted(log.read_text().split()) == sorted(f"s{i}:{e}" for i in range(3) for e in (0, 1))
    with Store(tmp_path / "runs" / "ex") as store:
        assert len(store.results("ex")) == 6
