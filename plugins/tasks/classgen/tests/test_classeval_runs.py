"""Whole runs through the public API with the `local` sandbox: oracle, null, scripted, replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentbench_classgen.classeval.convert import convert
from agentbench_classgen.classeval.task import ClassEval

from agentbench.testing import run_episode

TINY = Path(__file__).parent / "fixtures" / "classeval_tiny.json"

TASKS = {t["task_id"]: t for t in json.loads(TINY.read_text())}


def _fenced(code: str) -> str:
    return f"Here is the class.\n```python\n{code}\n```\nIt passes the tests."


@pytest.mark.parametrize("strategy", ["holistic", "incremental", "compositional"])
async def test_oracle_scores_everything_and_null_nothing(run_task, strategy: str) -> None:
    options = {"strategy": strategy}
    summary, results = await run_task("oracle", task_options=options)
    assert len(results) == 2 and all(r.passed for r in results.values()), {
        k: r.score.details["test_classes"] if r.score else r.error for k, r in results.items()
    }
    assert summary.metrics["task:pass@1"] == {
        "fun_success": 1.0,
        "fun_partial_success": 1.0,
        "class_success": 1.0,
        "class_partial_success": 1.0,
    }
    summary, results = await run_task("null", task_options=options)
    assert not any(r.passed for r in results.values())
    assert summary.metrics["task:pass@1"]["fun_partial_success"] == 0.0
    assert summary.metrics["verdicts"] == {"class_fail": 2, "error": 7}


async def test_per_method_strategies_make_one_call_per_method() -> None:
    for strategy in ("incremental", "compositional"):
        task = ClassEval({"data": str(TINY), "strategy": strategy})
        run = await run_episode(task, sample_id="Fixture_0", model="oracle", sandbox="local")
        assert run.passed and len(run.events_of("model")) == 3


async def test_verdicts_of_a_partly_wrong_class() -> None:
    code = TASKS["Fixture_0"]["solution_code"]
    wrong = code.replace("return 0.0\n", "return None\n").replace("* 9 / 5 + 32", "+ 1")
    task = ClassEval({"data": str(TINY)})
    run = await run_episode(task, sample_id="Fixture_0", model=[_fenced(wrong)], sandbox="local")
    verdicts = {k: v["verdict"] for k, v in run.score.details["test_classes"].items()}
    assert verdicts == {
        "TemperatureLogTestAdd": "success",
        "TemperatureLogTestMean": "partial_success",  # 1 of 3 fails
        "TemperatureLogTestToFahrenheit": "fail",  # 2 of 2 fail
        "TemperatureLogTest": "fail",
    }
    assert run.score.details["class_verdict"] == "class_fail" and not run.passed


async def test_a_hanging_class_is_an_error_and_the_others_still_run() -> None:
    code = TASKS["Fixture_0"]["solution_code"].replace(
        "        return celsius * 9 / 5 + 32", "        while True:\n            pass"
    )
    task = ClassEval({"data": str(TINY), "timeout": 1})
    run = await run_episode(task, sample_id="Fixture_0", model=[_fenced(code)], sandbox="local")
    details = run.score.details["test_classes"]
    assert details["TemperatureLogTestToFahrenheit"]["verdict"] == "error"
    assert details["TemperatureLogTestToFahrenheit"]["note"] == "timeout"
    assert details["TemperatureLogTestAdd"]["verdict"] == "success"
    assert details["TemperatureLogTest"]["verdict"] == "error"


async def test_a_program_that_does_not_import_errors_every_class() -> None:
    task = ClassEval({"data": str(TINY)})
    answer = "```python\nimport not_a_module_anywhere\nclass WordTools:\n    pass\n```"
    run = await run_episode(task, sample_id="Fixture_1", model=[answer], sandbox="local")
    details = run.score.details["test_classes"]
    assert {d["verdict"] for d in details.values()} == {"error"}
    assert "ModuleNotFoundError" in details["WordToolsTest"]["note"]


async def test_pass_at_k_over_epochs(run_task, tmp_path: Path) -> None:
    good = _fenced(TASKS["Fixture_1"]["solution_code"])
    half = _fenced(TASKS["Fixture_1"]["solution_code"].replace("> len(best)", ">= len(best)"))
    lines = [
        {"task_id": "Fixture_0", "completion": ["nothing", "nothing"]},
        {"task_id": "Fixture_1", "completion": [good, half]},
    ]
    path = tmp_path / "replay.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    summary, _ = await run_task(f"replay/{path}", epochs=2)
    figures = summary.metrics
    # Fixture_1: epoch 0 all success; epoch 1 picks the last of equally long words, so Longest
    # fails 1 of 3 (partial) and the main test ("one three") still passes: class_partial_success.
    assert figures["task:pass@1"]["class_success"] == pytest.approx(0.25)
    assert figures["task:pass@1"]["class_partial_success"] == pytest.approx(0.5)
    assert figures["task:pass@2"]["class_success"] == pytest.approx(0.5)
    # 7 test classes: Fixture_0's 4 never pass; CountWords 2/2, Longest 1/2 (+1 partial), main 2/2
    assert figures["task:pass@1"]["fun_success"] == pytest.approx((1 + 0.5 + 1) / 7)
    assert figures["task:pass@1"]["fun_partial_success"] == pytest.approx(3 / 7)


async def test_replay_of_upstream_output_records(run_task, tmp_path: Path) -> None:
    records = [dict(t) for t in TASKS.values()]
    records[0]["predict"] = [_fenced(records[0]["solution_code"])]
    records[1]["predict"] = ["I cannot do that."]
    source, target = tmp_path / "model_class_H_greedy.json", tmp_path / "replay.jsonl"
    source.write_text(json.dumps(records))
    assert convert(source, target) == 2
    summary, results = await run_task(f"replay/{target}")
    assert results[("Fixture_0", 0)].passed and not results[("Fixture_1", 0)].passed
    assert summary.metrics["task:pass@1"]["class_success"] == 0.5
