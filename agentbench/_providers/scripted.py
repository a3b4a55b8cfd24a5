"""The `scripted` model: replays responses from a JSON/YAML file or a Python list.

    agentbench run hello-arith --model scripted/responses.yaml
    agentbench run hello-arith --model scripted -M file=responses.json

The script is either one list of responses that every episode replays, or a mapping from sample
id to a list (the key `"*"` covers samples not listed). The n-th model call of an episode (of this
model's role) gets the n-th response of its list; retries do not advance it. Instead of a list, a
sample may map call tags to responses (`ctx.generate(..., tag=...)`), so that calls made at once
get the same answers whatever order they arrive in; the key `"*"` there answers untagged calls
and tags not listed. See `responses.py` for the item format.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from agentbench.errors import DataError, ModelError
from agentbench.model import ModelProvider, current_episode
from agentbench.roles import current_call
from agentbench.types import GenerateConfig, Message, ModelOutput, ToolSpec

from .responses import to_output, with_input_estimate


class ScriptExhaustedError(ModelError):
    """The script has no response for this call (never retried)."""


class ScriptedProvider(ModelProvider):
    """Replays scripted responses.

    Args:
        model_name: A script file path (`scripted/<path>`), or empty.
        file: A script file (JSON or YAML), when not given as the model name.
        responses: The script as a Python list, or a mapping sample id -> list.
    """

    name = "scripted"

    def __init__(
        self,
        model_name: str = "",
        *,
        file: str | None = None,
        responses: Sequence[Any] | Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        super().__init__(model_name)
        path = file or model_name or None
        if responses is None and path is None:
            raise DataError(
                "the scripted model needs a script",
                "use --model scripted/<file.yaml> or -M file=<file>, or pass responses=[...]",
            )
        if responses is None:
            script_path = Path(str(path))
            self.source = str(script_path)
            self.script = self._compile(load_script(script_path), script_path.parent)
        else:
            self.source = "the scripted responses"
            self.script = self._compile(responses, Path.cwd())
        self._calls_outside_episodes = itertools.count()

    def _compile(
        self, script: Any, base_dir: Path
    ) -> dict[str, list[ModelOutput] | dict[str, ModelOutput]]:
        if isinstance(script, Mapping):
            lists = {str(k): v for k, v in script.items()}
        elif isinstance(script, Sequence) and not isinstance(script, str):
            lists = {"*": script}
        else:
            raise DataError(
                f"{self.source}: a script is a list of responses or a mapping sample id -> list",
                "wrap the responses in a list",
            )
        compiled: dict[str, list[ModelOutput] | dict[str, ModelOutput]] = {}
        for key, items in lists.items():
            if isinstance(items, Mapping):  # tag -> response
                compiled[key] = {
                    str(tag): to_output(
                        item,
                        where=f"{self.source}: {key!r}, tag {tag!r}",
                        model=self.name,
                        base_dir=base_dir,
                    )
                    for tag, item in items.items()
                }
                continue
            if not isinstance(items, Sequence) or isinstance(items, str):
                raise DataError(
                    f"{self.source}: the responses of {key!r} must be a list", "wrap them in a list"
                )
            label = "" if key == "*" else f"sample {key!r}, "
            compiled[key] = [
                to_output(
                    item,
                    where=f"{self.source}: {label}response #{i + 1}",
                    model=self.name,
                    base_dir=base_dir,
                )
                for i, item in enumerate(items)
            ]
        return compiled

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        info, call = current_episode(), current_call()
        if call is not None:
            index = call.index
        else:
            index = info.calls if info is not None else next(self._calls_outside_episodes)
        sample_id = info.sample.id if info is not None else None
        responses = self.script.get(sample_id) if sample_id is not None else None
        if responses is None:
            responses = self.script.get("*")
        if responses is None:
            raise ScriptExhaustedError(
                f"{self.source} has no responses for sample {sample_id!r} (and no '*' entry)"
            )
        if isinstance(responses, dict):
            tag = call.tag if call is not None and call.tag is not None else "*"
            output = responses.get(tag, responses.get("*"))
            if output is None:
                raise ScriptExhaustedError(
                    f"{self.source} has no response for tag {tag!r} of sample {sample_id!r}"
                )
            return with_input_estimate(output, messages)
        if index >= len(responses):
            whose = f" for sample {sample_id!r}" if sample_id is not None else ""
            raise ScriptExhaustedError(
                f"the scripted model ran out of responses{whose}: call #{index + 1}, "
                f"but {self.source} has {len(responses)}"
            )
        return with_input_estimate(responses[index], messages)


def load_script(path: Path) -> Any:
    """Read a script file: JSON (`.json`) or YAML (anything else).

    Raises:
        DataError: the file is missing or malformed (with the path and line).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read script {path}: {exc.strerror}", "check the path") from None
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}:{exc.lineno}: malformed JSON: {exc.msg}", "fix the file"
            ) from None
    import yaml  # only when a YAML script is used

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DataError(f"{path}{line}: malformed YAML: {problem}", "fix the file") from None
