"""The Ray actor that runs episodes on one node: one per node, `slots` episodes at a time."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from typing import Any

from agentbench import (
    AgentbenchError,
    InfrastructureError,
    Plan,
    Sample,
    SandboxError,
    build_environment,
)
from agentbench_ray.episodes import run_one_episode
from agentbench_ray.options import scaled_config
from agentbench_ray.transport import pack


def node_label() -> str:
    """This node as errors and transcripts name it: `<ip> (node <id prefix>)`."""
    import ray

    node_id = ray.get_runtime_context().get_node_id()
    return f"{ray.util.get_node_ip_address()} (node {node_id[:12]})"


class NodeBackend:
    """The run's sandbox backend on this node: an engine that cannot be reached (no Docker here)
    is an infrastructure error of the episode that names the node, not a user error that stops
    the whole run."""

    def __init__(self, inner: Any, node: str) -> None:
        self._inner, self._node = inner, node

    async def __call__(self) -> Any:
        try:
            return _Guarded(await self._inner(), self._node)
        except SandboxError as exc:
            raise InfrastructureError(str(exc)) from exc

    async def aclose(self) -> None:
        close = getattr(self._inner, "aclose", None)
        if close is not None:
            await close()


class _Guarded:
    """A backend whose `acquire` turns a SandboxError into an InfrastructureError."""

    def __init__(self, backend: Any, node: str) -> None:
        self._backend, self._node = backend, node

    async def acquire(self, spec: Any, **kwargs: Any) -> Any:
        try:
            return await self._backend.acquire(spec, **kwargs)
        except SandboxError as exc:
            raise InfrastructureError(str(exc)) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


def user_error(exc: AgentbenchError) -> dict[str, Any]:
    """A user error as data the driver raises again."""
    return {"type": type(exc).__name__, "message": exc.message, "fix": exc.fix}


def tune_gc(gen0_threshold: int = 20_000) -> None:
    """As the runner does for a run: freeze the heap setup built, collect young objects less
    often (with many model calls in flight their objects outlive young collections). The worker
    process is this run's alone, so nothing is restored."""
    gc.freeze()
    threshold = gc.get_threshold()
    if threshold[0]:
        gc.set_threshold(max(gen0_threshold, threshold[0]), *threshold[1:])


class EpisodeWorker:
    """Runs the episodes of one plan on its node (an async Ray actor).

    `setup` rebuilds the episode environment from the plan (the installed plugins, this node's
    sandbox backend, a share of the model connection limits); `run` runs one episode and returns
    its packed record.
    """

    def __init__(self) -> None:
        self.env: Any = None
        self.node = ""
        self.ship = True
        self.scratch: str | None = None

    async def setup(self, plan_json: str, share: float, artifacts: str) -> dict[str, Any]:
        """Build the environment; returns where this worker runs, or the user error (as data:
        agentbench's errors do not survive Ray's pickling)."""
        self.node = node_label()
        try:
            self._setup(Plan.model_validate_json(plan_json), share, artifacts)
        except AgentbenchError as exc:
            return {"node": self.node, "error": user_error(exc)}
        return {"node": self.node, "pid": os.getpid()}

    def _setup(self, plan: Plan, share: float, artifacts: str) -> None:
        self.ship = artifacts != "shared"
        run_dir = plan.run_dir
        if self.ship:
            self.scratch = tempfile.mkdtemp(prefix=f"agentbench-ray-{plan.run_id}-")
            run_dir = self.scratch
        plan = plan.model_copy(
            update={"run_dir": run_dir, "config": scaled_config(plan.config, share)}
        )
        env = build_environment(plan)
        env.backend = NodeBackend(env.backend, self.node)
        self.env = env
        tune_gc()

    async def run(self, sample: Sample, epoch: int) -> dict[str, Any]:
        """Run one episode; its record as plain data (artifacts' bytes included unless shared),
        or the user error that stops the run."""
        try:
            record = await run_one_episode(self.env, sample, epoch)
        except AgentbenchError as exc:
            return {"node": self.node, "error": user_error(exc)}
        where = self.env.artifacts_dir(sample.id, epoch)
        return pack(record, self.node, where, self.ship)

    async def close(self) -> None:
        """Close the models and sandboxes; remove the scratch directory."""
        if self.env is not None:
            models = {id(m): m for m in self.env.models.values()}.values()
            for close in (*(m.aclose for m in models), self.env.backend.aclose):
                try:
                    await close()
                except Exception:  # closing one must not keep the others open
                    pass
            self.env = None
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
