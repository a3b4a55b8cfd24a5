"""Model providers and the wrapper every call goes through.

A provider (`ModelProvider` subclass, registered by prefix) turns messages into a `ModelOutput`
and maps its SDK's errors onto `agentbench.errors` (retryable or not). The core wraps it in a
`Model`: retries with backoff and jitter (Retry-After honoured), a per-model connection limit that
halves while the provider rate-limits (`CallLimiter`), a per-call timeout, usage accounting and an
optional response cache. A retryable error that outlasts the retries is raised as
`ProviderUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from agentbench.errors import ModelError, ModelTimeoutError, ProviderUnavailable, RateLimitError
from agentbench.limiter import CallLimiter
from agentbench.roles import current_call, set_current_call
from agentbench.types import GenerateConfig, Message, ModelOutput, Sample, ToolSpec, Usage

if TYPE_CHECKING:
    from agentbench.task import EpisodeLog, Task


@dataclass
class EpisodeInfo:
    """Which episode a model call belongs to (read by providers like `oracle` and `replay`)."""

    task: Task | None
    sample: Sample
    epoch: int = 0
    run_id: str = ""
    calls: int = 0  # model calls made so far in this episode (retries not counted)
    extra: dict[str, Any] = field(default_factory=dict)


_current_episode: contextvars.ContextVar[EpisodeInfo | None] = contextvars.ContextVar(
    "agentbench_current_episode", default=None
)


def current_episode() -> EpisodeInfo | None:
    """The episode the current asyncio task runs, or None outside an episode."""
    return _current_episode.get()


def set_current_episode(info: EpisodeInfo | None) -> contextvars.Token[EpisodeInfo | None]:
    """Mark the current asyncio task as running `info` (the runner does this per episode)."""
    return _current_episode.set(info)


def parse_model_ref(ref: str) -> tuple[str, str]:
    """Split "provider/model" into (provider, model); a bare name is a provider with no model."""
    provider, _, name = ref.partition("/")
    return provider, name


class ModelProvider:
    """Base class of model providers.

    Args:
        model_name: The part after the prefix in "provider/model".
        **options: Provider options (`-M key=value`), e.g. base_url or api_key_env.

    Subclasses implement `generate`. Raise `RateLimitError`, `ServerError`, `ModelTimeoutError`,
    `ModelConnectionError` for what a retry may fix and `AuthenticationError` / `BadRequestError`
    for what it cannot. `async with provider:` closes it (`aclose`) at the end of the block.
    """

    name: ClassVar[str] = ""
    #: Calls this provider can usefully run at once; the CLI's --max-connections caps it further.
    default_max_connections: ClassVar[int] = 1_000_000
    #: Whether one call returns `config.n` choices (OpenAI's `n`). When False, `Model` makes
    #: `n` calls of one choice each, concurrently, and merges them into one output.
    supports_n: ClassVar[bool] = False

    def __init__(self, model_name: str = "", **options: Any) -> None:
        self.model_name = model_name
        self.options = options
        #: Calls the wrapping `Model` runs at once (set by `Model`); size HTTP pools to it.
        self.connection_limit: int | None = None

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        """One model call."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Close connections (called once at the end of a run)."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class ResponseCache(Protocol):
    """Where `Model` keeps responses when caching is on (the run store implements it)."""

    def get_response(self, key: str) -> ModelOutput | None: ...

    def put_response(self, key: str, output: ModelOutput) -> None: ...


