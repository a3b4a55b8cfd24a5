"""Helpers for provider plugins built on an OpenAI-style SDK (`openai`, `anthropic`, ...).

Those SDKs share their generated client code: the same HTTP client classes (httpx-based, and an
aiohttp-based one since mid-2025), the same raw-request path and the same exceptions. The helpers
take the imported SDK module, so the core never imports an SDK itself.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from agentbench.errors import ConfigError, model_error_from_exception


def sdk_client(
    sdk: Any,
    client_class: str,
    *,
    api_key: str | None,
    base_url: str | None,
    connections: int,
    http: str = "auto",
) -> Any:
    """An async SDK client with its own retries off (the core's `Model` retries).

    Args:
        sdk: The imported SDK module, e.g. `openai`.
        client_class: The name of its async client class, e.g. `AsyncOpenAI`.
        api_key: The API key.
        base_url: The API root (None: the SDK's default).
        connections: The size of the HTTP connection pool.
        http: The HTTP transport: `aiohttp`, `httpx`, or `auto` (aiohttp if installed).

    Raises:
        ConfigError: `http="aiohttp"` with an SDK that has no aiohttp transport.
    """
    # The SDK's Limits class (httpx or httpx2, depending on the SDK version).
    limits = type(sdk.DEFAULT_CONNECTION_LIMITS)(
        max_connections=connections, max_keepalive_connections=connections
    )
    return getattr(sdk, client_class)(
        api_key=api_key,
        base_url=base_url,
        max_retries=0,
        http_client=_http_client_class(sdk, http)(limits=limits),
    )


async def sdk_post_json(
    client: Any,
    sdk: Any,
    path: str,
    body: dict[str, Any],
    *,
    options: dict[str, Any] | None = None,
    key_env: str | None = None,
) -> Any:
    """POST `body` through the SDK's raw-request path; the decoded JSON answer.

    That documented path keeps the SDK's auth, headers and errors but skips its typed-params
    transform and response models (most of its CPU per call). Errors are raised as agentbench's
    (see `model_error_from_exception`); others propagate unchanged.

    Args:
        client: The SDK client (see `sdk_client`).
        sdk: The SDK module.
        path: The endpoint, e.g. `/chat/completions`.
        body: The JSON request body.
        options: The SDK's request options, e.g. `{"timeout": 30.0}`.
        key_env: The environment variable of the API key, named in authentication errors.
    """
    try:
        response = await client.post(
            path, body=body, cast_to=_response_class(sdk), options=options or {}
        )
        return response.json()
    except Exception as exc:
        mapped = model_error_from_exception(exc, sdk, key_env=key_env)
        if mapped is None:
            raise
        raise mapped from exc


def _response_class(sdk: Any) -> Any:
    """The HTTP response class of the SDK's HTTP library (httpx or httpx2, by SDK version)."""
    library = type(sdk.DEFAULT_CONNECTION_LIMITS).__module__.partition(".")[0]
    return importlib.import_module(library).Response


def _http_client_class(sdk: Any, choice: str) -> Any:
    """The SDK's async HTTP client class: aiohttp-based where chosen (or, for auto, installed)."""
    aiohttp_client = getattr(sdk, "DefaultAioHttpClient", None)  # SDKs from mid-2025 on
    if choice == "aiohttp" and aiohttp_client is None:
        raise ConfigError(
            f"this {sdk.__name__} SDK has no aiohttp transport",
            f"upgrade it: pip install -U {sdk.__name__}",
        )
    if choice == "httpx" or aiohttp_client is None or importlib.util.find_spec("aiohttp") is None:
        return sdk.DefaultAsyncHttpxClient
    return aiohttp_client
