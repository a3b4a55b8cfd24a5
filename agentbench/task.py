"""The Task base class and the context an episode runs in."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from agentbench.errors import LimitExceeded
from agentbench.options import TaskOptions, parse_options
from agentbench.roles import (
    DEFAULT_ROLE,
    CallInfo,
    RoleSpec,
    reset_current_call,
    set_current_call,
)
from agentbench.sandbox import Sandbox, SandboxSpec
from agentbench.types import (
    ExecResult,
    GenerateConfig,
    Limits,
    Message,
    ModelOutput,
    Sample,
    Score,
    ToolSpec,
    Usage,
)

if TYPE_CHECKING:
    from agentbench.model import Model


class Event(dict):  # type: ignore[type-arg]
    """One transcript event: {"type", "t" (seconds since episode start), ...payload}."""


class EpisodeLog:
    """The transcript of one episode: model calls, tool calls, commands, observations, artifacts.

    Listeners (the debug command's live printer) are called with every event as it happens.
    """

    def __init__(self, artifacts_dir: Path | None = None) -> None:
        self.events: list[Event] = []
        self.artifacts_dir = artifacts_dir
        self.artifacts: list[str] = []
        self.listeners: list[Callable[[Event], None]] = []
        self._t0 = time.monotonic()

    def add(self, type: str, **data: Any) -> Event:
        """Append an event and tell the listeners."""
        event = Event(type=type, t=round(time.monotonic() - self._t0, 4), **data)
        self.events.append(event)
        for listener in self.listeners:
            listener(event)
        return event

    def artifact(self, name: str, data: bytes | str) -> Path | None:
        """Save a file (a screenshot, a generated program) beside the episode's record."""
        if self.artifacts_dir is None:
            self.add("artifact", name=name, saved=False)
            return None
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        path = self.artifacts_dir / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        self.artifacts.append(name)
        self.add("artifact", name=name, path=str(path), bytes=path.stat().st_size)
        return path


class _TaggedLog:
    """The episode log as one model call sees it: its events carry the call's role and tag."""

    def __init__(self, log: EpisodeLog, fields: dict[str, Any]) -> None:
        self._log, self._fields = log, fields

    def add(self, type: str, **data: Any) -> Event:
        return self._log.add(type, **data, **self._fields)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._log, name)


