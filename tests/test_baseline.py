"""The null baseline in every `agentbench run` summary: run once, cached, warned about."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import runner_fixtures

from agentbench._runner.store import Store

FX = runner_fixtures


def _run(tmp_path: Path, *args: str) -> dict:
    env = FX.install_fake_dist(tmp_path / "site")
    out = subprocess.run(
        [
            *FX.agentbench_cmd(),
            "run",
            "t-say",
            "--model",
            "t-say",
            "--json",
            "--no-progress",
            "--run-dir",
            str(tmp_path / "runs"),
            *args,
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_summary_states_the_null_baseline_and_caches_it(tmp_path: Path) -> None:
    first = _run(tmp_path, "-T", "n=4")
    baseline = first["baseline"]
    assert baseline["model"] == "baseline" and baseline["pass@1"] == 0.0
    assert baseline["within_null_ci"] is False and baseline["samples"] == 4
    second = _run(tmp_path, "-T", "n=4")
    assert second["baseline"]["run_id"] == baseline["run_id"]  # read from the cache
    cached = tmp_path / "runs" / ".baselines" / baseline["run_id"]
    with Store(cached) as store:
        assert len(store.results(baseline["run_id"])) == 4  # run once, not twice
    assert _run(tmp_path, "-T", "n=4", "--no-baseline").get("baseline") is None


def test_a_model_scoring_at_null_level_is_warned_about(tmp_path: Path) -> None:
    wrong = "wrong_ids=[s0,s1,s2]"
    summary = _run(tmp_path, "-T", "n=3", "-T", wrong)
    assert summary["metrics"]["pass@1"] == 0.0 and summary["baseline"]["within_null_ci"] is True
    env = FX.install_fake_dist(tmp_path / "site2")
    text = subprocess.run(
        [*FX.agentbench_cmd(), "report", summary["run_id"], "--run-dir", str(tmp_path / "runs")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "WARNING: the model's pass@1 lies within the null baseline's CI" in text.stdout
