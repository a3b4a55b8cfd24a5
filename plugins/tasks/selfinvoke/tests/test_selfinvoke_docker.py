"""The three tasks in the real `python` Docker sandbox: gold and null runs, failure classes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentbench.testing import run_episode

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_ready")]

FIXTURES = Path(__file__).parent / "fixtures"
CASES = [
    ("humaneval-pro", FIXTURES / "humaneval_pro_tiny.json"),
    ("mbpp-pro", FIXTURES / "mbpp_pro_tiny.json"),
    ("bigcodebench-lite-pro", FIXTURES / "bigcodebench_lite_pro_tiny.json"),
]


@pytest.mark.parametrize(("task", "data"), CASES)
async def test_oracle_scores_all_and_null_none_in_docker(run_task, task: str, data: Path) -> None:
    options = {"base": True}
    gold, gold_results = await run_task(
        task, "oracle", data=data, sandbox="docker", task_options=options
    )
    assert gold_results and all(r.passed for r in gold_results.values()), {
        r.sample_id: r.score.explanation if r.score else r.error for r in gold_results.values()
    }
    null, null_results = await run_task(
        task, "null", data=data, sandbox="docker", task_options=options
    )
    assert len(null_results) == len(gold_results)
    assert not any(r.passed for r in null_results.values())
    assert (gold.metrics["pass@1"], null.metrics["pass@1"]) == (1.0, 0.0)


async def test_bundled_demo_quickstart_in_docker(run_task) -> None:
    summary, results = await run_task("humaneval-pro", "oracle", data="demo", sandbox="docker")
    assert len(results) == 5 and summary.metrics["pass@1"] == 1.0
    summary, results = await run_task(
        "bigcodebench-lite-pro", "oracle", data="demo", sandbox="docker"
    )
    assert len(results) == 3 and summary.metrics["pass@1"] == 1.0


async def test_failure_classes_in_docker() -> None:
    record = json.loads((FIXTURES / "humaneval_pro_tiny.json").read_text())[0]
    gold = (
        record["raw_problem"]
        + record["raw_solution"]
        + record["new_problem"]
        + record["new_solution"]
    )
    answers = {
        "assertion_error": gold.replace("return x * x", "return x + x"),
        "syntax_error": gold.replace("def square(x: int)", "def square(x: int"),
        "runtime_error:KeyError": gold.replace("return x * x", "return {}[x]"),
        "timeout": gold.replace("return x * x", "while True:\n        pass"),
        "runtime_error:SystemExit": "import os\nos._exit(0)\n" + gold,
    }
    for expected, code in answers.items():
        run = await run_episode(
            "humaneval-pro",
            options={"data": str(FIXTURES / "humaneval_pro_tiny.json"), "timeout": 1},
            sample_id="0",
            model=[f"```python\n{code}\n```"],
            sandbox="docker",
        )
        assert not run.passed and run.score.details["failure"] == expected, run.explanation


async def test_network_is_off_in_the_sandbox() -> None:
    # the program cannot reach the outside world, so a test that needs it fails
    probe = (
        "import socket\n"
        "def square(x: int) -> int:\n"
        "    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
        "    return x * x\n"
        "def sum_of_squares(xs):\n"
        "    return sum(square(x) for x in xs)\n"
    )
    run = await run_episode(
        "humaneval-pro",
        options={"data": str(FIXTURES / "humaneval_pro_tiny.json")},
        sample_id="0",
        model=[f"```python\n{probe}```"],
        sandbox="docker",
    )
    assert not run.passed
    assert run.score.details["failure"].startswith("runtime_error:")
