"""Answer checkers and record formats (model text is only matched, never evaluated)."""

from __future__ import annotations

import pytest
from agentbench_mcts.answers import (
    choice_score,
    detect_format,
    extract_answer,
    math_equal,
    question_from_record,
)
from agentbench_mcts.prompts import hinted_eval_prompt, policy_prompt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" She makes 9 * 2 = 18 dollars.\nThe answer is 18", "18"),
        ("The answer is $1,000.", "1,000"),  # commas stay; math_equal drops them
        ("so the total is 70,000 and then 5 more", "5"),
        ("Thus $\\boxed{\\dfrac{3}{4}}$.", "\\frac{3}{4}"),
        ("The answer is 18.00", "18"),
        ("The answer is __import__('os').system('rm -rf /')", "__import__('os').system('rm-rf/')"),
    ],
)
def test_extract_answer(text: str, expected: str) -> None:
    assert extract_answer(text) == expected


def test_math_equal_numbers_percent_and_strings() -> None:
    assert math_equal("18", "18.0")
    assert math_equal("0.18", "18")  # upstream also accepts reference / 100 and x 100
    assert not math_equal("19", "18")
    assert math_equal("\\frac{3}{4}", "\\frac{3}{4}")
    assert not math_equal("", "3")


def test_gsm8k_math_and_mc_records() -> None:
    g = question_from_record({"question": "Q", "answer": "x\n#### 1,200"}, 3)
    assert (g.id, g.answer, g.format) == ("3", "1,200", "gsm8k")
    assert g.correct([" The answer is 1200"]) and not g.correct([" The answer is 13"])
    assert g.correct([" The answer is 12"])  # upstream also accepts the answer / 100
    m = question_from_record({"problem": "P", "solution": "So it is $\\boxed{\\frac{1}{2}}$."}, 0)
    assert (m.answer, m.format) == ("\\frac{1}{2}", "math")
    assert m.reference_steps[-1] == "The answer is \\frac{1}{2}"
    assert m.correct([" Half.\n", "The answer is \\frac{1}{2}"])
    c = question_from_record(
        {"question": "Q (A) x (B) y", "answer": "B", "answer_content": "y", "id": "c1"}, 0
    )
    assert (c.id, c.format, c.reference_steps) == ("c1", "mc", [])
    assert c.solution == "The answer is (B) y"
    assert c.correct([" y fits.\n", "The answer is (B)"])
    assert not c.correct([" The answer is (A)"])
    assert detect_format({"question": "q", "answer": "a\n#### 2"}) == "gsm8k"
    with pytest.raises(ValueError):
        detect_format({"question": "q", "answer": "2"})


def test_choice_score_is_graded_as_upstream() -> None:
    assert choice_score("The answer is (B)", "(B)", "y") == 1.0
    assert choice_score("The answer is (A) or (B)", "(B)", "y") == pytest.approx(0.45)
    assert choice_score("it is y", "(B)", "y") == 0.0
    assert choice_score("The answer is (C)", "(B)", "y") == -1.0


def test_prompts_match_upstream_text() -> None:
    assert policy_prompt("What is 1 + 1?") == "QUESTION: What is 1 + 1?\n\nANSWER:"
    assert policy_prompt("Q", multiple_choice=True) == (
        "QUESTION: Q\n\nANSWER: Let's think about the multi-choice question step by step"
    )
    assert hinted_eval_prompt("Q?", "S\nThe answer is 2", [" a\n"], "b") == (
        "QUESTION:Q?\n\nEXAMPLE ANSWER: S\nThe answer is 2\n\nPROPOSED SOLUTION: a\nb\n\n"
        "QUESTION: Evaluate if the proposed solution is logically heading in the correct "
        "direction based on the example answer.\nAnswer Choices:\n(A) incorrect\n(B) correct"
        "\n\nANSWER: The answer is"
    )
