"""Extraction and normalisation (pure string processing), on cases derived by hand from
upstream's parser rules."""

from __future__ import annotations

import pytest
from agentbench_critique.answers import (
    choice_answer_clean,
    extract_answer,
    last_boxed,
    parse_ground_truth,
    prediction,
    strip_string,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("so \\boxed{\\frac{1}{2}} and later \\boxed{\\frac{3}{4}}.", "\\frac{3}{4}"),
        ("\\boxed{\\begin{pmatrix}1&2\\end{pmatrix}}", "\\begin{pmatrix}1&2\\end{pmatrix}"),
        ("$\\boxed 5$ apples", "5"),
        ("unclosed \\boxed{x+{1}", "x+{1}"),
        ("nothing after boxed", ""),
    ],
)
def test_last_boxed_matches_braces(text: str, expected: str) -> None:
    assert last_boxed(text) == expected


@pytest.mark.parametrize(
    ("text", "task", "expected"),
    [
        ("The final answer is $42$. I hope it is correct.", "minerva_math", "42"),
        ("First \\boxed{1}. The answer is 7", "gsm8k", "1"),  # boxed wins over the phrase
        ("Thus the answer is 12.", "gsm8k", "12"),
        ("The final answer is 3/4", "math", "\\frac{3}{4}"),
        ("The best answer is 5 feet", "gsm8k", "5"),  # a unit word goes
        ("The correct answer is 6", "gsm8k", "6"),
        ("答案是 8\n\n其他", "gsm8k", "8"),
        ("We get 1,234 then 56.5 at the end", "gsm8k", "56.5"),  # the last number
        ("no digits here", "gsm8k", ""),
        ("So \\boxed{(C) 12}", "arc-challenge", "C"),
        ("I pick \\boxed{b}", "gpqa", "B"),
        ("\\boxed{x=5}", "math", "5"),
        ("\\boxed{50\\%}", "gsm8k", "50"),
        ("\\boxed{10 \\text{ meters}}", "gsm8k", "10"),
        ("\\boxed{\\dfrac{1}{2}}", "math", "\\frac{1}{2}"),
        ("\\boxed{\\left( 1, 2 \\right)}", "math", "(1,2)"),
        ("\\boxed{5 \\text{ m}}", "minerva_math", "5"),  # \text at the end goes even so
        ("\\boxed{90^\\circ}", "math", "90"),
        ("\\boxed{3.0}", "gsm8k", "3"),
        ("\\boxed{.5}", "gsm8k", "0.5"),
        ("\\boxed{\\sqrt2}", "math", "\\sqrt{2}"),
        ("\\boxed{\\frac12}", "math", "\\frac{1}{2}"),
        ("\\boxed{twelve}", "gsm8k", "12"),
        ("\\boxed{k = 4}", "math", "4"),
        ("\\boxed{[-\\infty, inf)}", "math", "[-\\infty,inf)"),  # inf kept once \\infty is there
        ("\\boxed{3j}", "math", "3i"),
    ],
)
def test_extract_answer(text: str, task: str, expected: str) -> None:
    assert extract_answer(text, task) == expected


def test_strip_string_units_and_word_numbers() -> None:
    assert strip_string("12 cm") == "12"
    assert strip_string("\\$1,000") == "1,000"
    assert strip_string("x\\in [0,1]") == "[0,1]"
    assert strip_string("x \\in [0,1]") == "x\\in[0,1]"  # prefixes go before spaces do
    assert strip_string("\\emptyset") == "{}"
    assert strip_string("(-\\infty,\\infty)") == "\\mathbb{R}"
    assert strip_string("5 kg", skip_unit=True) == "5kg"


def test_choice_clean_takes_first_letter_after_answer_is_and_first_paragraph_on_repeats() -> None:
    assert choice_answer_clean("The answer is (C) because B is wrong") == "C"
    assert choice_answer_clean("I think D") == "D"
    # two "answer is": upstream reads only the first paragraph (a few-shot echo guard)
    text = "Option A looks fine.\n\nThe student's answer is B. The final answer is \\boxed{D}."
    assert choice_answer_clean(text) == "A"


def test_mmlu_stem_reads_after_the_answer_phrase_not_the_box() -> None:
    text = "Checking each step.\nThe final answer is \\boxed{D}.\n===CORRECTION_END==="
    assert extract_answer(text, "mmlu_stem") == "D"


def test_prediction_cleans_choices_against_the_raw_gt() -> None:
    assert prediction("", "gsm8k", "12") is None  # no response, no answer
    assert prediction("I choose (B).", "arc-challenge", "B") == "B"
    # no letter anywhere: the whole text is what upstream compares (and it is no match)
    assert prediction("\\boxed{42}", "arc-challenge", "B") == "\\boxed{42}"
    # a non-letter answer to a letter question is re-read from the whole text
    assert prediction("the option C fits; \\boxed{7}", "arc-challenge", "C") == "C"


def test_ground_truth_per_task() -> None:
    record = {"gt": "\\frac{1}{2} cm", "gt_cot": "so $\\boxed{\\dfrac{1}{2}}$"}
    assert parse_ground_truth(record, "math") == "\\frac{1}{2}"  # from gt_cot
    assert parse_ground_truth(record, "minerva_math") == "\\frac{1}{2} cm"  # untouched
    assert parse_ground_truth(record, "college_math") == "\\frac{1}{2}"  # stripped
