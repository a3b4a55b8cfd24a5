"""Executors: where episodes execute. The runner plans, an executor runs, the runner records.

    plan (resolved config, roles, the (sample, epoch) keys to run)  ->  executor.run(plan, sink)
    -> sink(record) for every finished episode  ->  the runner commits it and tells observers

An executor never writes the store or calls observers; it hands each finished `EpisodeRecord` to
`sink` as soon as it has it. The built-in `local` executor runs the episodes in this process
with a bounded asyncio pool; others (a Ray cluster) are plugins registered with
`register_executors` and chosen with `--executor NAME` (`-E key=value` for their options).

A `Plan` is plain data: `Plan.model_dump_json()` carries it to another process, where
`build_environment(plan)` rebuilds what its episodes need (the task with its options, the
models of every role, the sandbox backend) from the installed plugins.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from agentbench._runner.episode import (  # public through agentbench
    EpisodeEnv,
    EpisodeRecord,
    run_one_episode,
)
from agentbench.types import RunConfig, Sample

Sink = Callable[["EpisodeRecord"], Awaitable[None]]


class Plan(BaseModel):
    """What a run will execute: plain, serialisable data.

    Attributes:
        run_id: The run.
        run_dir: The run directory (artifacts go under it).
        config: The resolved run configuration (roles, plugins, options, limits, seed).
        episodes: The (sample, epoch) pairs still to run, in order, when the plan lists them;
            the runner's own plans stream them instead (`Plan.streaming`), so that a run of
            a million episodes does not hold them: read them with `iter_episodes()`.
        todo: How many episodes the plan runs.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_id: str
    run_dir: str
    config: RunConfig
    episodes: list[tuple[Sample, int]] = Field(default_factory=list)
    todo: int = 0
    _stream: Callable[[], Iterator[tuple[Sample, int]]] | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        if self.episodes and not self.todo:
            self.todo = len(self.episodes)

    @classmethod
    def streaming(
        cls,
        stream: Callable[[], Iterator[tuple[Sample, int]]],
        *,
        todo: int,
        **fields: Any,
    ) -> Plan:
        """A plan whose episodes come from `stream()` as they are taken, never all at once."""
        plan = cls(todo=todo, **fields)
        plan._stream = stream
        return plan

    def iter_episodes(self) -> Iterator[tuple[Sample, int]]:
        """The (sample, epoch) pairs to run, one at a time (streamed when the plan streams).

        Raises:
            ValueError: a streaming plan rebuilt in another process (its episodes stayed with
                the runner, which hands them out one at a time).
        """
        if self._stream is not None:
            return self._stream()
        if self.todo and not self.episodes:
            raise ValueError("this plan streams its episodes from the runner's process")
        return iter(self.episodes)


class Executor(abc.ABC):
    """Runs a plan's episodes and hands every finished one to the runner.

    Args:
        options: The executor's `-E key=value` options.
    """

    name: ClassVar[str] = ""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    @abc.abstractmethod
    async def run(self, plan: Plan, sink: Sink, *, env: EpisodeEnv | None = None) -> None:
        """Run every episode of `plan`; `await sink(record)` as each one finishes.

        Args:
            plan: What to run.
            sink: The runner's recorder (commits the record, tells observers). An exception it
                raises (e.g. `--fail-fast`) must stop the run.
            env: The runner's own episode environment, for an executor that runs in this process
                (others rebuild theirs from the plan with `build_environment`).

        Raises:
            AgentbenchError: a user error that every episode would hit (the run stops).
        """


async def close_environment(env: EpisodeEnv) -> None:
    """Close what `build_environment` opened: the models of every role and the sandbox backend."""
    for model in {id(m): m for m in env.models.values()}.values():
        await model.aclose()
    close = getattr(env.backend, "aclose", None)
    if close is not None:
        await close()


def build_environment(plan: Plan) -> EpisodeEnv:
    """The episode environment of `plan`, rebuilt from the installed plugins (in any process)."""
    from agentbench._runner.environment import LazyBackend, build_models, build_task, episode_env
    from agentbench.plugins import load_plugins

    config = plan.config
    registry = load_plugins(config.plugins)
    task = build_task(registry, config.task, config.task_options)
    models = build_models(registry, config, task)
    backend = LazyBackend(registry, config.sandbox, plan.run_id, config.sandbox_options)
    return episode_env(config, plan.run_id, task, models, backend, Path(plan.run_dir))


class LocalExecutor(Executor):
    """Runs the episodes in this process: `--max-episodes` asyncio workers share one queue."""

    name = "local"

    async def run(self, plan: Plan, sink: Sink, *, env: EpisodeEnv | None = None) -> None:
        env = env or build_environment(plan)
        todo: Iterator[tuple[Sample, int]] = plan.iter_episodes()

        async def worker() -> None:
            # One shared iterator: next() never awaits, so no two workers take the same episode.
            for sample, epoch in todo:
                await sink(await run_one_episode(env, sample, epoch))

        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(plan.config.max_episodes):
                    group.create_task(worker())
        except BaseExceptionGroup as errors:
            raise first_error(errors) from None


def first_error(group: BaseExceptionGroup) -> BaseException:
    """The error to report from a group of workers: a user error first, then anything else."""
    from agentbench.errors import AgentbenchError

    leaves: list[BaseException] = []

    def walk(exc: BaseException) -> None:
        if isinstance(exc, BaseExceptionGroup):
            for inner in exc.exceptions:
                walk(inner)
        else:
            leaves.append(exc)

    walk(group)
    for exc in leaves:
        if isinstance(exc, AgentbenchError):
            return exc
    return leaves[0]
