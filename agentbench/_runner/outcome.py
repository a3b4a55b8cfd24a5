"""How a finished run ends for a shell or a CI pipeline: its exit status and what to show.

Exit status of `agentbench run` (documented in the README):

- 0: every episode was scored (passed or failed);
- 1: some episodes errored (the task's or the model's own error), or, with the `oracle` model
  (a gold check of the benchmark), some sample did not pass; the failing ones are listed;
- 3: nothing was scored: no samples, or every episode an infrastructure or provider fault;
- 2 (user errors) and 130 / 143 (interrupted) come from elsewhere.

`--allow-errors` turns status 1 for errored episodes into 0 (the gold check still counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench.types import EpisodeResult, RunSummary

NOTHING_SCORED = 3
FAILED = 1


@dataclass
class RunEnding:
    """The exit status of a run and the lines that explain it."""

    status: int = 0
    lines: list[str] = field(default_factory=list)


def run_ending(
    summary: RunSummary, *, model: str, allow_errors: bool = False, show_tracebacks: bool = False
) -> RunEnding:
    """The exit status of a finished run, and what to print about it (to stderr)."""
    ending = RunEnding()
    if summary.completed == 0 and summary.errors == 0:
        what = "no samples" if summary.episodes == 0 else "every episode was left out"
        ending.status = NOTHING_SCORED
        ending.lines.append(f"nothing was scored: {what} (exit status {NOTHING_SCORED})")
        if summary.episodes == 0:
            return ending
    results = _results(summary) if (summary.errors or model == "oracle" or show_tracebacks) else []
    errored = [r for r in results if r.status == "error"]
    if errored:
        stages = _count(r.error_stage or "?" for r in errored)
        ending.lines.append(
            f"{len(errored)} episodes errored ("
            + ", ".join(f"{n} in {s}" for s, n in sorted(stages.items()))
            + "): "
            + "; ".join(f"{r.sample_id}/{r.epoch}: {r.error}" for r in errored[:5])
            + (" ..." if len(errored) > 5 else "")
        )
        if not allow_errors:
            ending.status = ending.status or FAILED
    if model == "oracle":
        failing = sorted(
            {r.sample_id for r in results if r.status in ("ok", "limit", "error") and not r.passed}
        )
        if failing:
            ending.status = ending.status or FAILED
            ending.lines.append(
                f"gold check failed: the oracle did not pass {len(failing)} samples "
                f"(benchmark defects?): {', '.join(failing[:20])}"
                + (" ..." if len(failing) > 20 else "")
            )
    if show_tracebacks:
        ending.lines += _tracebacks(summary, errored)
    return ending


def _results(summary: RunSummary) -> list[EpisodeResult]:
    """The episodes that did not pass (streamed from the store: a big run is not loaded)."""
    from agentbench._runner.store import Store

    with Store(Path(summary.run_dir), create=False) as store:
        return [r for r in store.iter_results(summary.run_id) if not r.passed]


def _tracebacks(summary: RunSummary, errored: list[EpisodeResult]) -> list[str]:
    from agentbench._runner.store import Store

    lines: list[str] = []
    with Store(Path(summary.run_dir), create=False) as store:
        for r in errored[:20]:
            events = store.transcript(r.run_id, r.task, r.sample_id, r.epoch, r.model)
            for event in events:
                if event.get("type") == "error" and event.get("traceback"):
                    lines.append(f"--- {r.sample_id}/{r.epoch} ({event.get('stage')}):")
                    lines.append(str(event["traceback"]).rstrip())
    return lines


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return counts
