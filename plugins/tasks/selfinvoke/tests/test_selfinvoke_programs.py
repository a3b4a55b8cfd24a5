"""Prompts, answer extraction, sanitising and failure classification (no sandbox)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentbench_selfinvoke.basecheck import base_function_name, without_definition
from agentbench_selfinvoke.programs import (
    Answer,
    extract_completion,
    extract_solution,
    parse_answer,
    reference_answer,
    sanitize,
)
from agentbench_selfinvoke.prompts import (
    base_prompt_parts,
    chat_prompt,
    completion_prompt,
    pro_prompt_parts,
)

FIXTURES = Path(__file__).parent / "fixtures"
SYSTEM = (
    "You are an exceptionally intelligent coding assistant that consistently delivers accurate "
    "and reliable responses to user instructions."
)
TASK = (
    "Write a solution of python file to the following problems, the solution of the second "
    "problem requires single or multiple calls to the first solution."
)


def _records(name: str) -> list[dict]:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def he() -> dict:
    return _records("humaneval_pro_tiny.json")[0]


def test_completion_prompt_is_upstreams_text(he: dict) -> None:
    raw, new = he["raw_problem"].strip(), he["new_problem"].strip()
    expected = (
        f"{SYSTEM}\n@@ Instruction\n{TASK}\n```python\n{raw}\n{new}\n```\n\n"
        f"@@ Response\n```python\n{raw}\n"
    )
    assert completion_prompt(pro_prompt_parts(he, family="humaneval", variant="none")) == expected


def test_cot_opens_the_response_and_1shot_shows_a_test_line(he: dict) -> None:
    cot = completion_prompt(pro_prompt_parts(he, family="humaneval", variant="cot"))
    assert cot.endswith(
        "@@ Response\nLet's think step by step.\n```python\n" + he["raw_problem"].strip() + "\n"
    )
    one = pro_prompt_parts(he, family="humaneval", variant="1shot").instruction
    # HumanEval Pro test code starts with a newline: upstream shows its line 1.
    assert one.endswith("\n\nassert sum_of_squares([1, 2, 3]) == 14\n```")
    mbpp = _records("mbpp_pro_tiny.json")[0]
    assert pro_prompt_parts(mbpp, family="mbpp", variant="1shot").instruction.endswith(
        "\n\nassert double_all([1, 2]) == [2, 4]\n```"
    )


def test_chat_prompt_drops_the_prefix_like_upstream_api(he: dict) -> None:
    plain = pro_prompt_parts(he, family="humaneval", variant="none")
    cot = pro_prompt_parts(he, family="humaneval", variant="cot")
    assert chat_prompt(plain) == f"\n@@ Instruction\n{plain.instruction}\n@@ Response\n"
    assert chat_prompt(cot) == chat_prompt(plain)


def test_bigcodebench_instruction_has_blank_line_before_fence() -> None:
    rec = _records("bigcodebench_lite_pro_tiny.json")[0]
    parts = pro_prompt_parts(rec, family="bigcodebench", variant="none")
    assert parts.instruction.endswith(rec["new_problem"].strip() + "\n\n```")


def test_base_prompt_prefix_ends_at_the_stripped_problem(he: dict) -> None:
    parts = base_prompt_parts(he)
    assert parts.instruction.startswith("Write a solution to the following problem:\n```python\n")
    assert parts.response_prefix == "```python\n" + he["raw_problem"].strip()


def test_program_is_cut_at_first_closing_fence() -> None:
    assert extract_completion("    return 1\n```\nMore text ```python\nx\n```") == "    return 1\n"
    assert extract_completion("    return 1\n") == "    return 1\n"
    answer = "Here:\n```python\ndef f():\n    return 1\n```\nand\n```python\nboom\n```"
    assert extract_solution(answer) == "\ndef f():\n    return 1\n"
    assert extract_solution("def f(): pass") == "def f(): pass"


def test_sanitiser_trims_demo_code_in_upstream_order() -> None:
    assert (
        sanitize("def f(): pass\nif __name__ == '__main__':\n    f()\n# Test\n")
        == "def f(): pass\n"
    )
    assert sanitize("def f(): pass\n# Test cases\nassert f()\n") == "def f(): pass\n"
    assert sanitize("def f(): pass\n# Example usage\nprint(f())") == "def f(): pass\n"
    # upstream looks for "# Example" but splits on "# Example " (with the space)
    assert sanitize("x = 1\n# Example:\ny = 2") == "x = 1\n# Example:\ny = 2"
    assert sanitize("x = 1\n") == "x = 1\n"


def test_answers_become_upstreams_programs(he: dict) -> None:
    completion = Answer("completion", "    return x * x\n")
    assert completion.program(he) == he["raw_problem"] + "    return x * x\n"
    solution = Answer("solution", "\ndef square(x):\n    return x * x\n# Test\nprint(1)\n")
    assert solution.program(he) == solution.code
    assert solution.program(he, sanitized=True) == "\ndef square(x):\n    return x * x\n"
    assert completion.program(he, base=True).endswith("\n" + he["new_problem"] + he["new_solution"])


def test_replay_fields_choose_the_answer_shape() -> None:
    assert parse_answer("    return 1", mode="chat", replay_field="completion").kind == "completion"
    assert (
        parse_answer("def f(): ...", mode="completion", replay_field="solution").kind == "solution"
    )
    assert parse_answer("```python\nx\n```", mode="chat", replay_field="output").code == "\nx\n"
    assert parse_answer("x\n```", mode="completion").kind == "completion"


@pytest.mark.parametrize("mode", ["chat", "completion"])
@pytest.mark.parametrize("base", [False, True])
def test_reference_answer_yields_upstream_ground_truth(he: dict, mode: str, base: bool) -> None:
    answer = parse_answer(reference_answer(he, mode=mode, base=base), mode=mode)
    gold = he["raw_problem"] + he["raw_solution"]
    if not base:
        gold += he["new_problem"] + he["new_solution"]
    assert answer.program(he).strip() == gold.strip()


def test_base_function_is_the_last_def_of_the_base_problem() -> None:
    mbpp = {"raw_problem": "# Write a function.\nimport math\ndef is_not_prime(n):\n"}
    assert base_function_name(mbpp) == "is_not_prime"
    he = {"raw_problem": "def helper(x):\n    return x\n\n\ndef target(y):\n    '''doc'''\n"}
    assert base_function_name(he) == "target"


def test_a_copy_of_the_base_function_in_the_pro_solution_is_removed() -> None:
    caller = "def base(x):\n    return 0\n\ndef caller(xs):\n    return [base(x) for x in xs]\n"
    kept = without_definition(caller, "base")
    assert "def base" not in kept and "def caller" in kept
    assert without_definition("def caller(): pass\n", "base") == "def caller(): pass\n"
