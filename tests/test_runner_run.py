"""Whole runs through the API: records, observers, concurrency, resume, bad input."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import runner_fixtures

from agentbench import ConfigError, DataError, RunConfig, Sample, UnknownNameError, hookimpl
from agentbench._runner.runner import Runner
from agentbench._runner.store import Store
from agentbench.api import load_summary, run_async
from agentbench.plugins import load_plugins

FX = runner_fixtures


class Observer:
    """Records every observer call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def on_run_start(self, run: Any) -> None:
        self.calls.append(("start", run))

    @hookimpl
    async def on_episode_end(self, result: Any) -> None:
        await asyncio.sleep(0)
        self.calls.append(("episode", result))

    @hookimpl
    def on_run_end(self, summary: Any) -> None:
        self.calls.append(("end", summary))


def registry(*extra: Any) -> Any:
    return load_plugins(extra=[FX, *extra])


async def run(tmp_path: Path, *extra: Any, **fields: Any) -> Any:
    fields.setdefault("model", "t-say")
    fields.setdefault("run_dir", str(tmp_path))
    return await run_async("t-say", registry=registry(*extra), **fields)


async def test_a_run_records_every_episode_and_summarises(tmp_path: Path) -> None:
    summary = await run(
        tmp_path,
        epochs=2,
        run_name="r1",
        task_options={"n": 4, "wrong_ids": ["s1"], "fail_ids": ["s2"]},
    )
    assert (summary.run_id, summary.episodes, summary.completed, summary.errors) == ("r1", 8, 8, 2)
    assert summary.metrics["pass@1"] == pytest.approx(0.5)  # s0, s3 pass; s1 wrong; s2 errors
    with Store(tmp_path / "r1") as store:
        results = store.results("r1")
        row = store.get_run("r1")
    assert sorted((r.sample_id, r.epoch) for r in results) == [
        (f"s{i}", e) for i in range(4) for e in range(2)
    ]
    assert {r.sample_id: r.status for r in results}["s2"] == "error"
    assert row is not None and row["finished_at"] is not None and row["summary"] == summary
    assert load_summary("r1", tmp_path) == summary


async def test_observers_are_called_once_per_run_and_once_per_episode_after_recording(
    tmp_path: Path,
) -> None:
    observer = Observer()
    summary = await run(tmp_path, observer, run_name="obs", task_options={"n": 3})
    kinds = [k for k, _ in observer.calls]
    assert kinds == ["start", "episode", "episode", "episode", "end"]
    start = observer.calls[0][1]
    assert (start.run_id, start.expected, start.todo) == ("obs", 3, 3)
    assert observer.calls[-1][1] == summary
    assert {r.sample_id for k, r in observer.calls if k == "episode"} == {"s0", "s1", "s2"}


async def test_at_most_max_episodes_run_at_once(tmp_path: Path) -> None:
    live, peak = 0, 0

    class Gauge:
        @hookimpl
        def register_tasks(self, register: Any) -> None:
            class Slow(FX.SayTask):  # type: ignore[name-defined,misc]
                async def solve(self, ctx: Any) -> None:
                    nonlocal live, peak
                    live += 1
                    peak = max(peak, live)
                    await asyncio.sleep(0.02)
                    live -= 1
                    await super().solve(ctx)

            register("t-slow", Slow)

    summary = await run_async(
        "t-slow",
        registry=registry(Gauge()),
        model="t-say",
        run_dir=str(tmp_path),
        max_episodes=3,
        task_options={"n": 12},
    )
    assert summary.completed == 12 and peak == 3


async def test_reusing_a_run_name_skips_done_episodes(tmp_path: Path) -> None:
    log = tmp_path / "solves.txt"
    opts = {"n": 3, "log_file": str(log)}
    await run(tmp_path, run_name="same", task_options=opts, epochs=1, limit=2)
    assert sorted(log.read_text().split()) == ["s0:0", "s1:0"]
    with pytest.raises(
        ConfigError, match="limit"
    ):  # the same name with a different plan is refused
        await run(tmp_path, run_name="same", task_options=opts, epochs=1)
    log.write_text("")
    summary = await run(tmp_path, run_name="same", task_options=opts, epochs=1, limit=2)
    assert log.read_text() == "" and summary.completed == 2


