"""Errors a user can cause. Each carries a one-line fix the CLI prints instead of a traceback."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AgentbenchError(Exception):
    """Base class of every error a user can cause and fix.

    Args:
        message: What went wrong, in one line.
        fix: What the user should do about it, in one line.
    """

    exit_code = 2

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message} (fix: {self.fix})" if self.fix else self.message


class ConfigError(AgentbenchError):
    """A bad option, flag or configuration value."""


_LIST_COMMAND = {"sandbox": "sandboxes", "model provider": "models", "provider": "models"}


class UnknownNameError(ConfigError):
    """A task, model provider or sandbox backend that no loaded plugin registers."""

    def __init__(self, kind: str, name: str, known: Iterable[str], note: str = "") -> None:
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = (
            f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(known) or 'none'}"
        )
        if note:
            hint = note
        super().__init__(
            f"unknown {kind} {name!r}; {hint}",
            f"run `agentbench list {_LIST_COMMAND.get(kind, kind + 's')}` to see what is installed",
        )
        self.kind, self.name, self.close_matches = kind, name, close


class DataError(AgentbenchError):
    """An unreadable or malformed data file (the message names the path and line)."""


class PluginError(AgentbenchError):
    """A plugin that fails to load or registers a name twice."""


class SandboxError(AgentbenchError):
    """A sandbox backend that cannot be used (Docker not running, image missing, ...)."""


class InfrastructureError(Exception):
    """The infrastructure failed an episode (a sandbox died); the runner retries on a fresh one.

    Not a user error: recorded apart from model failures and retried up to `--infra-retries`.
    """


class LimitExceeded(Exception):
    """An episode reached its step, token or time limit; it is scored with what it has."""

    def __init__(self, kind: str, limit: float) -> None:
        super().__init__(f"{kind} limit of {limit:g} reached")
        self.kind, self.limit = kind, limit


class ModelError(Exception):
    """An error from a model provider. Subclasses say whether a retry may help."""

    retryable = False

    def __init__(
        self, message: str, *, status: int | None = None, retry_after: float | None = None
    ):
        super().__init__(message)
        self.status, self.retry_after = status, retry_after


class RetryableModelError(ModelError):
    """Rate limit, server error, timeout or lost connection: worth another attempt."""

    retryable = True


class RateLimitError(RetryableModelError):
    """HTTP 429 or a provider's overloaded answer (Anthropic 529)."""


class ServerError(RetryableModelError):
    """HTTP 5xx."""


class ModelTimeoutError(RetryableModelError):
    """The call took longer than its timeout."""


class ModelConnectionError(RetryableModelError):
    """The connection failed or was cut, or the response was truncated or malformed."""


class ProviderUnavailable(RetryableModelError):
    """A retryable provider error that outlasted the retries: the provider is out, not the model.

    `Model.generate` raises it (from the last error) when the attempts or the time budget run
    out, or when the provider asks to wait longer than the budget has left. The runner records
    such an episode as `provider_error`: left out of the scores and run again by `--resume`.

    Args:
        message: What happened, in one line (names the last error).
        last_error: The provider's last error (also the exception's `__cause__`).
        attempts: The attempts made.
        elapsed_s: Seconds from the call's start to giving up.
    """

    def __init__(
        self, message: str, *, last_error: BaseException, attempts: int, elapsed_s: float
    ) -> None:
        super().__init__(
            message,
            status=getattr(last_error, "status", None),
            retry_after=getattr(last_error, "retry_after", None),
        )
        self.last_error, self.attempts, self.elapsed_s = last_error, attempts, elapsed_s


class AuthenticationError(ModelError, AgentbenchError):
    """HTTP 401/403 or a missing API key: never retried."""

    def __init__(self, message: str, fix: str | None = None, *, status: int | None = None):
        ModelError.__init__(self, message, status=status)
        self.message, self.fix = message, fix

    def __str__(self) -> str:
        return AgentbenchError.__str__(self)


class BadRequestError(ModelError):
    """HTTP 400/404/422: the request itself is wrong; never retried."""


