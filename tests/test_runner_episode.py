"""One episode: statuses, limits, infrastructure retries, sandbox release."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import runner_fixtures

from agentbench import AuthenticationError, Limits, Model, Sample
from agentbench._runner.environment import LazyBackend
from agentbench._runner.episode import EpisodeEnv, run_one_episode
from agentbench.plugins import load_plugins

FX = runner_fixtures


def make_env(
    *,
    limits: Limits | None = None,
    infra_retries: int = 2,
    sandbox_options: dict[str, Any] | None = None,
    run_dir: Path | None = None,
    auth_fail: bool = False,
    tokens: int = 10,
    **task_options: Any,
) -> EpisodeEnv:
    registry = load_plugins(extra=[FX])
    task = FX.SayTask(task_options)
    model = Model("t-say", FX.SayProvider(auth_fail=auth_fail, tokens=tokens))
    backend = LazyBackend(registry, "t-fake", "run-1", sandbox_options or {})
    return EpisodeEnv(
        run_id="run-1",
        task_name="t-say",
        task=task,
        model=model,
        backend=backend,
        limits=limits or Limits(),
        infra_retries=infra_retries,
        run_dir=run_dir,
    )


SAMPLE = Sample(id="s3", input="say 3", target="3")


@pytest.fixture(autouse=True)
def _clear_events() -> None:
    FX.EVENTS.clear()


async def test_a_good_episode_is_ok_and_scored() -> None:
    record = await run_one_episode(make_env(), SAMPLE, 0)
    r = record.result
    assert (r.status, r.passed, r.sample_id, r.epoch, r.task, r.model) == (
        "ok",
        True,
        "s3",
        0,
        "t-say",
        "t-say",
    )
    assert r.steps == 1 and r.usage.total_tokens == 20 and r.attempts == 1
    assert [e["type"] for e in record.events] == ["model", "score"]


async def test_a_wrong_answer_is_ok_but_failed_with_the_explanation() -> None:
    r = (await run_one_episode(make_env(wrong_ids=["s3"]), SAMPLE, 0)).result
    assert r.status == "ok" and not r.passed and r.score is not None
    assert "wanted '3'" in r.score.explanation


async def test_an_exception_in_solve_is_an_error_with_its_message_and_no_check() -> None:
    record = await run_one_episode(make_env(fail_ids=["s3"]), SAMPLE, 0)
    assert record.result.status == "error" and record.result.score is None
    assert record.result.error == "RuntimeError: boom on s3"
    assert "score" not in [e["type"] for e in record.events]


async def test_step_limit_still_scores_what_the_episode_has() -> None:
    record = await run_one_episode(make_env(steps=3, limits=Limits(max_steps=2)), SAMPLE, 0)
    r = record.result
    assert r.status == "ok" and r.passed and r.steps == 2
    assert r.score is not None and r.score.details["limit"] == "steps limit of 2 reached"
    assert "limit" in [e["type"] for e in record.events]


async def test_token_limit_stops_the_loop_and_the_first_answer_is_scored() -> None:
    env = make_env(steps=5, tokens=30, limits=Limits(max_tokens=50))
    r = (await run_one_episode(env, SAMPLE, 0)).result
    assert r.status == "ok" and r.passed and r.steps == 1 and r.usage.total_tokens == 60
    assert r.score is not None and r.score.details["limit"] == "tokens limit of 50 reached"


async def test_wall_time_limit_with_nothing_to_check_is_status_limit() -> None:
    env = make_env(sleep=5.0, limits=Limits(max_seconds=0.2), sandbox=True)
    t0 = asyncio.get_running_loop().time()
    r = (await run_one_episode(env, SAMPLE, 0)).result
    assert asyncio.get_running_loop().time() - t0 < 3
    assert r.status == "limit" and r.score is None
    assert (
        r.error is not None and "seconds limit of 0.2 reached" in r.error and "no answer" in r.error
    )
    assert "release 1 reusable=False" in FX.EVENTS  # cut off mid-way: not handed out again


async def test_infrastructure_error_is_retried_on_a_fresh_sandbox() -> None:
    env = make_env(sandbox=True, sandbox_options={"die_times": 1})
    r = (await run_one_episode(env, SAMPLE, 0)).result
    assert r.status == "ok" and r.passed and r.attempts == 2
    assert FX.EVENTS == [
        "acquire 1",
        "release 1 reusable=False",
        "close 1",
        "acquire 2",
        "release 2 reusable=True",
        "close 2",
    ]


async def test_infrastructure_error_after_the_retries_is_infra_error() -> None:
    env = make_env(sandbox=True, sandbox_options={"die_times": 5}, infra_retries=1)
    r = (await run_one_episode(env, SAMPLE, 0)).result
    assert r.status == "infra_error" and r.attempts == 2 and r.score is None
    assert r.error is not None and "died" in r.error
    assert FX.EVENTS.count("acquire 1") == 1 and "close 2" in FX.EVENTS  # every sandbox closed


async def test_user_errors_propagate_and_the_sandbox_is_released() -> None:
    env = make_env(sandbox=True, auth_fail=True)
    with pytest.raises(AuthenticationError):
        await run_one_episode(env, SAMPLE, 0)
    assert FX.EVENTS[-1] == "close 1"


async def test_cancellation_releases_the_sandbox() -> None:
    env = make_env(sandbox=True, sleep=10.0)
    task = asyncio.create_task(run_one_episode(env, SAMPLE, 0))
    while "acquire 1" not in FX.EVENTS:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert FX.EVENTS[-1] == "close 1"


async def test_listeners_see_every_event_as_it_happens_and_artifacts_go_to_the_run_dir(
    tmp_path: Path,
) -> None:
    seen: list[str] = []
    env = make_env(run_dir=tmp_path, sandbox=True)
    record = await run_one_episode(
        env,
        Sample(id="a/b", input="say x", target="x"),
        2,
        listeners=[lambda e: seen.append(e["type"])],
    )
    assert (
        seen == ["sandbox", "file", "exec", "model", "score"] == [e["type"] for e in record.events]
    )
    assert env.artifacts_dir("a/b", 2) == tmp_path / "artifacts" / "t-say" / "a%2Fb" / "2"


async def test_keep_sandbox_hands_the_sandbox_back_unreleased() -> None:
    record = await run_one_episode(make_env(sandbox=True), SAMPLE, 0, keep_sandbox=True)
    assert record.sandbox is not None and not record.sandbox.closed  # type: ignore[attr-defined]
    assert FX.EVENTS == ["acquire 1"]
