"""The `replay` model: completions generated elsewhere, read from a JSONL file.

    agentbench run humaneval-pro --model replay/samples.jsonl --epochs 5

Each line is a JSON object with the sample id (`sample_id` or `task_id`, as evalplus writes it),
the answer (`completion`, `solution`, `output`, or `predict` as ClassEval's published outputs
have it) and optionally `epoch` (0-based). A file that is one JSON array of such objects (the
shape of ClassEval's `output/model_output/*.json`) is read the same way. Lines without
an epoch count up per sample: the first line of a sample is epoch 0, the next epoch 1, and so on.
An answer may also be a list of strings (several samples in one line, as some upstream harnesses
write them): its items are consecutive epochs, from the line's `epoch` (or the next free one).
Which answer field a line used is put in `ModelOutput.metadata["replay_field"]`, so a task can
treat a completion (a function body to append to the prompt) apart from a full solution.
"""

from __future__ import annotations

import json
from pathlib import Path

from agentbench.errors import DataError, ModelError
from agentbench.model import ModelProvider, current_episode
from agentbench.types import GenerateConfig, Message, ModelOutput, ToolSpec, Usage

from .responses import estimate_tokens, with_input_estimate

ID_FIELDS = ("sample_id", "task_id")
ANSWER_FIELDS = ("completion", "solution", "output", "predict")


class ReplayProvider(ModelProvider):
    """Answers each episode with the stored completion for its (sample id, epoch).

    Args:
        model_name: The JSONL file (`replay/<path>`), or empty when `file` is given.
        file: The JSONL file, when not given as the model name.
    """

    name = "replay"

    def __init__(self, model_name: str = "", *, file: str | None = None) -> None:
        super().__init__(model_name)
        path = file or model_name
        if not path:
            raise DataError(
                "the replay model needs a JSONL file",
                "use --model replay/<samples.jsonl> or -M file=<samples.jsonl>",
            )
        self.path = Path(path)
        self.outputs = load_replay(self.path)

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        info = current_episode()
        if info is None:
            raise ModelError("the replay model answers only inside an episode of a task")
        output = self.outputs.get((info.sample.id, info.epoch))
        if output is None:
            have = sorted(e for s, e in self.outputs if s == info.sample.id)
            raise ModelError(
                f"{self.path} has no completion for sample {info.sample.id!r} "
                f"epoch {info.epoch} (it has epochs {have or 'none'})"
            )
        return with_input_estimate(output, messages)


def load_replay(path: Path) -> dict[tuple[str, int], ModelOutput]:
    """Read a replay file into {(sample id, epoch): output}.

    Raises:
        DataError: the file is unreadable, or a line is malformed (with the path and line).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DataError(
            f"cannot read replay file {path}: {exc.strerror}", "check the path"
        ) from None
    if "".join(lines[:5]).lstrip().startswith("["):  # one JSON array of records
        lines = _array_as_lines(path, "\n".join(lines))
    outputs: dict[tuple[str, int], ModelOutput] = {}
    next_epoch: dict[str, int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        sample_id, epoch, field, answers = _parse_line(line, f"{path}:{lineno}")
        if epoch is None:
            epoch = next_epoch.get(sample_id, 0)
            while (sample_id, epoch) in outputs:
                epoch += 1
        for offset, answer in enumerate(answers):
            _add_output(
                outputs, sample_id, epoch + offset, field, answer, f"{path}:{lineno}", lineno
            )
        next_epoch[sample_id] = epoch + len(answers)
    return outputs


def _array_as_lines(path: Path, text: str) -> list[str]:
    """The records of a JSON array, one JSON text each (record n is "line" n in errors)."""
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg}", "fix the file") from None
    if not isinstance(records, list):
        raise DataError(f"{path}: expected a JSON array of records", "fix the file")
    return [json.dumps(record) for record in records]


def _add_output(
    outputs: dict[tuple[str, int], ModelOutput],
    sample_id: str,
    epoch: int,
    field: str,
    answer: str,
    where: str,
    lineno: int,
) -> None:
    if (sample_id, epoch) in outputs:
        raise DataError(
            f"{where}: a second completion for sample {sample_id!r} epoch {epoch}",
            "keep one line per (sample, epoch)",
        )
    outputs[(sample_id, epoch)] = ModelOutput.from_text(
        answer,
        model="replay",
        usage=Usage(output_tokens=estimate_tokens(answer)),
        metadata={"replay_field": field, "replay_line": lineno},
    )


def _parse_line(line: str, where: str) -> tuple[str, int | None, str, list[str]]:
    fix = 'write one JSON object a line: {"task_id": ..., "completion": ...}'
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: malformed JSON: {exc.msg}", fix) from None
    if not isinstance(record, dict):
        raise DataError(f"{where}: expected a JSON object, got {type(record).__name__}", fix)
    id_field = next((f for f in ID_FIELDS if f in record), None)
    if id_field is None or not isinstance(record[id_field], str | int):
        raise DataError(f"{where}: no sample id (one of {', '.join(ID_FIELDS)})", fix)
    field = next((f for f in ANSWER_FIELDS if f in record), None)
    answer = record.get(field) if field else None
    answers = [answer] if isinstance(answer, str) else answer
    if not isinstance(answers, list) or not answers or not all(isinstance(a, str) for a in answers):
        raise DataError(
            f"{where}: no answer text (one of {', '.join(ANSWER_FIELDS)}: text or a list of texts)",
            fix,
        )
    epoch = record.get("epoch")
    if epoch is not None and (not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0):
        raise DataError(f"{where}: epoch must be an integer >= 0, got {epoch!r}", fix)
    assert field is not None
    return str(record[id_field]), epoch, field, answers
