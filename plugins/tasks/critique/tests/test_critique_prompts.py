"""Prompts: the exact text upstream sends, derived by hand from upstream's templates."""

from __future__ import annotations

import pytest
from agentbench_critique.prompts import (
    CRITIQUE_SYSTEM,
    DIRECT_SYSTEM,
    REEXAMINE,
    as_reasoning,
    critique_messages,
    direct_messages,
    reexamine_turns,
)


def test_direct_prompt_is_upstreams_direct_cot() -> None:
    messages = direct_messages("What is 2+2?")
    assert [m.role for m in messages] == ["system", "user"]
    assert messages[0].content == (
        "Please reason step by step, and put your final answer within \\boxed{}."
    )
    assert messages[1].content == "What is 2+2?"  # default-cot: the bare question
    assert DIRECT_SYSTEM == messages[0].content


def test_critique_user_prompt_puts_question_and_solution_under_headings() -> None:
    messages = critique_messages("Q {with braces}", "Step 1: 2+2=5.\nAnswer: \\boxed{5}")
    assert messages[0].content == CRITIQUE_SYSTEM
    assert messages[1].content == (
        "The following is the data for your task:\n"
        "\n"
        "## Math Problem\n"
        "Q {with braces}\n"
        "\n"
        "## Student Solution\n"
        "Step 1: 2+2=5.\nAnswer: \\boxed{5}"
    )


def test_critique_system_prompt_matches_upstream_layout() -> None:
    lines = CRITIQUE_SYSTEM.split("\n")
    assert lines[0] == "I will provide a math problem along with a student solution."
    assert lines[-1] == "```" and lines[-2] == "===CORRECTION_END==="
    assert "===CORRECTION_START===" in lines
    assert lines.index("===CORRECTION_START===") == lines.index("===CORRECTION_END===") - 5
    # raw string upstream: a single backslash, single braces
    assert "The final answer is \\boxed{[answer]}." in CRITIQUE_SYSTEM
    assert "Therefore, the final answer is \\boxed{[corrected answer]}." in CRITIQUE_SYSTEM
    assert 'directly conclude with "Incorrect".' in CRITIQUE_SYSTEM
    assert len(CRITIQUE_SYSTEM) == 1730
    assert CRITIQUE_SYSTEM.count("\n") == 39  # 40 lines, as upstream


def test_reexamine_turns_keep_the_critique_and_ask_with_doubled_braces() -> None:
    turns = reexamine_turns("my critique \\boxed{3}")
    assert [(m.role, m.content) for m in turns] == [
        ("assistant", "my critique \\boxed{3}"),
        (
            "user",
            "Are you sure your critic is correct? Please reconsider all the content above and "
            "identify any possible errors. Place the final answer in \\boxed{{}}.",
        ),
    ]
    assert REEXAMINE.endswith("\\boxed{{}}.")  # upstream never formats this string


def test_reasoning_lists_of_one_are_unwrapped() -> None:
    assert as_reasoning(["only"]) == "only"
    assert as_reasoning("plain") == "plain"
    with pytest.raises(ValueError):
        as_reasoning(["a", "b"])
