"""Answer extraction and normalisation, rebuilt to behave as RealCritic's `parser.py` does.

Upstream: tangzhy/RealCritic @ 0fbc04a1, `parser.py` (`strip_string`, `extract_answer`,
`choice_answer_clean`, `parse_ground_truth`) and the multiple-choice clean-up in `math_eval.py`
(`main`). The code here is our own; the behaviour (including upstream's quirks, e.g. the unit
words removed as regular expressions, or a multiple-choice answer taken from the first paragraph
when "answer is" occurs twice) is kept on purpose, because the scores must match upstream's.

Everything here is plain string processing: no `eval`, no sympy. Model text still goes through
it only inside the grading worker (see `grading.py`), where every call is bounded in time.
"""

from __future__ import annotations

import re
from typing import Any

from word2number import w2n

#: Tasks whose answers keep their unit words (upstream `STRIP_EXCEPTIONS`).
STRIP_EXCEPTIONS = ("carp_en", "minerva_math")
#: Tasks upstream reads with `choice_answer_clean` alone (no boxed answer).
_CHOICE_ONLY = ("mmlu_stem", "sat_math", "aqua", "gaokao2023")
#: Tasks whose extracted answer is reduced to its last choice letter.
_CHOICE_LETTER = ("sat_math", "aqua", "arc-challenge", "gpqa")
CHOICES = ("A", "B", "C", "D", "E")

# Unit words upstream strips (mainly from MathQA), in upstream's order; each is used as a regular
# expression between non-word boundaries, then the list is repeated with an "s" added to each.
_UNIT_WORDS = (
    "east", "degree", "mph", "kmph", "ft", "m sqaure", " m east", "sq m", "deg", "mile", "q .",
    "monkey", "prime", "ratio", "profit of rs", "rd", "o", "gm", "p . m", "lb", "tile", "per",
    "dm", "lt", "gain", "ab", "way", "west", "a .", "b .", "c .", "d .", "e .", "f .", "g .",
    "h .", "t", "a", "h", "no change", "men", "soldier", "pie", "bc", "excess", "st", "inches",
    "noon", "percent", "by", "gal", "kmh", "c", "acre", "rise", "a . m", "th", "π r 2", "sq",
    "mark", "l", "toy", "coin", "sq . m", "gallon", "° f", "profit", "minw", "yr", "women",
    "feet", "am", "pm", "hr", "cu cm", "square", "v â € ™", "are", "rupee", "rounds", "cubic",
    "cc", "mtr", "s", "ohm", "number", "kmph", "day", "hour", "minute", "min", "second", "man",
    "woman", "sec", "cube", "mt", "sq inch", "mp", "∏ cm ³", "hectare", "more", "sec", "unit",
    "cu . m", "cm 2", "rs .", "rs", "kg", "g", "month", "km", "m", "cm", "mm", "apple", "liter",
    "loss", "yard", "pure", "year", "increase", "decrease", "d", "less", "Surface", "litre",
    "pi sq m", "s .", "metre", "meter", "inch",
)  # fmt: skip
_UNIT_PATTERNS = tuple(
    re.compile(r"(^|\W)" + word + r"($|\W)")
    for word in (*_UNIT_WORDS, *(w + "s" for w in _UNIT_WORDS))
)
_VAR_PREFIXES = ("x=", "y=", "z=", "x\\in", "y\\in", "z\\in", "x\\to", "y\\to", "z\\to")
_LAST_NUMBER = re.compile(r"-?\d*\.?\d+")
_LETTER = re.compile(r"\b(A|B|C|D|E)\b")
_TRIGGERS = ("choice is", "answer is")


