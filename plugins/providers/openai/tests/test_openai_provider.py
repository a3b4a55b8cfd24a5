"""The OpenAI provider through the real `openai` SDK against a local Chat Completions server."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from agentbench_openai.provider import OpenAIProvider
from agentbench_openai.wire import parse_choices

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
    RetryPolicy,
    TextPart,
    ToolCall,
    ToolSpec,
    price_table,
)
from agentbench.fakeservers import (
    RETRYABLE_FAULTS,
    FakeOpenAIServer,
    Fault,
    RecordedRequest,
    assert_concurrent_calls,
    assert_fault_retried,
    assert_not_retried,
)

KEY = "sk-test"
FAST = RetryPolicy(max_attempts=4, max_total_s=30.0, initial_s=0.01, max_wait_s=2.0)
PNG = ImagePart.from_bytes(b"\x89PNG fake bytes")
WEATHER = ToolSpec(
    name="weather",
    description="The weather in a city",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)


@pytest.fixture
async def server():
    async with FakeOpenAIServer(api_key=KEY, cached_tokens=2) as fake:
        yield fake


@pytest.fixture
async def provider(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with OpenAIProvider("gpt-4o-mini", base_url=server.base_url) as made:
        yield made


async def test_text_image_and_system_prompt_reach_the_server(server, provider) -> None:
    messages = [
        Message.system("You are terse."),
        Message.user([TextPart(text="What is in this picture?"), PNG]),
    ]
    server.reply("A cat.")
    out = await provider.generate(messages, None, GenerateConfig())

    assert out.text == "A cat." and out.stop_reason == "stop"
    sent = server.requests[0].body
    assert sent["model"] == "gpt-4o-mini"
    assert sent["messages"][0] == {"role": "system", "content": "You are terse."}
    parts = sent["messages"][1]["content"]
    assert parts[0] == {"type": "text", "text": "What is in this picture?"}
    assert parts[1]["image_url"]["url"] == PNG.data_url
    # 4 words + 85 per image in the fake server's count; 2 of them from the prompt cache
    assert (out.usage.input_tokens, out.usage.output_tokens, out.usage.cached_tokens) == (
        len("You are terse.".split()) + 5 + 85,
        2,
        2,
    )


async def test_tool_calls_out_and_tool_results_back_in(server, provider) -> None:
    call = ToolCall(id="call_7", name="weather", arguments={"city": "Paris"})
    server.reply(ModelOutput(choices=[ModelChoice(message=Message.assistant("", [call]))]))
    history = [Message.user("Weather in Paris?")]
    out = await provider.generate(history, [WEATHER], GenerateConfig())

    assert out.stop_reason == "tool_calls"
    assert out.tool_calls == [call]
    assert server.requests[0].body["tools"][0]["function"]["parameters"] == WEATHER.parameters

    history += [out.message, Message.tool("call_7", "sunny, 21C", name="weather")]
    server.reply("It is sunny.")
    final = await provider.generate(history, [WEATHER], GenerateConfig())
    assert final.text == "It is sunny."  # the server answers 400 to an unmatched tool message
    sent = server.requests[1].body["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {
        "name": "weather",
        "arguments": '{"city": "Paris"}',
    }
    assert sent[2] == {"role": "tool", "tool_call_id": "call_7", "content": "sunny, 21C"}


async def test_images_from_a_tool_follow_the_tool_messages(server, provider) -> None:
    calls = [ToolCall(id="a", name="screenshot"), ToolCall(id="b", name="screenshot")]
    history = [
        Message.user("Look"),
        Message.assistant("", calls),
        Message.tool("a", [TextPart(text="left"), PNG]),
        Message.tool("b", [TextPart(text="right"), PNG]),
    ]
    await provider.generate(history, None, GenerateConfig())
    sent = server.requests[0].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool", "user"]
    assert [p["type"] for p in sent[4]["content"]] == ["text", "image_url", "image_url"]


async def test_sampling_settings_and_several_samples(server, provider) -> None:
    server.responder = lambda request: ModelOutput(
        choices=[ModelChoice(message=Message.assistant(f"sample {i}")) for i in range(3)]
    )
    config = GenerateConfig(
        temperature=0.7, top_p=0.9, max_tokens=50, stop=["END"], seed=42, n=3, extra={"user": "me"}
    )
    out = await provider.generate([Message.user("Say something")], None, config)

    assert [c.message.text for c in out.choices] == ["sample 0", "sample 1", "sample 2"]
    sent = server.requests[0].body
    assert {k: sent[k] for k in ("temperature", "top_p", "stop", "seed", "n", "user")} == {
        "temperature": 0.7,
        "top_p": 0.9,
        "stop": ["END"],
        "seed": 42,
        "n": 3,
        "user": "me",
    }
    assert sent["max_completion_tokens"] == 50


async def test_token_logprobs_with_alternatives(server, provider) -> None:
    server.reply("step one done")
    out = await provider.generate(
        [Message.user("go")], None, GenerateConfig(logprobs=True, top_logprobs=3)
    )
    tokens = out.choices[0].logprobs
    assert tokens is not None
    assert "".join(t.token for t in tokens) == "step one done"
    assert all(len(t.top) == 3 and t.top[0].token == t.token for t in tokens)
    assert all(t.logprob < 0 for t in tokens)
    assert server.requests[0].body["top_logprobs"] == 3


async def test_length_stop_reason(server, provider) -> None:
    server.reply(
        ModelOutput(choices=[ModelChoice(message=Message.assistant("cut"), stop_reason="length")])
    )
    out = await provider.generate([Message.user("long story")], None, GenerateConfig(max_tokens=1))
    assert out.stop_reason == "length"


def test_tool_arguments_that_are_not_json_are_reported() -> None:
    body = {
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c",
                            "type": "function",
                            "function": {"name": "f", "arguments": "{oops"},
                        }
                    ],
                },
            }
        ]
    }
    (choice,) = parse_choices(body)
    assert choice.message.tool_calls[0].parse_error
    assert choice.message.tool_calls[0].arguments == {}


@pytest.mark.parametrize(
    ("raw", "problem"), [("{oops", "Expecting property name"), ("[1, 2]", "not an object")]
)
async def test_malformed_tool_arguments_are_reported_and_sent_back_as_they_came(
    server, provider, raw, problem
) -> None:
    call = ToolCall(id="c1", name="weather", raw_arguments=raw)
    server.reply(ModelOutput(choices=[ModelChoice(message=Message.assistant("", [call]))]))
    out = await provider.generate([Message.user("Weather?")], [WEATHER], GenerateConfig())
    (got,) = out.tool_calls
    assert got.arguments == {} and problem in (got.parse_error or "")
    assert got.raw_arguments == raw

    history = [Message.user("Weather?"), out.message, Message.tool("c1", "bad arguments")]
    await provider.generate(history, [WEATHER], GenerateConfig())
    sent = server.requests[1].body["messages"][1]["tool_calls"][0]["function"]
    assert sent == {"name": "weather", "arguments": raw}  # not "{}": what the model produced


@pytest.mark.skipif(not price_table(), reason="litellm (and its price table) not installed")
async def test_cost_from_the_litellm_price_table(server, provider, monkeypatch) -> None:
    out = await provider.generate([Message.user("one two three four")], None, GenerateConfig())
    rates = price_table()["gpt-4o-mini"]
    u = out.usage
    expected = (
        (u.input_tokens - u.cached_tokens) * rates["input_cost_per_token"]
        + u.cached_tokens * rates["cache_read_input_token_cost"]
        + u.output_tokens * rates["output_cost_per_token"]
    )
    assert u.cost == pytest.approx(expected) and u.cost > 0

    async with OpenAIProvider("my-local-model", base_url=server.base_url) as unknown:
        out = await unknown.generate([Message.user("hi")], None, GenerateConfig())
    assert out.usage.cost is None


@pytest.mark.parametrize(
    ("fault", "error_name"), [*RETRYABLE_FAULTS, (Fault.status(503), "ServerError")]
)
@pytest.mark.parametrize("http", ["aiohttp", "httpx"])
async def test_retryable_faults_are_retried_by_the_core(
    server, monkeypatch, http, fault, error_name
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with OpenAIProvider("gpt-4o-mini", base_url=server.base_url, http=http) as provider:
        model = Model("openai/gpt-4o-mini", provider, retry=FAST, timeout=2.0)
        await assert_fault_retried(model, server, fault, error_name)


async def test_unauthorized_is_never_retried(server, provider) -> None:
    model = Model("openai/gpt-4o-mini", provider, retry=FAST)
    error = await assert_not_retried(model, server, AuthenticationError, fault=Fault.status(401))
    assert "OPENAI_API_KEY" in error.fix


async def test_a_wrong_key_is_an_authentication_error(server, monkeypatch) -> None:
    monkeypatch.setenv("MY_KEY", "sk-wrong")
    async with OpenAIProvider("gpt-4o-mini", base_url=server.base_url, api_key_env="MY_KEY") as p:
        with pytest.raises(AuthenticationError, match="401") as info:
            await p.generate([Message.user("hi")], None, GenerateConfig())
    assert "MY_KEY" in info.value.fix


async def test_a_request_the_api_refuses_is_a_bad_request_not_retried(server, provider) -> None:
    model = Model("openai/gpt-4o-mini", provider, retry=FAST)
    orphan = [Message.user("hi"), Message.tool("call_nowhere", "result")]
    error = await assert_not_retried(model, server, BadRequestError, messages=orphan)
    assert "400" in str(error)


def test_missing_key_names_the_variable(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(AuthenticationError) as info:
        OpenAIProvider("gpt-4o-mini")
    assert "OPENAI_API_KEY" in str(info.value) and "export OPENAI_API_KEY" in info.value.fix


def test_options_are_checked_and_coerced(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert OpenAIProvider("m", max_connections="7").settings.max_connections == 7
    with pytest.raises(ConfigError, match="bogus"):
        OpenAIProvider("m", bogus="1")
    with pytest.raises(ConfigError):
        OpenAIProvider("")


async def test_base_url_from_the_environment(server, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    async with OpenAIProvider("gpt-4o-mini") as provider:
        out = await provider.generate([Message.user("hi")], None, GenerateConfig())
    assert out.text == "echo: hi"


async def test_connection_pool_is_as_large_as_the_connection_limit(server, provider) -> None:
    # 150 is above the provider's default pool (100): a smaller pool would need two rounds.
    await assert_concurrent_calls(
        Model("openai/gpt-4o-mini", provider, max_connections=150), server
    )


def test_the_sdk_is_imported_only_when_a_model_is_made(monkeypatch) -> None:
    code = (
        "import json, sys, agentbench\n"
        "registry = agentbench.load_plugins()\n"
        "before = 'openai' in sys.modules\n"
        "registry.provider('openai')('gpt-4o-mini')\n"
        "print(json.dumps([before, 'openai' in sys.modules]))"
    )
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, True]


def test_recorded_request_text_helper() -> None:
    request = RecordedRequest("POST", "/", {}, {"messages": [{"role": "user", "content": "x y"}]})
    assert request.last_text == "x y"
