"""Memory flat in the size of a run: summaries, task metrics and progress keep nothing per episode.

Each test compares the peak of Python allocations (tracemalloc) for the same work over 2,000 and
over 20,000 stored episodes of the same 500 samples. Holding the episodes (as the list-based
summary did, some 3 KB each) would add tens of MB; a page of rows is all that may be held. No
clock is read, so a loaded machine does not change the outcome.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agentbench._runner.progress import PlainProgress, Progress
from agentbench._runner.store import Store
from agentbench.metrics import summarise_store
from agentbench.types import EpisodeResult, RunConfig, Score, Usage

SAMPLES = 500
SMALL, BIG = 2_000, 20_000
# What may differ between the two peaks: far below the ~50 MB the 18,000 extra episodes would
# take if they were held, well above the noise of a page of rows.
ALLOWED_GROWTH = 2_000_000


def episodes(n: int) -> Iterator[EpisodeResult]:
    """`n` episodes: SAMPLES samples x n / SAMPLES epochs, with graded scores and errors."""
    for i in range(n):
        epoch, sample = divmod(i, SAMPLES)
        status = "error" if i % 17 == 0 else "infra_error" if i % 29 == 0 else "ok"
        yield EpisodeResult(
            run_id="r",
            task="t",
            sample_id=f"sample-{sample}",
            epoch=epoch,
            model="m",
            subset=("a", "b", "c")[sample % 3],
            status=status,
            score=Score(
                value=(value := i * 7919 % 1000 / 1000), passed=value >= 0.5, explanation="x" * 200
            ),
            error="boom" if status != "ok" else None,
            usage=Usage(input_tokens=100, output_tokens=20, cost=0.001),
        )


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[int, Store]]:
    root = tmp_path_factory.mktemp("flat")
    opened = {}
    for n in (SMALL, BIG):
        store = Store(Path(root) / str(n))
        store.create_run("r", RunConfig(task="t", model="m", epochs=n // SAMPLES))
        for result in episodes(n):
            store.record(result, [])
        opened[n] = store
    yield opened
    for store in opened.values():
        store.close()


def peak_bytes(work: Callable[[], Any]) -> int:
    """Peak bytes Python allocated while `work` ran (above what was allocated before)."""
    work()  # once untraced: lazy imports (numpy.random) are not the work's own memory
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        work()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def test_summarising_does_not_grow_with_episodes(stores: dict[int, Store]) -> None:
    def summarise(n: int) -> Callable[[], Any]:
        return lambda: summarise_store(stores[n], "r", "t", "m", epochs=1, expected=n)

    small, big = peak_bytes(summarise(SMALL)), peak_bytes(summarise(BIG))
    assert summarise(BIG)().metrics["pass@1"] > 0
    assert big - small < ALLOWED_GROWTH, (small, big)


def test_walking_task_metrics_input_does_not_grow_with_episodes(
    stores: dict[int, Store],
) -> None:
    def walk(n: int) -> Callable[[], Any]:
        def metrics() -> float:  # what a task's `metrics(results)` typically does
            results = stores[n].episodes("r")
            values = [r.score.value for r in results if r.score]  # floats, not episodes
            return sum(values) / len(results)

        return metrics

    small, big = peak_bytes(walk(SMALL)), peak_bytes(walk(BIG))
    assert big - small < ALLOWED_GROWTH, (small, big)


@pytest.mark.parametrize("progress_cls", [Progress, PlainProgress])
def test_progress_keeps_counters_only(stores: dict[int, Store], progress_cls: type) -> None:
    results = {n: list(stores[n].iter_results("r"))[:SMALL] for n in (SMALL, BIG)}

    def feed(times: int) -> Callable[[], Any]:
        def work() -> Progress:
            with open("/dev/null", "w") as sink:
                progress = (
                    progress_cls(stream=sink) if progress_cls is PlainProgress else Progress()
                )
                for _ in range(times):
                    for r in results[SMALL]:
                        progress.update(r)
                progress.line()
            return progress

        return work

    once, ten_times = peak_bytes(feed(1)), peak_bytes(feed(10))
    assert ten_times - once < 100_000, (once, ten_times)
