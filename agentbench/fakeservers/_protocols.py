"""The two wire protocols: OpenAI Chat Completions and Anthropic Messages."""

from __future__ import annotations

import json
import re
from typing import Any

from agentbench.fakeservers._base import (
    BadRequest,
    FakeServer,
    RecordedRequest,
    _Answer,
    _count_text,
    _require,
)
from agentbench.types import ModelChoice, ModelOutput, TokenLogprob, ToolCall, TopLogprob


class FakeOpenAIServer(FakeServer):
    """OpenAI Chat Completions (`POST /v1/chat/completions`); `base_url` ends in /v1."""

    protocol = "openai"
    path = "/v1/chat/completions"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def key_of(self, request: RecordedRequest) -> str | None:
        return _bearer(request)

    def error(self, status: int, kind: str, message: str) -> _Answer:
        body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        return _Answer(status, json.dumps(body).encode())

    def validate(self, body: dict[str, Any]) -> None:
        _require(isinstance(body.get("model"), str), "'model' is required")
        messages = _messages(body, "'messages' must be a non-empty array")
        pending: set[str] = set()
        for i, message in enumerate(messages):
            role = message.get("role")
            _require(
                role in {"system", "developer", "user", "assistant", "tool"},
                f"messages[{i}]: bad role {role!r}",
            )
            if role == "tool":
                call_id = message.get("tool_call_id")
                _require(
                    call_id in pending,
                    f"messages[{i}]: tool message answers no pending tool call {call_id!r}",
                )
                pending.discard(call_id)
                continue
            _require(
                not pending, f"messages[{i}]: tool calls {sorted(pending)} have no tool message"
            )
            _check_openai_content(message.get("content"), i)
            for call in message.get("tool_calls") or []:
                _require(
                    role == "assistant", f"messages[{i}]: only assistant messages have tool_calls"
                )
                # A string; the API does not parse it (models do send malformed arguments).
                _require(
                    isinstance(call["function"]["arguments"], str),
                    f"messages[{i}]: tool call arguments must be a string",
                )
                pending.add(call["id"])
        for tool in body.get("tools") or []:
            _require(
                tool.get("type") == "function" and "name" in tool.get("function", {}), "bad tool"
            )
        _require(int(body.get("n") or 1) >= 1, "'n' must be >= 1")

    def encode(
        self, body: dict[str, Any], output: ModelOutput, input_tokens: int
    ) -> dict[str, Any]:
        n = int(body.get("n") or 1)
        choices = [self._choice(body, output.choices[i % len(output.choices)], i) for i in range(n)]
        output_tokens = sum(_count_text(c["message"]["content"] or "") for c in choices)
        return {
            "id": f"chatcmpl-{self.served}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body["model"],
            "choices": choices,
            "usage": {
                "prompt_tokens": input_tokens,
                "completion_tokens": output_tokens,
                "total_tokens": input_tokens + output_tokens,
                "prompt_tokens_details": {"cached_tokens": min(self.cached_tokens, input_tokens)},
            },
        }

    def _choice(self, body: dict[str, Any], choice: ModelChoice, index: int) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": choice.message.text or None}
        if choice.message.tool_calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": _arguments_text(c)},
                }
                for c in choice.message.tool_calls
            ]
        reason = {
            "stop": "stop",
            "length": "length",
            "tool_calls": "tool_calls",
            "content_filter": "content_filter",
        }.get(choice.stop_reason, "stop")
        if choice.message.tool_calls and reason == "stop":
            reason = "tool_calls"
        logprobs = None
        if body.get("logprobs"):
            tokens = choice.logprobs or _synthetic_logprobs(
                choice.message.text, int(body.get("top_logprobs") or 0)
            )
            logprobs = {"content": [_openai_logprob(t) for t in tokens], "refusal": None}
        return {"index": index, "message": message, "finish_reason": reason, "logprobs": logprobs}


