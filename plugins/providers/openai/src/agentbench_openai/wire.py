"""The OpenAI Chat Completions wire format: agentbench messages in, `ModelOutput` out.

Also used by the LiteLLM provider, which speaks the same format.
"""

from __future__ import annotations

import json
from typing import Any

from agentbench import (
    GenerateConfig,
    ImagePart,
    Message,
    ModelChoice,
    TextPart,
    TokenLogprob,
    ToolCall,
    ToolSpec,
    TopLogprob,
    Usage,
)

STOP_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def to_openai_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages in the Chat Completions format.

    Tool messages carry text only, so images a tool returned follow the run of tool messages in a
    user message.
    """
    out: list[dict[str, Any]] = []
    deferred_images: list[ImagePart] = []
    for message in messages:
        if message.role != "tool" and deferred_images:
            out.append(_tool_images_message(deferred_images))
            deferred_images = []
        if message.role == "tool":
            out.append(
                {"role": "tool", "tool_call_id": message.tool_call_id, "content": message.text}
            )
            deferred_images.extend(message.images)
        elif message.role == "assistant":
            out.append(_assistant_message(message))
        else:
            out.append({"role": message.role, "content": _content(message.content)})
    if deferred_images:
        out.append(_tool_images_message(deferred_images))
    return out


def to_openai_tools(tools: list[ToolSpec] | None) -> list[dict[str, Any]] | None:
    """Tool specs as Chat Completions function tools (None when there are none)."""
    if not tools:
        return None
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in tools
    ]


def sampling_params(config: GenerateConfig, max_tokens_field: str) -> dict[str, Any]:
    """The sampling fields of a request: only those the config sets."""
    params: dict[str, Any] = {}
    for name in ("temperature", "top_p", "seed", "stop"):
        value = getattr(config, name)
        if value is not None:
            params[name] = value
    if config.max_tokens is not None:
        params[max_tokens_field] = config.max_tokens
    if config.n > 1:
        params["n"] = config.n
    if config.logprobs or config.top_logprobs:
        params["logprobs"] = True
        if config.top_logprobs:
            params["top_logprobs"] = config.top_logprobs
    return params


def parse_choices(data: dict[str, Any]) -> list[ModelChoice]:
    """The choices of a Chat Completions response (as a plain dict), in index order."""
    choices = sorted(data.get("choices") or [], key=lambda c: c.get("index") or 0)
    return [_choice(c) for c in choices]


def parse_usage(data: dict[str, Any]) -> Usage:
    """Input, output and cached tokens of a Chat Completions response (cost left unset)."""
    usage = data.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return Usage(
        input_tokens=usage.get("prompt_tokens") or 0,
        output_tokens=usage.get("completion_tokens") or 0,
        cached_tokens=details.get("cached_tokens") or 0,
    )


def _content(content: str | list[TextPart | ImagePart]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    return [
        {"type": "text", "text": p.text}
        if isinstance(p, TextPart)
        else {"type": "image_url", "image_url": {"url": p.data_url}}
        for p in content
    ]


def _assistant_message(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {"role": "assistant", "content": message.text or None}
    if message.tool_calls:
        data["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": _arguments_text(call)},
            }
            for call in message.tool_calls
        ]
    elif data["content"] is None:
        data["content"] = ""
    return data


def _tool_images_message(images: list[ImagePart]) -> dict[str, Any]:
    parts: list[TextPart | ImagePart] = [TextPart(text="Images returned by the tool calls above:")]
    return {"role": "user", "content": _content([*parts, *images])}


def _choice(choice: dict[str, Any]) -> ModelChoice:
    message = choice.get("message") or {}
    calls = [_tool_call(c) for c in message.get("tool_calls") or []]
    reason = STOP_REASONS.get(choice.get("finish_reason") or "", "unknown")
    logprobs = (choice.get("logprobs") or {}).get("content")
    return ModelChoice(
        message=Message.assistant(message.get("content") or "", tool_calls=calls),
        stop_reason=reason,  # type: ignore[arg-type]
        logprobs=None if logprobs is None else [_token(t) for t in logprobs],
    )


def _tool_call(call: dict[str, Any]) -> ToolCall:
    """A tool call; arguments that are not a JSON object are reported and kept as sent."""
    function = call.get("function") or {}
    name, raw = function.get("name", ""), function.get("arguments") or "{}"
    if isinstance(raw, dict):  # some compatible servers send the object itself
        return ToolCall(id=call["id"], name=name, arguments=raw)
    if not isinstance(raw, str):
        raw = json.dumps(raw)
    try:
        arguments = json.loads(raw)
    except ValueError as exc:
        error = f"{exc}: {raw!r}"
    else:
        if isinstance(arguments, dict):
            return ToolCall(id=call["id"], name=name, arguments=arguments)
        error = f"not an object: {raw!r}"
    return ToolCall(id=call["id"], name=name, parse_error=error, raw_arguments=raw)


def _arguments_text(call: ToolCall) -> str:
    """The arguments as the model sent them when they did not parse, else as JSON."""
    return call.raw_arguments if call.raw_arguments is not None else json.dumps(call.arguments)


def _token(token: dict[str, Any]) -> TokenLogprob:
    top = [
        TopLogprob(token=t["token"], logprob=t["logprob"]) for t in token.get("top_logprobs") or []
    ]
    return TokenLogprob(token=token["token"], logprob=token["logprob"], top=top)
