"""Model providers and the wrapper every call goes through.

A provider (`ModelProvider` subclass, registered by prefix) turns messages into a `ModelOutput`
and maps its SDK's errors onto `agentbench.errors` (retryable or not). The core wraps it in a
`Model`: retries with backoff and jitter (Retry-After honoured), a per-model connection limit, a
per-call timeout, usage accounting and an optional response cache.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from agentbench.errors import ModelError, ModelTimeoutError
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
        "messages": [m.model_dump(mode="json") for m in messages],
        "tools": [t.model_dump(mode="json") for t in tools or []],
        "config": config.model_dump(mode="json", exclude={"timeout"}),
        "epoch": epoch,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@dataclass
class RetryPolicy:
    """How failed calls are retried: exponential backoff with full jitter, bounded twice."""

    max_attempts: int = 7
    max_total_s: float = 600.0
    initial_s: float = 1.0
    max_wait_s: float = 60.0

    def wait_for(self, attempt: int, error: BaseException) -> float:
        """Seconds to wait before attempt `attempt + 1` (Retry-After wins when present)."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.max_wait_s)
        return random.uniform(0, min(self.max_wait_s, self.initial_s * 2 ** (attempt - 1)))


def is_retryable(error: BaseException) -> bool:
    """Whether the core retries this error: `ModelError`s that say so, and lost connections."""
    if isinstance(error, ModelError):
        return error.retryable
    return isinstance(error, ConnectionError)


class Model:
    """A provider wrapped with retries, a connection limit, a timeout, usage totals and a cache.

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
        self._semaphore = asyncio.Semaphore(self.max_connections)
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
        output = await self._generate_with_retries(messages, tools, config, log)
        if info is not None:
            info.calls += 1
        self.calls += 1
        self.usage = self.usage + output.usage
        if key is not None and self.cache is not None:
            self.cache.put_response(key, output)
        if log is not None:
            log.add("model", model=self.ref, input=_brief_messages(messages), output=_brief(output),
                    usage=output.usage.model_dump())
        return output

    async def _generate_with_retries(
        self,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        log: EpisodeLog | None,
    ) -> ModelOutput:
        # Fast path: most calls succeed at once, and building a retry loop costs more than the
        # scripted model's whole call. tenacity takes over only after a retryable failure.
        t0 = time.monotonic()
        try:
            return await self._attempt(messages, tools, config)
        except Exception as error:
            if not is_retryable(error) or self.retry.max_attempts <= 1:
                self._log_failure(log, error, attempts=1)
                raise
            first_error = error
        return await self._retry_after_failure(first_error, t0, messages, tools, config, log)

    async def _retry_after_failure(
        self,
        first_error: Exception,
        t0: float,
        messages: list[Message],
        tools: list[ToolSpec] | None,
        config: GenerateConfig,
        log: EpisodeLog | None,
    ) -> ModelOutput:
        # tenacity is imported here, not at module level, to keep `agentbench --help` fast.
        from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

        policy = self.retry
        pending: list[Exception] = [first_error]

        async def attempt() -> ModelOutput:
            if pending:  # tenacity's attempt 1 is the one the fast path already made
                raise pending.pop()
            return await self._attempt(messages, tools, config)

        def wait(state: RetryCallState) -> float:
            assert state.outcome is not None
            return policy.wait_for(state.attempt_number, state.outcome.exception() or Exception())

        def stop(state: RetryCallState) -> bool:
            # Counts the coming wait from the first attempt on, so a long Retry-After cannot
            # carry the call past its total budget.
            elapsed = time.monotonic() - t0 + state.upcoming_sleep
            return state.attempt_number >= policy.max_attempts or elapsed >= policy.max_total_s

        def before_sleep(state: RetryCallState) -> None:
            self.retries += 1
            if log is not None and state.outcome is not None and state.next_action is not None:
                error = state.outcome.exception()
                log.add(
                    "retry",
                    model=self.ref,
                    attempt=state.attempt_number,
                    wait_s=round(state.next_action.sleep, 3),
                    error=f"{type(error).__name__}: {error}",
                )

        retrying = AsyncRetrying(
            retry=retry_if_exception(is_retryable),
            stop=stop,
            wait=wait,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return await retrying(attempt)
        except Exception as error:
            self._log_failure(log, error, attempts=retrying.statistics.get("attempt_number", 1))
            raise

    def _log_failure(self, log: EpisodeLog | None, error: BaseException, *, attempts: int) -> None:
        if log is not None:
            error_text = f"{type(error).__name__}: {error}"
            log.add("model_error", model=self.ref, attempts=attempts, error=error_text)

    async def _attempt(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        timeout = config.timeout or self.timeout
        async with self._semaphore:
            try:
                async with asyncio.timeout(timeout):
                    return await self.provider.generate(messages, tools, config)
            except TimeoutError:
                raise ModelTimeoutError(f"no response within {timeout:g}s") from None

    async def aclose(self) -> None:
        await self.provider.aclose()


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
        data["tool_calls"] = [tc.model_dump() for tc in message.tool_calls]
    if message.tool_call_id:
        data["tool_call_id"] = message.tool_call_id
    return data


def _brief(output: ModelOutput) -> dict[str, Any]:
    data = _dump_message(output.message)
    data["stop_reason"] = output.stop_reason
    if len(output.choices) > 1:
        data["choices"] = len(output.choices)
    return data
