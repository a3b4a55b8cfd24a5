"""The LiteLLM provider, routed to a local OpenAI-compatible server (`litellm/openai/<model>`)."""

from __future__ import annotations

import pytest
from agentbench_litellm.provider import LiteLLMProvider

from agentbench import (
    AuthenticationError,
    ConfigError,
    GenerateConfig,
    Message,
    Model,
    ModelChoice,
    ModelOutput,
    RetryPolicy,
    ToolCall,
    ToolSpec,
)
from agentbench.fakeservers import (
    RETRYABLE_FAULTS,
    FakeOpenAIServer,
    Fault,
    assert_fault_retried,
    assert_not_retried,
)

KEY = "sk-test"
ROUTE = "openai/gpt-4o-mini"
FAST = RetryPolicy(max_attempts=4, max_total_s=30.0, initial_s=0.01, max_wait_s=2.0)
ADD = ToolSpec(
    name="add",
    parameters={"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}},
)


@pytest.fixture
async def server():
    async with FakeOpenAIServer(api_key=KEY, cached_tokens=1) as fake:
        yield fake


@pytest.fixture
async def provider(server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with LiteLLMProvider(ROUTE, base_url=server.base_url) as made:
        yield made


async def test_text_usage_and_cost(server, provider) -> None:
    import litellm

    server.reply("forty two")
    out = await provider.generate(
        [Message.system("Be exact."), Message.user("six times seven")], None, GenerateConfig()
    )
    assert out.text == "forty two" and out.stop_reason == "stop"
    assert [m["role"] for m in server.requests[0].body["messages"]] == ["system", "user"]
    assert (out.usage.input_tokens, out.usage.output_tokens, out.usage.cached_tokens) == (5, 2, 1)
    prompt_cost, completion_cost = litellm.cost_per_token(
        model="gpt-4o-mini", prompt_tokens=5, completion_tokens=2, cache_read_input_tokens=1
    )
    assert out.usage.cost == pytest.approx(prompt_cost + completion_cost) and out.usage.cost > 0


async def test_tool_calls_logprobs_and_samples(server, provider) -> None:
    call = ToolCall(id="call_1", name="add", arguments={"a": 2, "b": 3})
    server.reply(ModelOutput(choices=[ModelChoice(message=Message.assistant("", [call]))]))
    out = await provider.generate([Message.user("2+3?")], [ADD], GenerateConfig())
    assert out.stop_reason == "tool_calls" and out.tool_calls == [call]

    history = [Message.user("2+3?"), out.message, Message.tool("call_1", "5")]
    server.responder = lambda request: ModelOutput(
        choices=[
            ModelChoice(message=Message.assistant(f"It is {request.last_text} ({i})"))
            for i in range(2)
        ]
    )
    final = await provider.generate(
        history, [ADD], GenerateConfig(n=2, logprobs=True, top_logprobs=2)
    )
    assert [c.message.text for c in final.choices] == ["It is 5 (0)", "It is 5 (1)"]
    tokens = final.choices[0].logprobs
    assert tokens and "".join(t.token for t in tokens) == "It is 5 (0)"
    assert all(len(t.top) == 2 for t in tokens)


@pytest.mark.parametrize(
    ("raw", "problem"), [('{"a": 2, "b":', "Expecting value"), ("[2, 3]", "not an object")]
)
async def test_malformed_tool_arguments_are_reported_and_sent_back_as_they_came(
    server, provider, raw, problem
) -> None:
    call = ToolCall(id="call_1", name="add", raw_arguments=raw)
    server.reply(ModelOutput(choices=[ModelChoice(message=Message.assistant("", [call]))]))
    out = await provider.generate([Message.user("2+3?")], [ADD], GenerateConfig())
    (got,) = out.tool_calls
    assert got.arguments == {} and problem in (got.parse_error or "")

    history = [Message.user("2+3?"), out.message, Message.tool("call_1", "bad arguments")]
    await provider.generate(history, [ADD], GenerateConfig())
    sent = server.requests[1].body["messages"][1]["tool_calls"][0]["function"]
    assert sent["arguments"] == raw


@pytest.mark.parametrize(("fault", "error_name"), RETRYABLE_FAULTS)
async def test_retryable_faults_are_retried_by_the_core(
    server, provider, fault, error_name
) -> None:
    # LiteLLM's and the SDK's own retries are off: one request per attempt.
    model = Model(f"litellm/{ROUTE}", provider, retry=FAST, timeout=2.0)
    await assert_fault_retried(model, server, fault, error_name)


async def test_unauthorized_is_never_retried(server, provider) -> None:
    model = Model(f"litellm/{ROUTE}", provider, retry=FAST)
    await assert_not_retried(model, server, AuthenticationError, fault=Fault.status(401))


def test_missing_key_names_the_variable(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(AuthenticationError) as info:
        LiteLLMProvider(ROUTE)
    assert "OPENAI_API_KEY" in str(info.value) and "export OPENAI_API_KEY" in info.value.fix

    with pytest.raises(AuthenticationError, match="MY_KEY"):
        LiteLLMProvider(ROUTE, api_key_env="MY_KEY")


def test_options_are_checked(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with pytest.raises(ConfigError, match="bogus"):
        LiteLLMProvider(ROUTE, bogus="1")
    with pytest.raises(ConfigError):
        LiteLLMProvider("")
