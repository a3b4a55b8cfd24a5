"""A whole run through the runner with `litellm/openai/<model>` against a faulty local server."""

from __future__ import annotations

from agentbench import AuthenticationError
from agentbench.fakeservers import (
    FakeOpenAIServer,
    Fault,
    answer_sums,
    assert_run_stops,
    assert_run_survives,
)

KEY = "sk-test"
MODEL = "litellm/openai/gpt-4o-mini"


async def test_every_episode_is_scored_despite_faults(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with FakeOpenAIServer(answer_sums, api_key=KEY) as server:
        run = await assert_run_survives(server, MODEL, tmp_path)
    assert run.summary.usage.cost and run.summary.usage.cost > 0  # LiteLLM prices gpt-4o-mini


async def test_a_401_stops_the_run_without_a_retry(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with FakeOpenAIServer(answer_sums, api_key=KEY) as server:
        error = await assert_run_stops(
            server, MODEL, tmp_path, Fault.status(401), AuthenticationError
        )
    assert "401" in str(error)
