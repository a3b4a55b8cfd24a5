"""The hostile corpus against the self-invoking tasks' checker, through whole runs in Docker.

Every answer in `agentbench.hostile` must score 0 with a reason, as the model's failure (status
ok), never as an infrastructure error; a batch that mixes correct and hostile answers scores
exactly the correct ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from agentbench_selfinvoke.programs import reference_answer

from agentbench.hostile import HOSTILE_PROGRAMS

FIXTURE = Path(__file__).parent / "fixtures" / "humaneval_pro_tiny.json"

# Episode-level attacks: exhaust the sandbox itself (its disks, memory, processes).
EXHAUSTING = {
    "fill_every_disk_then_memory": (
        "import os\n"
        "for d in ('/tmp', '/work', '/dev/shm', os.path.expanduser('~')):\n"
        "    try:\n"
        "        with open(os.path.join(d, 'fill'), 'wb') as f:\n"
        "            while True:\n"
        "                f.write(b'x' * (1 << 20))\n"
        "    except OSError:\n"
        "        pass\n"
        "hoard = []\n"
        "while True:\n"
        "    hoard.append(bytearray(1 << 24))\n"
    ),
    "fork_bomb": (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    ),
    "kill_everything_it_can": "import os, signal\nos.kill(-1, signal.SIGKILL)\n",
}


def _chat(code: str) -> str:
    return f"Here you go.\n```python\n{code}```\n"


def _write_batch(tmp_path: Path, answers: dict[str, str], record: dict[str, Any]) -> Path:
    records = [{**record, "id": sample_id} for sample_id in answers]
    data = tmp_path / "batch.json"
    data.write_text(json.dumps(records))
    script = tmp_path / "answers.yaml"
    script.write_text(yaml.safe_dump({k: [v] for k, v in answers.items()}))
    return data


def _record() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())[0]


@pytest.mark.docker
async def test_every_hostile_answer_scores_zero_as_the_models_failure(
    run_task, docker_ready, tmp_path: Path
) -> None:
    record = _record()
    attacks = {**HOSTILE_PROGRAMS, **EXHAUSTING}
    answers = {f"h-{name}": _chat(code) for name, code in attacks.items()}
    answers["good"] = reference_answer(record, mode="chat")
    data = _write_batch(tmp_path, answers, record)
    summary, results = await run_task(
        "humaneval-pro",
        "scripted",
        data=data,
        sandbox="docker",
        model_options={"file": str(tmp_path / "answers.yaml")},
        max_episodes=4,
    )
    assert results["good"].passed, results["good"].score
    for sample_id, result in results.items():
        if sample_id == "good":
            continue
        assert result.status == "ok", (sample_id, result.status, result.error)
        assert result.score is not None and not result.passed, (sample_id, result.score)
        assert result.score.explanation.startswith("failed"), (sample_id, result.score)
    assert summary.infra_errors == 0 and summary.left_out == 0
    assert summary.metrics["passed"] == 1


@pytest.mark.docker
async def test_a_batch_of_30_correct_and_10_hostile_answers_scores_exactly_30_of_40(
    run_task, docker_ready, tmp_path: Path
) -> None:
    record = _record()
    hostile = [*sorted(EXHAUSTING), *sorted(HOSTILE_PROGRAMS)][:10]
    codes = {**HOSTILE_PROGRAMS, **EXHAUSTING}
    answers = {f"ok-{i:02d}": reference_answer(record, mode="chat") for i in range(30)}
    answers.update({f"bad-{name}": _chat(codes[name]) for name in hostile})
    data = _write_batch(tmp_path, answers, record)
    summary, results = await run_task(
        "humaneval-pro",
        "scripted",
        data=data,
        sandbox="docker",
        model_options={"file": str(tmp_path / "answers.yaml")},
        max_episodes=8,
    )
    assert len(results) == 40 and summary.completed == 40
    assert summary.metrics["pass@1"] == pytest.approx(30 / 40)
    assert sorted(k for k, r in results.items() if r.passed) == sorted(
        k for k in answers if k.startswith("ok-")
    )
