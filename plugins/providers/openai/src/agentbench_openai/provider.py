"""`openai/<model>`: the OpenAI Chat Completions API, or any server that speaks it (vLLM, ...)."""

from __future__ import annotations

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
    parse_options,
    sdk_client,
    sdk_post_json,
    usage_cost,
)
from agentbench_openai.wire import (
    parse_choices,
    parse_usage,
    sampling_params,
    to_openai_messages,
    to_openai_tools,
)

#: HTTP connections when neither -M max_connections nor the wrapping Model says.
DEFAULT_CONNECTIONS = 100


class OpenAIOptions(BaseModel):
    """Options of `openai/<model>` (`-M key=value`)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(None, description="API root; default $OPENAI_BASE_URL or OpenAI's")
    api_key_env: str = Field("OPENAI_API_KEY", description="environment variable holding the key")
    max_connections: int | None = Field(None, ge=1, description="HTTP connection pool size")
    http: Literal["auto", "aiohttp", "httpx"] = Field(
        "auto",
        description="HTTP transport: auto (aiohttp if installed), aiohttp or httpx",
    )
    max_tokens_field: str = Field(
        "max_completion_tokens",
        description="request field for max_tokens (old servers: max_tokens)",
    )


def missing_key_error(env: str, prefix: str) -> AuthenticationError:
    """The one-line error for an API key variable that is not set."""
    return AuthenticationError(
        f"{env} is not set (needed by {prefix}/ models)",
        f"export {env}=<your key> (any non-empty value for a local server that needs none)",
    )


class OpenAIProvider(ModelProvider):
    """Chat Completions through the official `openai` SDK (imported when the model is made).

    Text and image inputs, tool calls, several samples (`n`), token logprobs, usage with cached
    tokens and, when litellm is installed, cost from its price table. The SDK's own retries are
    off: the core's `Model` wrapper retries.
    """

    name = "openai"

    def __init__(self, model_name: str = "", **options: Any) -> None:
        super().__init__(model_name, **options)
        self.settings: OpenAIOptions = parse_options(OpenAIOptions, options, "openai model option")
        if not model_name:
            raise ConfigError(
                "no model name after 'openai/'",
                "write it as openai/<model>, e.g. openai/gpt-4o-mini",
            )
        self.key_env = self.settings.api_key_env
        self.api_key = os.environ.get(self.key_env)
        if not self.api_key:
            raise missing_key_error(self.key_env, "openai")
        self.base_url = self.settings.base_url or os.environ.get("OPENAI_BASE_URL") or None
        # Imported now, not in the first call, so that its import time does not eat into that
        # call's timeout (plugin registration alone still does not import it).
        self.sdk = importlib.import_module("openai")
        self._client: Any = None

    def client(self) -> Any:
        """The `AsyncOpenAI` client, made on first use; its pool fits the connection limit."""
        if self._client is None:
            size = self.settings.max_connections or self.connection_limit or DEFAULT_CONNECTIONS
            self._client = sdk_client(
                self.sdk,
                "AsyncOpenAI",
                api_key=self.api_key,
                base_url=self.base_url,
                connections=size,
                http=self.settings.http,
            )
        return self._client

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        """One Chat Completions call."""
        data = await sdk_post_json(
            self.client(),
            self.sdk,
            "/chat/completions",
            self.request(messages, tools, config),
            options={"timeout": config.timeout} if config.timeout else {},
            key_env=self.key_env,
        )
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

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._client is not None:
            await self._client.close()
            self._client = None
