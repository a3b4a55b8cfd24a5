"""Answer equivalence, rebuilt to decide as RealCritic's grader does.

Upstream: RealCritic's `grader.py` (the Qwen2.5-Math evaluation grader it is built on; the
version at QwenLM/Qwen2.5-Math e3564205): `math_equal` tries, in order, equal strings, a choice
letter, numbers (relative tolerance 1e-4, also against gt/100 and gt*100 for percent forms),
bracket-insensitive strings, element-wise tuples/intervals, element-wise matrices, equations and
`x=` forms, and finally sympy (`symbolic_equal`). Upstream bounds each comparison at 3 s and
counts a timeout as a mismatch; here the bound is the grading worker's (see `grading.py`).

Our code, upstream's decisions. The one deliberate difference: text is never given to
`parse_expr`/`sympify` (Python `eval`); see `safe_parse.py`. This module is imported by the
worker process; calling `math_equal` elsewhere is safe but unbounded in time.
"""

from __future__ import annotations

import functools
import re
from math import isclose
from typing import Any

from .answers import CHOICES

_LIST = re.compile(r"(\(|\[).+(\)|\])")
_MATRIX_BEGINS = ("\\begin{pmatrix}", "\\begin{bmatrix}")
_MATRIX_ENDS = ("\\end{pmatrix}", "\\end{bmatrix}")


def _grader_choice(text: str) -> str:
    """The grader's own (simpler) choice clean-up: the last standalone letter A-E."""
    text = text.strip("\n").rstrip(".").rstrip("/").strip(" ").lstrip(":")
    letters = re.findall(r"\b(A|B|C|D|E)\b", text.upper()) or [text.strip().strip(".")]
    return letters[-1].rstrip(".").rstrip("/")


def parse_digits(value: Any) -> float | None:
    """A float for `value` (commas dropped; `12%` and `12\\%` read as 0.12), or None."""
    text = str(value).replace(",", "")
    try:
        return float(text)
    except ValueError:
        pass
    if text.endswith("%"):
        text = text[:-1].removesuffix("\\")
        try:
            return float(text) / 100
        except ValueError:
            pass
    return None


def numeric_equal(prediction: float, reference: float) -> bool:
    """Equal within a relative tolerance of 1e-4."""
    return isclose(reference, prediction, rel_tol=1e-4)


def _numbers_equal(pred: float, ref: float, include_percentage: bool, is_close: bool) -> bool:
    candidates = [ref / 100, ref, ref * 100] if include_percentage else [ref]
    for item in candidates:
        try:
            if numeric_equal(pred, item) if is_close else item == pred:
                return True
        except Exception:
            continue
    return False


def _str_to_pmatrix(text: str) -> str:
    rows = re.findall(r"\{.*,.*\}", text.strip())
    return ", ".join(
        r"\begin{pmatrix}" + row.strip("{}").replace(",", "\\") + r"\end{pmatrix}" for row in rows
    )


def _is_matrix(text: str) -> bool:
    return text.startswith(_MATRIX_BEGINS) and text.endswith(_MATRIX_ENDS)


def _matrix_rows(text: str) -> list[str]:
    body = text[len("\\begin{pmatrix}") : -len("\\end{pmatrix}")]
    return [line.strip() for line in body.split("\\\\") if line.strip()]


def _matrices_equal(pred: str, ref: str, include_percentage: bool, is_close: bool) -> bool:
    pred_rows, ref_rows = _matrix_rows(pred), _matrix_rows(ref)
    if len(pred_rows) != len(ref_rows):
        return False
    for pred_row, ref_row in zip(pred_rows, ref_rows, strict=True):
        pred_cells, ref_cells = pred_row.split("&"), ref_row.split("&")
        if len(pred_cells) != len(ref_cells):
            return False
        if not all(
            [
                math_equal(p, r, include_percentage, is_close)
                for p, r in zip(pred_cells, ref_cells, strict=True)
            ]
        ):
            return False
    return True


