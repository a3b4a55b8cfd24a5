"""The Task base class and the context an episode runs in."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from agentbench.errors import ConfigError, LimitExceeded
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


class TaskOptions(BaseModel):
    """Base of a task's options (`-T key=value`). Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


def parse_options(
    options_cls: type[BaseModel], values: dict[str, Any], what: str = "task option"
) -> Any:
    """Validate `values` against `options_cls`, raising a ConfigError that names the bad option."""
    try:
        return options_cls(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "?"
        known = ", ".join(options_cls.model_fields) or "none"
        if err["type"] == "extra_forbidden":
            raise ConfigError(f"unknown {what} {key!r}", f"known {what}s: {known}") from None
        raise ConfigError(f"bad {what} {key!r}: {err['msg']}", f"known {what}s: {known}") from None


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


class EpisodeContext:
    """Everything one episode has: the sample, the model, the sandbox, the log, limits and rng.

    Tasks talk to the model through `generate` and to the sandbox through `exec`, which log every
    call and enforce the step and token limits. `state` carries data from solve to check.
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
    ) -> None:
        self.task = task
        self.sample = sample
        self.model = model
        self.sandbox = sandbox
        self.log = log
        self.limits = limits
        self.epoch = epoch
        self.rng = random.Random(f"{seed}:{sample.id}:{epoch}")
        self.generate_config = generate_config or GenerateConfig()
        self.state: dict[str, Any] = {}
        self.messages: list[Message] = []
        self.usage = Usage()
        self.steps = 0

    async def generate(
        self,
        messages: list[Message] | None = None,
        tools: list[ToolSpec] | None = None,
        config: GenerateConfig | None = None,
    ) -> ModelOutput:
        """Call the model (on `self.messages` by default), log it and count it against the limits.

        Raises:
            LimitExceeded: when the step or token budget is already spent.
        """
        if self.limits.max_steps is not None and self.steps >= self.limits.max_steps:
            raise LimitExceeded("steps", self.limits.max_steps)
        if self.limits.max_tokens is not None and self.usage.total_tokens >= self.limits.max_tokens:
            raise LimitExceeded("tokens", self.limits.max_tokens)
        msgs = self.messages if messages is None else messages
        self.steps += 1
        cfg = self.generate_config.merged(config)
        output = await self.model.generate(msgs, tools=tools, config=cfg, log=self.log)
        self.usage = self.usage + output.usage
        return output

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

    def reference(self, sample: Sample) -> str | Message | list[str | Message] | None:
        """The gold answer for the `oracle` model, or None if the task has none."""
        return None

    def metrics(self, results: list[Any]) -> dict[str, Any]:
        """Task-specific figures added to the run summary (e.g. failure classes)."""
        return {}
