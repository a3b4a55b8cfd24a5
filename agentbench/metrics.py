"""Run metrics: unbiased pass@k, bootstrap confidence intervals, paired comparison, summaries.

How episode statuses count (the same everywhere in this module):

- `ok` and `limit`: scored; passed or failed as the checker said.
- `error`: the model's (or the agent loop's) failure, so it counts as a failed attempt with
  score 0.0 in pass@k and in the mean.
- `infra_error` (a fault outside the episode, retries exhausted), `provider_error` (the model
  provider stayed unavailable past its retries) and `cancelled`: not the model's doing, so they
  are left out of every metric, counted apart (`RunSummary.infra_errors`, `provider_errors`,
  `left_out`) and run again by `--resume`.

Intervals are percentile bootstraps over samples (not episodes), since the epochs of one sample
are not independent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from agentbench.types import EpisodeResult, RunSummary, Usage

if TYPE_CHECKING:
    import numpy as np

SCORED_STATUSES = frozenset({"ok", "error", "limit"})
_MAX_LEVELS_FOR_MULTINOMIAL = 32
_CHUNK_ELEMENTS = 2_000_000


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimator of Chen et al. (2021): 1 - C(n-c, k) / C(n, k).

    Args:
        n: Attempts at the problem.
        c: Attempts that passed.
        k: The budget of attempts.

    Returns:
        The probability that at least one of `k` attempts drawn without replacement passes.

    Raises:
        ValueError: Unless 0 <= c <= n and 1 <= k <= n.
    """
    if not 0 <= c <= n:
        raise ValueError(f"need 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:
        return 1.0
    # The product form avoids the huge binomial coefficients of large n.
    failing_all = 1.0
    for i in range(n - c + 1, n + 1):
        failing_all *= 1.0 - k / i
    return 1.0 - failing_all


def bootstrap_ci(
    values: Sequence[float], *, confidence: float = 0.95, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """A percentile bootstrap confidence interval of the mean of `values`.

    Deterministic for a given `seed`. When every value is the same the interval is that value.

    Args:
        values: One value per independent unit (per sample).
        confidence: The interval's coverage, between 0 and 1.
        resamples: Bootstrap resamples.
        seed: Seed of the random generator.

    Raises:
        ValueError: For no values, a NaN, or a confidence outside (0, 1).
    """
    means = _bootstrap_means(values, resamples=resamples, seed=seed)
    lo, hi = _percentiles(means, confidence)
    data_lo, data_hi = min(values), max(values)
    # Clamp so float noise never puts the bounds outside the data (e.g. 0.7000000000000001).
    return max(lo, data_lo), min(hi, data_hi)


def paired_difference(
    a: dict[str, float],
    b: dict[str, float],
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Compare two runs on the samples they share, with a paired bootstrap.

    Args:
        a: Per-sample score of run A (see `sample_scores`).
        b: Per-sample score of run B.
        confidence: Coverage of the interval of the difference.
        resamples: Bootstrap resamples.
        seed: Seed of the random generator.

    Returns:
        `samples` (shared), `only_a`, `only_b`, `mean_a`, `mean_b`, `difference` (mean of a - b),
        `ci` ([lo, hi] of the difference), `p_value` (two-sided, from the bootstrap), and
        `wins`, `losses`, `ties` (samples where a is above, below, equal to b).

    Raises:
        ValueError: When the runs share no sample.
    """
    common = sorted(a.keys() & b.keys())
    if not common:
        raise ValueError("the two runs share no sample id")
    diffs = [a[s] - b[s] for s in common]
    means = _bootstrap_means(diffs, resamples=resamples, seed=seed)
    lo, hi = _percentiles(means, confidence)
    below, above = float((means <= 0).mean()), float((means >= 0).mean())
    n = len(common)
    return {
        "samples": n,
        "only_a": len(a) - n,
        "only_b": len(b) - n,
        "mean_a": sum(a[s] for s in common) / n,
        "mean_b": sum(b[s] for s in common) / n,
        "difference": sum(diffs) / n,
        "ci": [max(lo, min(diffs)), min(hi, max(diffs))],
        "p_value": min(1.0, 2 * min(below, above)),
        "wins": sum(d > 0 for d in diffs),
        "losses": sum(d < 0 for d in diffs),
        "ties": sum(d == 0 for d in diffs),
    }


def sample_scores(results: Iterable[EpisodeResult], *, passed: bool = False) -> dict[str, float]:
    """Per-sample mean over epochs of the score value (or of passed), for `paired_difference`.

    Errors count as 0; infra errors and cancelled episodes are left out.
    """
    per_sample: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r.status in SCORED_STATUSES:
            per_sample[r.sample_id].append(float(_passed(r)) if passed else _value(r))
    return {s: sum(v) / len(v) for s, v in per_sample.items()}


def summarise(
    run_id: str,
    task: str,
    model: str,
    results: list[EpisodeResult],
    *,
    epochs: int,
    expected: int,
    task_metrics: dict[str, Any] | None = None,
    duration_s: float = 0.0,
    run_dir: str = "",
    roles: dict[str, str] | None = None,
) -> RunSummary:
    """The summary of a run: counts, pass@k for k = 1..epochs with CIs, mean score with CI.

    Args:
        run_id: The run.
        task: The task name.
        model: The model reference.
        results: Every recorded episode of the run (any status).
        epochs: Epochs per sample; pass@k is reported for each k up to it.
        expected: Episodes the run was to have (samples x epochs).
        task_metrics: The task's own figures (e.g. failure classes), merged into `metrics`; a
            key that clashes with a core metric is kept as `task:<key>`.
        duration_s: Wall time of the run.
        run_dir: The run directory.
        roles: The model of each role (role -> reference).

    Returns:
        A RunSummary. `metrics` holds `pass@k`, `pass@k_ci`, `mean`, `mean_ci`, `passed`
        (episodes) and, if more than one task is present, `tasks` (the same figures per task);
        `subsets` holds counts and figures per `EpisodeResult.subset`. A sample with fewer than
        k scored episodes is left out of pass@k.
    """
    metrics: dict[str, Any] = _figures(results, epochs)
    tasks = sorted({r.task for r in results})
    if len(tasks) > 1:
        metrics["tasks"] = {
            t: {**_counts(g), **_figures(g, epochs)} for t, g in _group(results, "task").items()
        }
    for key, value in (task_metrics or {}).items():
        metrics[f"task:{key}" if key in metrics else key] = value
    subsets = {
        name: {**_counts(group), **_figures(group, epochs)}
        for name, group in sorted(_group(results, "subset").items())
    }
    counts = _counts(results)
    return RunSummary(
        run_id=run_id,
        task=task,
        model=model,
        episodes=expected,
        completed=counts["completed"],
        errors=counts["errors"],
        infra_errors=counts["infra_errors"],
        provider_errors=counts["provider_errors"],
        left_out=counts["episodes"] - counts["completed"] - counts["errors"],
        epochs=epochs,
        samples=counts["samples"],
        metrics=metrics,
        subsets=subsets,
        usage=sum((r.usage for r in results), Usage()),
        usage_by_role=_usage_by_role(results),
        roles=dict(roles or {}),
        duration_s=duration_s,
        run_dir=run_dir,
    )


# internals ----------------------------------------------------------------------------------


def _value(r: EpisodeResult) -> float:
    if r.status == "error" or r.score is None:
        return 0.0
    return float(r.score.value)


def _passed(r: EpisodeResult) -> bool:
    return r.status != "error" and r.passed


def _usage_by_role(results: Iterable[EpisodeResult]) -> dict[str, Usage]:
    totals: dict[str, Usage] = {}
    for r in results:
        for role, usage in r.usage_by_role.items():
            totals[role] = totals.get(role, Usage()) + usage
    return totals


def _group(results: Iterable[EpisodeResult], attr: str) -> dict[str, list[EpisodeResult]]:
    groups: dict[str, list[EpisodeResult]] = defaultdict(list)
    for r in results:
        key = getattr(r, attr)
        if key is not None:
            groups[key].append(r)
    return groups


def _counts(results: list[EpisodeResult]) -> dict[str, int]:
    statuses = [r.status for r in results]
    return {
        "samples": len({(r.task, r.model, r.sample_id) for r in results}),
        "episodes": len(results),
        "completed": sum(s in SCORED_STATUSES for s in statuses),
        "errors": statuses.count("error"),
        "infra_errors": statuses.count("infra_error"),
        "provider_errors": statuses.count("provider_error"),
        "cancelled": statuses.count("cancelled"),
    }


def _figures(results: list[EpisodeResult], epochs: int) -> dict[str, Any]:
    """pass@k (k = 1..epochs), mean, their CIs and the passed count, over scored episodes."""
    per_sample: dict[tuple[str, str, str], list[EpisodeResult]] = defaultdict(list)
    for r in results:
        if r.status in SCORED_STATUSES:
            per_sample[(r.task, r.model, r.sample_id)].append(r)
    figures: dict[str, Any] = {
        "passed": sum(_passed(r) for group in per_sample.values() for r in group)
    }
    if not per_sample:
        return figures
    tallies = [(len(g), sum(_passed(r) for r in g)) for g in per_sample.values()]
    for k in range(1, max(epochs, 1) + 1):
        values = [pass_at_k(n, c, k) for n, c in tallies if n >= k]
        if values:
            figures[f"pass@{k}"] = sum(values) / len(values)
            figures[f"pass@{k}_ci"] = list(bootstrap_ci(values))
    means = [sum(_value(r) for r in g) / len(g) for g in per_sample.values()]
    figures["mean"] = sum(means) / len(means)
    figures["mean_ci"] = list(bootstrap_ci(means))
    return figures


def _bootstrap_means(values: Sequence[float], *, resamples: int, seed: int) -> np.ndarray:
    """The means of `resamples` bootstrap resamples of `values`."""
    import numpy as np  # lazily: keeps `agentbench --help` fast

    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("no values to bootstrap")
    if np.isnan(data).any():
        raise ValueError("cannot bootstrap NaN values")
    if resamples < 1:
        raise ValueError(f"need at least one resample, got {resamples}")
    rng = np.random.default_rng(seed)
    levels, counts = np.unique(data, return_counts=True)
    n = data.size
    if len(levels) <= _MAX_LEVELS_FOR_MULTINOMIAL:
        # Few distinct values (pass/fail, pass@k fractions): resampling n values is the same as
        # drawing multinomial counts of each value, which costs O(levels), not O(n), per resample.
        draws = rng.multinomial(n, counts / n, size=resamples)
        return draws @ levels / n
    chunk = max(1, _CHUNK_ELEMENTS // n)
    parts = [
        data[rng.integers(0, n, size=(min(chunk, resamples - start), n))].mean(axis=1)
        for start in range(0, resamples, chunk)
    ]
    return np.concatenate(parts)


def _percentiles(means: np.ndarray, confidence: float) -> tuple[float, float]:
    import numpy as np

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    alpha = (1 - confidence) / 2
    lo, hi = np.quantile(means, [alpha, 1 - alpha])
    return float(lo), float(hi)
