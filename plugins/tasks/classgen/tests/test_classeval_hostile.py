"""The hostile corpus against ClassEval's checker, in Docker: no answer may fake a test class."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agentbench.hostile import HOSTILE_PROGRAMS

TINY = Path(__file__).parent / "fixtures" / "classeval_tiny.json"
pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_ready")]


def _answer(attack: str, class_name: str) -> str:
    # The attack runs when the module is imported; the class it defines does nothing.
    return f"```python\n{attack}\nclass {class_name}:\n    pass\n```\n"


async def test_every_hostile_answer_fails_every_test_class(run_task, tmp_path: Path) -> None:
    task = json.loads(TINY.read_text())[0]
    records = []
    answers = {}
    for name, code in sorted(HOSTILE_PROGRAMS.items()):
        records.append({**task, "task_id": f"H_{name}"})
        answers[f"H_{name}"] = [_answer(code, task["class_name"])]
    data = tmp_path / "hostile.json"
    data.write_text(json.dumps(records))
    script = tmp_path / "answers.yaml"
    script.write_text(yaml.safe_dump(answers))
    summary, results = await run_task(
        "scripted",
        data=data,
        sandbox="docker",
        model_options={"file": str(script)},
        max_episodes=4,
    )
    assert len(results) == len(HOSTILE_PROGRAMS)
    for (sample_id, _epoch), result in results.items():
        assert result.status == "ok", (sample_id, result.error)
        assert result.score is not None and not result.passed, (sample_id, result.score)
        verdicts = {d["verdict"] for d in result.score.details["test_classes"].values()}
        assert "success" not in verdicts, (sample_id, result.score.details["test_classes"])
    assert summary.infra_errors == 0
