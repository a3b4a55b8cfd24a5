"""The model wrapper's connection limit, usage totals and response cache."""

from __future__ import annotations

import asyncio

from agentbench import (
    EpisodeContext,
    EpisodeInfo,
    EpisodeLog,
    GenerateConfig,
    Limits,
    Message,
    Model,
    ModelOutput,
    ModelProvider,
    Sample,
    Task,
    ToolCall,
    ToolSpec,
    Usage,
)
from agentbench.model import cache_key, set_current_episode

HELLO = [Message.user("hi")]


class CountingProvider(ModelProvider):
    """Answers with a running number, holds each call `delay` seconds, tracks calls in flight."""

    default_max_connections = 1_000_000

    def __init__(self, delay: float = 0.0, usage: Usage | None = None, **options) -> None:
        super().__init__("counting", **options)
        self.delay, self.usage = delay, usage or Usage()
        self.in_flight = self.peak = self.calls = 0

    async def generate(self, messages, tools, config) -> ModelOutput:
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return ModelOutput.from_text(f"answer {self.calls}", usage=self.usage)


class DictCache:
    def __init__(self) -> None:
        self.data: dict[str, ModelOutput] = {}

    def get_response(self, key: str) -> ModelOutput | None:
        return self.data.get(key)

    def put_response(self, key: str, output: ModelOutput) -> None:
        self.data[key] = output


async def test_connection_limit_caps_calls_in_flight() -> None:
    provider = CountingProvider(delay=0.05)
    model = Model("fake/x", provider, max_connections=2)
    await asyncio.gather(*(model.generate(HELLO) for _ in range(8)))
    assert provider.peak == 2
    assert provider.calls == 8


async def test_n_choices_from_a_provider_without_n_are_concurrent_calls_within_the_limit() -> None:
    provider = CountingProvider(delay=0.05, usage=Usage(input_tokens=2, output_tokens=1))
    model = Model("fake/x", provider, max_connections=3)
    outputs = await asyncio.gather(
        *(model.generate(HELLO, config=GenerateConfig(n=4)) for _ in range(2))
    )
    assert [len(o.choices) for o in outputs] == [4, 4]
    assert provider.calls == 8 and provider.peak == 3  # every choice admitted by the limiter
    assert outputs[0].usage.input_tokens == 8 and model.usage.output_tokens == 8
    assert model.calls == 2  # two calls of the task, eight of the provider


async def test_a_provider_with_n_gets_one_call_for_n_choices() -> None:
    class WithN(CountingProvider):
        supports_n = True

        async def generate(self, messages, tools, config) -> ModelOutput:
            out = await super().generate(messages, tools, config)
            return out.model_copy(update={"choices": out.choices * config.n})

    provider = WithN()
    out = await Model("fake/x", provider).generate(HELLO, config=GenerateConfig(n=5))
    assert len(out.choices) == 5 and provider.calls == 1


async def test_provider_default_caps_the_connection_limit() -> None:
    class OneAtATime(CountingProvider):
        default_max_connections = 1

    provider = OneAtATime(delay=0.02)
    model = Model("fake/x", provider, max_connections=16)
    assert model.max_connections == 1
    await asyncio.gather(*(model.generate(HELLO) for _ in range(4)))
    assert provider.peak == 1


async def test_usage_and_cost_add_up_per_model_and_per_episode() -> None:
    provider = CountingProvider(usage=Usage(input_tokens=10, output_tokens=3, cost=0.002))
    model = Model("fake/x", provider)
    sample = Sample(id="s1", input="hi")
    contexts = [
        EpisodeContext(
            task=Task(), sample=sample, model=model, sandbox=None, log=EpisodeLog(), limits=Limits()
        )
        for _ in range(2)
    ]
    for _ in range(3):
        await contexts[0].generate(HELLO)
    await contexts[1].generate(HELLO)
    assert (contexts[0].usage.input_tokens, contexts[0].usage.output_tokens) == (30, 9)
    assert contexts[0].usage.cost == 0.006
    assert contexts[1].usage.total_tokens == 13
    assert model.usage.total_tokens == 52 and model.calls == 4
    assert round(model.usage.cost, 6) == 0.008