def cache_key(
    model: str,
    messages: list[Message],
    tools: list[ToolSpec] | None,
    config: GenerateConfig,
    epoch: int,
    sample_id: str | None = None,
) -> str:
    """A stable hash of everything that determines a response.

    The sample id is part of it because models such as `oracle` and `replay` answer per sample:
    two samples with the same prompt must not share a cached answer.
    """
    payload = {
        "model": model,
        "sample": sample_id,
        "messages": [_key_dump(m) for m in messages],
        "tools": [t.model_dump(mode="json") for t in tools or []],
        "config": config.model_dump(mode="json", exclude={"timeout"}),
        "epoch": epoch,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _key_dump(message: Message) -> dict[str, Any]:
    """A message as the cache key sees it: an unset `raw_arguments` left out, so that keys made
    before the field existed still match."""
    data = message.model_dump(mode="json")
    for call in data["tool_calls"]:
        if call["raw_arguments"] is None:
            del call["raw_arguments"]
    return data


@dataclass
class RetryPolicy:
    """How failed calls are retried.

    Rate limits (`RateLimitError`: 429, Anthropic's 529) are retried for as long as the time
    budget lasts, however many attempts that takes: each waits the Retry-After the provider sent,
    in full (a wait longer than what is left of the budget gives up at once), plus a random part
    of up to `rate_limit_jitter` of it, so that calls told the same time do not all come back
    together. Without a Retry-After they back off like other errors. Other retryable errors (5xx,
    timeouts, lost connections) back off exponentially with full jitter, for at most
    `max_attempts` failures. `max_attempts=1` turns retrying off altogether.

    Attributes:
        max_attempts: Attempts per call for errors other than rate limits (1: no retries at all).
        max_total_s: Seconds from a call's start after which no retry starts.
        initial_s: The first backoff ceiling (doubled on each attempt).
        max_wait_s: The largest computed backoff (a Retry-After is not cut to it).
        max_retry_after_s: A cap on Retry-After, or None to honour it in full (within the budget).
        rate_limit_jitter: The random share added to a Retry-After (0.1: waits 1 to 1.1 times it).
    """

    max_attempts: int = 7
    max_total_s: float = 600.0
    initial_s: float = 1.0
    max_wait_s: float = 60.0
    max_retry_after_s: float | None = None
    rate_limit_jitter: float = 0.1

    def retry_after(self, error: BaseException) -> float | None:
        """The Retry-After of `error` in seconds, cut to `max_retry_after_s`; None when unsent."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is None:
            return None
        wait = max(0.0, float(retry_after))
        return wait if self.max_retry_after_s is None else min(wait, self.max_retry_after_s)

    def wait_for(self, attempt: int, error: BaseException) -> float:
        """Seconds to wait before attempt `attempt + 1` (a Retry-After above 0, jittered, wins)."""
        retry_after = self.retry_after(error)
        if retry_after:  # a Retry-After of 0 says nothing: back off rather than hammer
            return retry_after + random.uniform(0, self.rate_limit_jitter * retry_after)
        return random.uniform(0, min(self.max_wait_s, self.initial_s * 2 ** (attempt - 1)))


def is_retryable(error: BaseException) -> bool:
    """Whether the core retries this error: `ModelError`s that say so, and lost connections."""
    if isinstance(error, ModelError):
        return error.retryable
    return isinstance(error, ConnectionError)


class Model:
    """A provider wrapped with retries, a connection limit, a timeout, usage totals and a cache.

    A retryable error (rate limit, 5xx, timeout, lost connection) that outlasts the retry policy
    is raised as `ProviderUnavailable` from it; other errors propagate as the provider raised them.

    Args:
        ref: The model reference as the user wrote it ("openai/gpt-4o").
        provider: The provider instance.
        max_connections: Calls in flight at once for this model.
        timeout: Seconds per call attempt (a config's `timeout` overrides it).
        retry: The retry policy.
        cache: Where to keep responses, or None for no caching.
    """

    def __init__(
        self,
        ref: str,
        provider: ModelProvider,
        *,
        max_connections: int = 16,
        timeout: float = 600.0,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.ref = ref
        self.provider = provider
        self.max_connections = min(max_connections, provider.default_max_connections)
        #: Admits the calls: the connection limit, lowered while the provider rate-limits.
        self.limiter = CallLimiter(self.max_connections)
        provider.connection_limit = self.max_connections
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.cache = cache
        self.usage = Usage()
        self.calls = 0
        self.retries = 0

    async def generate(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None = None,
        config: GenerateConfig | None = None,
        log: EpisodeLog | None = None,
    ) -> ModelOutput:
        """Call the model with retries; log the call (and every retry) to `log`."""
        config = config or GenerateConfig()
        info = current_episode()
        key = None
        if self.cache is not None:
            key = cache_key(
                self.ref,
                messages,
                tools,
                config,
                info.epoch if info else 0,
                info.sample.id if info else None,
            )
            cached = self.cache.get_response(key)
            if cached is not None:
                if info is not None:
                    info.calls += 1
                if log is not None:
                    log.add("model", model=self.ref, cached=True, output=_brief(cached))
                return _as_cached(cached)
        if config.n > 1 and not self.provider.supports_n:
            output = await self._fan_out(messages, tools, config, log)
        else:
            output = await self._generate_with_retries(messages, tools, config, log)
        if info is not None:
            info.calls += 1
        self.calls += 1
        self.usage = self.usage + output.usage
        if key is not None and self.cache is not None:
            self.cache.put_response(key, output)
        if log is not None:
            log.add(
                "model",
                model=self.ref,
                input=_brief_messages(messages),
                output=_brief(output),
                usage=output.usage.model_dump(),
            )
        return output

    async def _fan_out(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        log: EpisodeLog | None,
    ) -> ModelOutput:
        """`config.n` one-choice calls at once (each admitted by the limiter), merged in order."""
        one = config.model_copy(update={"n": 1})
        call = current_call()

        async def choice(i: int) -> ModelOutput:
            if call is not None:  # the choice's place travels with the call (scripted, oracle)
                set_current_call(dataclasses.replace(call, choice=i))
            return await self._generate_with_retries(messages, tools, one, log)

        outputs = await asyncio.gather(*(choice(i) for i in range(config.n)))
        usage = Usage()
        for output in outputs:
            usage = usage + output.usage
        return ModelOutput(
            model=outputs[0].model,
            choices=[c for output in outputs for c in output.choices],
            usage=usage,
            metadata={**outputs[0].metadata, "fanned_out": config.n},
        )

    async def _generate_with_retries(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        log: EpisodeLog | None,
    ) -> ModelOutput:
        # Fast path: most calls succeed at once, and building a retry loop costs more than the
        # scripted model's whole call. The loop takes over only after a retryable failure.
        t0 = time.monotonic()
        deadline = t0 + self.retry.max_total_s
        try:
            return await self._attempt(messages, tools, config, deadline)
        except ProviderUnavailable as error:
            self._log_failure(log, error, attempts=error.attempts)
            raise
        except Exception as error:
            if not is_retryable(error):
                self._log_failure(log, error, attempts=1)
                raise
            first_error = error
        return await self._retry(first_error, t0, messages, tools, config, log)

    async def _retry(
        self,
        error: Exception,
        t0: float,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        log: EpisodeLog | None,
    ) -> ModelOutput:
        """Retry after `error` (with tenacity) until a success, an unretried error, or the policy
        gives up; then `ProviderUnavailable`."""
        # tenacity is imported here, not at module level, to keep `agentbench --help` fast.
        from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

        deadline = t0 + self.retry.max_total_s
        pending: list[Exception] = [error]
        failures = [0]  # errors other than rate limits, which `max_attempts` bounds
        plan: dict[int, tuple[float, str]] = {}  # attempt -> (wait, why to give up)

        def decide(state: RetryCallState) -> tuple[float, str]:
            if state.attempt_number not in plan:
                failed = state.outcome.exception() if state.outcome else None
                failed = failed or Exception()
                failures[0] += not isinstance(failed, RateLimitError)
                plan[state.attempt_number] = self._next_wait(
                    failed, state.attempt_number, failures[0], deadline
                )
            return plan[state.attempt_number]

        def before_sleep(state: RetryCallState) -> None:
            self.retries += 1
            failed = state.outcome.exception() if state.outcome else None
            if log is not None and failed is not None:
                log.add(
                    "retry",
                    model=self.ref,
                    attempt=state.attempt_number,
                    wait_s=round(decide(state)[0], 3),
                    error=_describe(failed),
                )

        async def attempt() -> ModelOutput:
            if pending:  # tenacity's attempt 1 is the one the fast path already made
                raise pending.pop()
            return await self._attempt(messages, tools, config, deadline)

        retrying = AsyncRetrying(
            retry=retry_if_exception(
                lambda exc: is_retryable(exc) and not isinstance(exc, ProviderUnavailable)
            ),
            stop=lambda state: bool(decide(state)[1]),
            wait=lambda state: decide(state)[0],
            before_sleep=before_sleep,
            reraise=True,
        )
        attempts = 1
        try:
            async for try_ in retrying:
                attempts = try_.retry_state.attempt_number
                with try_:
                    return await attempt()
        except ProviderUnavailable as exc:
            self._log_failure(log, exc, attempts=attempts)
            raise
        except Exception as exc:
            if not is_retryable(exc):
                self._log_failure(log, exc, attempts=attempts)
                raise
            unavailable = ProviderUnavailable(
                f"{self.ref} unavailable: {plan.get(attempts, (0.0, 'gave up'))[1]}; "
                f"last error: {_describe(exc)}",
                last_error=exc,
                attempts=attempts,
                elapsed_s=time.monotonic() - t0,
            )
            self._log_failure(log, unavailable, attempts=attempts)
            raise unavailable from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _next_wait(
        self, error: BaseException, attempts: int, failures: int, deadline: float
    ) -> tuple[float, str]:
        """The wait before the next attempt, or why to give up instead (empty: go on)."""
        policy = self.retry
        if policy.max_attempts <= 1:
            return 0.0, "retries are off (max_attempts=1)"
        if failures >= policy.max_attempts:
            return 0.0, f"{attempts} attempts failed"
        left = deadline - time.monotonic()
        retry_after = policy.retry_after(error)
        if retry_after is not None and retry_after > left:
            return 0.0, (
                f"the provider asked to wait {retry_after:.3g}s, more than the {max(left, 0):.3g}s"
                f" left of the {policy.max_total_s:g}s retry budget"
            )
        wait = policy.wait_for(attempts, error)
        if wait > left:
            if retry_after is None:
                return 0.0, f"the {policy.max_total_s:g}s retry budget ran out"
            wait = left  # the Retry-After fits; only its jitter does not
        return wait, ""

    def _log_failure(self, log: EpisodeLog | None, error: BaseException, *, attempts: int) -> None:
        if log is not None:
            log.add("model_error", model=self.ref, attempts=attempts, error=_describe(error))

    async def _attempt(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        deadline: float,
    ) -> ModelOutput:
        limiter = self.limiter
        ticket = limiter.try_acquire()
        if ticket is None:
            ticket = await self._wait_in_line(deadline)
        timeout = config.timeout or self.timeout
        try:
            async with asyncio.timeout(timeout):
                output = await self.provider.generate(messages, tools, config)
        except BaseException as exc:
            if isinstance(exc, RateLimitError):
                limiter.rate_limited(ticket, exc, self.retry.retry_after(exc))
            limiter.release()
            if isinstance(exc, TimeoutError):
                raise ModelTimeoutError(f"no response within {timeout:g}s") from None
            raise
        limiter.succeeded()
        return output

    async def _wait_in_line(self, deadline: float) -> int:
        """A slot of the limiter; fails at once when a rate-limit pause outlasts the budget."""
        limiter = self.limiter
        pause = limiter.paused_for()
        if pause and time.monotonic() + pause > deadline and limiter.last_rate_limit is not None:
            error = limiter.last_rate_limit
            raise ProviderUnavailable(
                f"{self.ref} unavailable: rate limited for {pause:.3g}s more, past this call's"
                f" {self.retry.max_total_s:g}s retry budget; last error: {_describe(error)}",
                last_error=error,
                attempts=0,
                elapsed_s=0.0,
            )
        return await limiter.acquire()

    async def aclose(self) -> None:
        await self.provider.aclose()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _as_cached(output: ModelOutput) -> ModelOutput:
    """A cached response: same tokens (limits behave the same), but it cost nothing this time."""
    usage = output.usage
    if usage.cost is not None:
        usage = usage.model_copy(update={"cost": 0.0})
    metadata = {**output.metadata, "cached": True}
    return output.model_copy(update={"usage": usage, "metadata": metadata})


def _brief_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """The last message in full (earlier ones are in previous events) and the count."""
    if not messages:
        return []
    last = messages[-1]
    return [{"count": len(messages), "last": _dump_message(last)}]


def _dump_message(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.role, "text": message.text}
    if message.images:
        data["images"] = len(message.images)
    if message.tool_calls:
        data["tool_calls"] = [
            tc.model_dump(exclude=None if tc.raw_arguments is not None else {"raw_arguments"})
            for tc in message.tool_calls
        ]
    if message.tool_call_id:
        data["tool_call_id"] = message.tool_call_id
    return data


def _brief(output: ModelOutput) -> dict[str, Any]:
    data = _dump_message(output.message)
    data["stop_reason"] = output.stop_reason
    if len(output.choices) > 1:
        data["choices"] = len(output.choices)
    return data
