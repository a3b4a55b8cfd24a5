"""The Anthropic Messages wire format: agentbench messages in, `ModelOutput` out."""

from __future__ import annotations

import json
from typing import Any

from agentbench import (
    GenerateConfig,
    ImagePart,
    Message,
    ModelChoice,
    TextPart,
    ToolCall,
    ToolSpec,
    Usage,
)

STOP_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def to_anthropic_messages(messages: list[Message]) -> tuple[str | None, list[dict[str, Any]]]:
    """The system prompt and the messages in the Messages format.

    System messages join into the top-level system prompt; tool results become `tool_result`
    blocks of a user turn; consecutive turns of one role merge (the API wants them alternating,
    with every tool result in the user turn right after its `tool_use`).
    """
    system = "\n\n".join(m.text for m in messages if m.role == "system") or None
    out: list[dict[str, Any]] = []
    for message in messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    for turn in out:
        if not turn["content"]:
            turn["content"] = [{"type": "text", "text": "(empty)"}]
    return system, out


def to_anthropic_tools(tools: list[ToolSpec] | None) -> list[dict[str, Any]] | None:
    """Tool specs in the Messages format (None when there are none)."""
    if not tools:
        return None
    return [
        {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
    ]


def sampling_params(config: GenerateConfig, default_max_tokens: int) -> dict[str, Any]:
    """The sampling fields of a request (the API has no seed, n or logprobs)."""
    params: dict[str, Any] = {"max_tokens": config.max_tokens or default_max_tokens}
    if config.temperature is not None:
        params["temperature"] = config.temperature
    if config.top_p is not None:
        params["top_p"] = config.top_p
    if config.stop:
        params["stop_sequences"] = config.stop
    return params


def parse_choice(data: dict[str, Any]) -> ModelChoice:
    """The one choice of a Messages response body (a plain dict)."""
    texts, calls = [], []
    for block in data.get("content") or []:
        if block.get("type") == "text":
            texts.append(block["text"])
        elif block.get("type") == "tool_use":
            calls.append(_tool_call(block))
    reason = STOP_REASONS.get(data.get("stop_reason") or "", "unknown")
    message = Message.assistant("".join(texts), tool_calls=calls)
    return ModelChoice(message=message, stop_reason=reason)  # type: ignore[arg-type]


def parse_usage(data: dict[str, Any]) -> tuple[Usage, int]:
    """Usage (input tokens include cache reads and writes) and the cache-write token count."""
    usage = data.get("usage") or {}
    read = usage.get("cache_read_input_tokens") or 0
    written = usage.get("cache_creation_input_tokens") or 0
    total = Usage(
        input_tokens=(usage.get("input_tokens") or 0) + read + written,
        output_tokens=usage.get("output_tokens") or 0,
        cached_tokens=read,
    )
    return total, written


def _blocks(message: Message) -> list[dict[str, Any]]:
    if message.role == "tool":
        content: Any = _parts(message.content) if message.images else message.text
        return [{"type": "tool_result", "tool_use_id": message.tool_call_id, "content": content}]
    blocks = _parts(message.content)
    for call in message.tool_calls:
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": _input(call)})
    return blocks


def _tool_call(block: dict[str, Any]) -> ToolCall:
    """A `tool_use` block; an `input` that is not an object is reported and kept as sent."""
    value = block.get("input")
    if isinstance(value, dict):
        return ToolCall(id=block["id"], name=block["name"], arguments=value)
    raw = json.dumps(value)
    return ToolCall(
        id=block["id"],
        name=block["name"],
        parse_error=f"not an object: {raw!r}",
        raw_arguments=raw,
    )


def _input(call: ToolCall) -> Any:
    """The `input` of a `tool_use` block: what the model sent when it was not an object."""
    if call.raw_arguments is None:
        return call.arguments
    try:
        return json.loads(call.raw_arguments)
    except ValueError:  # text from another provider's model that was not JSON: sent as text
        return call.raw_arguments


def _parts(content: str | list[TextPart | ImagePart]) -> list[dict[str, Any]]:
    parts = [TextPart(text=content)] if isinstance(content, str) else content
    blocks: list[dict[str, Any]] = []
    for part in parts:
        if isinstance(part, TextPart):
            if part.text:  # the API refuses empty text blocks
                blocks.append({"type": "text", "text": part.text})
        else:
            source = {"type": "base64", "media_type": part.mime_type, "data": part.data}
            blocks.append({"type": "image", "source": source})
    return blocks
