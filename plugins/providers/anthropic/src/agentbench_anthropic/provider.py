"""`anthropic/<model>`: the Anthropic Messages API."""

from __future__ import annotations

import asyncio
import importlib
import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentbench import (
    AuthenticationError,
    ConfigError,
    GenerateConfig,
    Message,
    ModelOutput,
    ModelProvider,
    ToolSpec,
    Usage,
    parse_options,
    sdk_client,
    sdk_post_json,
    usage_cost,
)
from agentbench_anthropic.wire import (
    parse_choice,
    parse_usage,
    sampling_params,
    to_anthropic_messages,
    to_anthropic_tools,
)

#: HTTP connections when neither -M max_connections nor the wrapping Model says.
DEFAULT_CONNECTIONS = 100


class AnthropicOptions(BaseModel):
    """Options of `anthropic/<model>` (`-M key=value`)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(
        None, description="API root; default $ANTHROPIC_BASE_URL or Anthropic's"
    )
    api_key_env: str = Field(
        "ANTHROPIC_API_KEY", description="environment variable holding the key"
    )
    max_connections: int | None = Field(None, ge=1, description="HTTP connection pool size")
    http: Literal["auto", "aiohttp", "httpx"] = Field(
        "auto",
        description="HTTP transport: auto (aiohttp if installed), aiohttp or httpx",
    )
    max_tokens: int = Field(4096, ge=1, description="max_tokens when the generate config sets none")


class AnthropicProvider(ModelProvider):
    """Messages through the official `anthropic` SDK (imported when the model is made).

    Text and image inputs, system prompts, tool_use / tool_result, stop reasons, usage with cache
    reads and, when litellm is installed, cost from its price table. The API has no `n`: several
    samples are that many concurrent calls. It has no logprobs either. The SDK's own retries are
    off: the core's `Model` wrapper retries (529 overloaded counts as a rate limit).
    """

    name = "anthropic"

    def __init__(self, model_name: str = "", **options: Any) -> None:
        super().__init__(model_name, **options)
        self.settings: AnthropicOptions = parse_options(
            AnthropicOptions, options, "anthropic model option"
        )
        if not model_name:
            raise ConfigError(
                "no model name after 'anthropic/'",
                "write it as anthropic/<model>, e.g. anthropic/claude-haiku-4-5",
            )
        self.key_env = self.settings.api_key_env
        self.api_key = os.environ.get(self.key_env)
        if not self.api_key:
            raise AuthenticationError(
                f"{self.key_env} is not set (needed by anthropic/ models)",
                f"export {self.key_env}=<your key>",
            )
        self.base_url = self.settings.base_url or os.environ.get("ANTHROPIC_BASE_URL") or None
        # Imported now, not in the first call, so that its import time does not eat into that
        # call's timeout (plugin registration alone still does not import it).
        self.sdk = importlib.import_module("anthropic")
        self._client: Any = None

    def client(self) -> Any:
        """The `AsyncAnthropic` client, made on first use; its pool fits the connection limit."""
        if self._client is None:
            size = self.settings.max_connections or self.connection_limit or DEFAULT_CONNECTIONS
            self._client = sdk_client(
                self.sdk,
                "AsyncAnthropic",
                api_key=self.api_key,
                base_url=self.base_url,
                connections=size,
                http=self.settings.http,
            )
        return self._client

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        """One Messages call, or `config.n` concurrent ones merged into one output."""
        body = self.request(messages, tools, config)
        responses = await self._create_n(body, config.n, config.timeout or 600.0)
        usage, written = Usage(), 0
        for response in responses:
            one, one_written = parse_usage(response)
            usage, written = usage + one, written + one_written
        usage.cost = usage_cost(self.model_name, usage, "anthropic", cache_write_tokens=written)
        first = responses[0]
        return ModelOutput(
            model=first.get("model") or self.model_name,
            choices=[parse_choice(r) for r in responses],
            usage=usage,
            metadata={"id": first.get("id"), "stop_sequence": first.get("stop_sequence")},
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

    async def _create_n(self, body: dict[str, Any], n: int, timeout: float) -> list[dict[str, Any]]:
        if n == 1:
            return [await self._create(body, timeout)]
        calls = [asyncio.ensure_future(self._create(body, timeout)) for _ in range(n)]
        try:
            return list(await asyncio.gather(*calls))
        except BaseException:
            for call in calls:  # one failed: the whole output is retried, so stop the others
                call.cancel()
            await asyncio.gather(*calls, return_exceptions=True)
            raise

    async def _create(self, body: dict[str, Any], timeout: float) -> dict[str, Any]:
        data: dict[str, Any] = await sdk_post_json(
            self.client(),
            self.sdk,
            "/v1/messages",
            body,
            options={"timeout": timeout},
            key_env=self.key_env,
        )
        return data

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._client is not None:
            await self._client.close()
            self._client = None
