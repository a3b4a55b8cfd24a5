"""Shared fixtures of the classgen tests: whole runs through the public API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from agentbench import EpisodeResult, RunConfig, RunSummary, hookimpl, run_async
from agentbench.pytest_plugin import require_docker

FIXTURES = Path(__file__).parent / "fixtures"
# The fixture repository's own tests run only inside the tests that place a class into it.
collect_ignore_glob = ["fixtures/*"]
TINY = FIXTURES / "classeval_tiny.json"
RunTask = Callable[..., Awaitable[tuple[RunSummary, dict[tuple[str, int], EpisodeResult]]]]


class _Collector:
    """Keeps every finished episode (an observer plugin)."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, int], EpisodeResult] = {}

    @hookimpl
    def on_episode_end(self, result: EpisodeResult) -> None:
        self.results[(result.sample_id, result.epoch)] = result


@pytest.fixture
def run_task(tmp_path: Path) -> RunTask:
    """`await run_task(model, data=..., task_options=..., sandbox=...)`: summary and results."""

    async def run(
        model: str, *, data: Path | str = TINY, sandbox: str = "local", **kw: Any
    ) -> tuple[RunSummary, dict[tuple[str, int], EpisodeResult]]:
        collector = _Collector()
        config = RunConfig(
            task="classeval",
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
