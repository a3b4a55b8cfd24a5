"""A model under a provider's rate limit backs off as one, and an outage shows as such.

The whole-run test drives the real runner against a local OpenAI-compatible server with a
sliding-window quota of 20 calls per window; the window is 6 s instead of a minute so that the
test takes seconds (the same run with a real 60 s window loses nothing either; see the report in
the provider-faults change).
"""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from agentbench import (
    EpisodeLog,
    Message,
    Model,
    ModelOutput,
    ModelProvider,
    RateLimitError,
    RetryPolicy,
    RunConfig,
    ServerError,
    run_async,
)
from agentbench.errors import ProviderUnavailable
from agentbench.fakeservers import FakeOpenAIServer, Fault, RecordedRequest
from agentbench.limiter import CallLimiter

KEY = "sk-test"
HELLO = [Message.user("hi")]


def answer_arith(request: RecordedRequest) -> str:
    """Answers hello-arith's "What is 17 * 23 + 4?" right (parsed, never evaluated)."""
    a, op1, b, op2, c = re.search(r"(\d+) ([-+*]) (\d+) ([-+*]) (\d+)", request.last_text).groups()  # type: ignore[union-attr]
    apply = {"+": lambda x, y: x + y, "-": lambda x, y: x - y, "*": lambda x, y: x * y}
    x, y, z = int(a), int(b), int(c)
    if op2 == "*" and op1 != "*":  # * binds tighter
        return str(apply[op1](x, y * z))
    return str(apply[op2](apply[op1](x, y), z))


# -- the whole run ------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", ["window", "bucket"])
async def test_thirty_episodes_under_a_20_per_window_quota_lose_none(tmp_path, monkeypatch, policy):
    # `window`: a sliding window. `bucket`: a burst of 20, then one call per refill (every 0.3 s
    # here), where every waiting call used to retry at each refill and run out of attempts.
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server = FakeOpenAIServer(
        answer_arith, api_key=KEY, rate_limit=20, rate_window_s=6.0, rate_policy=policy
    )
    async with server:
        start = time.monotonic()
        summary = await run_async(
            RunConfig(
                task="hello-arith",
                task_options={"count": 30, "tools": False},
                model="openai/gpt-4o-mini",
                model_options={"base_url": server.base_url},
                sandbox="local",
                run_dir=str(tmp_path),
                progress="none",
            )
        )
        elapsed = time.monotonic() - start
    assert server.rate_limited > 0, "the quota never bit: the test tests nothing"
    assert summary.completed == 30 and summary.errors == 0, summary
    assert summary.provider_errors == 0, summary
    assert summary.metrics["pass@1"] == 1.0, summary.metrics
    # 30 calls at 20 per 6 s need a second window, not many more.
    assert elapsed < 45, elapsed


