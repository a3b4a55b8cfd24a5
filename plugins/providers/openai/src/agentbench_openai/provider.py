"""`openai/<model>`: the OpenAI Chat Completions API, or any server that speaks it (vLLM, ...)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from agentbench import (
    GenerateConfig,
    Message,
    ModelOutput,
    SdkOptions,
    SdkProvider,
    ToolSpec,
    usage_cost,
)
from agentbench_openai.wire import (
    parse_choices,
    parse_usage,
    sampling_params,
    to_openai_messages,
    to_openai_tools,
)


class OpenAIOptions(SdkOptions):
    """Options of `openai/<model>` (`-M key=value`)."""

    base_url: str | None = Field(None, description="API root; default $OPENAI_BASE_URL or OpenAI's")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the key")
    max_tokens_field: str = Field(
        "max_completion_tokens",
        description="request field for max_tokens (old servers: max_tokens)",
    )


class OpenAIProvider(SdkProvider):
    """Chat Completions through the official `openai` SDK (imported when the model is made).

    Text and image inputs, tool calls, several samples (`n`), token logprobs, usage with cached
    tokens and, when litellm is installed, cost from its price table. The SDK's own retries are
    off: the core's `Model` wrapper retries.
    """

    name = "openai"
    supports_n = True
    sdk_module = "openai"
    client_class = "AsyncOpenAI"
    base_url_env = "OPENAI_BASE_URL"
    example_model = "gpt-4o-mini"
    key_hint = "any non-empty value for a local server that needs none"
    Options = OpenAIOptions
    settings: OpenAIOptions

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        """One Chat Completions call."""
        body = self.request(messages, tools, config)
        data = await self.post_json("/chat/completions", body, timeout=config.timeout)
        return self.parse(data)

    def request(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> dict[str, Any]:
        """The JSON body of the Chat Completions request for this call."""
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": to_openai_messages(messages),
        }
        if tools:
            body["tools"] = to_openai_tools(tools)
        body.update(sampling_params(config, self.settings.max_tokens_field))
        body.update(config.extra)
        return body

    def parse(self, data: dict[str, Any]) -> ModelOutput:
        """A `ModelOutput` from a response body."""
        usage = parse_usage(data)
        usage.cost = usage_cost(self.model_name, usage, "openai")
        return ModelOutput(
            model=data.get("model") or self.model_name,
            choices=parse_choices(data),
            usage=usage,
            metadata={"id": data.get("id"), "system_fingerprint": data.get("system_fingerprint")},
        )
