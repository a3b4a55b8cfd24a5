"""How much a run's figures move: across epochs, across seeds, under resampling.

Functions the summary, the report and `agentbench compare` call. Every one takes plain
`EpisodeResult` objects (or per-sample scores) and returns JSON-able dicts, so they work on a run
read back from its store (`Store(run_dir, create=False).results(run_id)`) as well as on results
held in memory.

Statuses count as in `agentbench.metrics`: `ok` and `limit` are scored, `error` is a failed
attempt with score 0, and `infra_error`, `provider_error` and `cancelled` are left out.

A sample is the independent unit: the epochs of one sample are correlated, so every interval
here resamples samples (and, for `mean_ci`, epochs within the chosen samples).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from agentbench.types import EpisodeResult

SCORED_STATUSES = frozenset({"ok", "limit", "error"})
_CHUNK_ELEMENTS = 2_000_000

SampleKey = tuple[str, str]  # (task, sample_id)


def episode_value(result: EpisodeResult) -> float:
    """The score an episode contributes to a mean: the checker's value, 0 for an error."""
    if result.status == "error" or result.score is None:
        return 0.0
    return float(result.score.value)


def episode_passed(result: EpisodeResult) -> bool:
    """Whether an episode passed (an error never does)."""
    return result.status != "error" and result.passed


def scored_episodes(
    results: Iterable[EpisodeResult],
) -> dict[SampleKey, dict[int, tuple[float, bool]]]:
    """The scored episodes by sample: (task, sample_id) -> epoch -> (value, passed).

    Episodes with a left-out status are dropped; a (sample, epoch) recorded twice keeps the last.
    """
    table: dict[SampleKey, dict[int, tuple[float, bool]]] = defaultdict(dict)
    for r in results:
        if r.status in SCORED_STATUSES:
            table[(r.task, r.sample_id)][r.epoch] = (episode_value(r), episode_passed(r))
    return dict(table)


def per_sample_variance(results: Iterable[EpisodeResult]) -> dict[str, Any]:
    """The spread of each sample's score over its epochs.

    Returns:
        `samples`: a list of `{task, sample_id, epochs, mean, variance}` (unbiased variance over
        the sample's epochs; None with a single epoch), and `mean_variance`: the average of the
        variances over the samples that have two epochs or more (None if none has).
    """
    rows: list[dict[str, Any]] = []
    for (task, sid), epochs in sorted(scored_episodes(results).items()):
        values = [v for v, _ in epochs.values()]
        rows.append(
            {
                "task": task,
                "sample_id": sid,
                "epochs": len(values),
                "mean": sum(values) / len(values),
                "variance": _variance(values),
            }
        )
    spread = [r["variance"] for r in rows if r["variance"] is not None]
    return {"samples": rows, "mean_variance": sum(spread) / len(spread) if spread else None}


def flip_share(results: Iterable[EpisodeResult]) -> dict[str, Any]:
    """The share of samples whose pass/fail outcome is not the same in every epoch.

    Only samples with two scored epochs or more count.

    Returns:
        `samples` (with >= 2 epochs), `flipping` (how many of them flip), `share` (None when no
        sample has two epochs), and `flipping_ids` (as "task/sample_id", sorted).
    """
    multi = {k: e for k, e in scored_episodes(results).items() if len(e) >= 2}
    flipping = sorted(
        f"{task}/{sid}" for (task, sid), e in multi.items() if len({p for _, p in e.values()}) > 1
    )
    return {
        "samples": len(multi),
        "flipping": len(flipping),
        "share": len(flipping) / len(multi) if multi else None,
        "flipping_ids": flipping,
    }


def seed_variance(
    runs: Sequence[Iterable[EpisodeResult]], *, shared: bool = True
) -> dict[str, Any]:
    """The run-to-run (seed-to-seed) spread of the mean score.

    Args:
        runs: The episodes of each run (the same task, different seeds or repeats).
        shared: Use only the samples every run scored, so that the means differ by chance and not
            by which samples finished.

    Returns:
        `runs`, `samples` (per run's mean), `means` (one per run), `mean`, `variance`
        (unbiased, across runs; None for one run) and `std`.
    """
    tables = [scored_episodes(r) for r in runs]
    if not tables:
        raise ValueError("no runs")
    keys = set.intersection(*(set(t) for t in tables)) if shared else None
    means = []
    counts = []
    for table in tables:
        values = [
            v
            for key, epochs in table.items()
            if keys is None or key in keys
            for v, _ in epochs.values()
        ]
        if not values:
            raise ValueError("a run has no scored episode on the shared samples")
        means.append(sum(values) / len(values))
        counts.append(len(keys) if keys is not None else len(table))
    var = _variance(means)
    return {
        "runs": len(means),
        "samples": counts,
        "means": means,
        "mean": sum(means) / len(means),
        "variance": var,
        "std": var**0.5 if var is not None else None,
    }