class EpisodeContext:
    """Everything one episode has: the sample, the models by role, the sandbox, the log, limits.

    Tasks talk to a model through `generate` (the `default` role unless `role=` says another;
    calls may run concurrently, e.g. under `asyncio.gather`) and to the sandbox through `exec`,
    which log every call and enforce the step and token limits. `emit` keeps records beyond the
    score. `state` carries data from solve to check.
    """

    def __init__(
        self,
        *,
        task: Task,
        sample: Sample,
        model: Model,
        sandbox: Sandbox | None,
        log: EpisodeLog,
        limits: Limits,
        epoch: int = 0,
        seed: int = 0,
        generate_config: GenerateConfig | None = None,
        models: Mapping[str, Model] | None = None,
    ) -> None:
        self.task = task
        self.sample = sample
        self.model = model
        #: The run's models by role (`default` is `model`).
        self.models: dict[str, Model] = {DEFAULT_ROLE: model, **(models or {})}
        self.sandbox = sandbox
        self.log = log
        self.limits = limits
        self.epoch = epoch
        self.rng = random.Random(f"{seed}:{sample.id}:{epoch}")
        self.generate_config = generate_config or GenerateConfig()
        self.state: dict[str, Any] = {}
        self.messages: list[Message] = []
        self.usage = Usage()
        self.usage_by_role: dict[str, Usage] = {}
        self.steps = 0
        self.records: list[tuple[str, dict[str, Any]]] = []
        self._role_calls: dict[str, int] = {}

    async def generate(
        self,
        messages: list[Message] | None = None,
        tools: list[ToolSpec] | None = None,
        config: GenerateConfig | None = None,
        *,
        role: str = DEFAULT_ROLE,
        tag: str | None = None,
    ) -> ModelOutput:
        """Call a model (on `self.messages` by default), log it and count it against the limits.

        Args:
            messages: The conversation (default: `self.messages`).
            tools: Tools offered to the model.
            config: Sampling settings laid over the run's.
            role: Whose model answers (a role the task declares in `Task.roles`).
            tag: A name for this call, stable across runs (e.g. "node-3/expand"): the built-in
                `scripted` and `oracle` models answer concurrent calls by tag, not by arrival.

        Raises:
            LimitExceeded: when the step or token budget is already spent.
            ValueError: the task asked for a role it does not declare.
        """
        model = self.models.get(role)
        if model is None:
            raise ValueError(
                f"task {self.task.name!r} called role {role!r}, which is not one of its roles "
                f"({', '.join(sorted(self.models))}); declare it in `roles`"
            )
        if self.limits.max_steps is not None and self.steps >= self.limits.max_steps:
            raise LimitExceeded("steps", self.limits.max_steps)
        if self.limits.max_tokens is not None and self.usage.total_tokens >= self.limits.max_tokens:
            raise LimitExceeded("tokens", self.limits.max_tokens)
        msgs = self.messages if messages is None else messages
        self.steps += 1
        index = self._role_calls.get(role, 0)
        self._role_calls[role] = index + 1
        cfg = self.generate_config.merged(config)
        fields: dict[str, Any] = {} if role == DEFAULT_ROLE else {"role": role}
        if tag is not None:
            fields["tag"] = tag
        log: Any = _TaggedLog(self.log, fields) if fields else self.log
        token = set_current_call(CallInfo(role=role, tag=tag, index=index))
        try:
            output = await model.generate(msgs, tools=tools, config=cfg, log=log)
        finally:
            reset_current_call(token)
        self.usage = self.usage + output.usage
        self.usage_by_role[role] = self.usage_by_role.get(role, Usage()) + output.usage
        return output

    def emit(self, kind: str, record: BaseModel | Mapping[str, Any]) -> None:
        """Keep a record of this episode beyond its score (a preference pair, a tree, ...).

        Records are committed with the episode (so `--resume` neither loses nor repeats them)
        and written out by `agentbench export RUN --kind KIND`. A task that lists `kind` in
        `record_types` has each record validated by that pydantic model.

        Raises:
            pydantic.ValidationError: the record does not fit the declared type.
        """
        declared = self.task.record_types.get(kind)
        if declared is not None:
            record = declared.model_validate(record)
        data = record.model_dump(mode="json") if isinstance(record, BaseModel) else dict(record)
        self.records.append((kind, data))
        self.log.add("emit", kind=kind)

    async def write_file(self, path: str, content: str | bytes) -> None:
        """Write a file into the sandbox and log it (a "file" event: its path and size), so that
        `debug` and the transcript show what setup placed there."""
        if self.sandbox is None:
            raise RuntimeError(
                f"task {self.task.name!r} declared no sandbox for sample {self.sample.id!r}"
            )
        await self.sandbox.write_file(path, content)
        size = len(content.encode() if isinstance(content, str) else content)
        self.log.add("file", path=path, bytes=size)

    async def exec(
        self, cmd: str | list[str], *, timeout: float | None = None, **kwargs: Any
    ) -> ExecResult:
        """Run a command in the sandbox and log it with its exit code and output."""
        if self.sandbox is None:
            raise RuntimeError(
                f"task {self.task.name!r} declared no sandbox for sample {self.sample.id!r}"
            )
        result = await self.sandbox.exec(cmd, timeout=timeout, **kwargs)
        self.log.add(
            "exec",
            cmd=cmd if isinstance(cmd, str) else list(cmd),
            exit_code=result.exit_code,
            stdout=result.stdout[-4000:],
            stderr=result.stderr[-4000:],
            timed_out=result.timed_out,
            duration_s=round(result.duration_s, 4),
        )
        return result


