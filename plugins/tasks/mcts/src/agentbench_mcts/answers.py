"""Records, reference steps and answer checkers for GSM8K, MATH-style and multiple-choice data.

Facts from YuxiXie/MCTS-DPO, mcts_rl/utils.py at fb23437f (extract_answer, strip_string,
math_equal, csr_equal) and the raw datasets (gsm8k.py, math.py, mcq.py): a GSM8K or MATH
record's reference reasoning is its solution followed by '\\nThe answer is <answer>'; a
multiple-choice record has no reasoning and its reference reads 'The answer is (X) <content>'.

Model text is only ever matched with regular expressions and compared as numbers or strings:
upstream's sympy equivalence (which parses model text) is not done.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from agentbench_mcts.prompts import assistant_tag
from agentbench_mcts.search import ANSWER_INDICATOR

Format = Literal["gsm8k", "math", "mc"]


def detect_format(record: dict[str, Any]) -> Format:
    """gsm8k (question + answer with '####'), math (problem + solution), mc (answer letter)."""
    if "problem" in record and "solution" in record:
        return "math"
    if "answer_content" in record or re.fullmatch(r"[A-Z]", str(record.get("answer", ""))):
        return "mc"
    if "####" in str(record.get("answer", "")):
        return "gsm8k"
    raise ValueError("record has neither problem/solution, an answer letter, nor '####'")


def last_boxed(text: str) -> str | None:
    """The content of the last \\boxed{...} (braces balanced), or None."""
    idx = text.rfind("\\boxed")
    if idx < 0:
        return None
    rest = text[idx + len("\\boxed") :]
    if not rest.startswith("{"):
        return rest.split("$")[0].strip() or None
    depth, out = 0, list[str]()
    for ch in rest:
        if ch == "{":
            depth += 1
            if depth == 1:
                continue
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return "".join(out)
        out.append(ch)
    return None


def _fix_a_slash_b(s: str) -> str:
    m = re.fullmatch(r"(-?\d+)/(-?\d+)", s)
    return f"\\frac{{{m.group(1)}}}{{{m.group(2)}}}" if m else s


def strip_answer(text: str) -> str:
    """Upstream's strip_string, the parts that apply to plain text (no sympy)."""
    s = str(text).strip().replace("\n", "").rstrip(".")
    for old, new in (
        ("\\!", ""),
        ("\\ ", ""),
        ("\\\\", "\\"),
        ("tfrac", "frac"),
        ("dfrac", "frac"),
    ):
        s = s.replace(old, new)
    s = s.replace("\\left", "").replace("\\right", "")
    without_unit = re.sub(r" [\w\.\s]+$", "", s).strip()
    if without_unit and without_unit != s:
        s = without_unit
    for old in ("^{\\circ}", "^\\circ", "\\$", "$", "\\text", "x\\in", "\\%", "%", "\\cdot"):
        s = s.replace(old, "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    s = re.sub(r"\\mbox{.*?}", "", s)
    s = re.sub(r"(\d+)\.0+([^\d])", r"\1\2", s)
    s = re.sub(r"(\d+)\.0+$", r"\1", s)
    if not s:
        return s
    if s[0] == ".":
        s = "0" + s
    if s[-1] == ".":
        s = s[:-1]
    parts = s.split("=")
    if len(parts) == 2 and len(parts[0]) <= 2:
        s = parts[1]
    s = re.sub(r"\\sqrt(\w+)", r"\\sqrt{\1}", s).replace(" ", "")
    return _fix_a_slash_b(s)


def extract_answer(text: str) -> str:
    """After the last ' answer is', else the last \\boxed{}, else the last number (upstream)."""
    if "USER:" in text:
        text = text.split("USER:")[0]
    if ANSWER_INDICATOR in text:
        pred = text.split(ANSWER_INDICATOR)[-1].strip()
    elif "boxed" in text:
        pred = last_boxed(text) or ""
    else:
        numbers = re.findall(r"-?\d*\.?\d+", text.replace(",", ""))
        pred = numbers[-1] if numbers else ""
    pred = pred.split("\n")[0]
    if pred.startswith(":"):
        pred = pred[1:]
    if pred.endswith(".") or pred.endswith("/"):
        pred = pred[:-1]
    return strip_answer(pred)


def _number(s: str) -> float | None:
    try:
        return float(s.replace(",", ""))
    except ValueError:
        return None


def math_equal(prediction: str, reference: str) -> bool:
    """Numbers within rel. 1e-4 (reference, /100 or x100 too), else equal once brackets go."""
    p, r = _number(prediction), _number(reference)
    if p is not None and r is not None:
        return any(math.isclose(x, p, rel_tol=1e-4) for x in (r / 100, r, r * 100))
    if not prediction:
        return False
    pred, ref = prediction.strip(), reference.strip()
    if (pred.startswith("[") and pred.endswith("]") and not ref.startswith("(")) or (
        pred.startswith("(") and pred.endswith(")") and not ref.startswith("[")
    ):
        pred, ref = pred.strip("[]()"), ref.strip("[]()")
    for ch in "{}()":
        pred, ref = pred.replace(ch, ""), ref.replace(ch, "")
    return pred == ref


_LEADS = (
    " answer is",
    "Overall, ",
    "Answer: ",
    "In summary, ",
    "In conclusion, ",
    "Therefore, ",
    "Thus, ",
    "So, ",
    "So ",
)


def _unique(items: list[str]) -> list[str]:
    return [x for i, x in enumerate(items) if x not in items[i + 1 :]]


def choice_score(prediction: str, option: str, content: str) -> float:
    """Upstream's csr_equal: 1 (one readable right option), .9/k (among k), 0, or -1."""
    raw, fmt = prediction, False
    if "QUESTION:" in prediction:
        prediction = prediction.split("QUESTION:")[0]
    for lead in _LEADS:
        if lead in prediction:
            prediction, fmt = prediction.strip().split(lead)[-1].strip(), True
            break
    else:
        if "\n" in prediction:
            prediction = re.split(r"[\n]+", prediction.strip())[-1].strip()
    options = re.findall(r"\([A-Z1-9]\)|[A-Z1-9]\)", prediction)
    backup = re.findall(r"[A-Z1-9]", prediction)
    if options:
        options = _unique(options)
    elif backup and fmt:
        options = _unique(backup)
    else:
        options = _unique(re.findall(r"\([A-Z1-9]\)|[A-Z1-9]\)", raw))
    if options:
        prediction = options[-1].strip(string.punctuation)
    target = option.strip(string.punctuation)
    if prediction == target and len(options) == 1 and fmt:
        return 1.0
    if target in [x.strip(string.punctuation) for x in options]:
        return 0.9 / len(options)
    if content in prediction:
        return 0.0
    return -1.0


def reference_steps(reasoning: str, answer: str, first_space: bool = True) -> list[str]:
    """The reasoning cut at newlines, '\\n' kept on all but the last, the answer line added."""
    lines = [x for x in re.split(r"[\n]+", reasoning.strip())]
    if ANSWER_INDICATOR not in lines[-1]:
        lines.append(f"The answer is {answer}")
    steps = [f"{x}\n" for x in lines[:-1]] + [lines[-1]]
    if first_space and not steps[0].startswith((" ", "\n")):
        steps[0] = " " + steps[0]
    return steps


@dataclass
class Question:
    """One record as the search sees it (implements search.Problem)."""

    id: str
    question: str
    answer: str
    answer_content: str
    reasoning: str
    format: Format
    reference_steps: list[str] = field(default_factory=list)

    @property
    def multiple_choice(self) -> bool:
        return self.format == "mc"

    @property
    def tag(self) -> str:
        return assistant_tag(self.multiple_choice)

    @property
    def solution(self) -> str:
        """The example answer the hinted self-evaluation shows."""
        if self.reasoning and self.reasoning != self.answer_content:
            return "".join(reference_steps(self.reasoning, self.answer, first_space=False))
        if self.answer != self.answer_content:
            return f"The answer is ({self.answer}) {self.answer_content}"
        return f"The answer is ({self.answer})"

    def outcome(self, steps: Sequence[str]) -> float:
        """+1 / -1 (GSM8K, MATH) or upstream's graded multiple-choice score."""
        text = "".join(steps)
        if self.multiple_choice:
            return choice_score(text, f"({self.answer})", self.answer_content)
        return 1.0 if math_equal(extract_answer(text), self.answer) else -1.0

    def correct(self, steps: Sequence[str]) -> bool:
        """Whether a final path is right (multiple choice: score > 0.8, upstream's filter)."""
        return self.outcome(steps) > 0.8


def question_from_record(record: dict[str, Any], index: int, fmt: Format | None = None) -> Question:
    """Build a Question from a GSM8K, MATH-style or multiple-choice record."""
    fmt = fmt or detect_format(record)
    rid = str(record.get("id", record.get("idx", index)))
    if fmt == "gsm8k":
        solution = str(record["answer"])
        answer = strip_answer(solution.split("####")[-1].strip())
        reasoning = f"{solution}\nThe answer is {answer}"
        q = Question(rid, str(record["question"]), answer, answer, reasoning, fmt)
    elif fmt == "math":
        solution = str(record["solution"])
        answer = extract_answer(solution)
        reasoning = f"{solution}\nThe answer is {answer}"
        q = Question(rid, str(record["problem"]), answer, answer, reasoning, fmt)
    else:
        letter = str(record["answer"]).strip().strip("()")
        content = str(record.get("answer_content", letter))
        q = Question(rid, str(record["question"]), letter, content, "", fmt)
    if q.reasoning:
        q.reference_steps = reference_steps(q.reasoning, q.answer)
    return q