def _without_brackets(pred: str, ref: str) -> tuple[str, str]:
    if (pred.startswith("[") and pred.endswith("]") and not ref.startswith("(")) or (
        pred.startswith("(") and pred.endswith(")") and not ref.startswith("[")
    ):
        pred, ref = pred.strip("[]()"), ref.strip("[]()")
    for bracket in "{}()":
        pred, ref = pred.replace(bracket, ""), ref.replace(bracket, "")
    return pred, ref


def _as_difference(equation: str) -> str:
    left, right = equation.split("=")
    return f"{left.strip()} - ({right.strip()})"


def math_equal(
    prediction: Any, reference: Any, include_percentage: bool = True, is_close: bool = True
) -> bool:
    """Whether `prediction` and `reference` are the same answer (upstream `math_equal`)."""
    if prediction is None or reference is None:
        return False
    if str(prediction.strip().lower()) == str(reference.strip().lower()):
        return True
    if reference in CHOICES and _grader_choice(prediction) == reference:
        return True
    pred_number, ref_number = parse_digits(prediction), parse_digits(reference)
    if pred_number is not None and ref_number is not None:
        return _numbers_equal(pred_number, ref_number, include_percentage, is_close)
    if not prediction and prediction not in [0, False]:
        return False

    ref, pred = str(reference).strip(), str(prediction).strip()
    if "pmatrix" in pred and "pmatrix" not in ref:
        ref = _str_to_pmatrix(ref)
    pred_bare, ref_bare = _without_brackets(pred, ref)
    if pred_bare.lower() == ref_bare.lower():
        return True

    if _LIST.match(pred) and _LIST.match(ref):
        pred_parts, ref_parts = pred[1:-1].split(","), ref[1:-1].split(",")
        if len(pred_parts) == len(ref_parts) and all(
            [
                math_equal(p, r, include_percentage, is_close)
                for p, r in zip(pred_parts, ref_parts, strict=True)
            ]
        ):
            return True
    if (
        _is_matrix(pred)
        and _is_matrix(ref)
        and _matrices_equal(pred, ref, include_percentage, is_close)
    ):
        return True

    if pred.count("=") == 1 and ref.count("=") == 1:
        left, right = _as_difference(pred), _as_difference(ref)
        if symbolic_equal(left, right) or symbolic_equal(f"-({left})", right):
            return True
    elif pred.count("=") == 1 and len(pred.split("=")[0].strip()) <= 2 and "=" not in ref:
        if math_equal(pred.split("=")[1], ref, include_percentage, is_close):
            return True
    elif ref.count("=") == 1 and len(ref.split("=")[0].strip()) <= 2 and "=" not in pred:
        if math_equal(pred, ref.split("=")[1], include_percentage, is_close):
            return True

    return symbolic_equal(pred, ref)


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> Any:
    """The first parser that accepts the text (doubled backslashes halved first), else the text."""
    from .safe_parse import parse_latex_safe, parse_python_expr

    for parser in (parse_latex_safe, parse_python_expr):
        for candidate in (text.replace("\\\\", "\\"), text):
            try:
                return parser(candidate)
            except Exception:
                continue
    return text


def symbolic_equal(a: str, b: str) -> bool:
    """Equal as sympy expressions: structurally, by simplification, as equations, numerically,
    or as matrices rounded to 3 places (upstream `symbolic_equal`, each step guarded)."""
    from sympy import N
    from sympy.simplify.simplify import simplify

    x, y = _parse(a), _parse(b)
    checks = (
        lambda: str(x) == str(y) or x == y,
        lambda: x.equals(y) or simplify(x - y) == 0,
        lambda: abs(x.lhs - x.rhs).equals(abs(y.lhs - y.rhs)),
        lambda: numeric_equal(float(N(x)), float(N(y))),
        lambda: (
            x.shape == y.shape
            and x.applyfunc(lambda v: round(v, 3)).equals(y.applyfunc(lambda v: round(v, 3)))
        ),
    )
    for check in checks:
        try:
            if check():
                return True
        except Exception:
            continue
    return False