async def test_resume_finishes_only_what_is_missing_and_keeps_the_stored_config(
    tmp_path: Path,
) -> None:
    log = tmp_path / "solves.txt"
    opts = {"n": 3, "log_file": str(log), "fail_ids": ["s1"]}
    await run(tmp_path, run_name="res", task_options=opts, epochs=2)
    with Store(tmp_path / "res") as store:  # pretend two episodes never finished
        store._conn.execute("DELETE FROM episodes WHERE sample_id = 's2'")
    log.write_text("")
    config = RunConfig(task="", resume="res", run_dir=str(tmp_path), max_episodes=1)
    summary = await Runner(config, registry=registry()).run()
    assert sorted(log.read_text().split()) == ["s2:0", "s2:1"]
    assert summary.completed == 6 and summary.errors == 2  # errors count as done: not rerun


async def test_resume_refuses_a_changed_identity_option(tmp_path: Path) -> None:
    await run(tmp_path, run_name="r", task_options={"n": 2})
    config = RunConfig(task="t-say", resume="r", run_dir=str(tmp_path), epochs=3)
    with pytest.raises(ConfigError, match="epochs"):
        await Runner(config, registry=registry()).run()


async def test_infra_errors_are_counted_apart_and_the_backend_is_closed(tmp_path: Path) -> None:
    FX.EVENTS.clear()
    summary = await run(
        tmp_path,
        sandbox="t-fake",
        sandbox_options={"die_times": 100},
        infra_retries=1,
        task_options={"n": 2, "sandbox": True},
    )
    assert (summary.infra_errors, summary.errors) == (2, 0)
    assert FX.EVENTS[-1] == "backend aclose"
    assert FX.EVENTS.count("close 1") == 1 and sum(e.startswith("acquire") for e in FX.EVENTS) == 4


async def test_bad_input_fails_before_any_run_directory_exists(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="did you mean t-say"):
        await run_async("t-sey", registry=registry(), model="t-say", run_dir=str(tmp_path))
    with pytest.raises(UnknownNameError, match="unknown model 't-sai'"):
        await run(tmp_path, model="t-sai/x")
    with pytest.raises(UnknownNameError, match="unknown sandbox"):
        await run(tmp_path, sandbox="t-fak")
    with pytest.raises(ConfigError, match="'nn'"):
        await run(tmp_path, task_options={"nn": 3})
    with pytest.raises(DataError, match=r"missing\.txt"):
        await run(tmp_path, task_options={"data": str(tmp_path / "missing.txt")})
    assert list(tmp_path.iterdir()) == []


async def test_a_user_error_mid_run_stops_it_and_keeps_finished_episodes(tmp_path: Path) -> None:
    from agentbench import AuthenticationError

    with pytest.raises(AuthenticationError, match="T_SAY_API_KEY"):
        await run(
            tmp_path, run_name="auth2", model_options={"auth_fail": True}, task_options={"n": 2}
        )
    assert not (tmp_path / "auth2").exists()  # nothing finished: no empty run left behind
    runner = Runner(
        RunConfig(
            task="t-say",
            model="t-say",
            run_dir=str(tmp_path),
            run_name="auth3",
            max_episodes=1,
            model_options={"auth_fail_on": "2"},
            task_options={"n": 4},
        ),
        registry=registry(),
    )
    with pytest.raises(AuthenticationError, match="expired"):
        await runner.run()
    assert runner.summary is not None and runner.summary.completed == 2
    assert load_summary("auth3", tmp_path).completed == 2  # s0 and s1 kept


async def test_fail_fast_stops_at_the_first_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="s0"):
        await run(
            tmp_path,
            run_name="ff",
            fail_fast=True,
            max_episodes=1,
            task_options={"n": 5, "fail_ids": ["s0"]},
        )
    with Store(tmp_path / "ff") as store:
        assert [r.sample_id for r in store.results("ff")] == ["s0"]


