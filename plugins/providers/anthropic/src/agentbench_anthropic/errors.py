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
    if isinstance(exc, sdk.APITimeoutError):
        return ModelTimeoutError(f"request timed out: {type(exc).__name__}")
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f"{type(cause).__name__}: {cause}" if cause else str(exc)
        return ModelConnectionError(f"connection failed or cut ({detail})")
    if isinstance(exc, sdk.APIResponseValidationError | ValueError):
        # The SDK raises json's ValueError on a truncated or garbled 200 body.
        return ModelConnectionError(f"malformed response: {type(exc).__name__}: {exc}")
    return None
