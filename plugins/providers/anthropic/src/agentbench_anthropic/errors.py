"""Mapping the Anthropic SDK's exceptions onto agentbench's (529 overloaded is a rate limit)."""

from __future__ import annotations

from typing import Any

from agentbench import (
    ModelConnectionError,
    ModelError,
    ModelTimeoutError,
    model_error_from_status,
    parse_retry_after,
)

HTTP_LIBRARIES = {"httpx", "httpx2", "httpcore", "aiohttp"}


def map_error(exc: BaseException, sdk: Any, key_env: str | None) -> ModelError | None:
    """The agentbench error for an exception raised by an `anthropic` SDK call, or None.

    Args:
        exc: What the SDK raised.
        sdk: The `anthropic` module.
        key_env: The environment variable of the API key, named in authentication errors.
    """
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 400:
        response = getattr(exc, "response", None)
        retry_after = parse_retry_after(getattr(response, "headers", None))
        message = getattr(exc, "message", None) or str(exc)
        return model_error_from_status(status, message, retry_after=retry_after, key_env=key_env)
    if isinstance(exc, sdk.APITimeoutError) and really_timed_out(exc):
        return ModelTimeoutError(f"request timed out: {exc}")
    if isinstance(exc, sdk.APIConnectionError):
        cause = root_cause(exc)
        return ModelConnectionError(f"connection failed or cut ({type(cause).__name__}: {cause})")
    if type(exc).__module__.partition(".")[0] in HTTP_LIBRARIES:  # raised while reading the body
        if "Timeout" in type(exc).__name__:
            return ModelTimeoutError(f"request timed out: {type(exc).__name__}")
        return ModelConnectionError(f"connection failed or cut ({type(exc).__name__}: {exc})")
    if isinstance(exc, sdk.APIResponseValidationError | ValueError):
        # The SDK raises json's ValueError on a truncated or garbled 200 body.
        return ModelConnectionError(f"malformed response: {type(exc).__name__}: {exc}")
    return None


def really_timed_out(exc: BaseException) -> bool:
    """False for a dropped connection that the SDK's aiohttp transport reports as a timeout.

    That transport maps every aiohttp connection error to a connect timeout; the aiohttp error
    underneath says which it was.
    """
    inner: BaseException | None = exc
    while inner is not None:
        if type(inner).__module__.startswith("aiohttp"):
            return "Timeout" in type(inner).__name__
        inner = inner.__cause__ or inner.__context__
    return True


def root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a chain (what the HTTP library or socket reported)."""
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    return exc