def _fix_fracs(text: str) -> str:
    """`\\frac12` -> `\\frac{1}{2}`, `\\frac1b` -> `\\frac{1}{b}` (upstream `_fix_fracs`)."""
    head, *pieces = text.split("\\frac")
    out = head
    for piece in pieces:
        out += "\\frac"
        if piece[:1] == "{":
            out += piece
            continue
        if len(piece) < 2:
            return text
        first, second, rest = piece[0], piece[1], piece[2:]
        if second != "{":
            out += "{" + first + "}{" + second + "}" + rest
        else:
            out += "{" + first + "}" + second + rest
    return out


def _fix_a_slash_b(text: str) -> str:
    """`3/4` -> `\\frac{3}{4}` when both sides are plain integers (upstream `_fix_a_slash_b`)."""
    parts = text.split("/")
    if len(parts) != 2:
        return text
    try:
        a: Any = parts[0] if "sqrt" in parts[0] else int(parts[0])
        b: Any = parts[1] if "sqrt" in parts[1] else int(parts[1])
    except ValueError:
        return text
    if text != f"{a}/{b}":
        return text
    return "\\frac{" + str(a) + "}{" + str(b) + "}"


def _word_number(text: str) -> str:
    """Number words to digits where word2number can read them (upstream `convert_word_number`)."""
    try:
        return str(w2n.word_to_num(text))
    except Exception:
        return text


def _strip_units(text: str) -> str:
    for _ in range(2):
        for pattern in _UNIT_PATTERNS:
            stripped = pattern.sub(r"\1\2", text)
            if stripped != "":
                text = stripped
    return text


def strip_string(value: Any, skip_unit: bool = False) -> str:
    """Normalise an answer as upstream's `strip_string` does (LaTeX, units, percent, x= ...)."""
    s = str(value).strip().replace("\n", "").rstrip(".")
    s = s.replace("\\!", "")
    s = re.sub(r"\\begin\{array\}\{.*?\}", r"\\begin{pmatrix}", s)
    s = re.sub(r"\\end\{array\}", r"\\end{pmatrix}", s)
    s = s.replace("bmatrix", "pmatrix").replace("tfrac", "frac").replace("dfrac", "frac")
    s = s.replace("\\neq", "\\ne").replace("\\leq", "\\le").replace("\\geq", "\\ge")
    s = s.replace("\\left", "").replace("\\right", "").replace("\\{", "{").replace("\\}", "}")
    without_text = re.sub(r"\\text{.*?}$", "", s).strip()
    if without_text != "" and without_text != s:
        s = without_text
    if not skip_unit:
        s = _strip_units(s)
    s = s.replace("^{\\circ}", "").replace("^\\circ", "")
    s = s.replace("\\$", "").replace("$", "").replace("\\(", "").replace("\\)", "")
    s = _word_number(s)
    s = re.sub(r"\\text\{(.*?)\}", r"\1", s)
    for prefix in _VAR_PREFIXES:
        s = s.replace(prefix, "")
    s = s.replace("\\emptyset", r"{}").replace("(-\\infty,\\infty)", "\\mathbb{R}")
    s = s.replace("\\%", "").replace("%", "")
    s = s.replace(" .", " 0.").replace("{.", "{0.")
    # (upstream's outer-bracket removal here requires str.isalnum() of a bracketed string, so it
    # never fires; left out)
    s = s.replace("infinity", "\\infty")
    if "\\infty" not in s:
        s = s.replace("inf", "\\infty")
    s = s.replace("+\\inity", "\\infty").replace("and", "").replace("\\mathbf", "")
    s = re.sub(r"\\mbox{.*?}", "", s)
    if "j" in s and "i" not in s:
        s = s.replace("j", "i")
    s = re.sub(r"(\d+)\.0*([^\d])", r"\1\2", s)
    s = re.sub(r"(\d+)\.0*$", r"\1", s)
    if not s:
        return s
    if s[0] == ".":
        s = "0" + s
    sides = s.split("=")
    if len(sides) == 2 and len(sides[0]) <= 2:
        s = sides[1]
    s = re.sub(r"\\sqrt(\w+)", r"\\sqrt{\1}", s).replace(" ", "")
    return _fix_a_slash_b(_fix_fracs(s))


