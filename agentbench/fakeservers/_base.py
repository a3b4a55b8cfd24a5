"""The HTTP machinery of the fake servers: the asyncio server, faults and recorded requests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, ClassVar, Literal

from agentbench.types import ModelOutput

FaultKind = Literal["status", "slow", "truncated", "malformed", "disconnect"]


@dataclass
class Fault:
    """One injected failure, used by the next request that arrives.

    Build them with the class methods: `Fault.status(429, retry_after=1)`, `Fault.slow(5)`,
    `Fault.truncated()`, `Fault.malformed()`, `Fault.disconnect()`.
    """

    kind: FaultKind
    code: int = 500
    retry_after: float | None = None
    delay: float = 0.0

    @classmethod
    def status(cls, code: int, retry_after: float | None = None) -> Fault:
        """Answer with HTTP `code` in the protocol's error format (and a Retry-After header)."""
        return cls("status", code=code, retry_after=retry_after)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer correctly, but only after `seconds` (longer than the client's timeout)."""
        return cls("slow", delay=seconds)

    @classmethod
    def truncated(cls) -> Fault:
        """Send the headers and half the JSON body, then close the connection."""
        return cls("truncated")

    @classmethod
    def malformed(cls) -> Fault:
        """Answer 200 with a complete body that is not valid JSON."""
        return cls("malformed")

    @classmethod
    def disconnect(cls) -> Fault:
        """Close the connection without answering."""
        return cls("disconnect")


@dataclass
class RecordedRequest:
    """A request the server received (faulty answers included)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    fault: Fault | None = None

    @property
    def last_text(self) -> str:
        """The text of the last message (user, tool result or assistant), in either protocol."""
        messages = (self.body or {}).get("messages") or []
        return _text_of(messages[-1].get("content")) if messages else ""


Responder = Callable[[RecordedRequest], "ModelOutput | str"]


class BadRequest(Exception):
    """A request the real API would refuse with a 400."""


@dataclass
class _Answer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """Base of the protocol servers: an asyncio HTTP/1.1 server on 127.0.0.1 with keep-alive.

    Args:
        responder: Makes the answer when no scripted reply is queued; default echoes the last text.
        latency: Seconds to wait before every answer (a model's thinking time).
        jitter: Spread of that wait: each is latency * uniform(1 - jitter, 1 + jitter).
        api_key: When set, requests without this key get a 401.
        cached_tokens: Input tokens reported as served from the prompt cache.
        host: The interface to listen on.
        port: The port (0: a free one).
        record: Keep every request in `requests` (turn off for long benchmarks).
        rate_limit: When set, a quota of this many calls per `rate_window_s` (a sliding window,
            counted as requests arrive): a request over it gets a 429 at once, with the time
            until the oldest admitted call leaves the window in `retry-after` (whole seconds,
            rounded up) and `retry-after-ms`, as OpenAI sends them. Refused requests do not count.
        rate_window_s: The quota's window (60: per minute; a smaller one speeds a test up).
        rate_policy: `window`, the sliding window above, or `bucket`: a token bucket holding
            `rate_limit` calls that refills one every `rate_window_s / rate_limit` seconds (a
            burst, then one call per refill; Retry-After is the time to the next refill).
    """

    protocol: ClassVar[str] = ""
    path: ClassVar[str] = ""

    def __init__(
        self,
        responder: Responder | None = None,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        api_key: str | None = None,
        cached_tokens: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        record: bool = True,
        rate_limit: int | None = None,
        rate_window_s: float = 60.0,
        rate_policy: Literal["window", "bucket"] = "window",
    ) -> None:
        self.responder = responder or (lambda request: f"echo: {request.last_text}")
        self.latency, self.jitter = latency, jitter
        self._rng = random.Random(0)
        self.api_key = api_key
        self.cached_tokens = cached_tokens
        self.host, self.port = host, port
        self.record = record
        self.served = 0
        self.faults: deque[Fault] = deque()
        self.replies: deque[ModelOutput | str] = deque()
        self.requests: list[RecordedRequest] = []
        self.open_connections = 0
        self.peak_connections = 0
        self.rate_limit, self.rate_window_s = rate_limit, rate_window_s
        self.rate_policy = rate_policy
        self._tokens, self._refilled = float(rate_limit or 0), time.monotonic()
        #: Requests refused by the quota; `admitted`: arrival times of those the window counts.
        self.rate_limited = 0
        self.admitted: deque[float] = deque()
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        """The URL to give the SDK (ends in /v1 for OpenAI, the bare origin for Anthropic)."""
        return f"http://{self.host}:{self.port}"

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each is used by one request, in order."""
        self.faults.extend(faults)

    def reply(self, *outputs: ModelOutput | str) -> None:
        """Queue scripted answers; each is used by one successful request, in order."""
        self.replies.extend(outputs)

    async def start(self) -> None:
        """Start listening (in the running event loop)."""
        self._server = await asyncio.start_server(self._serve, self.host, self.port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop open connections."""
        if self._server is not None:
            self._server.close()
            for handler in list(self._handlers):
                handler.cancel()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> FakeServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[FakeServer]:
        """Run the server in a background thread with its own event loop (for sync callers)."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        thread = threading.Thread(target=self._thread_main, args=(loop, ready), daemon=True)
        thread.start()
        ready.wait()
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result()
            loop.call_soon_threadsafe(loop.stop)
            thread.join()
            loop.close()

    def _thread_main(self, loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(self.start())
        ready.set()
        loop.run_forever()

    # -- HTTP -------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        self.open_connections += 1
        self.peak_connections = max(self.peak_connections, self.open_connections)
        try:
            while True:
                request = await _read_request(reader)
                if request is None or not await self._answer(request, writer):
                    break
        except (
            ConnectionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            asyncio.CancelledError,  # the server is stopping
        ):
            pass  # end this connection quietly
        finally:
            self.open_connections -= 1
            self._handlers.discard(handler)
            writer.close()

    async def _answer(self, request: RecordedRequest, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must be closed."""
        self.served += 1
        if self.record:
            self.requests.append(request)
        wait = self._quota_wait()
        if wait is not None:
            return await _send(writer, self._over_quota(wait))
        if self.latency:
            spread = self._rng.uniform(1 - self.jitter, 1 + self.jitter) if self.jitter else 1.0
            await asyncio.sleep(self.latency * spread)
        if self.api_key is not None and self.key_of(request) != self.api_key:
            return await _send(writer, self.error(401, "authentication_error", "invalid x-api-key"))
        fault = request.fault = self.faults.popleft() if self.faults else None
        if fault is not None and fault.kind == "status":
            answer = self.error(fault.code, _error_type(fault.code), f"injected HTTP {fault.code}")
            if fault.retry_after is not None:
                answer.headers["retry-after"] = f"{fault.retry_after:g}"
            return await _send(writer, answer)
        if fault is not None and fault.kind == "disconnect":
            return False
        if fault is not None and fault.kind == "slow":
            await asyncio.sleep(fault.delay)
        answer = self._success(request)
        if fault is not None and fault.kind == "truncated" and answer.status == 200:
            await _send(writer, answer, cut=len(answer.body) // 2)
            return False
        if fault is not None and fault.kind == "malformed" and answer.status == 200:
            answer.body = answer.body[: len(answer.body) // 2] + b"}"
        return await _send(writer, answer)

    def _quota_wait(self) -> float | None:
        """None when the quota admits a request arriving now (counted); else seconds to wait."""
        if self.rate_limit is None:
            return None
        now = time.monotonic()
        if self.rate_policy == "bucket":
            return self._bucket_wait(now)
        while self.admitted and self.admitted[0] <= now - self.rate_window_s:
            self.admitted.popleft()
        if len(self.admitted) < self.rate_limit:
            self.admitted.append(now)
            return None
        self.rate_limited += 1
        return self.admitted[0] + self.rate_window_s - now

    def _bucket_wait(self, now: float) -> float | None:
        assert self.rate_limit is not None
        every = self.rate_window_s / self.rate_limit  # seconds per refill
        self._tokens = min(self.rate_limit, self._tokens + (now - self._refilled) / every)
        self._refilled = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        self.rate_limited += 1
        return (1 - self._tokens) * every

    def _over_quota(self, wait: float) -> _Answer:
        message = (
            f"Rate limit reached on requests per {self.rate_window_s:g}s: limit"
            f" {self.rate_limit}, used {self.rate_limit}. Please try again in {wait:.3f}s."
        )
        answer = self.error(429, "rate_limit_error", message)
        answer.headers["retry-after"] = str(math.ceil(wait))
        answer.headers["retry-after-ms"] = str(math.ceil(wait * 1000))
        return answer

    def _success(self, request: RecordedRequest) -> _Answer:
        if request.method != "POST" or request.path.split("?")[0].rstrip("/") != self.path:
            return self.error(404, "not_found_error", f"no route {request.method} {request.path}")
        if not isinstance(request.body, dict):
            return self.error(400, "invalid_request_error", "the body is not a JSON object")
        try:
            self.validate(request.body)
        except BadRequest as exc:
            return self.error(400, "invalid_request_error", str(exc))
        output = self.replies.popleft() if self.replies else self.responder(request)
        if isinstance(output, str):
            output = ModelOutput.from_text(output)
        payload = self.encode(request.body, output, _count_tokens(request.body))
        return _Answer(200, json.dumps(payload).encode())

    # -- protocol-specific --------------------------------------------------------------------

    def key_of(self, request: RecordedRequest) -> str | None:
        """The API key the request carries."""
        raise NotImplementedError

    def error(self, status: int, kind: str, message: str) -> _Answer:
        """An error answer in the protocol's format."""
        raise NotImplementedError

    def validate(self, body: dict[str, Any]) -> None:
        """Raise `BadRequest` where the real API would answer 400."""
        raise NotImplementedError

    def encode(
        self, body: dict[str, Any], output: ModelOutput, input_tokens: int
    ) -> dict[str, Any]:
        """The success payload for `output`."""
        raise NotImplementedError


async def _read_request(reader: asyncio.StreamReader) -> RecordedRequest | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    raw = await reader.readexactly(int(headers.get("content-length", "0")))
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode("utf-8", "replace")
    return RecordedRequest(method, path, headers, body)


async def _send(writer: asyncio.StreamWriter, answer: _Answer, cut: int | None = None) -> bool:
    try:
        reason = HTTPStatus(answer.status).phrase
    except ValueError:  # 529 and other non-standard codes
        reason = "Error"
    headers = {
        "content-type": "application/json",
        "content-length": str(len(answer.body)),
        **answer.headers,
    }
    head = f"HTTP/1.1 {answer.status} {reason}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    writer.write(head.encode("latin-1") + b"\r\n" + answer.body[:cut])
    await writer.drain()
    return cut is None


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise BadRequest(message)


def _error_type(status: int) -> str:
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        429: "rate_limit_error",
        529: "overloaded_error",
    }.get(status, "api_error")


def _text_of(content: Any) -> str:
    """The text in a message's content, tool results included (either protocol)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    texts = []
    for part in content:
        if part.get("type") == "text":
            texts.append(part["text"])
        elif part.get("type") == "tool_result":
            texts.append(_text_of(part.get("content")))
    return "\n".join(texts)


def _count_text(text: str | None) -> int:
    return len(re.findall(r"\S+", text or ""))


def _count_tokens(body: dict[str, Any]) -> int:
    """A stand-in token count: words of every message, 85 per image, plus the system prompt."""
    total = _count_text(body["system"]) if isinstance(body.get("system"), str) else 0
    for message in body.get("messages", []):
        total += _count_text(_text_of(message.get("content")))
        content = message.get("content")
        if isinstance(content, list):
            total += 85 * sum(p.get("type") in {"image", "image_url"} for p in content)
    return total
