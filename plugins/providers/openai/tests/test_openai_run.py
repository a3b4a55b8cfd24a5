"""A whole run through the runner with `openai/<model>` against a faulty local server."""

from __future__ import annotations

import re

import pytest

import agentbench
from agentbench import AuthenticationError, RunConfig, Sample, Score, Task, hookimpl
from agentbench.fakeservers import FakeOpenAIServer, Fault, RecordedRequest

KEY = "sk-test"
SAMPLES = 6


class Sums(Task):
    """Asks for sums; checks the answer; notes the retries its transcript shows."""

    name = "openai-e2e-sums"

    def samples(self) -> list[Sample]:
        return [
            Sample(id=f"s{i}", input=f"What is {i} plus {10 * i}?", target=str(11 * i))
            for i in range(SAMPLES)
        ]

    async def check(self, ctx) -> Score:
        retries = [e["error"] for e in ctx.log.events if e["type"] == "retry"]
        return Score.of(ctx.state["output"].text == ctx.sample.target, retries=retries)


class Plugin:
    def __init__(self) -> None:
        self.results: list = []

    @hookimpl
    def register_tasks(self, register) -> None:
        register(Sums.name, Sums)

    @hookimpl
    def on_episode_end(self, result) -> None:
        self.results.append(result)


def add(request: RecordedRequest) -> str:
    a, b = map(int, re.findall(r"\d+", request.last_text))
    return str(a + b)


def config(server: FakeOpenAIServer, tmp_path, **overrides) -> RunConfig:
    settings = dict(
        task=Sums.name,
        model="openai/gpt-4o-mini",
        model_options={"base_url": server.base_url},
        run_dir=str(tmp_path),
        progress="none",
        max_retries=4,
        model_timeout=3.0,
        max_episodes=3,
    )
    return RunConfig(**{**settings, **overrides})


async def test_every_episode_is_scored_despite_faults(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    faults = [
        Fault.status(429, retry_after=0.05),
        Fault.status(500),
        Fault.truncated(),
        Fault.malformed(),
        Fault.slow(6.0),
    ]
    plugin = Plugin()
    async with FakeOpenAIServer(add, api_key=KEY) as server:
        server.inject(*faults)
        summary = await agentbench.run_async(config(server, tmp_path), plugins=[plugin])

    assert summary.completed == SAMPLES and summary.errors == 0
    assert all(r.status == "ok" and r.passed for r in plugin.results), plugin.results
    retries = [e for r in plugin.results for e in r.score.details["retries"]]
    assert sorted(e.split(":")[0] for e in retries) == sorted(
        [
            "RateLimitError",
            "ServerError",
            "ModelConnectionError",
            "ModelConnectionError",
            "ModelTimeoutError",
        ]
    )
    assert len(server.requests) == SAMPLES + len(faults)
    assert summary.usage.input_tokens > 0


async def test_a_401_stops_the_run_without_a_retry(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with FakeOpenAIServer(add, api_key=KEY) as server:
        server.inject(Fault.status(401))
        with pytest.raises(AuthenticationError, match="401"):
            await agentbench.run_async(config(server, tmp_path, max_episodes=1), plugins=[Plugin()])
    assert len(server.requests) == 1
    assert server.requests[0].body["messages"] == [{"role": "user", "content": "What is 0 plus 0?"}]
