"""RealCritic's figures from the episodes' `Score.details`.

Upstream (`evaluate.py`): accuracy in percent (1 decimal), and for a critique the
`critic_information` block: originally correct / incorrect counts, the four transitions
correct->correct, correct->incorrect, incorrect->correct, incorrect->incorrect as counts and as
percentages of the originally correct (or incorrect) items. `math_eval.py` adds an "avg" row:
the mean of the per-task accuracies. We add the change of accuracy against the prior, and the
accuracy of every round of an iterative critique.

Each episode's details hold `task`, `prior` (True/False, or None for direct), `post` (the scored
answer's correctness) and `rounds` (the correctness of every critique round, in order).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

TRANSITIONS = {
    "correct_to_correct": (True, True),
    "correct_to_incorrect": (True, False),
    "incorrect_to_correct": (False, True),
    "incorrect_to_incorrect": (False, False),
}


def _pct(part: float, whole: float) -> float:
    return round(part / whole * 100, 1) if whole else 0.0


def critic_information(priors: list[bool], posts: list[bool]) -> dict[str, Any]:
    """Upstream's transition block: counts, and rates in percent of the prior class."""
    correct = sum(priors)
    incorrect = len(priors) - correct
    info: dict[str, Any] = {
        "total_samples": len(priors),
        "originally_correct": correct,
        "originally_incorrect": incorrect,
    }
    for name, (before, after) in TRANSITIONS.items():
        info[name + "_count"] = sum(
            p == before and q == after for p, q in zip(priors, posts, strict=True)
        )
    for name, (before, _) in TRANSITIONS.items():
        info[name + "_ratio"] = _pct(info[name + "_count"], correct if before else incorrect)
    return info


def group_figures(details: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy, prior accuracy and its change, transitions, and per-round accuracy."""
    posts = [bool(d["post"]) for d in details]
    figures: dict[str, Any] = {"num_samples": len(details), "acc": _pct(sum(posts), len(posts))}
    priors = [d.get("prior") for d in details]
    if details and all(p is not None for p in priors):
        prior_flags = [bool(p) for p in priors]
        figures["prior_acc"] = _pct(sum(prior_flags), len(prior_flags))
        figures["delta"] = _pct(sum(posts) - sum(prior_flags), len(posts))
        figures["critic_information"] = critic_information(prior_flags, posts)
    depth = max((len(d.get("rounds") or []) for d in details), default=0)
    if depth > 1:
        figures["round_acc"] = [
            _pct(sum(_round(d, i) for d in details), len(details)) for i in range(depth)
        ]
    return figures


def _round(detail: dict[str, Any], index: int) -> bool:
    """A round's correctness; an episode with fewer rounds keeps its last (upstream pads so)."""
    rounds = detail.get("rounds") or [detail["post"]]
    return bool(rounds[min(index, len(rounds) - 1)])


def realcritic_figures(results: list[Any]) -> dict[str, Any]:
    """Overall, per-task and "avg" figures of finished episodes (errors are counted apart)."""
    details = []
    errors = 0
    for result in results:
        score = getattr(result, "score", None)
        if score is None or "post" not in score.details:
            errors += 1
            continue
        details.append(score.details)
    by_task: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for detail in details:
        by_task[str(detail.get("task"))].append(detail)
    per_task = {task: group_figures(by_task[task]) for task in sorted(by_task)}
    figures: dict[str, Any] = {
        "overall": group_figures(details),
        "per_task": per_task,
        "avg": {"acc": round(sum(f["acc"] for f in per_task.values()) / len(per_task), 1)}
        if per_task
        else {},
        "unscored_episodes": errors,
    }
    overall = figures["overall"]
    for key in ("acc", "prior_acc", "delta", "round_acc"):  # the headline, flat, for the summary
        if key in overall:
            figures[key] = overall[key]
    if "critic_information" in overall:
        info = overall["critic_information"]
        figures["transitions"] = {
            f"{'C' if before else 'I'}->{'C' if after else 'I'}": info[name + "_count"]
            for name, (before, after) in TRANSITIONS.items()
        }
    if per_task and all("prior_acc" in f for f in per_task.values()):
        figures["avg"]["prior_acc"] = round(
            sum(f["prior_acc"] for f in per_task.values()) / len(per_task), 1
        )
        figures["avg"]["delta"] = round(figures["avg"]["acc"] - figures["avg"]["prior_acc"], 1)
    return figures
