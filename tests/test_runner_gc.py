"""The runner's GC tuning: on while episodes run, restored after, garbage still freed."""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any

import pytest
import runner_fixtures

from agentbench import hookimpl
from agentbench._runner.gctuning import GEN0_THRESHOLD, tuned_gc
from agentbench.api import run_async
from agentbench.plugins import load_plugins


@pytest.fixture(autouse=True)
def default_gc():
    """Each test starts from Python's defaults and leaves them so."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0
    gc.set_threshold(*before)


class GcWatcher:
    """Notes the collector's settings when each episode ends and when the run ends."""

    def __init__(self) -> None:
        self.during: list[tuple[tuple[int, int, int], int]] = []
        self.after: tuple[int, int, int] | None = None

    @hookimpl
    def on_episode_end(self, result: Any) -> None:
        self.during.append((gc.get_threshold(), gc.get_freeze_count()))

    @hookimpl
    def on_run_end(self, summary: Any) -> None:
        self.after = gc.get_threshold()


async def test_a_run_tunes_the_collector_while_episodes_run_and_restores_it(tmp_path) -> None:
    watcher = GcWatcher()
    summary = await run_async(
        "t-say",
        registry=load_plugins(extra=[runner_fixtures, watcher]),
        model="t-say",
        task_options={"n": 3},
        run_dir=str(tmp_path),
    )
    assert summary.completed == 3
    assert len(watcher.during) == 3
    for threshold, frozen in watcher.during:
        assert threshold == (GEN0_THRESHOLD, 10, 10)
        assert frozen > 0  # the heap setup built is not walked again
    assert watcher.after == (700, 10, 10)


def test_tuning_is_undone_after_an_error() -> None:
    with pytest.raises(RuntimeError), tuned_gc(5000):
        assert gc.get_threshold() == (5000, 10, 10)
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10)


async def test_overlapping_runs_restore_only_when_the_last_one_ends() -> None:
    first_in, second_out = asyncio.Event(), asyncio.Event()
    seen: list[int] = []

    async def first() -> None:
        with tuned_gc(5000):
            first_in.set()
            await second_out.wait()
            seen.append(gc.get_threshold()[0])  # the second run ended; this one still runs

    async def second() -> None:
        await first_in.wait()
        with tuned_gc(9000):  # joins the tuning that is on, does not change it
            seen.append(gc.get_threshold()[0])
        second_out.set()

    await asyncio.gather(first(), second())
    assert seen == [5000, 5000]


def test_a_disabled_threshold_stays_disabled() -> None:
    gc.set_threshold(0, 10, 10)
    try:
        with tuned_gc():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
    finally:
        gc.set_threshold(700, 10, 10)


def test_cyclic_garbage_is_still_collected_while_tuned() -> None:
    class Node:
        pass

    with tuned_gc(1000):
        node = Node()
        node.self = node  # a cycle: only the collector can free it
        ref = weakref.ref(node)
        del node
        # Enough new container objects to trigger young collections several times over.
        for _ in range(20):
            keep = [[] for _ in range(1000)]
            del keep
            more = [{} for _ in range(1000)]
            more.append(more)
            del more
        assert ref() is None


def test_objects_the_application_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with tuned_gc():
            assert gc.get_freeze_count() >= frozen
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