async def test_cancelling_a_run_keeps_finished_episodes_and_calls_on_run_end(
    tmp_path: Path,
) -> None:
    observer = Observer()
    runner = Runner(
        RunConfig(
            task="t-say",
            model="t-say",
            run_dir=str(tmp_path),
            run_name="c",
            max_episodes=2,
            task_options={"n": 40, "sleep": 0.05},
        ),
        registry=registry(observer),
    )
    task = asyncio.create_task(runner.run())
    while sum(k == "episode" for k, _ in observer.calls) < 4:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert runner.summary is not None and 4 <= runner.summary.completed < 40
    assert observer.calls[-1] == ("end", runner.summary)
    with Store(tmp_path / "c") as store:
        assert len(store.results("c")) == runner.summary.completed
        assert store.get_run("c")["finished_at"] is None  # type: ignore[index]
    recomputed = load_summary("c", tmp_path)  # an unfinished run is summarised from its episodes
    assert recomputed.completed == runner.summary.completed and recomputed.run_id == "c"


async def test_response_cache_answers_a_repeated_run_without_the_model(tmp_path: Path) -> None:
    await run(tmp_path, run_name="cached", cache=True, task_options={"n": 2})
    calls = FX.SayProvider.calls
    with Store(tmp_path / "cached") as store:
        store._conn.execute("DELETE FROM episodes")
    summary = await run(tmp_path, run_name="cached", cache=True, task_options={"n": 2})
    assert summary.completed == 2 and summary.metrics["pass@1"] == 1.0
    assert FX.SayProvider.calls == calls


def test_run_is_the_blocking_form_of_run_async(tmp_path: Path) -> None:
    import agentbench

    summary = agentbench.run(
        "t-say",
        registry=registry(),
        model="t-say",
        run_dir=str(tmp_path),
        epochs=3,
        task_options={"n": 2, "wrong_ids": ["s0"]},
    )
    assert (summary.episodes, summary.completed) == (6, 6)
    assert summary.metrics["pass@1"] == 0.5 and summary.metrics["pass@3"] == 0.5


class StreamedTask(runner_fixtures.SayTask):
    """t-say whose samples come from a generator; counts reads and samples alive at once."""

    name = "t-streamed"
    reads = 0
    alive = 0
    peak_alive = 0

    def samples(self) -> Any:
        type(self).reads += 1
        return (
            self._track(Sample(id=f"s{i}", input=f"say {i}", target=str(i)))
            for i in range(self.options.n)
        )

    @classmethod
    def _track(cls, sample: Any) -> Any:
        import weakref

        cls.alive += 1
        cls.peak_alive = max(cls.peak_alive, cls.alive)
        weakref.finalize(sample, cls._gone)
        return sample

    @classmethod
    def _gone(cls) -> None:
        cls.alive -= 1


class StreamedPlugin:
    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register("t-streamed", StreamedTask)


async def test_a_run_streams_its_samples_instead_of_holding_them(tmp_path: Path) -> None:
    StreamedTask.reads = StreamedTask.alive = StreamedTask.peak_alive = 0
    summary = await run_async(
        "t-streamed",
        model="t-say",
        registry=registry(StreamedPlugin()),
        task_options={"n": 3000},
        epochs=2,
        max_episodes=4,
        run_dir=str(tmp_path),
        run_name="big",
    )
    assert summary.completed == 6000 and summary.metrics["pass@1"] == 1.0
    assert StreamedTask.reads == 3  # one check of the selection, then one read per epoch
    # At most two chunks of done-lookups (512 each) at once, never the 3000 samples.
    assert StreamedTask.peak_alive < 1200, StreamedTask.peak_alive
    with Store(tmp_path / "big") as store:  # a resume after a loss runs exactly what is missing
        store._conn.execute("DELETE FROM episodes WHERE epoch = 1 AND sample_id LIKE 's1%'")
    StreamedTask.reads = 0
    config = RunConfig(task="", resume="big", run_dir=str(tmp_path))
    resumed = await Runner(config, registry=registry(StreamedPlugin())).run()
    assert resumed.completed == 6000 and StreamedTask.reads == 3
