"""The Anthropic provider through the real `anthropic` SDK against a local Messages server."""

from __future__ import annotations

import json

import pytest
from agentbench_anthropic.provider import AnthropicProvider

from agentbench import (
    AuthenticationError,
    BadRequestError,
    ConfigError,
    GenerateConfig,
    ImagePart,
    Message,
    Model,
    ModelChoice,
    ModelOutput,
    RateLimitError,
    RetryPolicy,
    TextPart,
    ToolCall,
    ToolSpec,
    price_table,
)
from agentbench.fakeservers import (
    RETRYABLE_FAULTS,
    FakeAnthropicServer,
    Fault,
    assert_concurrent_calls,
    assert_fault_retried,
    assert_not_retried,
)

KEY = "sk-ant-test"
MODEL = "claude-haiku-4-5"
FAST = RetryPolicy(max_attempts=4, max_total_s=30.0, initial_s=0.01, max_wait_s=2.0)
PNG = ImagePart.from_bytes(b"\x89PNG fake bytes")
CLICK = ToolSpec(
    name="click",
    description="Click at a point",
    parameters={
        "type": "object",
        "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
    },
)


@pytest.fixture
async def server():
    async with FakeAnthropicServer(api_key=KEY, cached_tokens=3) as fake:
        yield fake


