"""`litellm/<route>/<model>`: anything LiteLLM routes to (`litellm/openai/gpt-4o-mini`, ...)."""

from __future__ import annotations

import json
import os
from typing import Any

from agentbench_openai.wire import (
    parse_choices,
    parse_usage,
    sampling_params,
    to_openai_messages,
    to_openai_tools,
)
from pydantic import BaseModel, ConfigDict, Field

from agentbench import (
    AuthenticationError,
    ConfigError,
    GenerateConfig,
    Message,
    ModelConnectionError,
    ModelOutput,
    ModelProvider,
    ToolSpec,
    model_error_from_exception,
    parse_options,
)


class LiteLLMOptions(BaseModel):
    """Options of `litellm/<model>` (`-M key=value`)."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(None, description="the API root LiteLLM calls (its api_base)")
    api_key_env: str | None = Field(
        None, description="variable holding the key; default: LiteLLM's"
    )
    drop_params: bool = Field(
        True, description="drop sampling fields the routed API lacks (seed, n, ...)"
    )


def import_litellm() -> Any:
    """Import litellm, using its bundled price table rather than fetching one over the network."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


def connection_error_inside(exc: BaseException, openai: Any) -> ModelConnectionError | None:
    """A lost connection or garbled body that LiteLLM reported as an HTTP 500, or None.

    LiteLLM wraps them in its InternalServerError; the cause chain says what happened.
    """
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        if isinstance(cause, openai.APITimeoutError):
            return None
        if isinstance(cause, openai.APIConnectionError | json.JSONDecodeError):
            return ModelConnectionError(
                f"connection failed or malformed response: {type(cause).__name__}: {cause}"
            )
        cause = cause.__cause__ or cause.__context__
    return None


class LiteLLMProvider(ModelProvider):
    """Chat completions through `litellm.acompletion` (litellm is imported when the model is made).

    Keys come from the variables LiteLLM reads for the route (OPENAI_API_KEY, ...), or from
    `-M api_key_env=NAME`. Cost is LiteLLM's, where its table knows the model. LiteLLM's own
    retries are off: the core's `Model` wrapper retries.
    """

    name = "litellm"
    supports_n = True

    def __init__(self, model_name: str = "", **options: Any) -> None:
        super().__init__(model_name, **options)
        self.settings: LiteLLMOptions = parse_options(
            LiteLLMOptions, options, "litellm model option"
        )
        if not model_name:
            raise ConfigError(
                "no model name after 'litellm/'",
                "write it as litellm/<route>/<model>, e.g. litellm/openai/gpt-4o-mini",
            )
        self.litellm = import_litellm()
        self.api_key, self.key_env = self._find_key()

    def _find_key(self) -> tuple[str | None, str | None]:
        env = self.settings.api_key_env
        if env is not None:
            key = os.environ.get(env)
            if not key:
                raise AuthenticationError(
                    f"{env} is not set (named by -M api_key_env)", f"export {env}=<your key>"
                )
            return key, env
        check = self.litellm.validate_environment(
            model=self.model_name, api_base=self.settings.base_url
        )
        missing = check.get("missing_keys") or []
        if missing:
            raise AuthenticationError(
                f"{', '.join(missing)} not set (LiteLLM needs it for {self.model_name})",
                f"export {missing[0]}=<your key>",
            )
        return None, None

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        """One `litellm.acompletion` call."""
        try:
            response = await self.litellm.acompletion(**self.request(messages, tools, config))
        except Exception as exc:
            import openai

            mapped = connection_error_inside(exc, openai) or model_error_from_exception(
                exc, openai, key_env=self.key_env
            )
            if mapped is None:
                raise
            raise mapped from exc
        return self.parse(response)

    def request(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> dict[str, Any]:
        """The keyword arguments of `litellm.acompletion` for this call."""
        params: dict[str, Any] = {
            "model": self.model_name,
            "messages": to_openai_messages(messages),
            "num_retries": 0,
            "max_retries": 0,
            "drop_params": self.settings.drop_params,
        }
        if tools:
            params["tools"] = to_openai_tools(tools)
        if self.settings.base_url:
            params["api_base"] = self.settings.base_url
        if self.api_key:
            params["api_key"] = self.api_key
        if config.timeout:
            params["timeout"] = config.timeout
        params.update(sampling_params(config, "max_tokens"))
        params.update(config.extra)
        return params

    def parse(self, response: Any) -> ModelOutput:
        """A `ModelOutput` from a LiteLLM `ModelResponse`."""
        data = response.model_dump()
        usage = parse_usage(data)
        usage.cost = self._cost(response)
        return ModelOutput(
            model=data.get("model") or self.model_name,
            choices=parse_choices(data),
            usage=usage,
            metadata={"id": data.get("id")},
        )

    def _cost(self, response: Any) -> float | None:
        hidden = getattr(response, "_hidden_params", None) or {}
        cost = hidden.get("response_cost")
        if cost is not None:
            return float(cost)
        try:
            return float(self.litellm.completion_cost(completion_response=response))
        except Exception:  # LiteLLM raises when its table does not know the model
            return None