def parse_retry_after(headers: object) -> float | None:
    """Seconds to wait according to a response's `retry-after-ms` or `Retry-After` header.

    Args:
        headers: A mapping of response headers (case-insensitive ones such as httpx's, or plain
            dicts with lower-case keys), or None.

    Returns:
        The delay in seconds, or None when the headers give none. HTTP dates are converted.
    """
    get = getattr(headers, "get", None)
    if get is None:
        return None
    millis = get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils
    import time

    try:
        when = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def model_error_from_status(
    status: int, message: str, *, retry_after: float | None = None, key_env: str | None = None
) -> ModelError:
    """The `ModelError` for an HTTP error status, for providers to raise.

    429 and 529 (overloaded) are rate limits, 408 a timeout, 409 and 5xx server errors (all
    retried); 401/403 are authentication errors and any other 4xx a bad request (never retried).

    Args:
        status: The HTTP status code.
        message: The provider's error message.
        retry_after: Seconds the server asked to wait (see `parse_retry_after`).
        key_env: The environment variable holding the API key, named in the fix of a 401/403.
    """
    text = f"HTTP {status}: {message}"
    if status in (401, 403):
        where = f"${key_env}" if key_env else "the API key"
        return AuthenticationError(text, f"check {where}: the server rejected it", status=status)
    if status in (429, 529):
        return RateLimitError(text, status=status, retry_after=retry_after)
    if status == 408:
        return ModelTimeoutError(text, status=status, retry_after=retry_after)
    if status == 409 or status >= 500:
        return ServerError(text, status=status, retry_after=retry_after)
    return BadRequestError(text, status=status)


#: Modules whose exceptions mean the connection failed while a response body was being read.
_HTTP_LIBRARIES = {"httpx", "httpx2", "httpcore", "aiohttp"}


def model_error_from_exception(
    exc: BaseException, sdk: object = None, *, key_env: str | None = None
) -> ModelError | None:
    """The `ModelError` for an exception a provider's HTTP call raised, or None when none fits.

    An exception with an HTTP `status_code` of 400 or more maps through `model_error_from_status`
    (with the `Retry-After` of its `response`); timeouts, failed or cut connections and truncated
    or garbled bodies (a `ValueError` from JSON decoding, an httpx/aiohttp error) map to
    `ModelTimeoutError` and `ModelConnectionError`.

    Args:
        exc: What the SDK or HTTP library raised.
        sdk: The SDK module of an OpenAI-style client (`openai`, `anthropic`: the same generated
            code), whose `APITimeoutError`, `APIConnectionError` and `APIResponseValidationError`
            are recognised; None for a provider without one.
        key_env: The environment variable of the API key, named in authentication errors.
    """
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 400:
        response = getattr(exc, "response", None)
        retry_after = parse_retry_after(getattr(response, "headers", None))
        message = getattr(exc, "message", None) or str(exc)
        return model_error_from_status(status, message, retry_after=retry_after, key_env=key_env)
    if isinstance(exc, getattr(sdk, "APITimeoutError", ())) and _really_timed_out(exc):
        return ModelTimeoutError(f"request timed out: {exc}")
    if isinstance(exc, getattr(sdk, "APIConnectionError", ())):
        cause = _root_cause(exc)
        return ModelConnectionError(f"connection failed or cut ({type(cause).__name__}: {cause})")
    if type(exc).__module__.partition(".")[0] in _HTTP_LIBRARIES:  # raised while reading the body
        if "Timeout" in type(exc).__name__:
            return ModelTimeoutError(f"request timed out: {type(exc).__name__}")
        return ModelConnectionError(f"connection failed or cut ({type(exc).__name__}: {exc})")
    if isinstance(exc, (getattr(sdk, "APIResponseValidationError", ()), ValueError)):
        # The SDKs raise json's ValueError on a truncated or garbled 200 body.
        return ModelConnectionError(f"malformed response: {type(exc).__name__}: {exc}")
    return None


def _really_timed_out(exc: BaseException) -> bool:
    """False for a dropped connection that an SDK's aiohttp transport reports as a timeout.

    That transport maps every aiohttp connection error to a connect timeout; the aiohttp error
    underneath says which it was.
    """
    inner: BaseException | None = exc
    while inner is not None:
        if type(inner).__module__.startswith("aiohttp"):
            return "Timeout" in type(inner).__name__
        inner = inner.__cause__ or inner.__context__
    return True


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception of a chain (what the HTTP library or socket reported)."""
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    return exc
