"""The null baseline: what a model that knows nothing scores on the same task and samples.

Every `agentbench run` states it next to the model's score (`--no-baseline` skips it) and warns
when the model's pass@1 lies within the null's confidence interval: a benchmark whose checker a
constant answer can pass says little about a model that scores the same.

The baseline is a run of the `baseline` model, which answers each call with the task's own
`Task.baseline(sample)` (a stronger null that games weak checkers: the most frequent answer of a
multiple-choice task, an empty class, a program that only prints) or, for tasks that declare none,
with an empty answer as the `null` model does. It runs once per task, options and samples and is
cached under `<run dir>/.baselines/<key>/` (resumable like any run); later runs of the same
configuration read it without running anything.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from agentbench.types import RunConfig, RunSummary

#: RunConfig fields a baseline shares with the run it is for (what decides its samples and score).
SHARED_FIELDS = (
    "task",
    "task_options",
    "sandbox",
    "sandbox_options",
    "limit",
    "sample_ids",
    "limits",
    "seed",
    "plugins",
)


def baseline_config(config: RunConfig) -> RunConfig:
    """The configuration of the baseline run for `config` (one epoch, the `baseline` model)."""
    shared = {name: getattr(config, name) for name in SHARED_FIELDS}
    key = hashlib.sha256(json.dumps(shared, sort_keys=True, default=str).encode()).hexdigest()
    root = Path(config.run_dir) / ".baselines"
    return RunConfig(
        **shared,
        model="baseline",
        epochs=1,
        run_dir=str(root),
        run_name=f"{config.task}-{key[:16]}",
        max_episodes=config.max_episodes,
        progress="none",
        infra_retries=config.infra_retries,
    )


async def baseline_for(config: RunConfig, summary: RunSummary, **run_kwargs: Any) -> dict[str, Any]:
    """Run (or read the cached) baseline of `config` and compare `summary` with it.

    Returns:
        {"model", "run_id", "pass@1", "pass@1_ci", "within_null_ci", "samples"}: the null's
        pass@1 and CI, and whether the model's pass@1 lies inside that interval.
    """
    from agentbench.api import load_summary, run_async

    base = baseline_config(config)
    stored = Path(base.run_dir) / str(base.run_name) / "agentbench.db"
    null: RunSummary | None = None
    if stored.is_file():
        try:
            candidate = load_summary(str(stored.parent))
            null = (
                candidate if candidate.completed + candidate.errors >= candidate.episodes else None
            )
        except Exception:  # a damaged cache is run again
            null = None
    if null is None:
        null = await run_async(base, **run_kwargs)
    return compare_with_null(summary, null)


def compare_with_null(summary: RunSummary, null: RunSummary) -> dict[str, Any]:
    """The null's pass@1 and CI, and whether `summary`'s pass@1 lies within that CI."""
    value = null.metrics.get("pass@1")
    ci = null.metrics.get("pass@1_ci") or ([value, value] if value is not None else None)
    mine = summary.metrics.get("pass@1")
    within = bool(
        mine is not None and ci is not None and float(ci[0]) <= float(mine) <= float(ci[1])
    )
    return {
        "model": null.model,
        "run_id": null.run_id,
        "pass@1": value,
        "pass@1_ci": ci,
        "samples": null.samples,
        "within_null_ci": within,
    }


def describe(baseline: dict[str, Any]) -> str:
    """One line for the terminal."""
    value, ci = baseline.get("pass@1"), baseline.get("pass@1_ci")
    if value is None:
        return "Null baseline: nothing scored"
    line = f"Null baseline pass@1 {value:.3f}"
    if ci:
        line += f" [{ci[0]:.3f}, {ci[1]:.3f}]"
    if baseline.get("within_null_ci"):
        line += "  WARNING: the model's pass@1 lies within the null baseline's CI"
    return line