@pytest.fixture
async def provider(server, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    async with AnthropicProvider(MODEL, base_url=server.base_url) as made:
        yield made


async def test_system_prompt_text_and_image(server, provider) -> None:
    messages = [
        Message.system("Be brief."),
        Message.system("Answer in English."),
        Message.user([TextPart(text="What is on the screen?"), PNG]),
    ]
    server.reply("A login form.")
    out = await provider.generate(messages, None, GenerateConfig())

    assert out.text == "A login form." and out.stop_reason == "stop"
    sent = server.requests[0].body
    assert sent["system"] == "Be brief.\n\nAnswer in English."
    assert [m["role"] for m in sent["messages"]] == ["user"]
    image = sent["messages"][0]["content"][1]
    assert image == {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/png", "data": PNG.data},
    }
    assert sent["max_tokens"] == 4096  # the API requires it; the provider's default


async def test_usage_counts_cache_reads_as_input(server, provider) -> None:
    out = await provider.generate([Message.user("one two three four five")], None, GenerateConfig())
    # The server reports 5 input tokens as 2 fresh + 3 cache reads; agentbench counts all 5.
    assert (out.usage.input_tokens, out.usage.cached_tokens) == (5, 3)
    assert out.usage.output_tokens == len(out.text.split())


async def test_tool_use_out_and_tool_results_back_in(server, provider) -> None:
    calls = [
        ToolCall(id="toolu_1", name="click", arguments={"x": 1, "y": 2}),
        ToolCall(id="toolu_2", name="click", arguments={"x": 3, "y": 4}),
    ]
    server.reply(
        ModelOutput(choices=[ModelChoice(message=Message.assistant("Clicking twice.", calls))])
    )
    history = [Message.user("Click both buttons")]
    out = await provider.generate(history, [CLICK], GenerateConfig())

    assert out.stop_reason == "tool_calls"
    assert out.text == "Clicking twice." and out.tool_calls == calls
    assert server.requests[0].body["tools"] == [
        {"name": "click", "description": "Click at a point", "input_schema": CLICK.parameters}
    ]

    history += [
        out.message,
        Message.tool("toolu_1", "clicked"),
        Message.tool("toolu_2", [TextPart(text="clicked"), PNG]),
        Message.user("Now what?"),
    ]
    server.reply("Done.")
    final = await provider.generate(history, [CLICK], GenerateConfig())
    assert final.text == "Done."  # the server answers 400 unless every tool_use has its result
    turns = server.requests[1].body["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert [b["type"] for b in turns[1]["content"]] == ["text", "tool_use", "tool_use"]
    results = turns[2]["content"]
    assert [b["type"] for b in results] == ["tool_result", "tool_result", "text"]
    assert results[0] == {"type": "tool_result", "tool_use_id": "toolu_1", "content": "clicked"}
    assert [b["type"] for b in results[1]["content"]] == ["text", "image"]


@pytest.mark.parametrize("raw", ["[1, 2]", '"x=1, y=2"', "null"])
async def test_a_tool_input_that_is_not_an_object_is_reported_and_sent_back(
    server, provider, raw
) -> None:
    call = ToolCall(id="toolu_1", name="click", raw_arguments=raw)
    server.reply(ModelOutput(choices=[ModelChoice(message=Message.assistant("", [call]))]))
    out = await provider.generate([Message.user("Click")], [CLICK], GenerateConfig())
    (got,) = out.tool_calls
    assert got.arguments == {} and got.parse_error == f"not an object: {raw!r}"

    history = [Message.user("Click"), out.message, Message.tool("toolu_1", "bad input")]
    await provider.generate(history, [CLICK], GenerateConfig())
    (block,) = server.requests[1].body["messages"][1]["content"]
    assert block == {"type": "tool_use", "id": "toolu_1", "name": "click", "input": json.loads(raw)}


async def test_sampling_settings_and_stop_reasons(server, provider) -> None:
    server.reply(
        ModelOutput(choices=[ModelChoice(message=Message.assistant("cut"), stop_reason="length")])
    )
    config = GenerateConfig(
        temperature=0.2, top_p=0.8, max_tokens=7, stop=["END"], extra={"top_k": 5}
    )
    out = await provider.generate([Message.user("tell me")], None, config)

    assert out.stop_reason == "length"
    sent = server.requests[0].body
    assert {
        k: sent[k] for k in ("temperature", "top_p", "max_tokens", "stop_sequences", "top_k")
    } == {
        "temperature": 0.2,
        "top_p": 0.8,
        "max_tokens": 7,
        "stop_sequences": ["END"],
        "top_k": 5,
    }


async def test_several_samples_are_concurrent_calls(server, provider) -> None:
    answers = iter(["first", "second", "third"])
    server.responder = lambda request: next(answers)
    model = Model(f"anthropic/{MODEL}", provider)  # Messages has no n: the core fans out
    out = await model.generate([Message.user("one two")], None, GenerateConfig(n=3))
    assert sorted(c.message.text for c in out.choices) == ["first", "second", "third"]
    assert len(server.requests) == 3
    assert out.usage.input_tokens == 3 * 2


@pytest.mark.skipif(not price_table(), reason="litellm (and its price table) not installed")
async def test_cost_from_the_litellm_price_table(provider) -> None:
    out = await provider.generate([Message.user("one two three four five")], None, GenerateConfig())
    rates = price_table()[MODEL]
    u = out.usage
    expected = (
        (u.input_tokens - u.cached_tokens) * rates["input_cost_per_token"]
        + u.cached_tokens * rates["cache_read_input_token_cost"]
        + u.output_tokens * rates["output_cost_per_token"]
    )
    assert u.cost == pytest.approx(expected) and u.cost > 0


@pytest.mark.parametrize(
    ("fault", "error_name"), [(Fault.status(529), "RateLimitError"), *RETRYABLE_FAULTS]
)
@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_retryable_faults_are_retried_by_the_core(
    server, monkeypatch, http, fault, error_name
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    async with AnthropicProvider(MODEL, base_url=server.base_url, http=http) as provider:
        model = Model(f"anthropic/{MODEL}", provider, retry=FAST, timeout=2.0)
        await assert_fault_retried(model, server, fault, error_name)


async def test_overloaded_is_a_rate_limit(server, provider) -> None:
    server.inject(Fault.status(529))
    with pytest.raises(RateLimitError, match="529"):
        await provider.generate([Message.user("hi")], None, GenerateConfig())


async def test_unauthorized_is_never_retried(server, provider) -> None:
    model = Model(f"anthropic/{MODEL}", provider, retry=FAST)
    error = await assert_not_retried(model, server, AuthenticationError, fault=Fault.status(401))
    assert "ANTHROPIC_API_KEY" in error.fix


async def test_a_request_the_api_refuses_is_not_retried(server, provider) -> None:
    model = Model(f"anthropic/{MODEL}", provider, retry=FAST)
    orphan = [Message.user("hi"), Message.tool("toolu_nowhere", "result")]
    error = await assert_not_retried(model, server, BadRequestError, messages=orphan)
    assert "400" in str(error)


def test_missing_key_names_the_variable(monkeypatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(AuthenticationError) as info:
        AnthropicProvider(MODEL)
    assert "ANTHROPIC_API_KEY" in str(info.value) and "export ANTHROPIC_API_KEY" in info.value.fix


def test_options_are_checked(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    assert AnthropicProvider(MODEL, max_tokens="100").settings.max_tokens == 100
    with pytest.raises(ConfigError, match="bogus"):
        AnthropicProvider(MODEL, bogus="1")


async def test_base_url_from_the_environment(server, monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    async with AnthropicProvider(MODEL) as provider:
        out = await provider.generate([Message.user("hi")], None, GenerateConfig())
    assert out.text == "echo: hi"


async def test_connection_pool_is_as_large_as_the_connection_limit(server, provider) -> None:
    await assert_concurrent_calls(
        Model(f"anthropic/{MODEL}", provider, max_connections=150), server
    )
