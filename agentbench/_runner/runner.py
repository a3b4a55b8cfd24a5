"""The runner: resolve a RunConfig, plan, hand the plan to an executor, record, summarise.

planning.py     which (sample, epoch) episodes run, streamed
environment.py  the task, the models by role, the sandbox backend
executor        runs the episodes (`local`: an asyncio pool here; plugins: elsewhere)
episode.py      one episode (`run_one_episode`)
store.py        every finished episode, committed as it comes; the summary is read from it
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentbench._runner.environment import (
    LazyBackend,
    build_models,
    build_task,
    default_sandbox,
    episode_env,
)
from agentbench._runner.episode import EpisodeRecord
from agentbench._runner.gctuning import tuned_gc
from agentbench._runner.lock import RunLock, check_run_name
from agentbench._runner.planning import Selection, check_samples, stream_episodes
from agentbench._runner.progress import NullProgress, Progress
from agentbench._runner.store import Store, find_run_dir
from agentbench.errors import AgentbenchError, ConfigError, DataError
from agentbench.executor import Plan
from agentbench.model import Model, parse_model_ref
from agentbench.plugins import Registry, call_observers, load_plugins
from agentbench.roles import resolve_roles
from agentbench.task import Task
from agentbench.types import RunConfig, RunSummary, Sample

FAILED_STATUSES = ("error", "infra_error", "provider_error")
#: The sink yields to the event loop after every this many recorded episodes (see `_sink`).
_YIELD_EVERY = 16

#: RunConfig fields that define what a run computes; a resumed run must keep them.
IDENTITY_FIELDS = (
    "task",
    "model",
    "task_options",
    "model_options",
    "roles",
    "generate",
    "sandbox",
    "sandbox_options",
    "epochs",
    "limit",
    "sample_ids",
    "limits",
    "seed",
)


@dataclass
class RunInfo:
    """What `on_run_start` observers get: the run id, its config and directory, the plan.

    Attributes:
        run_id: The run's id (its directory name).
        config: The run's configuration (after `--resume` filled it in).
        run_dir: The run directory (database and artifacts).
        expected: Episodes the whole run holds (samples x epochs).
        todo: Episodes this invocation will run (expected minus those already done).
    """

    run_id: str
    config: RunConfig
    run_dir: Path
    expected: int = 0
    todo: int = 0


def make_run_id(task: str, model: str, now: datetime | None = None) -> str:
    """`<UTC yyyymmdd-HHMMSS>-<task>-<model slug>-<4 hex>`."""
    now = now or datetime.now(UTC)
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", model).strip("-") or "model"
    return (
        f"{now:%Y%m%d-%H%M%S}-{re.sub(r'[^A-Za-z0-9.]+', '-', task)}-{slug}-{secrets.token_hex(2)}"
    )


def resolve_resume(config: RunConfig) -> tuple[RunConfig, Path]:
    """For `--resume`: the stored config with this invocation's runtime settings, and its dir.

    Raises:
        ConfigError: the run does not exist, or an option that defines the run was changed.
    """
    assert config.resume
    run_dir = find_run_dir(config.resume, Path(config.run_dir))
    with Store(run_dir, create=False) as store:
        row = store.get_run(run_dir.name) or _only_run(store)
    stored: RunConfig = row["config"]
    for name in IDENTITY_FIELDS:
        if name in config.model_fields_set and getattr(config, name) not in (
            getattr(stored, name),
            "",
        ):
            raise ConfigError(
                f"--resume {config.resume}: {name} was {getattr(stored, name)!r}, "
                f"now {getattr(config, name)!r}",
                "drop that option to continue the run as it was started, or start a new run",
            )
    runtime = {k: getattr(config, k) for k in config.model_fields_set if k not in IDENTITY_FIELDS}
    runtime.pop("run_name", None)
    merged = stored.model_copy(
        update={**runtime, "resume": row["run_id"], "run_dir": str(run_dir.parent)}
    )
    return merged, run_dir


def _only_run(store: Store) -> dict[str, Any]:
    ids = store.run_ids()
    if len(ids) != 1:
        raise DataError(f"{store.path} holds {len(ids)} runs", "pass the run's own directory")
    row = store.get_run(ids[0])
    assert row is not None
    return row


def check_same_run(stored: RunConfig, config: RunConfig, run_id: str) -> None:
    """Reusing a `--run-name` continues that run only if it computes the same thing."""
    for name in IDENTITY_FIELDS:
        if getattr(stored, name) != getattr(config, name):
            raise ConfigError(
                f"run {run_id!r} already exists with {name}={getattr(stored, name)!r} "
                f"(now {getattr(config, name)!r})",
                f"continue it with --resume {run_id}, or choose another --run-name",
            )


@dataclass
class RunState:
    """Counters of this invocation (the progress display reads them too)."""

    started: float = field(default_factory=time.monotonic)
    finished: int = 0
    cancelled: bool = False


class Runner:
    """Runs one RunConfig to its summary.

    Args:
        config: The run's configuration.
        registry: Already-loaded plugins (tests, `agentbench.testing`); loaded from
            `config.plugins` and entry points when None.
        plugins: Extra plugin objects registered next to the installed ones.
        progress: The live display (nothing shown when None).

    After `run()` returns or raises (including on Ctrl-C), `summary` holds what was done.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        registry: Registry | None = None,
        plugins: list[Any] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.config = config
        self.registry = registry
        self.extra_plugins = plugins
        self.progress = progress or NullProgress()
        self.summary: RunSummary | None = None
        self.info: RunInfo | None = None
        self.state = RunState()

    async def run(self) -> RunSummary:
        """Run every episode not yet done; record each at once; return the summary.

        Raises:
            AgentbenchError: bad input (unknown names, bad options, unreadable data, no API key).
            asyncio.CancelledError: on Ctrl-C, after finished episodes are kept and
                sandboxes closed (`self.summary` is set).
        """
        config, run_dir = self.config, None
        if config.resume:
            config, run_dir = resolve_resume(config)
        registry = self.registry or load_plugins(config.plugins, extra=self.extra_plugins)
        # Everything a user can get wrong is checked before the run directory is created.
        task = build_task(registry, config.task, config.task_options)
        for role in resolve_roles(task, config).values():
            registry.provider(parse_model_ref(role.model)[0])
        if config.sandbox is not None:
            registry.sandbox(config.sandbox)
        registry.executor(config.executor)
        backend_name = config.sandbox or ("docker" if "docker" in registry.sandboxes else None)
        if backend_name is not None:
            registry.sandbox(backend_name).check_options(config.sandbox_options)
        selection = check_samples(task.samples(), sample_ids=config.sample_ids, limit=config.limit)
        first = selection.first
        if config.sandbox is None and first and task.sandbox_spec(first) is not None:
            # The backend that will run is named in the stored config and the summary; with no
            # engine this stops here: never a fallback to no isolation.
            config = config.model_copy(update={"sandbox": default_sandbox(registry)})
        if run_dir is not None and config.resume:  # the stored run's own id
            run_id = config.resume
        else:
            run_id = check_run_name(config.run_name) if config.run_name else None
            run_id = run_id or make_run_id(config.task, config.model)
            run_dir = Path(config.run_dir) / run_id
        new_dirs = [p for p in (run_dir.parent, run_dir) if not p.exists()]
        created = new_dirs[0] if new_dirs else None  # removed again if the run fails on input
        run_dir.mkdir(parents=True, exist_ok=True)
        lock = RunLock(run_dir)
        try:
            lock.acquire(run_id)
        except AgentbenchError:
            if created is not None:
                shutil.rmtree(created, ignore_errors=True)
            raise
        try:
            await self._run_locked(registry, config, task, selection, run_id, run_dir, created)
        finally:
            lock.release()
        assert self.summary is not None
        return self.summary

    async def _run_locked(
        self,
        registry: Registry,
        config: RunConfig,
        task: Task,
        selection: Selection,
        run_id: str,
        run_dir: Path,
        created: Path | None,
    ) -> None:
        store = Store(run_dir)
        try:
            existing = store.get_run(run_id)
            if existing is not None and not config.resume:
                check_same_run(existing["config"], config, run_id)
            models = build_models(registry, config, task, cache=store if config.cache else None)
            await self._run_with_store(
                registry, config, task, models, selection, run_id, run_dir, store
            )
        except AgentbenchError:
            # A run that failed on bad input before finishing anything leaves no empty directory.
            if created is not None and not store.results(run_id):
                store.close()
                shutil.rmtree(created, ignore_errors=True)
            raise
        finally:
            store.close()

    async def _run_with_store(
        self,
        registry: Registry,
        config: RunConfig,
        task: Task,
        models: dict[str, Model],
        selection: Selection,
        run_id: str,
        run_dir: Path,
        store: Store,
    ) -> None:
        backend = LazyBackend(registry, config.sandbox, run_id, config.sandbox_options)
        store.create_run(run_id, config)
        expected = selection.count * config.epochs
        todo = max(0, expected - store.count_done(run_id))
        self.info = RunInfo(run_id, config, run_dir, expected=expected, todo=todo)
        env = episode_env(config, run_id, task, models, backend, run_dir)
        pm = registry.manager
        await call_observers(pm, "on_run_start", run=self.info)
        self.progress.start(self.info)
        complete = False

        def episodes() -> Iterator[tuple[Sample, int]]:
            def done(epoch: int, ids: list[str]) -> set[str]:
                return store.done_among(run_id, config.task, config.model, epoch, ids)

            return stream_episodes(task.samples, selection, config.epochs, done)

        plan = Plan.streaming(
            episodes, todo=todo, run_id=run_id, run_dir=str(run_dir), config=config
        )
        executor = registry.executor(config.executor)(config.executor_options)
        try:
            with tuned_gc():  # setup is done: freeze its heap, collect less often
                await executor.run(plan, self._sink(store, pm), env=env)
            complete = True
        except asyncio.CancelledError:
            self.state.cancelled = True
            raise
        finally:
            await _close_quietly(models, backend)
            self.summary = self._summarise(store, task, config, run_id, run_dir, expected)
            if complete:
                store.finish_run(run_id, self.summary)
            self.progress.close()
            await call_observers(pm, "on_run_end", summary=self.summary)

    def _sink(self, store: Store, pm: Any) -> Callable[[EpisodeRecord], Awaitable[None]]:
        """What the executor hands each finished episode to: commit, observers, --fail-fast."""
        observed = pm is not None and bool(pm.hook.on_episode_end.get_hookimpls())

        async def sink(record: EpisodeRecord) -> None:
            self._record(store, record)
            if self.state.finished % _YIELD_EVERY == 0:
                # Episodes that never wait (a scripted model) would otherwise keep the event
                # loop from its housekeeping: cancelled timeouts (one per model call) are dropped
                # only between loop steps, so memory grew with the run; signals waited too.
                await asyncio.sleep(0)
            if observed:
                await call_observers(pm, "on_episode_end", result=record.result)
            result = record.result
            if self.config.fail_fast and result.status in FAILED_STATUSES:
                raise ConfigError(
                    f"episode {result.sample_id}/{result.epoch} failed: {result.error}",
                    "see its transcript in the report; drop --fail-fast to keep going",
                )

        return sink

    def _record(self, store: Store, record: EpisodeRecord) -> None:
        store.record(record.result, record.events, record.artifacts, record.records)
        self.state.finished += 1
        self.progress.update(record.result)

    def _summarise(
        self, store: Store, task: Task, config: RunConfig, run_id: str, run_dir: Path, expected: int
    ) -> RunSummary:
        duration = round(time.monotonic() - self.state.started, 3)
        return summarise_stored_run(
            store, task, config, run_id, run_dir, expected=expected, duration_s=duration
        )