class Task:
    """Base class of a benchmark.

    Subclasses set `name` and, if they take options, `Options` (a `TaskOptions` subclass), and
    implement `samples`, `solve` and `check`. `sandbox_spec` returns None for tasks that need no
    sandbox. `reference` gives the gold answer the `oracle` model replies with: a string, a
    `Message`, or a list of them (one per model call, for multi-step tasks).
    """

    name: ClassVar[str] = ""
    Options: ClassVar[type[TaskOptions]] = TaskOptions
    #: The model roles the task uses besides `default` (`ctx.generate(..., role=...)`), e.g.
    #: `{"critic": RoleSpec(fallback="default")}`; a role with `fallback=None` must be given.
    roles: ClassVar[dict[str, RoleSpec]] = {}
    #: Kinds of records the task emits (`ctx.emit`), each with the pydantic model it fits.
    record_types: ClassVar[dict[str, type[BaseModel]]] = {}

    def __init__(self, options: TaskOptions | dict[str, Any] | None = None) -> None:
        if isinstance(options, TaskOptions):
            self.options = options
        else:
            self.options = parse_options(self.Options, dict(options or {}))

    def samples(self) -> Iterable[Sample]:
        """The task's samples, in a stable order (options are in `self.options`)."""
        raise NotImplementedError

    def sandbox_spec(self, sample: Sample) -> SandboxSpec | None:
        """The sandbox an episode of `sample` needs, or None for none."""
        return None

    async def setup(self, ctx: EpisodeContext) -> None:
        """Prepare the sandbox (copy files, run setup commands). The default does nothing."""

    async def solve(self, ctx: EpisodeContext) -> None:
        """The agent loop: the default asks the model once with the sample's input."""
        if isinstance(ctx.sample.input, str):
            ctx.messages = [Message.user(ctx.sample.input)]
        else:
            ctx.messages = list(ctx.sample.input)
        output = await ctx.generate()
        ctx.messages.append(output.message)
        ctx.state["output"] = output

    async def check(self, ctx: EpisodeContext) -> Score:
        """Score the episode, by execution where possible."""
        raise NotImplementedError

    def reference(self, sample: Sample) -> Any:
        """The gold answer for the `oracle` model, or None if the task has none.

        A string or `Message` answers every call; a list gives one answer per call, in order; a
        dict maps call tags to answers (concurrent calls). A task with several roles may define
        `reference(sample, role)` instead and answer per role.
        """
        return None

    def baseline(self, sample: Sample) -> Any:
        """The null baseline's answer for `sample` (the `baseline` model replies with it).

        None (the default) answers nothing, as the `null` model does. A task whose checker a
        constant answer could game declares a stronger null here: the most frequent answer of a
        multiple-choice task, an empty class for class generation, a program that only prints.
        """
        return None

    def metrics(self, results: Sequence[Any]) -> dict[str, Any]:
        """Task-specific figures added to the run summary (e.g. failure classes).

        Args:
            results: Every recorded episode of the run (any status), in the order they were
                first recorded. A read-only sequence read lazily from the run store a page at a
                time: `len()`, repeated iteration, `results[i]` and slices work (each index or
                slice is a query, so iterate rather than index in a loop). It is not a list:
                keep only the few numbers per episode or per sample the figures need, never the
                episodes themselves (`list(results)` holds the whole run in memory).

        Returns:
            JSON-serialisable figures merged into `RunSummary.metrics`; a key that clashes with a
            core metric is kept as `task:<key>`. An exception here is reported as
            `task_metrics_error` and does not cost the summary.
        """
        return {}

    def exporters(self) -> dict[str, Callable[[Iterable[dict[str, Any]]], Iterable[str]]]:
        """Export formats of this task's emitted records: name -> lines from the records.

        `agentbench export RUN --kind KIND --format NAME` feeds the records of that kind (each
        a dict: the record plus `sample_id` and `epoch`) and writes the lines it yields.
        """
        return {}