async def test_an_outage_past_the_retries_is_a_provider_error(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with FakeOpenAIServer(answer_arith, api_key=KEY) as server:
        server.inject(*[Fault.status(503)] * 20)
        summary = await run_async(
            RunConfig(
                task="hello-arith",
                task_options={"count": 2, "tools": False},
                model="openai/gpt-4o-mini",
                model_options={"base_url": server.base_url},
                sandbox="local",
                run_dir=str(tmp_path),
                progress="none",
                max_retries=1,
                max_episodes=1,
            )
        )
    assert summary.provider_errors == 2 and summary.errors == 0, summary
    assert len(server.requests) == 4  # two attempts per episode


# -- the model wrapper under a quota -------------------------------------------------------------


class QuotaProvider(ModelProvider):
    """Admits `capacity` calls in flight; a call beyond is refused with a 429 and Retry-After."""

    def __init__(self, capacity: int, retry_after: float | None = 0.05, delay: float = 0.02):
        super().__init__("quota")
        self.capacity, self.retry_after, self.delay = capacity, retry_after, delay
        self.in_flight = self.peak = self.refused = 0
        self.starts: list[float] = []

    async def generate(self, messages, tools, config) -> ModelOutput:
        self.starts.append(time.monotonic())
        if self.in_flight >= self.capacity:
            self.refused += 1
            raise RateLimitError("429", status=429, retry_after=self.retry_after)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return ModelOutput.from_text("ok")


async def test_429s_halve_the_concurrency_and_successes_grow_it_back():
    provider = QuotaProvider(capacity=3)
    model = Model("fake/quota", provider, max_connections=16, retry=RetryPolicy(max_attempts=2))
    outs = await asyncio.gather(*(model.generate(HELLO) for _ in range(40)))
    assert all(o.text == "ok" for o in outs)  # the rate limits cost attempts, not answers
    assert provider.refused > 0
    low = model.limiter.limit
    assert 1 <= low < 16
    provider.capacity = 100  # the quota is lifted: successes grow the limit back, slowly
    await asyncio.gather(*(model.generate(HELLO) for _ in range(20)))
    assert low < model.limiter.limit < 16  # about one more per round of successes
    await asyncio.gather(*(model.generate(HELLO) for _ in range(200)))
    assert model.limiter.limit == 16


async def test_rate_limit_retries_are_not_bounded_by_the_attempt_cap():
    provider = QuotaProvider(capacity=1, retry_after=0.01, delay=0.05)
    policy = RetryPolicy(max_attempts=2, max_total_s=30.0)
    model = Model("fake/quota", provider, max_connections=8, retry=policy)
    # Eight at once against a capacity of one: the last waits through several refusals.
    outs = await asyncio.gather(*(model.generate(HELLO) for _ in range(8)))
    assert [o.text for o in outs] == ["ok"] * 8
    assert model.retries > 8


async def test_waiting_calls_come_back_spread_out_and_a_few_at_a_time():
    provider = QuotaProvider(capacity=0, retry_after=0.2)
    model = Model("fake/quota", provider, max_connections=8, retry=RetryPolicy(max_total_s=1.0))
    results = await asyncio.gather(
        *(model.generate(HELLO) for _ in range(8)), return_exceptions=True
    )
    assert all(isinstance(r, ProviderUnavailable) for r in results)
    first = provider.starts[:8]
    retries = sorted(provider.starts[8:])
    # Nobody came back before the Retry-After, and not all in the same instant.
    assert retries and retries[0] >= min(first) + 0.2
    in_first_ms = [t for t in retries if t - retries[0] < 0.001]
    assert len(in_first_ms) <= 4, f"{len(in_first_ms)} retries in one millisecond"
    assert 1.0 <= model.limiter.limit <= 2.0  # halved round after round, never below 1


async def test_a_pause_longer_than_the_budget_fails_new_calls_at_once():
    provider = QuotaProvider(capacity=0, retry_after=30.0)
    model = Model("fake/quota", provider, retry=RetryPolicy(max_total_s=5.0))
    with pytest.raises(ProviderUnavailable, match=r"asked to wait 30s"):
        await model.generate(HELLO)
    start = time.monotonic()
    log = EpisodeLog()
    with pytest.raises(ProviderUnavailable, match=r"rate limited for .* more") as caught:
        await model.generate(HELLO, log=log)
    assert time.monotonic() - start < 0.5
    assert isinstance(caught.value.last_error, RateLimitError)
    assert len(provider.starts) == 1  # the second call never reached the provider
    assert log.events[-1]["type"] == "model_error"


async def test_an_outage_raises_provider_unavailable_from_the_last_error():
    class Down(ModelProvider):
        async def generate(self, messages, tools, config) -> ModelOutput:
            raise ServerError("HTTP 503: down", status=503)

    policy = RetryPolicy(max_attempts=3, initial_s=0.001)
    model = Model("fake/down", Down(), retry=policy)
    with pytest.raises(ProviderUnavailable, match=r"3 attempts failed.*503") as caught:
        await model.generate(HELLO)
    error = caught.value
    assert error.retryable and error.status == 503 and error.attempts == 3
    assert isinstance(error.last_error, ServerError) and error.__cause__ is error.last_error


# -- the limiter alone --------------------------------------------------------------------------


def test_the_limit_halves_once_per_round_and_never_falls_below_one():
    limiter = CallLimiter(16)
    tickets = [limiter.try_acquire() for _ in range(16)]
    assert tickets == [0] * 16 and limiter.try_acquire() is None
    for ticket in tickets[:10]:  # ten refusals of calls that went out together: one cut
        limiter.rate_limited(ticket, RateLimitError("429"), None)
        limiter.release()
    assert limiter.limit == 8.0
    for _ in range(6):
        limiter.release()
    for _ in range(10):  # calls admitted after each cut: each refusal cuts again
        ticket = limiter.try_acquire()
        assert ticket is not None
        limiter.rate_limited(ticket, RateLimitError("429"), None)
        limiter.release()
    assert limiter.limit == 1.0 and limiter.in_flight == 0
    for _ in range(200):
        limiter.try_acquire()
        limiter.succeeded()
    assert limiter.limit == 16.0  # grown back, capped at the maximum


async def test_a_retry_after_pauses_every_call_then_lets_them_in_order():
    limiter = CallLimiter(4)
    ticket = limiter.try_acquire()
    assert ticket is not None
    limiter.rate_limited(ticket, RateLimitError("429"), 0.2)
    limiter.release()
    assert limiter.try_acquire() is None  # paused, although every slot is free
    order: list[int] = []

    async def call(i: int) -> None:
        await limiter.acquire()
        order.append(i)

    start = time.monotonic()
    calls = [asyncio.create_task(call(i)) for i in range(6)]
    await asyncio.sleep(0.05)
    calls[0].cancel()  # one gives up while waiting: its place is not lost to the others
    await asyncio.sleep(0.3)
    assert time.monotonic() - start >= 0.2
    assert order == [1, 2]  # the limit was halved to 2: two go, in the order they came
    for _ in range(3):  # each slot given back lets the next one in
        limiter.release()
    await asyncio.wait_for(asyncio.gather(*calls[1:]), 5)
    assert order == [1, 2, 3, 4, 5]
    assert limiter.in_flight == 2 and not limiter._waiters
