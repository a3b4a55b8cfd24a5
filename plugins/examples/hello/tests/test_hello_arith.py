"""The example plugin, loaded through its entry point and run with agentbench.testing."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentbench import ConfigError, load_plugins
from agentbench.testing import run_episode, scripted, tool_call


@pytest.fixture(scope="module")
def task_cls():
    registry = load_plugins()
    info = next(p for p in registry.plugins if p.name == "hello")
    assert info.loaded and info.distribution == "agentbench-runner-example-hello"
    assert registry.tasks["hello-arith"][1] == "agentbench-runner-example-hello"
    return registry.task("hello-arith")


async def test_oracle_scores_every_sample(task_cls) -> None:
    task = task_cls({"count": 3})
    for sample in task.samples():
        run = await run_episode(task, sample_id=sample.id, model="oracle")
        assert run.passed, run.explanation


async def test_null_model_scores_nothing(task_cls) -> None:
    run = await run_episode(task_cls(), model="null")
    assert not run.passed and run.explanation == "the answer has no number"


async def test_a_tool_call_runs_in_the_sandbox_and_the_answer_is_checked(task_cls) -> None:
    task = task_cls({"count": 1, "seed": 7})
    sample = next(iter(task.samples()))
    expression = sample.metadata["expression"]
    model = scripted([tool_call("python", code=f"print({expression})"), str(sample.target)])
    run = await run_episode(task, sample_id=sample.id, model=model)
    assert run.passed, run.explanation
    tool = run.events_of("tool")[0]
    assert tool["output"].strip() == str(sample.target)  # computed by python, in the sandbox
    assert [e["cmd"] for e in run.events_of("exec")] == [
        ["python", "scratch.py"],
        ["python", "check.py"],
    ]
    assert run.result.steps == 2 and run.context.messages[2].role == "tool"


async def test_a_wrong_answer_fails_with_the_expected_value(task_cls) -> None:
    task = task_cls({"count": 1})
    sample = next(iter(task.samples()))
    run = await run_episode(task, model=scripted([f"It is {sample.target + 1}."]))
    assert not run.passed
    assert run.explanation == f"answered {sample.target + 1}, expected {sample.target}"
    assert run.score.details["correct"] is False


async def test_a_model_that_only_calls_tools_runs_out_of_turns(task_cls) -> None:
    task = task_cls({"count": 1, "max_turns": 2})
    model = scripted([tool_call("python", code="print(1)")] * 2)
    run = await run_episode(task, model=model)
    assert not run.passed and run.result.steps == 2


def test_a_bad_option_is_named(task_cls) -> None:
    with pytest.raises(ConfigError, match="max_operands"):
        task_cls({"max_operands": 3})


async def test_the_task_runs_by_its_registered_name_with_options() -> None:
    run = await run_episode(
        "hello-arith", options={"count": 2, "tools": False}, sample_id="arith-1", model="oracle"
    )
    assert run.passed and run.result.task == "hello-arith" and run.result.sample_id == "arith-1"


async def test_the_scripted_answers_file_next_to_the_plugin() -> None:
    script = Path(__file__).resolve().parents[1] / "answers.yaml"
    solved = await run_episode("hello-arith", sample_id="arith-0", model=f"scripted/{script}")
    assert solved.passed and len(solved.events_of("tool")) == 1
    assert not (
        await run_episode("hello-arith", sample_id="arith-1", model=f"scripted/{script}")
    ).passed
