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

A stored run is summarised streaming (`summarise_store`): the store's rows are read a page at a
time and only a few numbers per sample are kept (`RunTally`), so memory is flat in the number of
episodes. `summarise` gives the identical summary for results already in a list.
"""

from __future__ import annotations

import json
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol

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


class SummarySource(Protocol):
    """Where a streamed summary reads a run's episodes from (the run store implements it).

    `sample_rows` yields `(task, sample_id, model, subset, status, score_value, passed, order)`
    with the rows of each (task, sample_id) contiguous and `order` rising with the time an
    episode was first recorded; `usage_rows` yields `(input_tokens, output_tokens,
    cached_tokens, cost, usage_by_role)` in recording order (`usage_by_role` as JSON text, a
    dict of Usage, or None).
    """

    def sample_rows(self, run_id: str) -> Iterable[tuple[Any, ...]]: ...

    def usage_rows(self, run_id: str) -> Iterable[tuple[Any, ...]]: ...


def summarise(
    run_id: str,
    task: str,
    model: str,
    results: Iterable[EpisodeResult],
    *,
    epochs: int,
    expected: int,
    task_metrics: dict[str, Any] | None = None,
    duration_s: float = 0.0,
    run_dir: str = "",
    roles: dict[str, str] | None = None,
) -> RunSummary:
    """The summary of a run: counts, pass@k for k = 1..epochs with CIs, mean score with CI.

    For results already in memory; a stored run is summarised with `summarise_store`, which
    gives the same summary without holding its episodes.

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
    results = list(results)
    rows = [
        (
            r.task,
            r.sample_id,
            r.model,
            r.subset,
            r.status,
            r.score.value if r.score else None,
            int(r.passed),
            i,
        )
        for i, r in enumerate(results)
    ]
    rows.sort(key=itemgetter(0, 1))  # stable: each sample's episodes stay in recording order
    usage = [
        (u.input_tokens, u.output_tokens, u.cached_tokens, u.cost, r.usage_by_role)
        for r in results
        for u in (r.usage,)
    ]
    tally = RunTally.of(rows, usage)
    return tally.summary(
        run_id,
        task,
        model,
        epochs=epochs,
        expected=expected,
        task_metrics=task_metrics,
        duration_s=duration_s,
        run_dir=run_dir,
        roles=roles,
    )


def summarise_store(
    store: SummarySource,
    run_id: str,
    task: str,
    model: str,
    *,
    epochs: int,
    expected: int,
    task_metrics: dict[str, Any] | None = None,
    duration_s: float = 0.0,
    run_dir: str = "",
    roles: dict[str, str] | None = None,
) -> RunSummary:
    """`summarise` streamed from a run store: two passes over its rows, a page at a time.

    Memory grows with the number of samples (a few numbers each, which the bootstrap needs),
    never with the number of episodes. The arguments are those of `summarise`, with the
    store in place of the results.
    """
    tally = RunTally.of(store.sample_rows(run_id), store.usage_rows(run_id))
    return tally.summary(
        run_id,
        task,
        model,
        epochs=epochs,
        expected=expected,
        task_metrics=task_metrics,
        duration_s=duration_s,
        run_dir=run_dir,
        roles=roles,
    )


