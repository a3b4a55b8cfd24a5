"""A whole run through the runner with `anthropic/<model>` against a faulty local server."""

from __future__ import annotations

from agentbench import AuthenticationError
from agentbench.fakeservers import (
    RUN_FAULTS,
    FakeAnthropicServer,
    Fault,
    answer_sums,
    assert_run_stops,
    assert_run_survives,
)

KEY = "sk-test"
MODEL = "anthropic/claude-haiku-4-5"


async def test_every_episode_is_scored_despite_faults(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    faults = [(Fault.status(529), "RateLimitError"), *RUN_FAULTS]  # 529: Anthropic overloaded
    async with FakeAnthropicServer(answer_sums, api_key=KEY) as server:
        await assert_run_survives(server, MODEL, tmp_path, faults)


async def test_a_401_stops_the_run_without_a_retry(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    async with FakeAnthropicServer(answer_sums, api_key=KEY) as server:
        error = await assert_run_stops(
            server, MODEL, tmp_path, Fault.status(401), AuthenticationError
        )
    assert "401" in str(error)
