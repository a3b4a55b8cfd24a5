"""Helpers of `agentbench run`: the null baseline after a run, and stopping on signals."""

from __future__ import annotations

import sys
from typing import Any

import click


def _with_baseline(config: Any, summary: Any, registry: Any) -> Any:
    """The summary with the null baseline's score (stored with the run too)."""
    import asyncio
    from pathlib import Path

    from agentbench._runner.store import Store
    from agentbench.baseline import baseline_for

    if config.model in ("null", "baseline") or summary.completed == 0:
        return summary
    try:
        baseline = asyncio.run(baseline_for(config, summary, registry=registry))
    except Exception as exc:  # a baseline that cannot run must not cost the run's own result
        click.echo(f"null baseline not run: {type(exc).__name__}: {exc}", err=True)
        return summary
    summary = summary.model_copy(update={"baseline": baseline})
    with Store(Path(summary.run_dir), create=False) as store:
        store.finish_run(summary.run_id, summary)
    return summary


class _Stop:
    """Which signal stopped the run (its exit status: 128 + signal number)."""

    code: int | None = None


async def _stop_on_signals(coro: Any, stop: _Stop) -> Any:
    """Await `coro`; the first SIGINT or SIGTERM cancels it (sandboxes closed, finished episodes
    kept, the summary printed). Later ones are ignored: `uv run` forwards the terminal's Ctrl-C
    to a process that the terminal has already signalled, and a second signal must not cut the
    shutdown short."""
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def first(signum: int) -> None:
        if stop.code is None:
            stop.code = 128 + signum
            task.cancel()
        else:
            print("still stopping: closing sandboxes, keeping finished episodes", file=sys.stderr)

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, first, signum)
        except (NotImplementedError, RuntimeError):  # not the main thread, or no signal support
            pass
    return await coro