async def test_cost_stays_unknown_when_no_provider_prices_it() -> None:
    model = Model("fake/x", CountingProvider(usage=Usage(input_tokens=1)))
    await model.generate(HELLO)
    await model.generate(HELLO)
    assert model.usage.input_tokens == 2 and model.usage.cost is None


async def test_episode_calls_count_successful_calls() -> None:
    model = Model("fake/x", CountingProvider())
    info = EpisodeInfo(task=None, sample=Sample(id="s"))
    set_current_episode(info)
    try:
        await model.generate(HELLO)
        await model.generate(HELLO)
    finally:
        set_current_episode(None)
    assert info.calls == 2


async def test_cache_returns_the_stored_response_without_calling_the_provider() -> None:
    provider = CountingProvider(usage=Usage(input_tokens=5, output_tokens=5, cost=0.01))
    cache = DictCache()
    model = Model("fake/x", provider, cache=cache)
    log = EpisodeLog()
    first = await model.generate(HELLO, log=log)
    second = await model.generate(HELLO, log=log)
    assert first.text == second.text == "answer 1"
    assert provider.calls == 1 and len(cache.data) == 1
    assert [e.get("cached", False) for e in log.events] == [False, True]
    assert model.usage.total_tokens == 10 and model.usage.cost == 0.01  # one real call
    # The cached answer keeps its token counts (limits act the same) but costs nothing now.
    assert second.metadata["cached"] is True and "cached" not in first.metadata
    assert second.usage.total_tokens == 10 and second.usage.cost == 0.0
    assert cache.data[next(iter(cache.data))].usage.cost == 0.01  # the stored copy is untouched


async def test_cache_key_covers_model_messages_tools_config_epoch_and_sample() -> None:
    tool = ToolSpec(name="bash")
    base = dict(model="a/m", messages=HELLO, tools=None, config=GenerateConfig(), epoch=0)
    key = cache_key(**base)
    assert key == cache_key(**{**base, "messages": [Message.user("hi")]})
    variants = [
        {"model": "a/other"},
        {"messages": [Message.user("hello")]},
        {"tools": [tool]},
        {"config": GenerateConfig(temperature=0.5)},
        {"epoch": 1},
        {"sample_id": "other-sample"},
    ]
    keys = {cache_key(**{**base, **v}) for v in variants}
    assert key not in keys and len(keys) == len(variants)
    # The timeout does not change the answer, so it does not change the key.
    assert key == cache_key(**{**base, "config": GenerateConfig(timeout=3.0)})


async def test_cache_distinguishes_epochs_of_the_same_sample() -> None:
    provider = CountingProvider()
    model = Model("fake/x", provider, cache=DictCache())
    texts = []
    for epoch in (0, 1, 0):
        set_current_episode(EpisodeInfo(task=None, sample=Sample(id="s"), epoch=epoch))
        try:
            texts.append((await model.generate(HELLO)).text)
        finally:
            set_current_episode(None)
    assert texts == ["answer 1", "answer 2", "answer 1"]
    assert provider.calls == 2


async def test_cache_hits_still_advance_the_episode_call_count() -> None:
    model = Model("fake/x", CountingProvider(), cache=DictCache())
    await model.generate(HELLO)
    info = EpisodeInfo(task=None, sample=Sample(id="s"))
    set_current_episode(info)
    try:
        await model.generate(HELLO)
    finally:
        set_current_episode(None)
    assert info.calls == 1


async def test_cache_keys_made_before_raw_tool_arguments_existed_still_match() -> None:
    call = ToolCall(id="c", name="f", arguments={"a": 1})
    messages = [Message.user("hi"), Message.assistant("", [call])]
    key = cache_key("openai/m", messages, None, GenerateConfig(), 0, "s1")
    assert key == "5acaeeaea1581f2af4b8e6fca01aa81bb763de1d90b8c91fd256f0723cc214ee"
    raw = call.model_copy(update={"raw_arguments": '{"a": 1'})
    sent_raw = [Message.user("hi"), Message.assistant("", [raw])]
    assert cache_key("openai/m", sent_raw, None, GenerateConfig(), 0, "s1") != key
