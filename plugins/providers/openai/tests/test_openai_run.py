"""A whole run through the runner with `openai/<model>` against a faulty local server."""

from __future__ import annotations

from agentbench import AuthenticationError
from agentbench.fakeservers import (
    RUN_FAULTS,
    FakeOpenAIServer,
    Fault,
    answer_sums,
    assert_run_stops,
    assert_run_survives,
)

KEY = "sk-test"
MODEL = "openai/gpt-4o-mini"


async def test_every_episode_is_scored_despite_faults(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with FakeOpenAIServer(answer_sums, api_key=KEY) as server:
        await assert_run_survives(server, MODEL, tmp_path, RUN_FAULTS)


async def test_a_401_stops_the_run_without_a_retry(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with FakeOpenAIServer(answer_sums, api_key=KEY) as server:
        error = await assert_run_stops(
            server, MODEL, tmp_path, Fault.status(401), AuthenticationError
        )
    assert "401" in str(error)
    assert server.requests[0].body["messages"] == [{"role": "user", "content": "What is 0 plus 0?"}]
