"""A run's environment, assembled from the installed plugins: the task, a model per role, the
sandbox backend (created on first use), and what every episode shares (`EpisodeEnv`).

The runner, `debug` and `build_environment` (executors in other processes) all assemble it here.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from agentbench._runner.episode import EpisodeEnv
from agentbench.errors import ConfigError
from agentbench.model import Model, RetryPolicy, parse_model_ref
from agentbench.plugins import Registry
from agentbench.roles import DEFAULT_ROLE, RoleModel, resolve_roles
from agentbench.sandbox import SandboxBackend
from agentbench.task import Task
from agentbench.types import RunConfig


def build_task(registry: Registry, name: str, options: dict[str, Any]) -> Task:
    """The task registered as `name` with its options applied (a bad option is named)."""
    task: Task = registry.task(name)(options)
    return task


def build_model(
    registry: Registry, config: RunConfig, cache: Any = None, role: RoleModel | None = None
) -> Model:
    """A role's model (default: the config's own): its provider wrapped with retries, a
    connection limit and a timeout."""
    role = role or RoleModel(model=config.model, options=dict(config.model_options))
    prefix, name = parse_model_ref(role.model)
    provider_cls = registry.provider(prefix)
    try:
        provider = provider_cls(name, **role.options)
    except TypeError as exc:
        # A built-in model takes named options only: an unknown one is a TypeError.
        bad = re.search(r"unexpected keyword argument '([^']+)'", str(exc))
        what = f"unknown model option {bad.group(1)!r}" if bad else f"bad model option ({exc})"
        raise ConfigError(
            f"{what} for {role.model!r}", "check the -M options (see `agentbench list models`)"
        ) from None
    return Model(
        role.model,
        provider,
        max_connections=role.max_connections or config.max_connections,
        timeout=config.model_timeout,
        retry=RetryPolicy(max_attempts=config.max_retries + 1),
        cache=cache,
    )


def build_models(
    registry: Registry, config: RunConfig, task: Task, cache: Any = None
) -> dict[str, Model]:
    """One `Model` per role of the task; a role that falls back shares its fallback's model
    (and so its connection limit)."""
    models: dict[str, Model] = {}
    built: dict[str, Model] = {}
    for name, role in resolve_roles(task, config).items():
        key = role.model_dump_json()
        if key not in built:
            built[key] = build_model(registry, config, cache, role)
        models[name] = built[key]
    return models


def episode_env(
    config: RunConfig,
    run_id: str,
    task: Task,
    models: dict[str, Model],
    backend: LazyBackend,
    run_dir: Path,
) -> EpisodeEnv:
    """What every episode of a run (or a debugged one) shares, as `config` sets it."""
    return EpisodeEnv(
        run_id=run_id,
        task_name=config.task,
        task=task,
        model=models[DEFAULT_ROLE],
        models=models,
        backend=backend,
        limits=config.limits,
        seed=config.seed,
        generate_config=config.generate,
        infra_retries=config.infra_retries,
        run_dir=run_dir,
    )


def default_sandbox(registry: Registry) -> str:
    """`docker` when its engine answers; never a fallback without isolation.

    Raises:
        ConfigError: no engine answers. Untrusted code runs unisolated only when the user names
            `--sandbox local`.
    """
    if "docker" in registry.sandboxes and registry.sandbox("docker").available():
        return "docker"
    raise ConfigError(
        "no Docker engine answers, and the model's code never runs without isolation "
        "unless you ask for it",
        "start Docker (or set DOCKER_HOST), or pass --sandbox local to run it on this machine "
        "without isolation",
    )


class LazyBackend:
    """Creates the run's sandbox backend on first use (runs without sandboxes never touch it)."""

    def __init__(
        self, registry: Registry, name: str | None, run_id: str, options: dict[str, Any]
    ) -> None:
        if name is not None:
            registry.sandbox(name)  # an unknown name fails before any episode runs
        self._registry, self._name, self._run_id, self._options = registry, name, run_id, options
        self._backend: SandboxBackend | None = None
        self._lock = asyncio.Lock()

    async def __call__(self) -> SandboxBackend:
        if self._backend is None:
            async with self._lock:
                if self._backend is None:
                    name = self._name or default_sandbox(self._registry)
                    self._backend = self._registry.sandbox(name)(self._run_id, self._options)
        return self._backend

    async def aclose(self) -> None:
        if self._backend is not None:
            await self._backend.aclose()
