"""The `oracle` model (the task's reference answer) and the `null` model (a constant answer).

A run with `oracle` must score 100% (a check of the checker); a run with `null` about 0%.
"""

from __future__ import annotations

from agentbench.errors import ModelError
from agentbench.model import ModelProvider, current_episode
from agentbench.types import GenerateConfig, Message, ModelOutput, ToolSpec

from .responses import to_output, with_input_estimate


class OracleProvider(ModelProvider):
    """Answers with `task.reference(sample)` of the current episode.

    A list reference gives one item per model call of the episode (for multi-step tasks); each
    item is text, a `Message` or a response mapping (see the `scripted` model).
    """

    name = "oracle"

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        info = current_episode()
        if info is None or info.task is None:
            raise ModelError("the oracle model answers only inside an episode of a task")
        task_name = getattr(info.task, "name", "") or type(info.task).__name__
        reference = info.task.reference(info.sample)
        if reference is None:
            raise ModelError(
                f"task {task_name!r} has no reference answer for sample "
                f"{info.sample.id!r}, so the oracle model cannot answer"
            )
        where = f"reference of {task_name!r} for sample {info.sample.id!r}"
        if isinstance(reference, list | tuple):
            if info.calls >= len(reference):
                raise ModelError(
                    f"the {where} has {len(reference)} step(s); "
                    f"the task asked for call #{info.calls + 1}"
                )
            item = reference[info.calls]
            output = to_output(item, where=f"{where}, step #{info.calls + 1}", model=self.name)
        else:
            output = to_output(reference, where=where, model=self.name)
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
