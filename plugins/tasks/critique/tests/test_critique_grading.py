"""Equivalence through the grading workers: upstream's cases, and hostile answers."""

from __future__ import annotations

import time

import pytest
from agentbench_critique.equivalence import math_equal, parse_digits
from agentbench_critique.grading import Grader

EQUAL = [
    ("540", "540"),
    ("ABC", "abc"),  # case-insensitive strings
    ("(C)", "C"),  # a choice letter
    ("the answer is D", "D"),
    ("1,000", "1000"),
    ("0.5", "50"),  # percent forms: gt*100, gt, gt/100
    ("50", "0.5"),
    ("12%", "0.12"),
    ("3.14159", "3.1416"),  # relative tolerance 1e-4
    ("\\frac{1}{2}", "0.5"),
    ("\\frac{x}{7}+\\frac{2}{7}", "\\frac{x+2}{7}"),
    ("\\sqrt{12}", "2\\sqrt{3}"),
    ("1+i\\sqrt{3}", "1+\\sqrt{3}i"),
    ("(1,4.5)", "(1,\\frac{9}{2})"),  # element-wise tuples
    ("[0,\\frac{1}{2})", "[0,0.5)"),  # intervals
    ("{1,2}", "(1,2)"),  # bracket-insensitive strings
    (
        "\\begin{pmatrix}1&\\frac{1}{2}\\\\3&4\\end{pmatrix}",
        "\\begin{pmatrix}1&0.5\\\\3&4\\end{pmatrix}",
    ),
    ("y=2x+1", "2x-y+1=0"),  # equations, either sign
    ("x=5", "5"),  # x= forms
    ("5", "k=5"),
    ("\\sin^2(x)+\\cos^2(x)", "1"),
    ("2^{10}", "1024"),
]
NOT_EQUAL = [
    ("540", "541"),
    ("3.14", "3.15"),
    ("100", "1.5"),
    ("(2,1)", "(1,2)"),
    ("\\begin{pmatrix}1&2\\end{pmatrix}", "\\begin{pmatrix}1&3\\end{pmatrix}"),
    ("1.07\\times10^{16}", "1.07e16"),  # upstream scores this pair wrong too
    ("B", "C"),
    ("", "0"),
    (None, "1"),
    ("x+1", "x+2"),
    ("\\{1,2\\}", "{1,2}"),  # the grader does not unescape (extraction does)
    ("x**2", "x^{2}"),  # sympy 1.12's parse_latex reads "x**2" as x, as upstream's does
]


def test_upstream_equal_cases(grader: Grader) -> None:
    verdicts = grader.equal_many(EQUAL)
    wrong = [pair for pair, v in zip(EQUAL, verdicts, strict=True) if not v.equal]
    assert wrong == []


def test_upstream_unequal_cases(grader: Grader) -> None:
    verdicts = grader.equal_many(NOT_EQUAL)
    wrong = [pair for pair, v in zip(NOT_EQUAL, verdicts, strict=True) if v.equal]
    assert wrong == []
    assert all(v.problem is None for v in verdicts)


def test_digits_and_the_numeric_shortcut() -> None:
    assert parse_digits("1,234.5") == 1234.5
    assert parse_digits("12\\%") == 0.12
    assert parse_digits("abc") is None
    # two numbers decide at once (no symbolic fallback), as upstream's grader does
    assert math_equal("2", "2.0001") is True
    assert math_equal("2", "2.01") is False


HOSTILE = [
    "__import__('os').system('touch /tmp/agentbench_critique_pwned')",
    "().__class__.__base__.__subclasses__()",
    "eval('1')",
    "exec('import os')",
    "lambda: 1",
    "[x for x in (1,)]",
    "open('/etc/passwd').read()",
    "\\text{__import__('os')}",
]


def test_hostile_answers_are_never_run(grader: Grader, tmp_path) -> None:
    marker = "/tmp/agentbench_critique_pwned"
    verdicts = grader.equal_many([(text, "0") for text in HOSTILE])
    assert not any(v.equal for v in verdicts)
    import os

    assert not os.path.exists(marker)
    # the worker is still healthy afterwards
    assert grader.equal("\\frac{1}{2}", "0.5").equal


def test_worker_refuses_eval_paths_inside_sympy() -> None:
    """Even sympy's own string parsing (sympify of text) is disabled in the worker."""
    import subprocess
    import sys

    program = (
        "from agentbench_critique.worker import _warm_up\n"
        "from agentbench_critique.safe_parse import guard_sympify\n"
        "_warm_up(); guard_sympify()\n"
        "import sympy\n"
        "print(sympy.sympify('12') == 12)\n"
        "try:\n"
        "    sympy.sympify(\"__import__('os').getcwd()\")\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
        "x = sympy.Symbol('x')\n"
        "try:\n"
        "    print(x.equals(\"__import__('os').getcwd()\"))\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300
    )
    lines = out.stdout.split()
    assert lines[0] == "True"
    assert lines[1] in {"SympifyError", "UnsafeExpression"}
    assert lines[2] in {"SympifyError", "UnsafeExpression", "False"}


@pytest.mark.parametrize("pred", ["9**9**9**9", "\\frac{9^{9^{9^9}}}{3}"])
def test_huge_powers_give_a_quick_mismatch(grader: Grader, pred: str) -> None:
    started = time.monotonic()
    verdict = grader.equal(pred, "1", timeout=3.0)
    assert not verdict.equal
    assert time.monotonic() - started < 60  # bounded: the worker is killed at 3 s
    assert grader.equal("7", "7.0").equal  # a fresh worker takes over


def test_a_timeout_is_reported_and_counts_as_a_mismatch() -> None:
    pool = Grader(workers=1, compare_timeout=0.5)
    try:
        pool.equal("1", "1")  # start the worker first (sympy import is not timed)
        verdict = pool.equal("9**9**9**9", "2")
        assert verdict.problem in {"timeout", None} and not verdict.equal
        verdict = pool.equal("\\sin^2(x)+\\cos^2(x)+9**9**9**9", "1")
        assert not verdict.equal
    finally:
        pool.close()


def test_extract_through_the_worker(grader: Grader) -> None:
    assert grader.extract("so \\boxed{\\dfrac{3}{4}}.", "math", "x").value == "\\frac{3}{4}"
    assert grader.extract("", "gsm8k", "12").value is None
    long_text = "\\text{" * 3000 + "1"
    verdict = grader.extract(long_text, "gsm8k", "1")
    assert verdict.problem in {None, "timeout"}


def test_python_syntax_reader_builds_only_whitelisted_expressions() -> None:
    import sympy
    from agentbench_critique.safe_parse import UnsafeExpression, parse_python_expr

    x = sympy.Symbol("x")
    assert parse_python_expr("(3, 4)") == sympy.Tuple(3, 4)
    assert parse_python_expr("x**2 + sqrt(4) - pi") == x**2 + 2 - sympy.pi
    assert parse_python_expr("-1.5/3") == sympy.Float("-0.5")
    for text in ("__import__('os')", "x.__class__", "(lambda: 1)()", "[1, 2]", "'text'"):
        with pytest.raises(UnsafeExpression):
            parse_python_expr(text)
