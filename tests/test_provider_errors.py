"""The helpers providers use to turn HTTP errors into agentbench's retryable or final errors."""

from __future__ import annotations

import email.utils
import time

import pytest

from agentbench import (
    AuthenticationError,
    BadRequestError,
    ModelTimeoutError,
    RateLimitError,
    ServerError,
    model_error_from_status,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("status", "kind", "retryable"),
    [
        (401, AuthenticationError, False),
        (403, AuthenticationError, False),
        (400, BadRequestError, False),
        (404, BadRequestError, False),
        (422, BadRequestError, False),
        (408, ModelTimeoutError, True),
        (409, ServerError, True),
        (429, RateLimitError, True),
        (529, RateLimitError, True),
        (500, ServerError, True),
        (503, ServerError, True),
    ],
)
def test_status_mapping(status: int, kind: type, retryable: bool) -> None:
    error = model_error_from_status(status, "boom", retry_after=3.0, key_env="X_KEY")
    assert type(error) is kind and error.retryable is retryable and error.status == status
    assert "boom" in str(error)


def test_authentication_error_names_the_key_variable() -> None:
    error = model_error_from_status(401, "bad key", key_env="OPENAI_API_KEY")
    assert isinstance(error, AuthenticationError) and "$OPENAI_API_KEY" in (error.fix or "")


def test_retry_after_is_kept_for_retryable_errors() -> None:
    assert model_error_from_status(429, "slow down", retry_after=7.0).retry_after == 7.0


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
    assert parse_retry_after({"retry-after": "soon"}) is None
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= (parse_retry_after({"retry-after": date}) or 0) <= 31