def choice_answer_clean(text: str) -> str:
    """The choice letter of a free-text answer (upstream `parser.choice_answer_clean`)."""
    text = text.strip("\n")
    if any(text.count(trigger) > 1 for trigger in _TRIGGERS):
        text = text.split("\n\n")[0]  # upstream takes this for a few-shot echo
    pieces = re.split("|".join(_TRIGGERS), text)
    after_trigger = len(pieces) > 1
    if after_trigger:
        text = pieces[-1]
    text = text.strip("\n").rstrip(".").rstrip("/").strip(" ").lstrip(":")
    letters = _LETTER.findall(text.upper()) or [text.strip().strip(".")]
    picked = letters[0] if after_trigger else letters[-1]
    return picked.rstrip(".").rstrip("/")


def last_boxed(text: str) -> str:
    """The content of the last `boxed{...}` (braces matched), or what follows `boxed` to a `$`."""
    tail = text.split("boxed")[-1]
    if not tail:
        return ""
    if tail[0] != "{":
        return tail.split("$")[0].strip()
    depth, out = 1, []
    for char in tail[1:]:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                break
        out.append(char)
    return "".join(out)


def _raw_answer(text: str, use_last_number: bool) -> str:
    if "final answer is $" in text and "$. I hope" in text:  # minerva's few-shot phrase
        return text.split("final answer is $", 1)[1].split("$. I hope", 1)[0].strip()
    if "boxed" in text:
        return last_boxed(text)
    for phrase in ("he answer is", "final answer is", "best answer is", "correct answer is"):
        if phrase in text:
            return text.split(phrase)[-1].strip()
    if "答案是" in text:
        return text.split("答案是")[1].strip().split("\n\n")[0].strip()
    if not use_last_number:
        return ""
    numbers = _LAST_NUMBER.findall(text.replace(",", ""))
    return numbers[-1] if numbers else ""


def extract_answer(text: str, task: str, use_last_number: bool = True) -> str:
    """The normalised final answer of a response (upstream `extract_answer`)."""
    text = text.replace("\u043a\u0438", "")
    if task in _CHOICE_ONLY:
        return choice_answer_clean(text)
    pred = _raw_answer(text, use_last_number)
    if task in _CHOICE_LETTER or "mmlu" in task:
        letters = _LETTER.findall(pred.upper())
        pred = letters[-1] if letters else pred.strip().strip(".")
    pred = re.sub(r"\n\s*", "", pred)
    if pred[:1] == ":":
        pred = pred[1:]
    if pred[-1:] == ".":
        pred = pred[:-1]
    if pred[-1:] == "/":
        pred = pred[:-1]
    return strip_string(pred, skip_unit=task in STRIP_EXCEPTIONS)


def _is_multi_choice(answer: str) -> bool:
    return all(char in CHOICES for char in answer)


def prediction(text: str, task: str, raw_gt: str) -> str | None:
    """What upstream scores for a response: extracted, stripped again, choice-cleaned.

    Mirrors `run_execute` (empty text gives None; the answer is `strip_string`ed a second time)
    and the clean-up in `math_eval.main` against the record's raw `gt`.
    """
    pred: str | None = None
    if text and text != "error":
        pred = strip_string(extract_answer(text, task), skip_unit=task in STRIP_EXCEPTIONS)
    if raw_gt in CHOICES and pred not in CHOICES:
        return choice_answer_clean(text)
    if pred is not None and _is_multi_choice(raw_gt) and not _is_multi_choice(pred):
        return "".join(char for char in pred if char in CHOICES)
    return pred


def parse_ground_truth(record: dict[str, Any], task: str) -> str:
    """The reference answer upstream compares with (`parse_ground_truth` for gt/gt_cot records)."""
    if task == "math":
        return extract_answer(str(record["gt_cot"]), task)
    if task in STRIP_EXCEPTIONS:
        return str(record["gt"])
    return strip_string(record["gt"])
