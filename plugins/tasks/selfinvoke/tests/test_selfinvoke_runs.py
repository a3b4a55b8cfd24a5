"""Whole runs through the public API with the `local` sandbox: oracle, null, scripted, replay."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from agentbench_selfinvoke.tasks import HumanEvalPro

from agentbench import GenerateConfig, Message, ModelOutput, ModelProvider
from agentbench.testing import run_episode

FIXTURES = Path(__file__).parent / "fixtures"
HE = FIXTURES / "humaneval_pro_tiny.json"
MBPP = FIXTURES / "mbpp_pro_tiny.json"
DEMO_HE = (
    Path(__file__).parents[1] / "src" / "agentbench_selfinvoke" / "data" / "humaneval_pro_demo.json"
)


def _records(path: Path) -> list[dict]:
    return json.loads(path.read_text())


def _gold(record: dict) -> str:
    return (
        record["raw_problem"]
        + record["raw_solution"]
        + record["new_problem"]
        + record["new_solution"]
    )


def _chat(code: str) -> str:
    return f"Here is the solution.\n```python\n{code}\n```\nIt calls the first function."


@pytest.mark.parametrize(
    ("task", "data", "options"),
    [
        ("humaneval-pro", HE, {}),
        ("humaneval-pro", HE, {"mode": "completion", "variant": "cot", "base": True}),
        ("mbpp-pro", MBPP, {"mode": "completion", "variant": "1shot"}),
        ("humaneval-pro", "demo", {"base": True}),
        ("mbpp-pro", "demo", {}),
    ],
)
async def test_oracle_passes_everything(run_task, task: str, data: Any, options: dict) -> None:
    summary, results = await run_task(task, "oracle", data=data, task_options=options)
    assert results and all(r.passed for r in results.values()), {
        r.sample_id: r.score.explanation if r.score else r.error for r in results.values()
    }
    assert summary.metrics["pass@1"] == 1.0
    assert summary.metrics["upstream"]["pass@1"] == 1.0
    assert summary.metrics["failures"] == {}


async def test_null_passes_nothing(run_task) -> None:
    summary, results = await run_task("humaneval-pro", "null", data=HE, task_options={"base": True})
    assert len(results) == 6 and not any(r.passed for r in results.values())
    assert summary.metrics["pass@1"] == 0.0
    assert summary.metrics["failures"] == {"runtime_error:NameError": 6}
    assert summary.subsets["base"]["pass@1"] == 0.0


async def test_scripted_wrong_answers_fail_with_their_class(run_task) -> None:
    records = {str(r["id"]): r for r in _records(DEMO_HE)}
    wrong = {
        "1": (_gold(records["1"]).replace("len(word) >= 2", "len(word) >= 99"), "assertion_error"),
        "2": (
            _gold(records["2"]).replace("def digit_sum(n: int)", "def digit_sum(n: int"),
            "syntax_error",
        ),
        "3": (
            _gold(records["3"]).replace("return min(values)", "return 1 / 0, min(values)"),
            "runtime_error:ZeroDivisionError",
        ),
        "4": (
            _gold(records["4"]).replace(
                "    return [caesar", "    while True:\n        pass\n    return [caesar"
            ),
            "timeout",
        ),
    }
    responses = {
        sid: [_chat(wrong[sid][0] if sid in wrong else _gold(r))] for sid, r in records.items()
    }
    summary, results = await run_task(
        "humaneval-pro",
        "scripted",
        data=DEMO_HE,
        model_options={"responses": responses},
        task_options={"timeout": 1},
    )
    failed = {sid: r.score.details["failure"] for sid, r in results.items() if not r.passed}
    assert failed == {sid: cls for sid, (_, cls) in wrong.items()}
    assert results["0"].passed
    assert summary.metrics["failures"] == {cls: 1 for _, cls in wrong.values()}


async def test_sanitised_program_counts_when_only_it_passes(run_task) -> None:
    records = {str(r["id"]): r for r in _records(HE)}
    responses = {
        # trailing demo code crashes the raw program; upstream's sanitiser cuts it at "# Test"
        "0": [_chat(_gold(records["0"]) + "# Test it\nraise ValueError('demo')\n")],
        # an early exit must not pass, even with exit status 0
        "1": [_chat("import sys\nsys.exit(0)\n" + _gold(records["1"]))],
        # demo code under `if __name__ == "__main__":` does not run, as in upstream's exec
        "2": [_chat(_gold(records["2"]) + "if __name__ == '__main__':\n    raise ValueError\n")],
    }
    summary, results = await run_task(
        "humaneval-pro", "scripted", data=HE, model_options={"responses": responses}
    )
    first = results["0"].score
    assert first.passed and first.details["counted"] == "sanitized"
    assert first.details["raw"]["failure"] == "runtime_error:ValueError"
    assert first.details["sanitized"]["passed"]
    assert not results["1"].passed
    assert results["1"].score.details["failure"] == "runtime_error:SystemExit"
    assert results["2"].passed and results["2"].score.details["counted"] == "raw"
    upstream = summary.metrics["upstream"]
    assert upstream["pass@1_raw"] == pytest.approx(1 / 3)
    assert upstream["pass@1_sanitized"] == pytest.approx(2 / 3)
    assert upstream["pass@1"] == pytest.approx(2 / 3)


async def test_replay_reads_upstream_completion_and_solution_files(
    run_task, tmp_path: Path
) -> None:
    records = _records(HE)
    lines = [
        {
            "task_id": records[0]["id"],
            "completion": records[0]["raw_solution"]
            + records[0]["new_problem"]
            + records[0]["new_solution"],
        },
        {"task_id": records[1]["id"], "solution": _gold(records[1])},
        {"task_id": records[2]["id"], "completion": "    return 0\n"},
    ]
    replay = tmp_path / "results.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in lines))
    # chat mode would read a completion as a whole program: the replay field decides instead
    _, results = await run_task("humaneval-pro", f"replay/{replay}", data=HE)
    assert results["0"].passed and results["0"].score.details["answer_kind"] == "completion"
    assert results["1"].passed and results["1"].score.details["answer_kind"] == "solution"
    assert results["2"].score.details["failure"] == "runtime_error:NameError"


async def test_pass_at_k_for_every_k_up_to_epochs(run_task, tmp_path: Path) -> None:
    records = {str(r["id"]): r for r in _records(HE)}
    outcomes = {"0": [True, True], "1": [True, False], "2": [False, False]}
    lines = [
        {"task_id": sid, "epoch": epoch, "solution": _gold(records[sid]) if ok else "x = 1"}
        for sid, oks in outcomes.items()
        for epoch, ok in enumerate(oks)
    ]
    replay = tmp_path / "samples.jsonl"
    replay.write_text("".join(json.dumps(line) + "\n" for line in lines))
    summary, _ = await run_task("humaneval-pro", f"replay/{replay}", data=HE, epochs=2)
    assert summary.metrics["pass@1"] == pytest.approx(0.5)
    assert summary.metrics["pass@2"] == pytest.approx(2 / 3)
    assert summary.metrics["upstream"]["pass@1"] == pytest.approx(0.5)
    assert summary.metrics["upstream"]["pass@2"] == pytest.approx(2 / 3)


async def test_base_answers_are_checked_against_the_reference_base_function(run_task) -> None:
    records = {str(r["id"]): r for r in _records(HE)}
    responses = {sid: [_chat(_gold(r))] for sid, r in records.items()}  # the Pro samples pass
    responses["0:base"] = [_chat("def square(x):\n    return x + x\n")]  # square(1) == 2: wrong
    responses["1:base"] = [_chat("def shout(word):\n    return word.upper() + '!'\n")]
    # a recursive answer is checked once per call from the Pro solution, not at every level
    responses["2:base"] = [
        _chat("def is_even(n):\n    return True if n == 0 else not is_even(abs(n) - 1)\n")
    ]
    summary, results = await run_task(
        "humaneval-pro",
        "scripted",
        data=HE,
        model_options={"responses": responses},
        task_options={"base": True},
    )
    wrong = results["0:base"].score
    assert not wrong.passed and wrong.details["failure"] == "assertion_error"
    assert "square(1) returned 2, expected 1" in wrong.details["raw"]["stderr_tail"]
    assert results["1:base"].passed and results["1:base"].score.details["base_calls"] == 3
    assert results["2:base"].passed and results["2:base"].score.details["base_calls"] == 5
    assert summary.subsets["pro"]["pass@1"] == 1.0
    assert summary.subsets["base"]["pass@1"] == pytest.approx(2 / 3)
    assert summary.metrics["base_to_pro_drop"]["pass@1"] == pytest.approx(2 / 3 - 1)


class _Recorder(ModelProvider):
    """Answers with nothing and keeps the messages and settings of each call."""

    def __init__(self) -> None:
        super().__init__("recorder")
        self.calls: list[tuple[list[Message], GenerateConfig]] = []

    async def generate(self, messages, tools, config) -> ModelOutput:
        self.calls.append((list(messages), config))
        return ModelOutput.from_text("")


@pytest.mark.parametrize(
    ("options", "user_config", "expected"),
    [
        ({}, GenerateConfig(), {"temperature": 0.2, "max_tokens": None}),
        ({"mode": "completion"}, GenerateConfig(), {"temperature": 0.0, "max_tokens": 4096}),
        (
            {"mode": "completion"},
            GenerateConfig(temperature=0.8, max_tokens=100),
            {"temperature": 0.8, "max_tokens": 100},
        ),
    ],
)
async def test_upstream_sampling_defaults_apply_only_where_the_user_set_none(
    options: dict, user_config: GenerateConfig, expected: dict
) -> None:
    recorder = _Recorder()
    await run_episode(
        HumanEvalPro({"data": str(HE), **options}),
        sample_id="0",
        model=recorder,
        generate_config=user_config,
    )
    messages, config = recorder.calls[0]
    assert {key: getattr(config, key) for key in expected} == expected
    if options.get("mode") == "completion":
        assert [m.role for m in messages] == ["user"]
        assert messages[0].text.endswith(
            "@@ Response\n```python\n" + _records(HE)[0]["raw_problem"].strip() + "\n"
        )
    else:
        assert [m.role for m in messages] == ["system", "user"]
        assert messages[0].text.startswith("You are an exceptionally intelligent coding assistant")


def test_sandbox_is_the_python_image_without_network() -> None:
    task = HumanEvalPro({"data": str(HE)})
    spec = task.sandbox_spec(next(iter(task.samples())))
    assert (spec.image, spec.network, spec.resettable) == ("python", False, True)