class FakeAnthropicServer(FakeServer):
    """Anthropic Messages (`POST /v1/messages`); `base_url` is the bare origin."""

    protocol = "anthropic"
    path = "/v1/messages"

    def key_of(self, request: RecordedRequest) -> str | None:
        # Newer SDKs send the key as a bearer token.
        return request.headers.get("x-api-key") or _bearer(request)

    def error(self, status: int, kind: str, message: str) -> _Answer:
        kind = "overloaded_error" if status == 529 else kind
        body = {"type": "error", "error": {"type": kind, "message": message}}
        return _Answer(status, json.dumps(body).encode())

    def validate(self, body: dict[str, Any]) -> None:
        _require(isinstance(body.get("model"), str), "model: Field required")
        _require(isinstance(body.get("max_tokens"), int), "max_tokens: Field required")
        system = body.get("system")
        _require(
            system is None or isinstance(system, str | list), "system: must be a string or blocks"
        )
        messages = _messages(body, "messages: must be a non-empty array")
        _require(
            messages[0].get("role") == "user", "messages: the first message must use the user role"
        )
        pending: set[str] = set()
        for i, message in enumerate(messages):
            role = message.get("role")
            _require(role in {"user", "assistant"}, f"messages.{i}.role: must be user or assistant")
            blocks = _anthropic_blocks(message.get("content"), i)
            answered = {str(b.get("tool_use_id")) for b in blocks if b["type"] == "tool_result"}
            _require(
                answered == pending,
                f"messages.{i}: tool_use ids {sorted(pending)} need tool_result "
                f"blocks in the next user message (got {sorted(answered)})",
            )
            pending = {b["id"] for b in blocks if b["type"] == "tool_use"}
            _require(
                not pending or role == "assistant", f"messages.{i}: tool_use in a user message"
            )
        for tool in body.get("tools") or []:
            _require(
                "name" in tool and "input_schema" in tool, "tools: name and input_schema required"
            )

    def encode(
        self, body: dict[str, Any], output: ModelOutput, input_tokens: int
    ) -> dict[str, Any]:
        choice = output.choices[0]
        content: list[dict[str, Any]] = []
        if choice.message.text:
            content.append({"type": "text", "text": choice.message.text})
        for call in choice.message.tool_calls:
            content.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": _input(call)}
            )
        reason = {
            "stop": "end_turn",
            "length": "max_tokens",
            "tool_calls": "tool_use",
            "content_filter": "refusal",
        }.get(choice.stop_reason, "end_turn")
        if choice.message.tool_calls and reason == "end_turn":
            reason = "tool_use"
        cached = min(self.cached_tokens, input_tokens)
        return {
            "id": f"msg_{self.served}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens - cached,  # Anthropic counts cache reads apart
                "output_tokens": _count_text(choice.message.text),
                "cache_read_input_tokens": cached,
                "cache_creation_input_tokens": 0,
            },
        }


def _arguments_text(call: ToolCall) -> str:
    """What a model sends as a call's arguments: `raw_arguments` (malformed on purpose) or JSON."""
    return call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)


def _input(call: ToolCall) -> Any:
    """A `tool_use` input: the JSON value of `raw_arguments` when set (e.g. not an object)."""
    if call.raw_arguments is None:
        return call.arguments
    try:
        return json.loads(call.raw_arguments)
    except ValueError:
        return call.raw_arguments


def _bearer(request: RecordedRequest) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None


def _messages(body: dict[str, Any], error: str) -> list[dict[str, Any]]:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest(error)
    return messages


def _check_openai_content(content: Any, i: int) -> None:
    if content is None or isinstance(content, str):
        return
    _require(
        isinstance(content, list), f"messages[{i}].content: must be a string or an array of parts"
    )
    for part in content:
        kind = part.get("type")
        _require(kind in {"text", "image_url"}, f"messages[{i}].content: bad part type {kind!r}")
        if kind == "image_url":
            _require(
                part["image_url"]["url"].startswith(("data:image/", "http")), "image_url: bad url"
            )


def _anthropic_blocks(content: Any, i: int) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    _require(isinstance(content, list), f"messages.{i}.content: must be a string or blocks")
    for block in content:
        kind = block.get("type")
        _require(
            kind in {"text", "image", "tool_use", "tool_result"},
            f"messages.{i}: bad block type {kind!r}",
        )
        if kind == "image":
            source = block.get("source", {})
            _require(
                source.get("type") == "base64"
                and source.get("media_type", "").startswith("image/"),
                f"messages.{i}: image source must be base64 with an image media_type",
            )
    return content


def _synthetic_logprobs(text: str, top: int) -> list[TokenLogprob]:
    tokens = re.findall(r"\s*\S+", text) or [text]
    return [
        TokenLogprob(
            token=tok,
            logprob=-0.1 * (i + 1),
            top=[TopLogprob(token=tok, logprob=-0.1 * (i + 1))]
            + [TopLogprob(token=f"alt{j}", logprob=-2.0 - j) for j in range(1, top)],
        )
        for i, tok in enumerate(tokens)
    ]


def _openai_logprob(token: TokenLogprob) -> dict[str, Any]:
    return {
        "token": token.token,
        "logprob": token.logprob,
        "bytes": list(token.token.encode()),
        "top_logprobs": [
            {"token": t.token, "logprob": t.logprob, "bytes": list(t.token.encode())}
            for t in token.top
        ],
    }
