"""Core helpers for provider plugins: exception mapping, LiteLLM prices, fake-server checks."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.request
from types import SimpleNamespace
from typing import Any

import pytest

import agentbench.pricing
from agentbench import (
    AuthenticationError,
    ConfigError,
    GenerateConfig,
    Message,
    Model,
    ModelConnectionError,
    ModelOutput,
    ModelProvider,
    ModelTimeoutError,
    RateLimitError,
    RetryPolicy,
    SdkOptions,
    SdkProvider,
    ToolSpec,
    Usage,
    model_error_from_exception,
    model_error_from_status,
    usage_cost,
)
from agentbench.fakeservers import (
    FakeOpenAIServer,
    Fault,
    assert_fault_retried,
    assert_not_retried,
)

# -- model_error_from_exception ------------------------------------------------------------------


class APIConnectionError(Exception):
    pass


class APITimeoutError(APIConnectionError):
    pass


class APIResponseValidationError(Exception):
    pass


SDK = SimpleNamespace(
    APIConnectionError=APIConnectionError,
    APITimeoutError=APITimeoutError,
    APIResponseValidationError=APIResponseValidationError,
)


class StatusError(Exception):
    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        super().__init__("raw text")
        self.status_code = status_code
        self.message = "slow down"
        self.response = SimpleNamespace(headers=headers)


def chained(outer: BaseException, inner: BaseException) -> BaseException:
    outer.__cause__ = inner
    return outer


def foreign(module: str, name: str, base: type[Exception] = Exception) -> type[Exception]:
    """An exception class that looks as if an HTTP library defined it."""
    return type(name, (base,), {"__module__": module})


def test_an_http_status_maps_with_its_retry_after_and_key() -> None:
    error = model_error_from_exception(StatusError(429, {"retry-after": "7"}), SDK, key_env="K")
    assert isinstance(error, RateLimitError) and error.retry_after == 7.0
    assert str(error) == "HTTP 429: slow down"
    denied = model_error_from_exception(StatusError(401, {}), SDK, key_env="MY_KEY")
    assert isinstance(denied, AuthenticationError) and "$MY_KEY" in denied.fix


def test_sdk_timeouts_connections_and_bad_bodies() -> None:
    assert isinstance(model_error_from_exception(APITimeoutError("t"), SDK), ModelTimeoutError)
    refused = chained(APIConnectionError("c"), ConnectionRefusedError("port 1 refused"))
    error = model_error_from_exception(refused, SDK)
    assert isinstance(error, ModelConnectionError) and "ConnectionRefusedError" in str(error)
    invalid = model_error_from_exception(APIResponseValidationError("v"), SDK)
    assert isinstance(invalid, ModelConnectionError) and "malformed" in str(invalid)


def test_an_aiohttp_disconnect_reported_as_a_timeout_is_a_connection_error() -> None:
    dropped = foreign("aiohttp.client_exceptions", "ServerDisconnectedError")("gone")
    assert isinstance(
        model_error_from_exception(chained(APITimeoutError("t"), dropped), SDK),
        ModelConnectionError,
    )
    timed_out = foreign("aiohttp.client_exceptions", "ServerTimeoutError")("slow")
    assert isinstance(
        model_error_from_exception(chained(APITimeoutError("t"), timed_out), SDK),
        ModelTimeoutError,
    )


def test_http_library_errors_and_json_errors_need_no_sdk() -> None:
    read_timeout = foreign("httpx._exceptions", "ReadTimeout")("slow body")
    assert isinstance(model_error_from_exception(read_timeout), ModelTimeoutError)
    cut = foreign("httpcore._exceptions", "RemoteProtocolError")("cut")
    assert isinstance(model_error_from_exception(cut), ModelConnectionError)
    garbled = model_error_from_exception(json.JSONDecodeError("bad", "{", 1))
    assert isinstance(garbled, ModelConnectionError)
    assert model_error_from_exception(RuntimeError("a bug"), SDK) is None
    assert model_error_from_exception(StatusError(302, {}), SDK) is None


# -- pricing ---------------------------------------------------------------------------------------

TABLE = {
    "m1": {
        "input_cost_per_token": 1.0,
        "output_cost_per_token": 10.0,
        "cache_read_input_token_cost": 0.1,
        "cache_creation_input_token_cost": 2.0,
    },
    "acme/m2": {"input_cost_per_token": 3.0},
    "image-model": {"output_cost_per_image": 0.04},
}


@pytest.fixture
def table(monkeypatch):
    monkeypatch.setattr(agentbench.pricing, "price_table", lambda: TABLE)


def test_cost_prices_fresh_cached_written_and_output_tokens(table) -> None:
    usage = Usage(input_tokens=100, cached_tokens=30, output_tokens=5)
    # 100 input = 50 fresh + 30 cache reads + 20 cache writes
    cost = usage_cost("m1", usage, "acme", cache_write_tokens=20)
    assert cost == pytest.approx(50 * 1.0 + 30 * 0.1 + 20 * 2.0 + 5 * 10.0)


def test_cost_falls_back_to_the_provider_prefix_and_input_rates(table) -> None:
    usage = Usage(input_tokens=10, cached_tokens=4, output_tokens=7)
    assert usage_cost("m2", usage, "acme") == pytest.approx(10 * 3.0)  # no cache or output rates
    assert usage_cost("m2", usage, "other") is None
    assert usage_cost("image-model", usage, "acme") is None


def test_the_price_table_is_read_without_importing_litellm() -> None:
    code = (
        "import json, sys, agentbench\n"
        "table = agentbench.price_table()\n"
        "print(json.dumps(['litellm' in sys.modules, isinstance(table, dict)]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [False, True]


# -- fake-server checks ----------------------------------------------------------------------------

KEY = "sk-test"
FAST = RetryPolicy(max_attempts=3, initial_s=0.01, max_wait_s=0.5)


class UrllibProvider(ModelProvider):
    """A bare Chat Completions client; `attempts` > 1 retries by itself (what the core forbids)."""

    def __init__(self, base_url: str, attempts: int = 1, status_map: Any = None) -> None:
        super().__init__("m")
        self.base_url, self.attempts = base_url, attempts
        self.status_map = status_map or model_error_from_status

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        for attempt in range(self.attempts):
            try:
                return await asyncio.to_thread(self._post, messages)
            except urllib.error.HTTPError as exc:
                exc.close()
                if attempt == self.attempts - 1:
                    raise self.status_map(exc.code, exc.reason, key_env="KEY") from None
        raise AssertionError("unreachable")

    def _post(self, messages: list[Message]) -> ModelOutput:
        body = {"model": "m", "messages": [{"role": "user", "content": messages[-1].text}]}
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            data = json.loads(response.read())
        return ModelOutput.from_text(data["choices"][0]["message"]["content"])


@pytest.fixture
async def server():
    async with FakeOpenAIServer(api_key=KEY) as fake:
        yield fake


async def test_a_well_behaved_provider_passes_the_checks(server) -> None:
    model = Model("bare/m", UrllibProvider(server.base_url), retry=FAST)
    await assert_fault_retried(model, server, Fault.status(500), "ServerError")
    error = await assert_not_retried(model, server, AuthenticationError, fault=Fault.status(401))
    assert "401" in str(error)


async def test_a_provider_that_retries_by_itself_fails_the_check(server) -> None:
    model = Model("bare/m", UrllibProvider(server.base_url, attempts=2), retry=FAST)
    with pytest.raises(AssertionError, match=r"want one retry, got \[\]"):
        await assert_fault_retried(model, server, Fault.status(500), "ServerError")
    with pytest.raises(AssertionError, match="2 requests"):
        await assert_not_retried(model, server, AuthenticationError, fault=Fault.status(401))


async def test_a_provider_that_maps_the_wrong_error_fails_the_check(server) -> None:
    def everything_is_a_rate_limit(status: int, message: str, **_: Any) -> Exception:
        return RateLimitError(f"HTTP {status}: {message}", status=status)

    provider = UrllibProvider(server.base_url, status_map=everything_is_a_rate_limit)
    model = Model("bare/m", provider, retry=FAST)
    with pytest.raises(AssertionError, match="not ServerError"):
        await assert_fault_retried(model, server, Fault.status(500), "ServerError")
    with pytest.raises(AssertionError, match=r"no AuthenticationError raised \(2 requests\)"):
        await assert_not_retried(model, server, AuthenticationError, fault=Fault.status(401))


# -- SdkProvider -----------------------------------------------------------------------------------


class Limits:
    def __init__(self, max_connections: int, max_keepalive_connections: int) -> None:
        self.max_connections = max_connections


class HttpClient:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits


class AsyncAcme:
    def __init__(self, **kwargs: Any) -> None:
        self.kwargs, self.closed = kwargs, False

    async def close(self) -> None:
        self.closed = True


class AcmeOptions(SdkOptions):
    api_key_env: str = "ACME_KEY"


class AcmeProvider(SdkProvider):
    name = "acme"
    sdk_module = "fake_acme_sdk"
    client_class = "AsyncAcme"
    base_url_env = "ACME_BASE_URL"
    example_model = "acme-1"
    key_hint = "any value will do"
    Options = AcmeOptions


@pytest.fixture
def acme(monkeypatch):
    sdk = SimpleNamespace(
        __name__="fake_acme_sdk",
        DEFAULT_CONNECTION_LIMITS=Limits(1, 1),
        DefaultAsyncHttpxClient=HttpClient,
        AsyncAcme=AsyncAcme,
    )
    monkeypatch.setitem(sys.modules, "fake_acme_sdk", sdk)
    monkeypatch.setenv("ACME_KEY", "k")
    return sdk


async def test_an_sdk_provider_makes_its_client_from_options_and_environment(
    acme, monkeypatch
) -> None:
    monkeypatch.setenv("ACME_BASE_URL", "http://acme.test")
    async with AcmeProvider("acme-1", http="httpx") as provider:
        provider.connection_limit = 7
        client = provider.client()
        assert client is provider.client()  # made once
        assert client.kwargs["api_key"] == "k" and client.kwargs["max_retries"] == 0
        assert client.kwargs["base_url"] == "http://acme.test"
        assert client.kwargs["http_client"].limits.max_connections == 7
    assert client.closed
    explicit = AcmeProvider("acme-1", base_url="http://other.test", max_connections="3")
    assert explicit.client().kwargs["base_url"] == "http://other.test"
    assert explicit.client().kwargs["http_client"].limits.max_connections == 3


def test_an_sdk_provider_checks_its_model_name_options_and_key(acme, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="no model name after 'acme/'") as info:
        AcmeProvider("")
    assert "acme/acme-1" in info.value.fix
    with pytest.raises(ConfigError, match="unknown acme model option 'bogus'"):
        AcmeProvider("acme-1", bogus=1)
    with pytest.raises(ConfigError, match="no aiohttp transport"):
        AcmeProvider("acme-1", http="aiohttp").client()
    monkeypatch.delenv("ACME_KEY")
    with pytest.raises(AuthenticationError, match="ACME_KEY is not set") as denied:
        AcmeProvider("acme-1")
    assert denied.value.fix == "export ACME_KEY=<your key> (any value will do)"
