"""Task-level figures for the run summary: failure classes and upstream's pass@k.

Upstream (`eval/harness.py`) computes pass@k once over the raw programs and once over the
sanitised ones and reports the higher figure. Episodes here pass when either program passes,
which can only be higher; `upstream` gives the figures exactly as upstream reports them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from agentbench import EpisodeResult, pass_at_k

_SCORED = {"ok", "limit"}
#: An episode that ended in an error (e.g. the model call failed) counts as a failed attempt.
_ERROR = "error"


def task_figures(results: list[EpisodeResult]) -> dict[str, Any]:
    """Failure counts, upstream-style pass@k (per subset), and the base-to-Pro drop.

    Keys: `failures` (class -> episodes, all subsets), `failures_by_subset` (with `base=true`),
    `upstream` (Pro problems: pass@k as upstream reports it, plus its raw and sanitised parts),
    `upstream_base` and `base_to_pro_drop` (base pass@k minus Pro pass@k) with `base=true`.
    """
    by_subset: dict[str, list[EpisodeResult]] = defaultdict(list)
    for result in results:
        scored = (
            result.status in _SCORED and result.score is not None and "raw" in result.score.details
        )
        if scored or result.status == _ERROR:
            by_subset[result.subset or "pro"].append(result)
    if not by_subset:
        return {}
    figures: dict[str, Any] = {
        "failures": _failure_counts([r for g in by_subset.values() for r in g])
    }
    if len(by_subset) > 1:
        figures["failures_by_subset"] = {
            name: _failure_counts(group) for name, group in sorted(by_subset.items())
        }
    if "pro" in by_subset:
        figures["upstream"] = _upstream_pass_at_k(by_subset["pro"])
    if "base" in by_subset:
        figures["upstream_base"] = base = _upstream_pass_at_k(by_subset["base"])
        pro = figures.get("upstream", {})
        figures["base_to_pro_drop"] = {
            key: base[key] - pro[key] for key in base if key in pro and "_" not in key
        }
    return figures


def _failure_counts(results: list[EpisodeResult]) -> dict[str, int]:
    counts = Counter(_failure(r) for r in results if r.status == _ERROR or not r.passed)
    return dict(sorted(counts.items()))


def _failure(result: EpisodeResult) -> str:
    if result.status == _ERROR or result.score is None:
        return "episode_error"
    return str(result.score.details.get("failure") or "unknown")


def _passes(result: EpisodeResult, which: str) -> bool:
    if result.status == _ERROR or result.score is None:
        return False
    return bool(result.score.details[which]["passed"])


def _upstream_pass_at_k(results: list[EpisodeResult]) -> dict[str, float]:
    """pass@k over raw programs, over sanitised ones, and their maximum (upstream's figure)."""
    tallies: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # attempts, raw, sanitised
    for r in results:
        tally = tallies[r.sample_id]
        tally[0] += 1
        tally[1] += _passes(r, "raw")
        tally[2] += _passes(r, "sanitized")
    figures: dict[str, float] = {}
    max_k = min(n for n, _, _ in tallies.values())
    for k in range(1, max_k + 1):
        raw = sum(pass_at_k(n, c, k) for n, c, _ in tallies.values()) / len(tallies)
        san = sum(pass_at_k(n, c, k) for n, _, c in tallies.values()) / len(tallies)
        figures[f"pass@{k}"] = max(raw, san)
        figures[f"pass@{k}_raw"] = raw
        figures[f"pass@{k}_sanitized"] = san
    return figures
