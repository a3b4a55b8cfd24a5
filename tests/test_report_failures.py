"""`agentbench report`: failures with their reasons, one episode's transcript, episodes as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import runner_fixtures
from click.testing import CliRunner

from agentbench import ConfigError
from agentbench.api import run_async
from agentbench.cli import cli
from agentbench.plugins import load_plugins


async def _run(tmp_path: Path) -> list[str]:
    await run_async(
        "t-say",
        model="t-say",
        task_options={"n": 4, "fail_ids": ["s1"], "wrong_ids": ["s2"]},
        run_dir=str(tmp_path),
        run_name="f",
        registry=load_plugins(extra=[runner_fixtures]),
    )
    return ["report", "f", "--run-dir", str(tmp_path)]


async def test_failed_lists_each_failure_with_its_reason(tmp_path: Path) -> None:
    base = await _run(tmp_path)
    out = CliRunner().invoke(cli, [*base, "--failed"], catch_exceptions=False)
    lines = out.output.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("s1/0  error") and "in solve: RuntimeError: boom on s1" in lines[0]
    assert lines[1].startswith("s2/0  ok") and "said 'wrong', wanted '2'" in lines[1]


async def test_sample_id_prints_the_episodes_transcript_with_its_traceback(
    tmp_path: Path,
) -> None:
    base = await _run(tmp_path)
    out = CliRunner().invoke(cli, [*base, "--sample-id", "s1"], catch_exceptions=False)
    assert "error in solve: RuntimeError: boom on s1" in out.output
    assert "Traceback (most recent call last)" in out.output and "s1/0: error" in out.output
    missing = CliRunner().invoke(cli, [*base, "--sample-id", "s1", "--epoch", "3"])
    assert isinstance(missing.exception, ConfigError)
    assert "no episode 's1' epoch 3" in str(missing.exception)


async def test_json_episodes_includes_every_episode(tmp_path: Path) -> None:
    base = await _run(tmp_path)
    out = CliRunner().invoke(cli, [*base, "--json", "--episodes"], catch_exceptions=False)
    data = json.loads(out.output)
    assert data["run_id"] == "f" and len(data["episodes"]) == 4
    errored = [e for e in data["episodes"] if e["status"] == "error"]
    assert errored[0]["error_stage"] == "solve"
