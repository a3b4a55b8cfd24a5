"""The `repoclassbench` task end to end in the `local` sandbox on the fixture repository."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentbench_classgen.repoclass.placement import reference_answer
from agentbench_classgen.repoclass.task import RepoClassBench

from agentbench.testing import run_episode

HERE = Path(__file__).parent / "fixtures" / "repoclass"
DATA = HERE / "python_data.json"
RECORD = json.loads(DATA.read_text())[0]
SAMPLE = RECORD["task_id"]
ORIGINAL = (HERE / "repos" / "geo__shapes-0001" / "shapes" / "polygon.py").read_text()
GOLD = "```python\n" + reference_answer(ORIGINAL, RECORD["ground_truth_class_body"]) + "\n```"


def _task(**options: object) -> RepoClassBench:
    return RepoClassBench({"data": str(DATA), "repos": str(HERE / "repos"), **options})


@pytest.mark.parametrize("strategy", ["basic", "naive-rag", "repocoder", "reflexion", "rrr"])
async def test_oracle_passes_every_directive(strategy: str) -> None:
    run = await run_episode(_task(strategy=strategy), sample_id=SAMPLE, model="oracle")
    assert run.passed, run.explanation
    assert run.score.details["test_rate"] == 1.0


async def test_null_fails_and_gets_feedback() -> None:
    run = await run_episode(_task(strategy="reflexion", rounds=2), sample_id=SAMPLE, model="null")
    assert not run.passed and run.score.details["test_rate"] == 0.0
    assert run.score.details["rounds"] == [{"passed": 0, "expected": 6}] * 2
    assert "ImportError" in run.score.details["feedback"]


async def test_scripted_rrr_uses_every_tool_and_passes_on_its_second_round() -> None:
    calls = [
        ("get_imports", {"symbol": "distance"}),
        ("get_class_info", {"class_name": "Point"}),
        ("get_signature", {"method_name": "to_cm"}),
        ("get_method_body", {"class_name": "Point", "method_name": "shifted"}),
        ("get_related_snippets", {"query": "perimeter of the corners"}),
        ("get_relevant_code", {"query": "inches to centimetres"}),
    ]
    first = {"tool_calls": [{"name": n, "arguments": a, "id": f"c{i}"} for i, (n, a) in
                            enumerate(calls)]}  # fmt: skip
    wrong = GOLD.replace("return abs(twice) / 2", "return abs(twice)")
    run = await run_episode(_task(strategy="rrr"), sample_id=SAMPLE, model=[first, wrong, GOLD])
    assert run.passed, run.explanation
    assert run.score.details["rounds"] == [
        {"passed": 5, "expected": 6},
        {"passed": 6, "expected": 6},
    ]
    tools = {m.name: m.text for m in run.context.messages if m.role == "tool"}
    assert set(tools) == {name for name, _ in calls}
    assert "from shapes.geometry import distance" in tools["get_imports"]
    assert "def to_cm(inches):" in tools["get_signature"]
    assert "return Point(self.x + dx, self.y + dy)" in tools["get_method_body"]
    assert tools["get_related_snippets"].startswith("#### Beginning of snippets ####")
    feedback = [m.text for m in run.context.messages if m.role == "user"][-1]
    assert "<Feedback for test case `tests/test_polygon.py::test_area`>" in feedback


async def test_a_missing_repository_fails_only_its_sample(tmp_path: Path) -> None:
    task = RepoClassBench({"data": str(DATA), "repos": str(tmp_path)})
    run = await run_episode(task, sample_id=SAMPLE, model="oracle", raise_errors=False)
    assert not run.passed
    assert "geo__shapes-0001" in (run.result.error or "") and "not found" in run.result.error