class RunTally:
    """What a summary needs of a run, tallied from streamed rows (see `SummarySource`).

    Per sample it keeps four numbers in compact arrays (first recording order, scored
    episodes, passed episodes, mean score); per task, subset and status, counts. Figures are
    computed in each sample's first-recorded order, so they equal those of the list-based
    computation to the last bit.
    """

    def __init__(self) -> None:
        self.total = _Tallies()
        self.subsets: dict[str, _Tallies] = {}
        # task -> [first order, start, end] in `total`'s arrays (a task's samples are contiguous)
        self.tasks: dict[str, list[int]] = {}
        self.task_counts: dict[str, dict[str, int]] = {}
        self.usage = Usage()
        self.usage_by_role: dict[str, Usage] = {}

    @classmethod
    def of(
        cls, sample_rows: Iterable[tuple[Any, ...]], usage_rows: Iterable[tuple[Any, ...]]
    ) -> RunTally:
        """Tally both streams."""
        tally = cls()
        for _key, block in groupby(sample_rows, key=itemgetter(0, 1)):
            tally.add_sample(list(block))
        tally.add_usage(usage_rows)
        return tally

    def add_sample(self, block: list[tuple[Any, ...]]) -> None:
        """The rows of one (task, sample_id): split by model (and by subset for subsets)."""
        block.sort(key=itemgetter(7))
        task = block[0][0]
        span = self.tasks.get(task)
        if span is None:
            span = self.tasks[task] = [block[0][7], len(self.total.n), len(self.total.n)]
            self.task_counts[task] = dict.fromkeys(_COUNT_KEYS, 0)
        span[0] = min(span[0], block[0][7])
        for rows in _split(block, 2).values():
            self.total.add(rows)
            _count(self.task_counts[task], rows)
            for subset, group in _split(rows, 3).items():
                if subset is not None:
                    self.subsets.setdefault(subset, _Tallies()).add(group)
        span[2] = len(self.total.n)

    def add_usage(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Sum usage (in recording order, so float costs add up as they always did)."""
        total = _usage_sums(self.usage)
        by_role = {role: _usage_sums(u) for role, u in self.usage_by_role.items()}
        for *usage, roles in rows:
            _add_usage(total, usage)
            if isinstance(roles, str):
                roles = json.loads(roles) if roles != "{}" else None
            for role, u in (roles or {}).items():
                if isinstance(u, Usage):
                    u = (u.input_tokens, u.output_tokens, u.cached_tokens, u.cost)
                else:
                    u = (
                        u.get("input_tokens", 0),
                        u.get("output_tokens", 0),
                        u.get("cached_tokens", 0),
                        u.get("cost"),
                    )
                _add_usage(by_role.setdefault(role, [0, 0, 0, None]), u)
        self.usage = _usage_of(total)
        self.usage_by_role = {role: _usage_of(sums) for role, sums in by_role.items()}

    def summary(
        self,
        run_id: str,
        task: str,
        model: str,
        *,
        epochs: int,
        expected: int,
        task_metrics: dict[str, Any] | None = None,
        duration_s: float = 0.0,
        run_dir: str = "",
        roles: dict[str, str] | None = None,
    ) -> RunSummary:
        """The RunSummary (see `summarise` for the arguments and what it holds)."""
        metrics: dict[str, Any] = self.total.figures(epochs)
        if len(self.tasks) > 1:
            ordered = sorted(self.tasks.items(), key=lambda item: item[1][0])
            metrics["tasks"] = {
                t: {**self.task_counts[t], **self.total.figures(epochs, lo, hi)}
                for t, (_first, lo, hi) in ordered
            }
        for key, value in (task_metrics or {}).items():
            metrics[f"task:{key}" if key in metrics else key] = value
        subsets = {
            name: {**group.counts, **group.figures(epochs)}
            for name, group in sorted(self.subsets.items())
        }
        counts = self.total.counts
        return RunSummary(
            run_id=run_id,
            task=task,
            model=model,
            episodes=expected,
            completed=counts["completed"],
            errors=counts["errors"],
            infra_errors=counts["infra_errors"],
            provider_errors=counts["provider_errors"],
            left_out=counts["infra_errors"] + counts["provider_errors"] + counts["cancelled"],
            epochs=epochs,
            samples=counts["samples"],
            metrics=metrics,
            subsets=subsets,
            usage=self.usage,
            usage_by_role=dict(self.usage_by_role),
            roles=dict(roles or {}),
            duration_s=duration_s,
            run_dir=run_dir,
        )


# internals ----------------------------------------------------------------------------------

_COUNT_KEYS = (
    "samples",
    "episodes",
    "completed",
    "errors",
    "infra_errors",
    "provider_errors",
    "cancelled",
)
_STATUS_COUNTS = {
    "error": "errors",
    "infra_error": "infra_errors",
    "provider_error": "provider_errors",
    "cancelled": "cancelled",
}
# Columns of a sample row (see `SummarySource`).
_STATUS, _SCORE, _PASSED, _ORDER = 4, 5, 6, 7


def _usage_sums(usage: Usage) -> list[Any]:
    return [usage.input_tokens, usage.output_tokens, usage.cached_tokens, usage.cost]


def _add_usage(sums: list[Any], usage: Sequence[Any]) -> None:
    """`sums += usage` as `Usage.__add__` adds (a cost stays None until one is known)."""
    sums[0] += usage[0]
    sums[1] += usage[1]
    sums[2] += usage[2]
    if sums[3] is not None or usage[3] is not None:
        sums[3] = (sums[3] or 0.0) + (usage[3] or 0.0)


def _usage_of(sums: list[Any]) -> Usage:
    return Usage(input_tokens=sums[0], output_tokens=sums[1], cached_tokens=sums[2], cost=sums[3])


def _split(rows: list[tuple[Any, ...]], column: int) -> dict[Any, list[tuple[Any, ...]]]:
    groups: dict[Any, list[tuple[Any, ...]]] = {}
    for row in rows:
        groups.setdefault(row[column], []).append(row)
    return groups


def _count(counts: dict[str, int], rows: list[tuple[Any, ...]]) -> None:
    """Add one sample's episodes (all statuses) to `counts`."""
    counts["samples"] += 1
    counts["episodes"] += len(rows)
    for row in rows:
        status = row[_STATUS]
        counts["completed"] += status in SCORED_STATUSES
        key = _STATUS_COUNTS.get(status)
        if key is not None:
            counts[key] += 1


def _value(r: EpisodeResult) -> float:
    if r.status == "error" or r.score is None:
        return 0.0
    return float(r.score.value)


def _passed(r: EpisodeResult) -> bool:
    return r.status != "error" and r.passed


def _row_value(row: tuple[Any, ...]) -> float:
    if row[_STATUS] == "error" or row[_SCORE] is None:
        return 0.0
    return float(row[_SCORE])


class _Tallies:
    """Counts of a group of episodes and, per sample, (first order, n scored, n passed, mean)."""

    __slots__ = ("c", "counts", "first", "mean", "n")

    def __init__(self) -> None:
        self.first, self.n, self.c = array("q"), array("q"), array("q")
        self.mean = array("d")
        self.counts = dict.fromkeys(_COUNT_KEYS, 0)

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        """One sample's episodes in this group, in recording order."""
        _count(self.counts, rows)
        scored = [r for r in rows if r[_STATUS] in SCORED_STATUSES]
        if scored:
            self.first.append(scored[0][_ORDER])
            self.n.append(len(scored))
            self.c.append(sum(1 for r in scored if r[_STATUS] != "error" and r[_PASSED]))
            self.mean.append(sum(_row_value(r) for r in scored) / len(scored))

    def figures(self, epochs: int, lo: int = 0, hi: int | None = None) -> dict[str, Any]:
        """pass@k (k = 1..epochs), mean, their CIs and the passed count, over the samples
        [lo, hi) taken in the order they were first recorded."""
        import numpy as np

        hi = len(self.n) if hi is None else hi
        figures: dict[str, Any] = {"passed": sum(self.c[lo:hi])}
        if hi <= lo:
            return figures
        order = np.asarray(self.first[lo:hi], dtype=np.int64).argsort(kind="stable")
        ns = np.asarray(self.n[lo:hi], dtype=np.int64)[order].tolist()
        cs = np.asarray(self.c[lo:hi], dtype=np.int64)[order].tolist()
        for k in range(1, max(epochs, 1) + 1):
            values = _pass_at_k_values(ns, cs, k)
            if values:
                figures[f"pass@{k}"] = sum(values) / len(values)
                figures[f"pass@{k}_ci"] = list(bootstrap_ci(values))
        means = array("d", np.asarray(self.mean[lo:hi], dtype=np.float64)[order].tobytes())
        figures["mean"] = sum(means) / len(means)
        figures["mean_ci"] = list(bootstrap_ci(means))
        repeated = [(n, c) for n, c in zip(ns, cs, strict=True) if n >= 2]
        if epochs > 1 and repeated:
            # How much a sample's outcome varies from epoch to epoch: the share of samples that
            # both passed and failed, and the mean unbiased variance of their pass outcomes.
            figures["flip_share"] = sum(0 < c < n for n, c in repeated) / len(repeated)
            figures["sample_variance"] = sum(
                c * (n - c) / (n * (n - 1)) for n, c in repeated
            ) / len(repeated)
        return figures


def _pass_at_k_values(ns: list[int], cs: list[int], k: int) -> array[float]:
    """pass@k of each sample with at least k scored episodes (one estimate per (n, c))."""
    known: dict[tuple[int, int], float] = {}
    values = array("d")
    for n, c in zip(ns, cs, strict=True):
        if n >= k:
            value = known.get((n, c))
            if value is None:
                value = known[n, c] = pass_at_k(n, c, k)
            values.append(value)
    return values


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
    """The (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of `means`.

    numpy's default ("linear") quantile to the last bit, computed here because `np.quantile`
    imports `numpy.ma` (some 10 MB) on first use.
    """
    import numpy as np

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    alpha = (1 - confidence) / 2
    ordered = np.sort(means)
    return _linear_quantile(ordered, alpha), _linear_quantile(ordered, 1 - alpha)


def _linear_quantile(ordered: np.ndarray, q: float) -> float:
    """Quantile `q` of sorted values, interpolated as numpy's `_lerp` does."""
    top = len(ordered) - 1
    virtual = top * q
    if virtual >= top:
        return float(ordered[top])
    if virtual < 0:
        return float(ordered[0])
    lo = math.floor(virtual)
    gamma = virtual - lo
    a, b = float(ordered[lo]), float(ordered[lo + 1])
    diff = b - a
    # numpy interpolates from the nearer end, so that gamma = 1 gives b exactly
    return b - diff * (1 - gamma) if gamma >= 0.5 else a + diff * gamma
