"""`anthropic/<model>`: the Anthropic Messages API."""

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
from agentbench_anthropic.wire import (
    parse_choice,
    parse_usage,
    sampling_params,
    to_anthropic_messages,
    to_anthropic_tools,
)


class AnthropicOptions(SdkOptions):
    """Options of `anthropic/<model>` (`-M key=value`)."""

    base_url: str | None = Field(
        None, description="API root; default $ANTHROPIC_BASE_URL or Anthropic's"
    )
    api_key_env: str = Field(
        "ANTHROPIC_API_KEY", description="environment variable holding the key"
    )
    max_tokens: int = Field(4096, ge=1, description="max_tokens when the generate config sets none")


class AnthropicProvider(SdkProvider):
    """Messages through the official `anthropic` SDK (imported when the model is made).

    Text and image inputs, system prompts, tool_use / tool_result, stop reasons, usage with cache
    reads and, when litellm is installed, cost from its price table. The API has no `n`: several
    samples are that many concurrent calls. It has no logprobs either. The SDK's own retries are
    off: the core's `Model` wrapper retries (529 overloaded counts as a rate limit).
    """

    name = "anthropic"
    sdk_module = "anthropic"
    client_class = "AsyncAnthropic"
    base_url_env = "ANTHROPIC_BASE_URL"
    example_model = "claude-haiku-4-5"
    Options = AnthropicOptions
    settings: AnthropicOptions

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        """One Messages call (Messages has no `n`: `Model` makes one call per choice)."""
        body = self.request(messages, tools, config)
        response = await self.post_json("/v1/messages", body, timeout=config.timeout or 600.0)
        usage, written = parse_usage(response)
        usage.cost = usage_cost(self.model_name, usage, "anthropic", cache_write_tokens=written)
        return ModelOutput(
            model=response.get("model") or self.model_name,
            choices=[parse_choice(response)],
            usage=usage,
            metadata={"id": response.get("id"), "stop_sequence": response.get("stop_sequence")},
        )

    def request(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> dict[str, Any]:
        """The JSON body of the Messages request for this call."""
        system, turns = to_anthropic_messages(messages)
        body: dict[str, Any] = {"model": self.model_name, "messages": turns}
        if system:
            body["system"] = system
        if tools:
            body["tools"] = to_anthropic_tools(tools)
        body.update(sampling_params(config, self.settings.max_tokens))
        body.update(config.extra)
        return body
