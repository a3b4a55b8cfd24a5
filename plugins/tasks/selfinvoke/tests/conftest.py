"""Fixtures of the self-invoking task tests: whole runs through the public API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from agentbench import EpisodeResult, RunConfig, RunSummary, hookimpl, run_async
from agentbench.pytest_plugin import require_docker

RunTask = Callable[..., Awaitable[tuple[RunSummary, dict[str, EpisodeResult]]]]


class _Collector:
    """Keeps every finished episode (an observer plugin)."""

    def __init__(self) -> None:
        self.results: dict[str, EpisodeResult] = {}

    @hookimpl
    def on_episode_end(self, result: EpisodeResult) -> None:
        self.results[result.sample_id] = result


@pytest.fixture
def run_task(tmp_path: Path) -> RunTask:
    """`await run_task(task, model, data=..., task_options=..., sandbox=...)`: summary + results."""

    async def run(
        task: str, model: str, *, data: Path | str, sandbox: str = "local", **kw: Any
    ) -> tuple[RunSummary, dict[str, EpisodeResult]]:
        collector = _Collector()
        config = RunConfig(
            task=task,
            model=model,
            task_options={"data": str(data), **kw.pop("task_options", {})},
            sandbox=sandbox,
            run_dir=str(tmp_path / "runs"),
            progress="none",
            **kw,
        )
        summary = await run_async(config, plugins=[collector])
        return summary, collector.results

    return run


@pytest.fixture(scope="session")
def docker_ready() -> None:
    """Skip (or fail, with AGENTBENCH_REQUIRE_DOCKER=1) without an engine and the python image."""
    require_docker("python")
