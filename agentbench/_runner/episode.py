"""One episode: acquire a sandbox, set up, solve, check; limits and infrastructure retries.

The episode never touches the store or the observers: it returns an `EpisodeRecord` and the
runner records it. Errors a user must fix (`AgentbenchError`: a missing API key, Docker not
running) propagate and stop the run; anything else a task or model raises becomes status "error".
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench._runner.store import artifacts_dir, safe_segment
from agentbench.errors import AgentbenchError, InfrastructureError, LimitExceeded, ModelError
from agentbench.model import EpisodeInfo, Model, set_current_episode
from agentbench.sandbox import Sandbox, SandboxBackend
from agentbench.task import EpisodeContext, EpisodeLog, Event, Task
from agentbench.types import (
    EpisodeResult,
    EpisodeStatus,
    GenerateConfig,
    Limits,
    Sample,
    Score,
    Usage,
)

#: Seconds `check` gets after an episode ran out of wall time (it needs some to score what exists).
CHECK_GRACE_S = 60.0


@dataclass
class EpisodeEnv:
    """What every episode of a run shares.

    Attributes:
        run_id: The run the episodes belong to.
        task_name: The task's registered name (stored with each result).
        task: The task instance (options applied).
        model: The wrapped model of the `default` role.
        backend: Returns the run's sandbox backend, creating it on first use (None: episodes
            run without a sandbox even where the task asks for one; tests only).
        limits: Per-episode step, token and wall-time budgets.
        seed: Base seed of every episode's rng.
        generate_config: Sampling settings laid under each call's own.
        models: The models of every role (role -> model; `default` is `model`).
        infra_retries: Fresh-sandbox retries after an `InfrastructureError`.
        run_dir: The run directory artifacts are saved under (None: not saved).
    """

    run_id: str
    task_name: str
    task: Task
    model: Model
    backend: Callable[[], Awaitable[SandboxBackend | None]]
    models: dict[str, Model] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    seed: int = 0
    generate_config: GenerateConfig = field(default_factory=GenerateConfig)
    infra_retries: int = 2
    run_dir: Path | None = None

    def __post_init__(self) -> None:
        # One Path per episode is all it costs (this runs thousands of times a second).
        self._artifacts_root = (
            None
            if self.run_dir is None
            else str(artifacts_dir(self.run_dir, self.task_name, "_", 0).parent.parent)
        )

    def artifacts_dir(self, sample_id: str, epoch: int) -> Path | None:
        """`<run_dir>/artifacts/<task>/<sample_id>/<epoch>/` (as the store lays it out)."""
        if self._artifacts_root is None:
            return None
        return Path(f"{self._artifacts_root}/{safe_segment(sample_id)}/{epoch}")


@dataclass
class AttemptOutcome:
    """What the stages of one attempt came to."""

    status: EpisodeStatus
    score: Score | None = None
    error: str | None = None
    interrupted: bool = False  # solve was cut off mid-way: the sandbox may hold stray processes
    stage: str | None = None  # where an error happened: setup, solve, model, check, sandbox


@dataclass
class EpisodeRecord:
    """A finished episode: its result, transcript events, artifact names and emitted records.

    Attributes:
        result: The result, as the store keeps it.
        events: The transcript, every attempt's events in order.
        artifacts: Names of the files the episode saved.
        sandbox: The last attempt's sandbox, only when the caller asked to keep it.
        records: What the task emitted (`ctx.emit(kind, data)`), as (kind, data).
        context: The last attempt's `EpisodeContext`, only when the caller asked for it.
    """

    result: EpisodeResult
    events: list[dict[str, Any]]
    artifacts: list[str]
    sandbox: Sandbox | None = None
    records: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    context: EpisodeContext | None = None


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _NoDeadline:
    """`asyncio.timeout(None)` without its cost (most episodes have no wall-time limit)."""

    async def __aenter__(self) -> _NoDeadline:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def expired(self) -> bool:
        return False


def _deadline(seconds: float | None) -> Any:
    return asyncio.timeout(seconds) if seconds is not None else _NoDeadline()


async def run_stages(
    task: Task, ctx: EpisodeContext, limits: Limits, *, catch: bool = True
) -> AttemptOutcome:
    """setup + solve under the wall-time limit, then check; a limit still gets a check.

    With `catch=False` (agentbench.testing's default) what the task or model raises propagates
    instead of becoming status "error", so a plugin author's test shows the traceback.

    Raises:
        InfrastructureError, AgentbenchError: for the caller to retry or to stop the run.
    """
    limit_hit: LimitExceeded | None = None
    stage = "setup"
    try:
        async with _deadline(limits.max_seconds) as deadline:
            try:
                await task.setup(ctx)
                stage = "solve"
                await task.solve(ctx)
            except LimitExceeded as exc:
                limit_hit = exc
    except TimeoutError:
        if not deadline.expired():
            _log_error(ctx, stage)
            return AttemptOutcome("error", error="TimeoutError: timed out", stage=stage)
        limit_hit = LimitExceeded("seconds", limits.max_seconds or 0)
    except (InfrastructureError, AgentbenchError):
        raise
    except ModelError as exc:
        if not catch:
            raise
        return _model_failure(ctx, exc)
    except Exception as exc:
        _log_error(ctx, stage, exc)
        if not catch:
            raise
        return AttemptOutcome("error", error=_describe(exc), stage=stage)
    if limit_hit is not None:
        ctx.log.add("limit", kind=limit_hit.kind, limit=limit_hit.limit, message=str(limit_hit))
    outcome = await _check(task, ctx, limits, limit_hit, catch=catch)
    outcome.interrupted = limit_hit is not None and limit_hit.kind == "seconds"
    return outcome


def _model_failure(ctx: EpisodeContext, exc: ModelError) -> AttemptOutcome:
    """A model call that failed for good: an outage of the provider (a retryable error that
    outlasted the retries) is `provider_error`, left out of the scores and run again by
    `--resume`; anything else the provider refused is the episode's `error`."""
    if exc.retryable:
        _log_error(ctx, "model", exc, outage=True)
        return AttemptOutcome(
            "provider_error", error=f"provider unavailable: {_describe(exc)}", stage="model"
        )
    _log_error(ctx, "model", exc)
    return AttemptOutcome("error", error=_describe(exc), stage="model")


def _log_error(
    ctx: EpisodeContext, stage: str, exc: BaseException | None = None, **extra: Any
) -> None:
    """An "error" event with the stage and, for an exception, its traceback (file and line)."""
    error = _describe(exc) if exc is not None else "TimeoutError: timed out"
    tb = "".join(traceback.format_exception(exc))[-8000:] if exc is not None else None
    ctx.log.add("error", stage=stage, error=error, traceback=tb, **extra)


async def _check(
    task: Task,
    ctx: EpisodeContext,
    limits: Limits,
    limit_hit: LimitExceeded | None,
    *,
    catch: bool = True,
) -> AttemptOutcome:
    budget = (
        limits.max_seconds if limit_hit is None else max(limits.max_seconds or 0, CHECK_GRACE_S)
    )
    try:
        async with _deadline(budget):
            score = await task.check(ctx)
    except (InfrastructureError, AgentbenchError):
        raise
    except Exception as exc:  # includes a check that itself ran out of time or budget
        error = _describe(exc) if not isinstance(exc, TimeoutError) else "check timed out"
        _log_error(ctx, "check", exc)
        if not catch:
            raise
        if limit_hit is not None:
            return AttemptOutcome(
                "limit", error=f"{limit_hit}; check failed: {error}", stage="check"
            )
        return AttemptOutcome("error", error=error, stage="check")
    if limit_hit is not None:
        score.details.setdefault("limit", str(limit_hit))
    ctx.log.add("score", value=score.value, passed=score.passed, explanation=score.explanation)
    return AttemptOutcome("ok", score=score)


async def run_one_episode(
    env: EpisodeEnv,
    sample: Sample,
    epoch: int,
    *,
    listeners: list[Callable[[Event], Any]] | None = None,
    keep_sandbox: bool = False,
    keep_context: bool = False,
    catch: bool = True,
) -> EpisodeRecord:
    """Run one (sample, epoch), retrying on a fresh sandbox after an infrastructure failure.

    The one way an episode is assembled: the runner's executors, `debug` and
    `agentbench.testing.run_episode` all call it.

    Args:
        env: What the run's episodes share.
        sample: The sample to solve.
        epoch: Which repetition of the sample this is (0-based).
        listeners: Called with every transcript event as it happens (the debug command).
        keep_sandbox: Leave the sandbox of the last attempt open and return it (debug).
        keep_context: Return the last attempt's `EpisodeContext` in the record (tests).
        catch: Record what the task or model raises as status "error" (False: re-raise it,
            so that a plugin author's test shows the traceback).

    Raises:
        AgentbenchError: a user error that every episode would hit; the run stops.
    """
    started, t0 = time.time(), time.monotonic()
    spec = env.task.sandbox_spec(sample)
    attempts = 0
    # What failed attempts did is kept: their events lead the transcript, their usage counts.
    earlier_events: list[dict[str, Any]] = []
    earlier_usage, earlier_steps = Usage(), 0
    earlier_by_role: dict[str, Usage] = {}
    while True:
        attempts += 1
        log = EpisodeLog(env.artifacts_dir(sample.id, epoch))
        log.listeners.extend(listeners or [])
        ctx: EpisodeContext | None = None
        sandbox: Sandbox | None = None
        retry = False
        set_current_episode(
            EpisodeInfo(task=env.task, sample=sample, epoch=epoch, run_id=env.run_id)
        )
        try:
            backend = await env.backend() if spec is not None else None
            if spec is not None and backend is not None:
                sandbox = await backend.acquire(spec, label=f"{env.task_name}/{sample.id}/{epoch}")
                log.add("sandbox", description=sandbox.describe(), files=sorted(spec.files))
            ctx = EpisodeContext(
                task=env.task,
                sample=sample,
                model=env.model,
                sandbox=sandbox,
                log=log,
                limits=env.limits,
                epoch=epoch,
                seed=env.seed,
                generate_config=env.generate_config,
                models=env.models,
            )
            outcome = await run_stages(env.task, ctx, env.limits, catch=catch)
        except InfrastructureError as exc:
            log.add("infra_error", stage="sandbox", attempt=attempts, error=_describe(exc))
            retry = attempts <= env.infra_retries
            outcome = AttemptOutcome(
                "infra_error",
                error=f"{_describe(exc)} (after {attempts} attempts)",
                stage="sandbox",
            )
        except BaseException:  # cancelled, or a user error that stops the run
            await _release(env, sandbox, reusable=False)
            raise
        finally:
            set_current_episode(None)
        if retry:
            await _release(env, sandbox, reusable=False)
            earlier_events.extend(log.events)
            if ctx is not None:
                earlier_usage, earlier_steps = earlier_usage + ctx.usage, earlier_steps + ctx.steps
                earlier_by_role = _add_usage(earlier_by_role, ctx.usage_by_role)
            continue
        if not keep_sandbox:
            reusable = outcome.status != "infra_error" and not outcome.interrupted
            await _release(env, sandbox, reusable=reusable)
        result = EpisodeResult(
            run_id=env.run_id,
            task=env.task_name,
            sample_id=sample.id,
            epoch=epoch,
            model=env.model.ref,
            subset=sample.subset,
            status=outcome.status,
            score=outcome.score,
            error=outcome.error,
            error_stage=outcome.stage,
            usage=earlier_usage + (ctx.usage if ctx else Usage()),
            usage_by_role=_add_usage(earlier_by_role, ctx.usage_by_role if ctx else {}),
            steps=earlier_steps + (ctx.steps if ctx else 0),
            attempts=attempts,
            started_at=started,
            duration_s=round(time.monotonic() - t0, 6),
        )
        events: list[dict[str, Any]] = [*earlier_events, *log.events]
        records = list(ctx.records) if ctx is not None else []
        return EpisodeRecord(
            result,
            events,
            log.artifacts,
            sandbox if keep_sandbox else None,
            records=records,
            context=ctx if keep_context else None,
        )


def _add_usage(a: dict[str, Usage], b: dict[str, Usage]) -> dict[str, Usage]:
    return {role: a.get(role, Usage()) + b.get(role, Usage()) for role in {*a, *b}}


async def _release(env: EpisodeEnv, sandbox: Sandbox | None, *, reusable: bool) -> None:
    if sandbox is None:
        return
    backend = await env.backend()
    if backend is None:
        return
    try:
        await backend.release(sandbox, reusable=reusable)
    except Exception:  # a sandbox that cannot be released is closed for good
        await sandbox.aclose()
