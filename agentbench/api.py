"""The Python API: run a benchmark, read a run's summary back.

import agentbench
summary = agentbench.run("hello", model="oracle", epochs=3)
print(summary.metrics["pass@1"])
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentbench.types import RunConfig, RunSummary

if TYPE_CHECKING:
    from agentbench._runner.progress import Progress
    from agentbench._runner.store import Store, StoredResults
    from agentbench.plugins import Registry


def _config(config: RunConfig | str, overrides: dict[str, Any]) -> RunConfig:
    if isinstance(config, str):
        return RunConfig(task=config, **overrides)
    if overrides:
        return config.model_copy(update=overrides)
    return config


async def run_async(
    config: RunConfig | str,
    *,
    registry: Registry | None = None,
    plugins: list[Any] | None = None,
    progress: Progress | None = None,
    **overrides: Any,
) -> RunSummary:
    """Run a benchmark: every (sample, epoch) not yet done, concurrently; return its summary.

    Args:
        config: A RunConfig, or a task name with the other fields as keyword arguments.
        registry: Already-loaded plugins to use instead of loading the installed ones.
        plugins: Extra plugin objects (modules or classes with hook implementations) to
            register next to the installed ones, e.g. a task defined in a test.
        progress: A live display (`agentbench._runner.progress`); none by default.
        **overrides: RunConfig fields, e.g. `model="oracle", epochs=3`.

    Returns:
        The run's summary (also stored in the run directory).

    Raises:
        AgentbenchError: bad input (unknown task or model, bad option, unreadable data, ...).
    """
    from agentbench._runner.runner import Runner

    runner = Runner(
        _config(config, overrides), registry=registry, plugins=plugins, progress=progress
    )
    return await runner.run()


def run(config: RunConfig | str, **kwargs: Any) -> RunSummary:
    """Blocking `run_async` for scripts and notebooks without a running event loop.

    Takes the same arguments as `run_async`: a RunConfig or a task name, then `registry`,
    `plugins`, `progress` and RunConfig fields as keyword arguments.
    """
    return asyncio.run(run_async(config, **kwargs))


def load_summary(ref: str | Path, runs_root: str | Path = "runs") -> RunSummary:
    """The summary of a stored run (recomputed from its episodes if it did not finish).

    A finished run's stored summary is read as is; an unfinished one is recomputed streaming
    from the store, so memory stays flat in the size of the run.

    Args:
        ref: A run id or name (under `runs_root`), a run directory, or its `agentbench.db`.
        runs_root: Where runs live (`--run-dir`).

    Raises:
        ConfigError, DataError: no such run, or not an agentbench run directory.
    """
    store, row = _open_run(ref, runs_root)
    with store:
        return _summary_of(store, row)


def load_run(ref: str | Path, runs_root: str | Path = "runs") -> tuple[RunSummary, StoredResults]:
    """A stored run's summary and its episode results.

    The results are a lazy, read-only sequence (`len()`, repeated iteration in recording order,
    indexing) that reads the run's database a page at a time, so a run of any size can be
    walked without loading it. The database stays open while they are in use; `close()` them
    (or use them as a context manager) to release it at once.

    Raises:
        ConfigError, DataError: no such run, or not an agentbench run directory.
    """
    store, row = _open_run(ref, runs_root)
    try:
        summary = _summary_of(store, row)
    except BaseException:
        store.close()
        raise
    return summary, store.episodes(row["run_id"], owned=True)


def _open_run(ref: str | Path, runs_root: str | Path) -> tuple[Store, dict[str, Any]]:
    """The run's store (open) and its row: the run named by the directory, else the latest."""
    from agentbench._runner.store import Store, find_run_dir
    from agentbench.errors import DataError

    run_dir = find_run_dir(str(ref), Path(runs_root))
    store = Store(run_dir, create=False)
    try:
        row = store.get_run(run_dir.name)
        if row is None:
            ids = store.run_ids()
            if not ids:
                raise DataError(
                    f"{store.path} holds no run", "pass a directory made by `agentbench run`"
                )
            row = store.get_run(ids[-1])
    except BaseException:
        store.close()
        raise
    assert row is not None
    return store, row


def _summary_of(store: Store, row: dict[str, Any]) -> RunSummary:
    """The stored summary of a finished run, else one recomputed from its episodes."""
    if row["summary"] is not None and row["finished_at"] is not None:
        summary: RunSummary = row["summary"]
        return summary
    return _recompute(store, row)


def _recompute(store: Store, row: dict[str, Any]) -> RunSummary:
    """The summary of a run that never finished (killed or interrupted), streamed."""
    from agentbench.metrics import summarise_store

    config: RunConfig = row["config"]
    expected = store.count_samples(row["run_id"]) * config.epochs
    if row["summary"] is not None:  # written by an earlier, interrupted invocation
        expected = max(expected, row["summary"].episodes)
    return summarise_store(
        store,
        row["run_id"],
        config.task,
        config.model,
        epochs=config.epochs,
        expected=expected,
        run_dir=str(store.run_dir),
    )
