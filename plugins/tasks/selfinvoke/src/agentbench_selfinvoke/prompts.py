"""Prompts of the CodeEval-Pro harness, rebuilt to produce the same text.

Every template here yields, character for character, the prompt the upstream harness
(CodeEval-Pro/CodeEval-Pro @ 36f292ea) sends, so that scores are comparable with the paper:

- The *instruction* of a Pro problem comes from `eval/utils.py` (`map_humaneval_pro_problem`,
  `map_mbpp_pro_problem`, their `_cot` and `_1shot` forms, `map_bigcodebench_lite_pro_problem`);
  the base-problem instruction from `map_humaneval_problem`.
- *Completion mode* wraps instruction and response prefix in `PROMPT_WRAPPER`
  (`eval/prompt_template.py`), the prompt `eval/inference.py` gives to a model to continue.
- *Chat mode* is `eval/run_api.py`: a system message plus `PROMPT_WRAPPER_API` around the
  instruction alone (that wrapper drops the response prefix, so upstream's `cot` chat prompt equals
  the plain one; we keep that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Mode = Literal["chat", "completion"]
Variant = Literal["none", "cot", "1shot"]

#: The system sentence of upstream's prompts (`PROMPT_WRAPPER` and run_api's system message).
SYSTEM_PROMPT = (
    "You are an exceptionally intelligent coding assistant that consistently delivers accurate "
    "and reliable responses to user instructions."
)

_TASK_SENTENCE = (
    "Write a solution of python file to the following problems, the solution of the second "
    "problem requires single or multiple calls to the first solution."
)
_COT_OPENING = "Let's think step by step.\n"
_FENCE = "```"


@dataclass(frozen=True)
class PromptParts:
    """An upstream problem mapping: the instruction and the start of the response."""

    instruction: str
    response_prefix: str


def pro_prompt_parts(record: dict[str, Any], *, family: str, variant: Variant) -> PromptParts:
    """Instruction and response prefix of a Pro problem, as upstream's `map_*_pro_problem*`.

    Args:
        record: A CodeEval-Pro record.
        family: "humaneval", "mbpp" or "bigcodebench".
        variant: "none", "cot" (the response opens with "Let's think step by step.") or
            "1shot" (one line of the test code is shown as an example).
    """
    base = record["raw_problem"].strip()
    new = record["new_problem"].strip()
    head = f"{_TASK_SENTENCE}\n{_FENCE}python\n{base}\n{new}\n"
    if family == "bigcodebench":
        # map_bigcodebench_lite_pro_problem: a blank line before the closing fence, no variants.
        instruction = f"{head}\n{_FENCE}"
    elif variant == "1shot":
        instruction = f"{head}\n{one_shot_example(record, family)}\n{_FENCE}"
    else:
        instruction = f"{head}{_FENCE}"
    prefix = f"{_FENCE}python\n{base}\n"
    if variant == "cot":
        prefix = _COT_OPENING + prefix
    return PromptParts(instruction, prefix)


def one_shot_example(record: dict[str, Any], family: str) -> str:
    """The test line upstream shows in the 1-shot prompt.

    HumanEval Pro test code starts with a newline, so upstream takes line 1 there and line 0 for
    MBPP Pro (`test_code.split('\\n')[1]` and `[0]`); we do the same, with "" past the end.
    """
    lines = record["test_code"].split("\n")
    index = 1 if family == "humaneval" else 0
    return lines[index] if index < len(lines) else ""


def base_prompt_parts(record: dict[str, Any]) -> PromptParts:
    """Instruction and prefix of the base problem alone, as upstream's `map_humaneval_problem`.

    Upstream scores base HumanEval/MBPP with evalplus and its own prompts; here the base problem
    is the record's `raw_problem`, put in the HumanEval form for all three families.
    """
    prompt = record["raw_problem"].strip()
    return PromptParts(
        instruction=(
            f"Write a solution to the following problem:\n{_FENCE}python\n{prompt}\n{_FENCE}"
        ),
        response_prefix=f"{_FENCE}python\n{prompt}",
    )


def completion_prompt(parts: PromptParts) -> str:
    """The text a model continues in completion mode (upstream `PROMPT_WRAPPER`)."""
    return (
        f"{SYSTEM_PROMPT}\n@@ Instruction\n{parts.instruction}\n\n"
        f"@@ Response\n{parts.response_prefix}"
    )


def chat_prompt(parts: PromptParts) -> str:
    """The user message of chat mode (upstream `PROMPT_WRAPPER_API`; the prefix is not sent)."""
    return f"\n@@ Instruction\n{parts.instruction}\n@@ Response\n"
