"""A base for provider plugins built on an OpenAI-style SDK (`openai`, `anthropic`, ...).

Those SDKs share their generated client code: the same HTTP client classes (httpx-based, and an
aiohttp-based one since mid-2025), the same raw-request path and the same exceptions. The helpers
take the imported SDK module, so the core never imports an SDK itself.

    class AcmeProvider(SdkProvider):   # `acme/<model>` through the `acme` SDK
        name = "acme"
        sdk_module, client_class = "acme", "AsyncAcme"
        base_url_env, example_model = "ACME_BASE_URL", "acme-large"
        Options = AcmeOptions   # an SdkOptions with api_key_env defaulting to "ACME_API_KEY"

        async def generate(self, messages, tools, config):
            data = await self.post_json("/v1/complete", self.request(messages, tools, config))
            ...
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from agentbench.errors import AuthenticationError, ConfigError, model_error_from_exception
from agentbench.model import ModelProvider
from agentbench.task import parse_options


class SdkOptions(BaseModel):
    """The options every `SdkProvider` takes (`-M key=value`); subclass it to add more.

    Override `api_key_env` with the provider's variable as its default.
    """

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(None, description="API root; default from the environment or SDK")
    api_key_env: str = Field(description="environment variable holding the key")
    max_connections: int | None = Field(None, ge=1, description="HTTP connection pool size")
    http: Literal["auto", "aiohttp", "httpx"] = Field(
        "auto",
        description="HTTP transport: auto (aiohttp if installed), aiohttp or httpx",
    )


class SdkProvider(ModelProvider):
    """Base of providers that call an API through an OpenAI-style SDK.

    It checks the options and the API key when the model is made, imports the SDK then (so that
    its import time does not eat into the first call's timeout, while plugin registration alone
    still does not import it), makes the client on first use with a connection pool as large as
    the connection limit and the SDK's own retries off (the core's `Model` retries), and closes
    it. Subclasses set the class attributes and implement `generate` with `post_json`.

    Attributes:
        settings: The parsed options (an instance of `Options`).
        key_env: The environment variable of the API key.
        api_key: Its value.
        base_url: The API root (None: the SDK's default).
        sdk: The imported SDK module.
    """

    #: The SDK's module, e.g. `openai`.
    sdk_module: ClassVar[str] = ""
    #: The name of its async client class, e.g. `AsyncOpenAI`.
    client_class: ClassVar[str] = ""
    #: The variable that overrides the SDK's API root, e.g. `OPENAI_BASE_URL`.
    base_url_env: ClassVar[str] = ""
    #: A model name for the error that asks for one.
    example_model: ClassVar[str] = "<model>"
    #: Said after "export KEY=<your key>" when the key is missing.
    key_hint: ClassVar[str] = ""
    #: The options class.
    Options: ClassVar[type[SdkOptions]] = SdkOptions
    #: HTTP connections when neither -M max_connections nor the wrapping Model says.
    default_connections: ClassVar[int] = 100
    #: Send absolute URLs (the base URL joined once, not by the SDK on every call); turn off
    #: for clients that rewrite relative endpoint paths themselves (e.g. Azure deployments).
    absolute_urls: ClassVar[bool] = True

    def __init__(self, model_name: str = "", **options: Any) -> None:
        super().__init__(model_name, **options)
        self.settings: Any = parse_options(self.Options, options, f"{self.name} model option")
        if not model_name:
            raise ConfigError(
                f"no model name after '{self.name}/'",
                f"write it as {self.name}/<model>, e.g. {self.name}/{self.example_model}",
            )
        self.key_env: str = self.settings.api_key_env
        self.api_key = os.environ.get(self.key_env)
        if not self.api_key:
            hint = f" ({self.key_hint})" if self.key_hint else ""
            raise AuthenticationError(
                f"{self.key_env} is not set (needed by {self.name}/ models)",
                f"export {self.key_env}=<your key>{hint}",
            )
        self.base_url = self.settings.base_url or os.environ.get(self.base_url_env) or None
        self.sdk = importlib.import_module(self.sdk_module)
        self._client: Any = None
        self._url_root = ""  # the client's base URL as text, for absolute request URLs

    def client(self) -> Any:
        """The SDK client, made on first use; its pool fits the connection limit."""
        if self._client is None:
            size = (
                self.settings.max_connections or self.connection_limit or self.default_connections
            )
            self._client = sdk_client(
                self.sdk,
                self.client_class,
                api_key=self.api_key,
                base_url=self.base_url,
                connections=size,
                http=self.settings.http,
            )
            if self.absolute_urls:
                self._url_root = _url_root(getattr(self._client, "base_url", None))
        return self._client

    async def post_json(
        self, path: str, body: dict[str, Any], *, timeout: float | None = None
    ) -> Any:
        """POST `body` to `path` (see `sdk_post_json`); the decoded JSON answer.

        Args:
            path: The endpoint, e.g. `/chat/completions`.
            body: The JSON request body.
            timeout: Seconds for the request (None: the SDK's default).
        """
        client = self.client()
        if self._url_root:
            path = self._url_root + path.lstrip("/")
        return await sdk_post_json(
            client,
            self.sdk,
            path,
            body,
            options={"timeout": timeout} if timeout else None,
            key_env=self.key_env,
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        if self._client is not None:
            await self._client.close()
            self._client = None


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
    transform and response models (most of its CPU per call). The SDK's unset-option sentinels
    are passed as they are, and an empty idempotency key where the client sends none: the same
    request, without the copies and the random key the SDK would otherwise make per call.
    Errors are raised as agentbench's (see `model_error_from_exception`); others propagate
    unchanged.

    Args:
        client: The SDK client (see `sdk_client`).
        sdk: The SDK module.
        path: The endpoint, e.g. `/chat/completions` (or an absolute URL).
        body: The JSON request body.
        options: The SDK's request options, e.g. `{"timeout": 30.0}`.
        key_env: The environment variable of the API key, named in authentication errors.
    """
    request_options = _unset_options(sdk)
    if getattr(client, "_idempotency_header", "") is None:
        # The client sends no idempotency header, so the key it would make per call (a uuid4,
        # a system call for random bytes) is never used: an empty one skips making it.
        request_options = {**request_options, "idempotency_key": ""}
    if options:
        request_options = {**request_options, **options}
    try:
        response = await client.post(
            path, body=body, cast_to=_response_class(sdk), options=request_options
        )
        return response.json()
    except Exception as exc:
        mapped = model_error_from_exception(exc, sdk, key_env=key_env)
        if mapped is None:
            raise
        raise mapped from exc


def _url_root(base_url: Any) -> str:
    """The text that an endpoint path is appended to, or "" to leave joining to the SDK.

    An absolute URL spares the SDK parsing and re-joining its base URL on every call. It joins
    them as base path + endpoint path without its leading slash; the text here does the same
    where that is plain (a base URL with a query or fragment is left to the SDK).
    """
    if not isinstance(getattr(base_url, "raw_path", None), bytes):
        return ""  # not an httpx URL: an SDK unlike those known
    text = str(base_url)
    if base_url.query or base_url.fragment or not base_url.raw_path.endswith(b"/"):
        return ""
    if text.endswith("/"):
        return text
    return text + "/" if base_url.raw_path == b"/" else ""  # "http://host:port" is at "/"


@functools.cache
def _unset_options(sdk: Any) -> dict[str, Any]:
    """The SDK's request options whose default is its `NotGiven` sentinel, set to that sentinel.

    The SDK builds each request's options with pydantic's `model_construct`, which deep-copies
    every default not passed, sentinels included (a few percent of a call's CPU). Passing the
    sentinels themselves means the same and skips the copies.
    """
    not_given = getattr(sdk, "NotGiven", None)
    options_class = getattr(getattr(sdk, "_models", None), "FinalRequestOptions", None)
    fields = getattr(options_class, "model_fields", None)
    if not isinstance(not_given, type) or not isinstance(fields, dict):
        return {}
    return {
        name: field.default
        for name, field in fields.items()
        if isinstance(field.default, not_given)
    }


@functools.cache
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