def mean_ci(
    results: Iterable[EpisodeResult],
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """The mean score with a two-level bootstrap interval: over samples, then over epochs.

    Each resample draws samples with replacement and, inside every drawn sample, its epochs with
    replacement; the resample's mean is the average over its episodes. With one epoch per
    sample this is the ordinary bootstrap over samples.

    Returns:
        `mean` (over episodes), `ci` ([lo, hi]), `samples`, `episodes`.

    Raises:
        ValueError: No scored episode, or a confidence outside (0, 1).
    """
    import numpy as np

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    table = scored_episodes(results)
    if not table:
        raise ValueError("no scored episode to bootstrap")
    rows = [[v for v, _ in epochs.values()] for _, epochs in sorted(table.items())]
    width = max(len(r) for r in rows)
    matrix = np.full((len(rows), width), np.nan)
    for i, r in enumerate(rows):
        matrix[i, : len(r)] = r
    sizes = np.array([len(r) for r in rows])
    rng = np.random.default_rng(seed)
    n = len(rows)
    chunk = max(1, _CHUNK_ELEMENTS // n)
    means = []
    for start in range(0, resamples, chunk):
        m = min(chunk, resamples - start)
        picked = rng.integers(0, n, size=(m, n))
        epoch = (rng.random((m, n)) * sizes[picked]).astype(int)
        values = matrix[picked, epoch]
        # Episodes, not samples, are averaged: each drawn sample weighs by its epoch count.
        means.append((values * sizes[picked]).sum(axis=1) / sizes[picked].sum(axis=1))
    boot = np.concatenate(means)
    alpha = (1 - confidence) / 2
    lo, hi = (float(x) for x in np.quantile(boot, [alpha, 1 - alpha]))
    flat = [v for r in rows for v in r]
    mean = sum(flat) / len(flat)
    return {
        "mean": mean,
        "ci": [max(lo, min(flat)), min(hi, max(flat))],
        "samples": n,
        "episodes": len(flat),
    }


def order_flip_rates(
    series: Sequence[Mapping[str, float]],
    *,
    names: Sequence[str] | None = None,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """How often the order of two runs flips when the shared samples are resampled.

    Args:
        series: Per-sample scores of each run (sample key -> score, e.g. a checkpoint series),
            in series order.
        names: A name per run (default "0", "1", ...).
        resamples: Bootstrap resamples over the samples all runs share.
        seed: Seed of the random generator.

    Returns:
        `samples` (shared by all runs), `pairs`: for every pair i < j, `{a, b, difference,
        flip_rate}` where `flip_rate` is the share of resamples whose difference has the other
        sign than the observed one (a resampled tie counts half; None when the observed
        difference is 0); `adjacent`: the same for consecutive runs only; and
        `ranking_stability`: the share of resamples that rank every run as observed.

    Raises:
        ValueError: Fewer than two runs, or no sample shared by all.
    """
    import numpy as np

    if len(series) < 2:
        raise ValueError("need two runs or more")
    names = list(names) if names is not None else [str(i) for i in range(len(series))]
    keys = sorted(set.intersection(*(set(s) for s in series)))
    if not keys:
        raise ValueError("the runs share no sample")
    scores = np.array([[s[k] for k in keys] for s in series])  # runs x samples
    rng = np.random.default_rng(seed)
    n = len(keys)
    weights = rng.multinomial(n, np.full(n, 1 / n), size=resamples) / n  # resamples x samples
    boot = weights @ scores.T  # resamples x runs
    observed = scores.mean(axis=1)
    pairs: list[dict[str, Any]] = []
    adjacent: list[dict[str, Any]] = []
    for i in range(len(series)):
        for j in range(i + 1, len(series)):
            diff = float(observed[i] - observed[j])
            pair = {
                "a": names[i],
                "b": names[j],
                "difference": diff,
                "flip_rate": _flip_rate(diff, boot[:, i] - boot[:, j]),
            }
            pairs.append(pair)
            if j == i + 1:
                adjacent.append(pair)
    order = np.argsort(-observed, kind="stable")
    same = np.all(np.argsort(-boot, axis=1, kind="stable") == order, axis=1)
    return {
        "samples": n,
        "pairs": pairs,
        "adjacent": adjacent,
        "ranking_stability": float(same.mean()),
    }


def variance_report(
    results: Iterable[EpisodeResult], *, resamples: int = 2000, seed: int = 0
) -> dict[str, Any]:
    """The variance figures of one run: per-sample variance, flips, the two-level mean CI."""
    results = list(results)
    spread = per_sample_variance(results)
    return {
        "mean_variance": spread["mean_variance"],
        "flips": flip_share(results),
        "mean_ci": mean_ci(results, resamples=resamples, seed=seed),
        "per_sample": spread["samples"],
    }


def _flip_rate(observed: float, diffs: Any) -> float | None:
    if observed == 0:
        return None
    other = (diffs < 0) if observed > 0 else (diffs > 0)
    return float(other.mean() + 0.5 * (diffs == 0).mean())


def _variance(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)