def summarise_stored_run(
    store: Store,
    task: Task,
    config: RunConfig,
    run_id: str,
    run_dir: Path,
    *,
    expected: int,
    duration_s: float,
    epochs: int | None = None,
) -> RunSummary:
    """The summary of a stored run, with the task's own figures, streamed a page at a time."""
    from agentbench.metrics import summarise_store

    try:
        task_metrics = task.metrics(store.episodes(run_id))
    except Exception as exc:  # a task's extra figures must not cost the summary
        task_metrics = {"task_metrics_error": str(exc)}
    summary = summarise_store(
        store,
        run_id,
        config.task,
        config.model,
        epochs=config.epochs if epochs is None else epochs,
        expected=expected,
        task_metrics=task_metrics,
        duration_s=duration_s,
        run_dir=str(run_dir),
        roles={name: role.model for name, role in resolve_roles(task, config).items()},
    )
    summary.sandbox = config.sandbox
    return summary


async def _close_quietly(models: dict[str, Model], backend: LazyBackend) -> None:
    """Close the models and every sandbox, even while being cancelled."""
    unique = {id(m): m for m in models.values()}.values()
    for close in (*(m.aclose for m in unique), backend.aclose):
        try:
            await asyncio.shield(close())
        except asyncio.CancelledError:
            pass
        except Exception:  # closing must not hide the run's own outcome
            logging.getLogger("agentbench.runner").warning("closing failed", exc_info=True)
