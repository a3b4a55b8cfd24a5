"""Checks a provider plugin's tests share, against a fake server.

Faults the core must retry (and the error each must map to), faults it must not, a pool as large
as the connection limit, and whole runs of a small task through the runner.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentbench.fakeservers._base import FakeServer, Fault, RecordedRequest
from agentbench.hookspecs import hookimpl
from agentbench.model import Model
from agentbench.task import EpisodeLog, Task
from agentbench.types import EpisodeResult, Message, RunConfig, RunSummary, Sample, Score

#: Faults every provider must map onto a retryable error (the named class), for the core to retry.
#: `Fault.slow(5.0)` needs a model timeout below 5 s.
RETRYABLE_FAULTS: list[tuple[Fault, str]] = [
    (Fault.status(429, retry_after=0.2), "RateLimitError"),
    (Fault.status(500), "ServerError"),
    (Fault.truncated(), "ModelConnectionError"),
    (Fault.malformed(), "ModelConnectionError"),
    (Fault.disconnect(), "ModelConnectionError"),
    (Fault.slow(5.0), "ModelTimeoutError"),
]

#: Faults for `assert_run_survives` (the run's model timeout is 3 s), with their error classes.
RUN_FAULTS: list[tuple[Fault, str]] = [
    (Fault.status(429, retry_after=0.05), "RateLimitError"),
    (Fault.status(500), "ServerError"),
    (Fault.truncated(), "ModelConnectionError"),
    (Fault.malformed(), "ModelConnectionError"),
    (Fault.slow(6.0), "ModelTimeoutError"),
]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def _retries(log: EpisodeLog) -> list[dict[str, Any]]:
    return [e for e in log.events if e["type"] == "retry"]


async def assert_fault_retried(model: Model, server: FakeServer, fault: Fault, error: str) -> None:
    """Assert that `fault` fails one call with `error` and the core's retry then succeeds.

    The server must answer with its default (echo) responder. Exactly two requests reach it: the
    provider leaves retrying to the core (its SDK's own retries are off), and the wait honours the
    fault's `retry_after` (plus the policy's jitter).

    Args:
        model: The provider wrapped in a `Model` with retries and a timeout below 5 s.
        server: The fake server the provider talks to.
        fault: The fault to inject (see `RETRYABLE_FAULTS`).
        error: The class name of the agentbench error it must map to, e.g. `ServerError`.
    """
    before = len(server.requests)
    server.inject(fault)
    log = EpisodeLog()
    out = await model.generate([Message.user("hello")], log=log)
    _require(out.text == "echo: hello", f"wrong answer after the retry: {out.text!r}")
    sent = len(server.requests) - before
    _require(sent == 2, f"{sent} requests for one failure and one retry (want 2)")
    retries = _retries(log)
    _require(len(retries) == 1, f"want one retry, got {retries}")
    _require(retries[0]["error"].startswith(error), f"retried {retries[0]['error']!r}, not {error}")
    if fault.retry_after is not None:
        waited, asked = retries[0]["wait_s"], fault.retry_after
        most = round(asked * (1 + model.retry.rate_limit_jitter), 3)  # Retry-After plus jitter
        _require(asked <= waited <= most, f"waited {waited}s, not Retry-After's {asked}s")


async def assert_not_retried(
    model: Model,
    server: FakeServer,
    error: type[BaseException],
    *,
    fault: Fault | None = None,
    messages: list[Message] | None = None,
) -> BaseException:
    """Assert that a call fails with `error` after one request, without a retry; return the error.

    Args:
        model: The provider wrapped in a `Model` with retries.
        server: The fake server the provider talks to.
        error: The agentbench error expected, e.g. `AuthenticationError`.
        fault: A fault to inject first, e.g. `Fault.status(401)`.
        messages: What to send (default: one user message), e.g. a request the API refuses.
    """
    before = len(server.requests)
    if fault is not None:
        server.inject(fault)
    log = EpisodeLog()
    try:
        await model.generate(messages or [Message.user("hello")], log=log)
    except error as exc:
        raised = exc
    else:
        sent = len(server.requests) - before
        raise AssertionError(f"no {error.__name__} raised ({sent} requests)")
    sent = len(server.requests) - before
    _require(sent == 1, f"{sent} requests for an error that must not be retried (want 1)")
    _require(not _retries(log), f"retried: {_retries(log)}")
    return raised


async def assert_concurrent_calls(
    model: Model, server: FakeServer, calls: int = 150, latency: float = 0.5
) -> None:
    """Assert that `calls` calls run at once: the provider's HTTP pool fits the connection limit.

    Make `model` with `max_connections=calls`; 150 is above a typical default pool of 100, which
    would need two rounds of `latency`.
    """
    before, server.latency = server.latency, latency
    try:
        start = time.monotonic()
        outs = await asyncio.gather(
            *(model.generate([Message.user(f"n{i}")]) for i in range(calls))
        )
        elapsed = time.monotonic() - start
    finally:
        server.latency = before
    _require([o.text for o in outs] == [f"echo: n{i}" for i in range(calls)], "answers mixed up")
    _require(server.peak_connections == calls, f"{server.peak_connections} connections at most")
    _require(elapsed < 2 * latency + 1.5, f"{calls} calls took {elapsed:.2f}s")


# -- whole runs ---------------------------------------------------------------------------------

SUMS_SAMPLES = 6


class SumsTask(Task):
    """Asks for sums (`What is 1 plus 10?`); checks the answer; notes the retries it went through.

    Serve it with `answer_sums` as the fake server's responder.
    """

    name = "fakeserver-sums"

    def samples(self) -> list[Sample]:
        return [
            Sample(id=f"s{i}", input=f"What is {i} plus {10 * i}?", target=str(11 * i))
            for i in range(SUMS_SAMPLES)
        ]

    async def check(self, ctx: Any) -> Score:
        retries = [e["error"] for e in ctx.log.events if e["type"] == "retry"]
        return Score.of(ctx.state["output"].text == ctx.sample.target, retries=retries)


def answer_sums(request: RecordedRequest) -> str:
    """A fake server's responder that answers `SumsTask`'s questions right."""
    a, b = map(int, re.findall(r"\d+", request.last_text))
    return str(a + b)


@dataclass
class SumsRun:
    """What `run_sums` returns: the run's summary and every episode's result."""

    summary: RunSummary
    results: list[EpisodeResult]

    @property
    def retried(self) -> list[str]:
        """The class names of the errors retried, over all episodes."""
        scores = [r.score for r in self.results if r.score is not None]
        return [e.split(":")[0] for score in scores for e in score.details["retries"]]


class _SumsPlugin:
    def __init__(self) -> None:
        self.results: list[EpisodeResult] = []

    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register(SumsTask.name, SumsTask)

    @hookimpl
    def on_episode_end(self, result: EpisodeResult) -> None:
        self.results.append(result)


async def run_sums(
    server: FakeServer,
    model: str,
    run_dir: str | Path,
    *,
    model_options: dict[str, Any] | None = None,
    **overrides: Any,
) -> SumsRun:
    """Run `SumsTask` through the runner (`agentbench.run_async`) with `model` on `server`.

    Args:
        server: A fake server answering with `answer_sums`.
        model: The model reference, e.g. `openai/gpt-4o-mini`.
        run_dir: Where the run is stored.
        model_options: The model's options (default: `base_url` of the server).
        **overrides: RunConfig fields; the defaults are 4 retries, a 3 s model timeout and 3
            episodes at a time.
    """
    from agentbench.api import run_async

    settings: dict[str, Any] = dict(
        task=SumsTask.name,
        model=model,
        model_options={"base_url": server.base_url} if model_options is None else model_options,
        run_dir=str(run_dir),
        progress="none",
        max_retries=4,
        model_timeout=3.0,
        max_episodes=3,
    )
    plugin = _SumsPlugin()
    summary = await run_async(RunConfig(**{**settings, **overrides}), plugins=[plugin])
    return SumsRun(summary, plugin.results)


async def assert_run_survives(
    server: FakeServer,
    model: str,
    run_dir: str | Path,
    faults: list[tuple[Fault, str]] = RUN_FAULTS,
    **options: Any,
) -> SumsRun:
    """Assert that a `run_sums` run scores every episode despite `faults`, each retried once.

    Args:
        server: A fake server answering with `answer_sums`.
        model: The model reference.
        run_dir: Where the run is stored.
        faults: The faults to inject and the error class each must be retried as.
        **options: More `run_sums` arguments.
    """
    before = len(server.requests)
    server.inject(*(fault for fault, _ in faults))
    run = await run_sums(server, model, run_dir, **options)
    summary = run.summary
    _require(summary.completed == SUMS_SAMPLES, f"{summary.completed} of {SUMS_SAMPLES} done")
    _require(summary.errors == 0, f"{summary.errors} episodes failed")
    _require(all(r.status == "ok" and r.passed for r in run.results), f"failed: {run.results}")
    want = sorted(error for _, error in faults)
    _require(sorted(run.retried) == want, f"retried {sorted(run.retried)}, want {want}")
    sent = len(server.requests) - before
    _require(sent == SUMS_SAMPLES + len(faults), f"{sent} requests: retries not one per fault")
    _require(summary.usage.input_tokens > 0, "no usage reported")
    return run


async def assert_run_stops(
    server: FakeServer, model: str, run_dir: str | Path, fault: Fault, error: type[BaseException]
) -> BaseException:
    """Assert that `fault` on the first call stops a `run_sums` run with `error`, unretried.

    Returns:
        The error raised.
    """
    before = len(server.requests)
    server.inject(fault)
    try:
        await run_sums(server, model, run_dir, max_episodes=1)
    except error as exc:
        raised = exc
    else:
        raise AssertionError(f"the run went on after {fault}: no {error.__name__}")
    requests = server.requests[before:]
    _require(len(requests) == 1, f"{len(requests)} requests: the error was retried")
    question = SumsTask().samples()[0].input
    _require(requests[0].last_text == question, f"first request: {requests[0].last_text!r}")
    return raised
