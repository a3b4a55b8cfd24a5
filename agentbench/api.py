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
    from agentbench._runner.scheduler import Runner

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

    Args:
        ref: A run id or name (under `runs_root`), a run directory, or its `agentbench.db`.
        runs_root: Where runs live (`--run-dir`).

    Raises:
        ConfigError, DataError: no such run, or not an agentbench run directory.
    """
    summary, _results = load_run(ref, runs_root)
    return summary


def load_run(ref: str | Path, runs_root: str | Path = "runs") -> tuple[RunSummary, list[Any]]:
    """A stored run's summary and its episode results."""
    from agentbench._runner.store import Store, find_run_dir
    from agentbench.errors import DataError

    run_dir = find_run_dir(str(ref), Path(runs_root))
    with Store(run_dir, create=False) as store:
        row = store.get_run(run_dir.name)
        if row is None:
            ids = store.run_ids()
            if not ids:
                raise DataError(
                    f"{store.path} holds no run", "pass a directory made by `agentbench run`"
                )
            row = store.get_run(ids[-1])
        assert row is not None
        results = store.results(row["run_id"])
    if row["summary"] is not None and row["finished_at"] is not None:
        summary: RunSummary = row["summary"]
        return summary, results
    return _recompute(row, results, run_dir), results


def _recompute(row: dict[str, Any], results: list[Any], run_dir: Path) -> RunSummary:
    """The summary of a run that never finished (killed or interrupted)."""
    from agentbench.metrics import summarise

    config: RunConfig = row["config"]
    expected = len({r.sample_id for r in results}) * config.epochs
    if row["summary"] is not None:  # written by an earlier, interrupted invocation
        expected = max(expected, row["summary"].episodes)
    return summarise(
        row["run_id"],
        config.task,
        config.model,
        results,
        epochs=config.epochs,
        expected=expected,
        run_dir=str(run_dir),
    )
