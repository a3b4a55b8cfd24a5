"""Paired comparison of stored runs: `agentbench compare RUN_A RUN_B [RUN_C ...]`.

Two runs are compared on the (task, sample, epoch) keys both scored, never on episodes only one
of them has:

- the difference of the mean score (A - B) with a paired bootstrap interval that resamples
  samples (`agentbench.metrics.paired_difference` over each sample's mean on the shared epochs);
- McNemar's exact test on pass/fail: under the null each discordant episode (one run passed, the
  other failed) is a fair coin, so the two-sided p-value is binomial on the discordant pairs.
  Epochs of one sample are not independent, so with epochs > 1 this p-value is optimistic; the
  bootstrap interval is the safer figure there;
- the same per subset and per task.

More than two runs give a matrix (every pair) and, read as a series (checkpoints in the order
given), how often the order of two runs flips when the samples are resampled
(`agentbench.variance.order_flip_rates`).

Statuses count as in `agentbench.metrics` (errors score 0; infra, provider and cancelled
episodes are left out).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench.errors import ConfigError, DataError
from agentbench.metrics import paired_difference
from agentbench.types import EpisodeResult
from agentbench.variance import SCORED_STATUSES, episode_passed, episode_value, order_flip_rates

EpisodeKey = tuple[str, str, int]  # (task, sample_id, epoch)


@dataclass
class StoredRun:
    """One run read back from its store, reduced to what a comparison needs.

    Attributes:
        name: How the user named it (the reference given on the command line).
        run_id: The stored run id.
        task: The run's task (its config).
        model: The run's model reference.
        task_options: The run's task options.
        episodes: Scored episodes: (task, sample_id, epoch) -> (value, passed).
        subsets: The subset of each (task, sample_id), where the task gives one.
    """

    name: str
    run_id: str
    task: str
    model: str
    task_options: dict[str, Any] = field(default_factory=dict)
    episodes: dict[EpisodeKey, tuple[float, bool]] = field(default_factory=dict)
    subsets: dict[tuple[str, str], str] = field(default_factory=dict)

    @classmethod
    def from_results(
        cls,
        name: str,
        results: list[EpisodeResult],
        *,
        task: str | None = None,
        model: str | None = None,
        task_options: dict[str, Any] | None = None,
    ) -> StoredRun:
        """A run from its episode results (task and model default to the first result's)."""
        first = results[0] if results else None
        run = cls(
            name=name,
            run_id=first.run_id if first else name,
            task=task or (first.task if first else ""),
            model=model or (first.model if first else ""),
            task_options=dict(task_options or {}),
        )
        for r in results:
            if r.status in SCORED_STATUSES:
                run.episodes[(r.task, r.sample_id, r.epoch)] = (episode_value(r), episode_passed(r))
                if r.subset is not None:
                    run.subsets[(r.task, r.sample_id)] = r.subset
        return run


def load_stored_run(ref: str, runs_root: str | Path = "runs") -> StoredRun:
    """Read a run from its store (a run id or name under `runs_root`, or a run directory).

    Raises:
        ConfigError, DataError: no such run, or not an agentbench run directory.
    """
    from agentbench._runner.store import Store, find_run_dir

    run_dir = find_run_dir(str(ref), Path(runs_root))
    with Store(run_dir, create=False) as store:
        row = store.get_run(run_dir.name)
        if row is None:
            ids = store.run_ids()
            if not ids:
                raise DataError(
                    f"{store.path} holds no run", "pass a directory made by `agentbench run`"
                )
            row = store.get_run(ids[-1])
        assert row is not None
        results = store.results(row["run_id"])
    config = row["config"]
    return StoredRun.from_results(
        str(ref), results, task=config.task, model=config.model, task_options=config.task_options
    )


def mcnemar_exact(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts.

    Args:
        a_only: Pairs where A passed and B failed.
        b_only: Pairs where B passed and A failed.

    Returns:
        min(1, 2 * P[X <= min(a_only, b_only)]) for X ~ Binomial(a_only + b_only, 1/2); 1.0 when
        there is no discordant pair.
    """
    n = a_only + b_only
    if n == 0:
        return 1.0
    k = min(a_only, b_only)
    # log-space sum keeps large n (thousands of episodes) from overflowing floats.
    logs = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in range(k + 1)]
    top = max(logs)
    tail = math.exp(top - n * math.log(2)) * sum(math.exp(v - top) for v in logs)
    return min(1.0, 2 * tail)


def compare_pair(
    a: StoredRun,
    b: StoredRun,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Compare run A with run B on their shared (sample, epoch) keys.

    Returns:
        `a`, `b` (names), `overall`, `subsets` and `tasks` (a block each, see `_block`), plus
        `only_a` / `only_b` (episodes the other run lacks) and `notes`.

    Raises:
        ConfigError: The runs are of different tasks, or share no scored episode.
    """
    if a.task != b.task:
        raise ConfigError(
            f"runs {a.name!r} and {b.name!r} are of different tasks ({a.task!r} vs {b.task!r})",
            "compare runs of the same task",
        )
    shared = sorted(a.episodes.keys() & b.episodes.keys())
    if not shared:
        raise ConfigError(
            f"runs {a.name!r} and {b.name!r} share no scored (sample, epoch)",
            "compare runs over the same samples (same -T options, --limit and --sample-id)",
        )
    notes = []
    if a.task_options != b.task_options:
        notes.append(f"task options differ: {a.task_options} vs {b.task_options}")
    opts: dict[str, Any] = {"confidence": confidence, "resamples": resamples, "seed": seed}
    by_subset: dict[str, list[EpisodeKey]] = defaultdict(list)
    by_task: dict[str, list[EpisodeKey]] = defaultdict(list)
    for key in shared:
        subset = a.subsets.get((key[0], key[1]))
        if subset is not None:
            by_subset[subset].append(key)
        by_task[key[0]].append(key)
    return {
        "a": a.name,
        "b": b.name,
        "task": a.task,
        "models": [a.model, b.model],
        "only_a": len(a.episodes) - len(shared),
        "only_b": len(b.episodes) - len(shared),
        "overall": _block(a, b, shared, **opts),
        "subsets": {s: _block(a, b, keys, **opts) for s, keys in sorted(by_subset.items())},
        "tasks": (
            {t: _block(a, b, keys, **opts) for t, keys in sorted(by_task.items())}
            if len(by_task) > 1
            else {}
        ),
        "notes": notes,
    }


def _block(a: StoredRun, b: StoredRun, keys: list[EpisodeKey], **opts: Any) -> dict[str, Any]:
    """Paired figures over `keys`: bootstrap over samples, McNemar over episodes."""
    per_a: dict[str, list[float]] = defaultdict(list)
    per_b: dict[str, list[float]] = defaultdict(list)
    a_only = b_only = both = neither = 0
    for key in keys:
        sample = f"{key[0]}/{key[1]}"
        (va, pa), (vb, pb) = a.episodes[key], b.episodes[key]
        per_a[sample].append(va)
        per_b[sample].append(vb)
        a_only += pa and not pb
        b_only += pb and not pa
        both += pa and pb
        neither += not pa and not pb
    diff = paired_difference(
        {s: sum(v) / len(v) for s, v in per_a.items()},
        {s: sum(v) / len(v) for s, v in per_b.items()},
        **opts,
    )
    return {
        "samples": diff["samples"],
        "episodes": len(keys),
        "mean_a": diff["mean_a"],
        "mean_b": diff["mean_b"],
        "difference": diff["difference"],
        "ci": diff["ci"],
        "p_bootstrap": diff["p_value"],
        "wins": diff["wins"],
        "losses": diff["losses"],
        "ties": diff["ties"],
        "mcnemar": {
            "a_only_passed": a_only,
            "b_only_passed": b_only,
            "both_passed": both,
            "neither_passed": neither,
            "p_value": mcnemar_exact(a_only, b_only),
        },
    }


def compare_runs(
    runs: list[StoredRun],
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Compare two runs or more.

    Returns:
        `runs` (name, run id, model, task), `pairs` (one `compare_pair` per pair i < j, which
        is the matrix), and with three runs or more `series`: the order flip rates of
        `agentbench.variance.order_flip_rates` over the samples every run shares.

    Raises:
        ConfigError: Fewer than two runs, runs of different tasks, or a pair without shared
            episodes.
    """
    if len(runs) < 2:
        raise ConfigError(
            "compare needs two runs or more", "write `agentbench compare RUN_A RUN_B`"
        )
    opts: dict[str, Any] = {"confidence": confidence, "resamples": resamples, "seed": seed}
    pairs = [
        compare_pair(runs[i], runs[j], **opts)
        for i in range(len(runs))
        for j in range(i + 1, len(runs))
    ]
    report: dict[str, Any] = {
        "runs": [
            {"name": r.name, "run_id": r.run_id, "task": r.task, "model": r.model} for r in runs
        ],
        "confidence": confidence,
        "pairs": pairs,
    }
    if len(runs) > 2:
        report["series"] = _series(runs, resamples=resamples, seed=seed)
    return report


def _series(runs: list[StoredRun], *, resamples: int, seed: int) -> dict[str, Any]:
    per_sample = []
    for run in runs:
        grouped: dict[str, list[float]] = defaultdict(list)
        for (task, sid, _epoch), (value, _passed) in run.episodes.items():
            grouped[f"{task}/{sid}"].append(value)
        per_sample.append({s: sum(v) / len(v) for s, v in grouped.items()})
    try:
        return order_flip_rates(
            per_sample, names=[r.name for r in runs], resamples=resamples, seed=seed
        )
    except ValueError as exc:
        raise ConfigError(
            f"the runs of the series share no sample ({exc})",
            "compare runs over the same samples",
        ) from None


def format_comparison(report: dict[str, Any]) -> str:
    """The comparison as text: one line per pair and breakdown, the matrix, the series."""
    pct = round(report["confidence"] * 100)
    lines = []
    for pair in report["pairs"]:
        lines.append(f"{pair['a']} vs {pair['b']}  (task {pair['task']})")
        lines.append(_line("overall", pair["overall"], pct))
        for title, blocks in (("subset", pair["subsets"]), ("task", pair["tasks"])):
            if len(blocks) < 2:  # one subset is the overall line again
                continue
            for name, block in blocks.items():
                lines.append(_line(f"{title} {name}", block, pct))
        if pair["only_a"] or pair["only_b"]:
            lines.append(
                f"  not compared: {pair['only_a']} episode(s) only in A, {pair['only_b']} only in B"
            )
        lines.extend(f"  note: {n}" for n in pair["notes"])
    if len(report["runs"]) > 2:
        lines.append("")
        lines.append(_matrix(report))
    series = report.get("series")
    if series:
        lines.append("")
        lines.append(
            f"series over {series['samples']} shared samples (order flips under resampling)"
        )
        for p in series["adjacent"]:
            rate = "tied" if p["flip_rate"] is None else f"{p['flip_rate']:.1%}"
            lines.append(f"  {p['a']} -> {p['b']}: difference {p['difference']:+.4f}, flips {rate}")
        lines.append(f"  whole ranking kept in {series['ranking_stability']:.1%} of resamples")
    return "\n".join(lines)


def _line(title: str, block: dict[str, Any], pct: int) -> str:
    lo, hi = block["ci"]
    m = block["mcnemar"]
    return (
        f"  {title}: {block['mean_a']:.4f} vs {block['mean_b']:.4f}  "
        f"diff {block['difference']:+.4f} [{pct}% CI {lo:+.4f}, {hi:+.4f}]  "
        f"McNemar p={m['p_value']:.4g} ({m['a_only_passed']}/{m['b_only_passed']} discordant)  "
        f"n={block['samples']} samples, {block['episodes']} episodes"
    )


def _matrix(report: dict[str, Any]) -> str:
    """Rows minus columns: mean difference and McNemar p of every pair."""
    names = [r["name"] for r in report["runs"]]
    cell: dict[tuple[str, str], str] = {}
    for pair in report["pairs"]:
        o = pair["overall"]
        p = o["mcnemar"]["p_value"]
        cell[(pair["a"], pair["b"])] = f"{o['difference']:+.3f} p={p:.3g}"
        cell[(pair["b"], pair["a"])] = f"{-o['difference']:+.3f} p={p:.3g}"
    width = max(18, *(len(n) for n in names))
    rows = [
        "difference row - column (McNemar p)",
        " " * width + "".join(n.ljust(width) for n in names),
    ]
    for r in names:
        rows.append(r.ljust(width) + "".join(cell.get((r, c), "-").ljust(width) for c in names))
    return "\n".join(rows)
