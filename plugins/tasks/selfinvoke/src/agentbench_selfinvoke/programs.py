"""From a model's answer to the programs that are run: extraction, sanitising, assembly.

Upstream (CodeEval-Pro @ 36f292ea) keeps two shapes of answer:

- a *completion* (`eval/inference.py`): the model's continuation of the response prefix, cut at
  the first closing fence; the program is `raw_problem + completion`;
- a *solution* (`eval/run_api.py`): the chat answer after its first "```python" opener, cut at
  the next fence; the program is the solution alone.

`eval/santize.py` then trims demo and test code after the solution; `eval/harness.py` scores the
raw and the sanitised programs and reports the better.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

AnswerKind = Literal["completion", "solution"]

_FENCE = "```"


def cut_at_fence(text: str) -> str:
    """The text up to (not including) the first "```", or all of it."""
    index = text.find(_FENCE)
    return text if index == -1 else text[:index]


def extract_completion(output: str) -> str:
    """A completion-mode answer: the continuation cut at the first closing fence."""
    return cut_at_fence(output)


def extract_solution(output: str) -> str:
    """A chat-mode answer: what follows the first "```python" (or all), cut at the next fence."""
    return cut_at_fence(output.split(_FENCE + "python", 1)[-1])


def sanitize(code: str) -> str:
    """Upstream's trimming of demo and test code (`post_process_humaneval` in eval/santize.py).

    Only the first marker found applies, in this order: "if __name__", "# Test", "# Example".
    Upstream tests for "# Example" but splits on "# Example " (trailing space), so "# Example:"
    trims nothing; we keep that quirk so that sanitised scores match upstream's.
    """
    if "if __name__" in code:
        return code.split("if __name__", 1)[0]
    if "# Test" in code:
        return code.split("# Test", 1)[0]
    if "# Example" in code:
        return code.split("# Example ", 1)[0]
    return code


@dataclass(frozen=True)
class Answer:
    """The code a model answered with, and how to turn it into a program."""

    kind: AnswerKind
    code: str

    def program(
        self, record: dict[str, Any], *, sanitized: bool = False, base: bool = False
    ) -> str:
        """The program to run before the test code.

        Args:
            record: The CodeEval-Pro record the answer is for.
            sanitized: Apply upstream's sanitiser to the answer first.
            base: The answer solves the base problem only; the record's own self-invoking
                solution (`new_problem + new_solution`) is appended, so the Pro tests exercise
                the model's base function through the reference caller.
        """
        code = sanitize(self.code) if sanitized else self.code
        program = record["raw_problem"] + code if self.kind == "completion" else code
        if base:
            program = program + "\n" + record["new_problem"] + record["new_solution"]
        return program


def parse_answer(output: str, *, mode: str, replay_field: str | None = None) -> Answer:
    """Read the code out of a model's answer.

    Args:
        output: The answer text.
        mode: The prompt mode of the run ("chat" or "completion").
        replay_field: Set by the `replay` model: "completion" and "solution" are upstream's
            results.jsonl fields (already cut, used as they are); "output" is a raw answer.
    """
    if replay_field == "completion":
        return Answer("completion", extract_completion(output))
    if replay_field == "solution":
        return Answer("solution", extract_solution(output))
    if mode == "completion":
        return Answer("completion", extract_completion(output))
    return Answer("solution", extract_solution(output))


def reference_answer(record: dict[str, Any], *, mode: str, base: bool = False) -> str:
    """The gold answer as a model would give it in `mode` (what the `oracle` model replies).

    The program it yields is upstream's ground truth: raw_problem + raw_solution (+ new_problem +
    new_solution for Pro problems).
    """
    tail = (
        record["raw_solution"]
        if base
        else (record["raw_solution"] + record["new_problem"] + record["new_solution"])
    )
    if mode == "completion":
        return _close_fence(tail)
    return f"{_FENCE}python\n" + _close_fence(record["raw_problem"] + tail)


def _close_fence(code: str) -> str:
    return code + ("" if code.endswith("\n") else "\n") + _FENCE + "\n"
