"""Turning scripted response items (text, dicts, Messages) into `ModelOutput`s.

A response item is one of:

- a string: the assistant's text;
- a `Message` or `ModelOutput`: used as is;
- a mapping with the keys `text` (or `content`: a string or a list of text/image parts),
  `tool_calls` (a list of `{"name", "arguments", "id"}`; `id` optional), `images` (file paths,
  relative to the script file, or `{"data": <base64>, "mime_type"}`), `stop_reason`, `usage`
  (`{"input_tokens", "output_tokens", "cost"}`) and `metadata`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentbench.errors import DataError
from agentbench.types import (
    ImagePart,
    Message,
    ModelChoice,
    ModelOutput,
    StopReason,
    TextPart,
    ToolCall,
    Usage,
)

_KEYS = frozenset({"text", "content", "tool_calls", "images", "stop_reason", "usage", "metadata"})
RESPONSE_KEYS = _KEYS  # the keys of one response written as a mapping


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters a token) for models that have no tokenizer."""
    return (len(text) + 3) // 4


def with_input_estimate(output: ModelOutput, messages: list[Message]) -> ModelOutput:
    """A copy of `output` whose usage estimates the prompt's tokens, unless it has a count."""
    usage = output.usage
    if not usage.input_tokens:
        estimate = sum(estimate_tokens(m.text) for m in messages)
        usage = usage.model_copy(update={"input_tokens": estimate})
    return output.model_copy(update={"usage": usage})


def to_output(
    item: Any, *, where: str, model: str = "", base_dir: Path | None = None
) -> ModelOutput:
    """Build the `ModelOutput` a scripted item stands for.

    Args:
        item: The response item (see the module docstring).
        where: Where the item comes from, for error messages ("responses.yaml, response #2").
        model: The model name put in the output.
        base_dir: The directory relative image paths are read from.

    Raises:
        DataError: the item is malformed (the message says where and why).
    """
    if isinstance(item, ModelOutput):
        return item
    if isinstance(item, str):
        message = Message.assistant(item)
    elif isinstance(item, Message):
        message = item
    elif isinstance(item, Mapping):
        return _from_mapping(item, where=where, model=model, base_dir=base_dir)
    else:
        raise DataError(
            f"{where}: a response must be a string or a mapping, not {type(item).__name__}",
            "write the response as text or as {text: ..., tool_calls: [...]}",
        )
    stop: StopReason = "tool_calls" if message.tool_calls else "stop"
    usage = Usage(output_tokens=estimate_tokens(message.text))
    return ModelOutput(
        model=model, choices=[ModelChoice(message=message, stop_reason=stop)], usage=usage
    )


def _from_mapping(
    item: Mapping[str, Any], *, where: str, model: str, base_dir: Path | None
) -> ModelOutput:
    unknown = set(item) - _KEYS
    if unknown:
        raise DataError(
            f"{where}: unknown response key(s) {', '.join(sorted(map(str, unknown)))}",
            f"use only {', '.join(sorted(_KEYS))}",
        )
    content = item.get("content", item.get("text", ""))
    images = [_image(i, where=where, base_dir=base_dir) for i in item.get("images") or []]
    try:
        if images:
            parts: list[TextPart | ImagePart] = (
                [TextPart(text=content)] if isinstance(content, str) and content else []
            )
            if isinstance(content, list):
                parts = [_part(p) for p in content]
            content = [*parts, *images]
        elif isinstance(content, list):
            content = [_part(p) for p in content]
        calls = [_tool_call(c, i, where) for i, c in enumerate(item.get("tool_calls") or [])]
        message = Message(role="assistant", content=content, tool_calls=calls)
        stop: StopReason = item.get("stop_reason") or ("tool_calls" if calls else "stop")
        usage = (
            Usage(**item["usage"])
            if item.get("usage")
            else Usage(output_tokens=estimate_tokens(message.text))
        )
        choice = ModelChoice(message=message, stop_reason=stop)
        return ModelOutput(
            model=model, choices=[choice], usage=usage, metadata=dict(item.get("metadata") or {})
        )
    except (ValidationError, TypeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            f"{where}: malformed response: {first}", "see agentbench.testing for the format"
        ) from None


def _part(part: Any) -> TextPart | ImagePart:
    if isinstance(part, TextPart | ImagePart):
        return part
    if isinstance(part, str):
        return TextPart(text=part)
    if isinstance(part, Mapping) and part.get("type") == "image":
        return ImagePart(**part)
    return TextPart(**part)


def _tool_call(call: Any, index: int, where: str) -> ToolCall:
    if isinstance(call, ToolCall):
        return call
    if not isinstance(call, Mapping) or "name" not in call:
        raise DataError(
            f"{where}: tool call #{index + 1} needs a name", "write {name: ..., arguments: {...}}"
        )
    arguments = call.get("arguments", call.get("args", {}))
    return ToolCall(
        id=str(call.get("id") or f"call_{index + 1}"), name=call["name"], arguments=arguments
    )


def _image(image: Any, *, where: str, base_dir: Path | None) -> ImagePart:
    if isinstance(image, ImagePart):
        return image
    if isinstance(image, Mapping) and "data" in image:
        return ImagePart(data=image["data"], mime_type=image.get("mime_type", "image/png"))
    path_text = image.get("path") if isinstance(image, Mapping) else image
    if not isinstance(path_text, str):
        raise DataError(
            f"{where}: an image must be a file path or {{data: <base64>}}", "fix the images list"
        )
    path = Path(path_text)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        return ImagePart.from_file(path)
    except OSError as exc:
        raise DataError(
            f"{where}: cannot read image {path}: {exc.strerror}", "check the image path"
        ) from None
