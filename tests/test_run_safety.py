"""Runs that a user (or a hostile program) cannot break: locks, names, options, stores, outages."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import runner_fixtures

from agentbench import ConfigError, DataError, RunConfig
from agentbench._runner.debug import visible
from agentbench._runner.lock import RunLock
from agentbench._runner.store import Store
from agentbench.api import load_summary, run_async
from agentbench.plugins import load_plugins

FX = runner_fixtures


async def run(tmp_path: Path, **fields: Any) -> Any:
    fields.setdefault("model", "t-say")
    fields.setdefault("run_dir", str(tmp_path))
    return await run_async("t-say", registry=load_plugins(extra=[FX]), **fields)


async def test_a_second_process_on_a_running_run_is_refused(tmp_path: Path) -> None:
    first = asyncio.create_task(run(tmp_path, run_name="one", task_options={"n": 2, "sleep": 1.0}))
    for _ in range(100):
        if (tmp_path / "one" / "run.lock").exists():
            break
        await asyncio.sleep(0.02)
    with pytest.raises(ConfigError, match=r"already running in process \d+ on"):
        await run(tmp_path, run_name="one", task_options={"n": 2, "sleep": 1.0})
    with pytest.raises(ConfigError, match="already running"):
        await run(tmp_path, resume="one")
    summary = await first
    assert summary.completed == 2
    with Store(tmp_path / "one") as store:
        assert len(store.results("one")) == 2  # nobody else wrote into the run


def test_the_lock_dies_with_its_holder(tmp_path: Path) -> None:
    lock = RunLock(tmp_path)
    lock.acquire("r")
    lock.release()
    RunLock(tmp_path).acquire("r")  # free again (a SIGKILLed holder's lock goes the same way)


@pytest.mark.parametrize("name", ["../../x", "a b", "x" * 300, "-x", "a/b", ".."])
async def test_bad_run_names_are_refused_before_anything_is_written(
    tmp_path: Path, name: str
) -> None:
    runs = tmp_path / "runs"
    with pytest.raises(ConfigError, match="not a valid run name"):
        await run(runs, run_name=name, task_options={"n": 1})
    assert not runs.exists() and sorted(p.name for p in tmp_path.iterdir()) == []


async def test_unknown_or_bad_options_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown sandbox option 'max_idel'"):
        await run(tmp_path, sandbox="docker", sandbox_options={"max_idel": 3})
    with pytest.raises(ConfigError, match="unknown sandbox option 'kep'"):
        await run(tmp_path, sandbox="local", sandbox_options={"kep": True})
    with pytest.raises(ConfigError, match="unknown model option 'fle'"):
        await run_async(
            "t-say",
            model="scripted",
            model_options={"fle": "x"},
            run_dir=str(tmp_path),
            registry=load_plugins(extra=[FX]),
        )
    from agentbench._sandboxes.docker import DockerBackend

    with pytest.raises(ConfigError, match="max_idle='abc' is not a whole number"):
        DockerBackend("r", {"max_idle": "abc"})


async def test_no_engine_and_no_sandbox_named_stops_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    with pytest.raises(ConfigError, match="never runs without isolation") as err:
        await run(tmp_path / "runs", task_options={"n": 1, "sandbox": True})
    assert "--sandbox local" in err.value.fix
    assert not (tmp_path / "runs").exists()


async def test_empty_and_damaged_stores_are_errors_and_stay_untouched(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "agentbench.db").write_bytes(b"")
    with pytest.raises(DataError, match="missing or empty"):
        load_summary(str(empty))
    assert (empty / "agentbench.db").stat().st_size == 0
    await run(tmp_path, run_name="good", task_options={"n": 3})
    db = tmp_path / "good" / "agentbench.db"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(db.read_bytes())
    for page in range(1, len(data) // 4096):  # trash the header of every page but the first
        data[page * 4096 : page * 4096 + 64] = b"\xff" * 64
    db.write_bytes(bytes(data))
    with pytest.raises(DataError, match="not a readable agentbench database"):
        load_summary(str(tmp_path / "good"))
    with pytest.raises(DataError):
        await run(tmp_path, resume="good")


async def test_a_provider_outage_is_left_out_and_resume_runs_it_again(tmp_path: Path) -> None:
    outage = tmp_path / "outage"
    outage.write_text("down")
    options = {"outage_file": str(outage)}
    summary = await run(
        tmp_path, run_name="o", model_options=options, max_retries=0, task_options={"n": 3}
    )
    assert (summary.provider_errors, summary.errors, summary.completed) == (3, 0, 0)
    assert summary.left_out == 3 and "pass@1" not in summary.metrics
    outage.unlink()
    resumed = await run(tmp_path, resume="o")
    assert (resumed.provider_errors, resumed.completed) == (0, 3)
    assert resumed.metrics["pass@1"] == 1.0


async def test_failed_infrastructure_attempts_stay_in_the_transcript_and_count(
    tmp_path: Path,
) -> None:
    summary = await run(
        tmp_path,
        run_name="i",
        sandbox="t-fake",
        sandbox_options={"die_times": 1},
        task_options={"n": 1, "sandbox": True, "steps": 1},
        infra_retries=2,
    )
    assert summary.completed == 1
    with Store(tmp_path / "i") as store:
        (result,) = store.results("i")
        events = store.transcript("i", "t-say", "s0", 0, "t-say")
    assert result.attempts == 2
    kinds = [e["type"] for e in events]
    assert kinds.count("sandbox") == 2 and "infra_error" in kinds
    assert result.usage.total_tokens == 20  # the model call of the attempt that succeeded


def test_debug_output_shows_control_characters_instead_of_obeying_them() -> None:
    shown = visible("ok\x1b[2K\rFAKE: PASSED\x07\tend\n")
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown
    assert shown == "ok\\x1b[2K\\x0dFAKE: PASSED\\x07\tend\n"


def test_run_config_still_validates(tmp_path: Path) -> None:
    assert RunConfig(task="t", run_name="ok-name_1.2").run_name == "ok-name_1.2"
