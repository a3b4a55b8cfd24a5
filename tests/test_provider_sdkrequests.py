"""`SdkProvider`'s fast request path sends exactly what the SDK's own path sends."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from agentbench_anthropic.provider import AnthropicProvider
from agentbench_openai.provider import OpenAIProvider

from agentbench import GenerateConfig, Message
from agentbench.fakeservers import FakeAnthropicServer, FakeOpenAIServer, RecordedRequest

KEY = "sk-test"
#: Headers that differ between any two calls of the SDK itself.
VOLATILE = {"content-length"}


def _response_class(sdk: Any) -> Any:
    return importlib.import_module(type(sdk.DEFAULT_CONNECTION_LIMITS).__module__.split(".")[0])


async def _plain_sdk_call(
    provider: Any, path: str, body: dict[str, Any], options: dict[str, Any]
) -> None:
    """The same request through the SDK's documented `post`, with nothing of ours in between."""
    response = await provider.client().post(
        path, body=body, cast_to=_response_class(provider.sdk).Response, options=options
    )
    response.json()


def _comparable(request: RecordedRequest) -> tuple[str, str, dict[str, str], Any]:
    headers = {k.lower(): v for k, v in request.headers.items() if k.lower() not in VOLATILE}
    return request.method, request.path, headers, request.body


OPENAI = (OpenAIProvider, FakeOpenAIServer, "OPENAI_API_KEY", "gpt-4o-mini", {})
# The Anthropic provider always gives the SDK a timeout (its default of 600 s).
ANTHROPIC = (
    AnthropicProvider,
    FakeAnthropicServer,
    "ANTHROPIC_API_KEY",
    "claude-x",
    {"timeout": 600.0},
)
CASES = [
    (*OPENAI, "/chat/completions", ""),
    (*OPENAI, "/chat/completions", "/"),
    (*OPENAI, "chat/completions", ""),
    (*ANTHROPIC, "/v1/messages", ""),
    (*ANTHROPIC, "/v1/messages", "/"),
]


@pytest.mark.parametrize(
    ("provider_cls", "server_cls", "key_env", "model", "options", "path", "suffix"), CASES
)
async def test_a_call_sends_what_the_sdk_itself_sends(
    provider_cls, server_cls, key_env, model, options, path, suffix, monkeypatch
) -> None:
    monkeypatch.setenv(key_env, KEY)
    async with server_cls(api_key=KEY) as server:
        base_url = server.base_url + suffix
        async with provider_cls(model, base_url=base_url) as provider:
            messages = [Message.system("be brief"), Message.user("hello")]
            config = GenerateConfig(max_tokens=8, temperature=0.5)
            output = await provider.generate(messages, None, config)
            assert output.text
            body = provider.request(messages, None, config)
            await _plain_sdk_call(provider, path, body, options)
        ours, sdks = server.requests
    assert _comparable(ours) == _comparable(sdks)
    assert "idempotency-key" not in {k.lower() for k in ours.headers}


async def test_a_base_url_with_a_path_keeps_it(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with FakeOpenAIServer(api_key=KEY) as server:
        origin = f"http://{server.host}:{server.port}"
        # The fake server routes /v1/chat/completions only: a dropped or doubled prefix fails.
        for base_url in (f"{origin}/v1", f"{origin}/v1/"):
            async with OpenAIProvider("gpt-4o-mini", base_url=base_url) as provider:
                output = await provider.generate([Message.user("hi")], None, GenerateConfig())
            assert output.text
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 2


async def test_relative_urls_when_a_provider_turns_absolute_ones_off(monkeypatch) -> None:
    class Relative(OpenAIProvider):
        absolute_urls = False

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    async with FakeOpenAIServer(api_key=KEY) as server:
        async with Relative("gpt-4o-mini", base_url=server.base_url) as provider:
            output = await provider.generate([Message.user("hi")], None, GenerateConfig())
    assert output.text and server.requests[0].path.endswith("/chat/completions")
