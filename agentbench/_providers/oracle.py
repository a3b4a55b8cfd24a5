"""The `oracle` model (the task's reference answer) and the `null` model (a constant answer).

A run with `oracle` must score 100% (a check of the checker); a run with `null` about 0%.
"""

from __future__ import annotations

from agentbench.errors import ModelError
from agentbench.model import ModelProvider, current_episode
from agentbench.roles import DEFAULT_ROLE, current_call
from agentbench.types import GenerateConfig, Message, ModelOutput, ToolSpec

from .responses import RESPONSE_KEYS, to_output, with_input_estimate


class OracleProvider(ModelProvider):
    """Answers with `task.reference(sample)` of the current episode.

    A list reference gives one item per model call of the episode (for multi-step tasks); each
    item is text, a `Message` or a response mapping (see the `scripted` model).
    """

    name = "oracle"

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        info, call = current_episode(), current_call()
        if info is None or info.task is None:
            raise ModelError("the oracle model answers only inside an episode of a task")
        task_name = getattr(info.task, "name", "") or type(info.task).__name__
        role = call.role if call is not None else DEFAULT_ROLE
        index = call.index if call is not None else info.calls
        if role == DEFAULT_ROLE:
            reference = info.task.reference(info.sample)
        else:
            try:
                reference = info.task.reference(info.sample, role)
            except TypeError:
                reference = None
            if reference is None:
                raise ModelError(
                    f"task {task_name!r} gives no reference answer for role {role!r} "
                    f"(sample {info.sample.id!r}), so the oracle model cannot answer as it"
                )
        if reference is None:
            raise ModelError(
                f"task {task_name!r} has no reference answer for sample "
                f"{info.sample.id!r}, so the oracle model cannot answer"
            )
        where = f"reference of {task_name!r} for sample {info.sample.id!r}"
        if isinstance(reference, dict) and not _is_response(reference):
            tag = call.tag if call is not None and call.tag is not None else "*"
            if tag not in reference and "*" not in reference:
                raise ModelError(f"the {where} has no answer for the call tagged {tag!r}")
            item = reference.get(tag, reference.get("*"))
            output = to_output(item, where=f"{where}, tag {tag!r}", model=self.name)
        elif isinstance(reference, list | tuple):
            if index >= len(reference):
                raise ModelError(
                    f"the {where} has {len(reference)} step(s); "
                    f"the task asked for call #{index + 1}"
                )
            item = reference[index]
            output = to_output(item, where=f"{where}, step #{index + 1}", model=self.name)
        else:
            output = to_output(reference, where=where, model=self.name)
        return with_input_estimate(output, messages)


def _is_response(item: dict) -> bool:  # type: ignore[type-arg]
    """A mapping that is one response (text / tool calls / images), not tag -> response."""
    return bool(set(item) & RESPONSE_KEYS)


class BaselineProvider(ModelProvider):
    """The null baseline: answers with `task.baseline(sample)` (a task's own stronger null that
    games weak checkers), or with an empty answer for tasks that declare none."""

    name = "baseline"

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        info = current_episode()
        answer = None
        if info is not None and info.task is not None:
            answer = info.task.baseline(info.sample)
        output = to_output(
            answer if answer is not None else "", where="the baseline answer", model=self.name
        )
        return with_input_estimate(output, messages)


class NullProvider(ModelProvider):
    """Always answers the same text: `-M answer=...` (empty by default)."""

    name = "null"

    def __init__(self, model_name: str = "", *, answer: str = "") -> None:
        super().__init__(model_name)
        self.answer = str(answer)
        self._output = to_output(self.answer, where="the null model's answer", model=self.name)

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        return with_input_estimate(self._output, messages)
