"""pass@k against hand-computed values, bootstrap intervals, paired comparison, summaries."""

from __future__ import annotations

import math
import random

import pytest

import agentbench
from agentbench.metrics import (
    bootstrap_ci,
    paired_difference,
    pass_at_k,
    sample_scores,
    summarise,
)
from agentbench.types import EpisodeResult, RunSummary, Score, Usage


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 0.4),  # c / n
        (5, 2, 2, 0.7),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (5, 2, 3, 0.9),  # 1 - C(3,3)/C(5,3) = 1 - 1/10
        (5, 2, 4, 1.0),  # k > n - c: every draw of 4 holds a pass
        (10, 0, 1, 0.0),
        (10, 0, 10, 0.0),
        (10, 10, 1, 1.0),
        (10, 10, 10, 1.0),
        (10, 3, 5, 1 - 21 / 252),  # 1 - C(7,5)/C(10,5)
        (1, 1, 1, 1.0),
    ],
)
def test_pass_at_k_hand_computed(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_matches_the_binomial_formula_for_large_n() -> None:
    for n, c, k in [(200, 13, 10), (200, 0, 100), (1000, 999, 1), (300, 150, 100)]:
        exact = 1 - math.comb(n - c, k) / math.comb(n, k)
        assert pass_at_k(n, c, k) == pytest.approx(exact, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("n", "c", "k"), [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6), (0, 0, 1)])
def test_pass_at_k_rejects_impossible_inputs(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_public_api_exports_the_metrics() -> None:
    assert agentbench.pass_at_k is pass_at_k
    assert {"bootstrap_ci", "summarise", "paired_difference"} <= set(agentbench.__all__)


# bootstrap -------------------------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    rng = random.Random(1)
    values = [rng.random() for _ in range(50)]
    assert bootstrap_ci(values, seed=7) == bootstrap_ci(values, seed=7)
    assert bootstrap_ci(values, seed=7) != bootstrap_ci(values, seed=8)


@pytest.mark.parametrize("kind", ["binary", "continuous"])
def test_bootstrap_ci_contains_the_mean_and_matches_the_normal_width(kind: str) -> None:
    rng = random.Random(3)
    if kind == "binary":
        values = [float(rng.random() < 0.3) for _ in range(400)]
    else:
        values = [rng.random() for _ in range(400)]
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
    lo, hi = bootstrap_ci(values)
    assert lo < mean < hi
    half_width = 1.96 * sd / math.sqrt(len(values))
    assert (hi - lo) / 2 == pytest.approx(half_width, rel=0.15)


def test_bootstrap_ci_narrows_with_lower_confidence() -> None:
    values = [float(i % 3 == 0) for i in range(90)]
    lo95, hi95 = bootstrap_ci(values)
    lo50, hi50 = bootstrap_ci(values, confidence=0.5)
    assert lo95 <= lo50 < hi50 <= hi95


def test_bootstrap_ci_of_equal_values_is_that_value() -> None:
    assert bootstrap_ci([0.7] * 25) == (0.7, 0.7)
    assert bootstrap_ci([1.0]) == (1.0, 1.0)


@pytest.mark.parametrize(
    ("values", "kw"), [([], {}), ([1.0, float("nan")], {}), ([1.0, 0.0], {"confidence": 1.5})]
)
def test_bootstrap_ci_rejects_bad_input(values: list[float], kw: dict) -> None:
    with pytest.raises(ValueError):
        bootstrap_ci(values, **kw)


# paired comparison -----------------------------------------------------------------------------


def test_paired_difference_uses_common_samples_only() -> None:
    a = {f"s{i}": 1.0 if i < 30 else 0.0 for i in range(40)} | {"only-a": 1.0}
    b = {f"s{i}": 1.0 if i < 10 else 0.0 for i in range(40)} | {"only-b": 0.0, "only-b2": 1.0}
    out = paired_difference(a, b)
    assert out["samples"] == 40 and out["only_a"] == 1 and out["only_b"] == 2
    assert out["mean_a"] == pytest.approx(0.75) and out["mean_b"] == pytest.approx(0.25)
    assert out["difference"] == pytest.approx(0.5)
    assert (out["wins"], out["losses"], out["ties"]) == (20, 0, 20)
    lo, hi = out["ci"]
    assert 0 < lo < 0.5 < hi <= 1
    assert out["p_value"] < 0.01


def test_paired_difference_of_identical_runs_is_zero() -> None:
    a = {f"s{i}": float(i % 2) for i in range(20)}
    out = paired_difference(a, dict(a))
    assert out["difference"] == 0 and out["ci"] == [0.0, 0.0] and out["p_value"] == 1.0


def test_paired_difference_needs_a_common_sample() -> None:
    with pytest.raises(ValueError, match="share no sample"):
        paired_difference({"a": 1.0}, {"b": 1.0})


# summarise -------------------------------------------------------------------------------------


def ep(
    sample: str, epoch: int, status: str = "ok", passed: bool | None = None, **kw
) -> EpisodeResult:
    score = None if passed is None else Score.of(passed)
    return EpisodeResult(
        run_id="r",
        task="demo",
        sample_id=sample,
        epoch=epoch,
        model="m",
        status=status,
        score=score,
        **kw,
    )


def hand_run() -> list[EpisodeResult]:
    return [
        ep(
            "a",
            1,
            passed=True,
            subset="easy",
            usage=Usage(input_tokens=10, output_tokens=2, cost=0.5),
        ),
        ep("a", 2, passed=True, subset="easy", usage=Usage(input_tokens=10, output_tokens=2)),
        ep("b", 1, passed=True, subset="easy"),
        ep("b", 2, passed=False, subset="easy"),
        # an error is the model's failure, even if a score was attached before it happened
        ep("c", 1, status="error", passed=True, error="boom", subset="hard"),
        ep("c", 2, status="limit", passed=False, subset="hard"),
        # an infra error is nobody's score: sample d has one scored attempt only
        ep(
            "d",
            1,
            status="infra_error",
            error="sandbox died",
            subset="hard",
            usage=Usage(input_tokens=5, cost=0.25),
        ),
        ep("d", 2, passed=True, subset="hard"),
    ]


def test_summarise_hand_computed_run() -> None:
    s = summarise("r", "demo", "m", hand_run(), epochs=2, expected=8, duration_s=3.0, run_dir="x")
    assert (s.episodes, s.completed, s.errors, s.infra_errors, s.samples) == (8, 7, 1, 1, 4)
    m = s.metrics
    # pass@1 = mean(2/2, 1/2, 0/2, 1/1); pass@2 over samples with 2 scored attempts: (1, 1, 0)
    assert m["pass@1"] == pytest.approx((1 + 0.5 + 0 + 1) / 4)
    assert m["pass@2"] == pytest.approx(2 / 3)
    assert m["mean"] == pytest.approx(m["pass@1"])
    assert m["passed"] == 4
    for key in ("pass@1", "pass@2", "mean"):
        lo, hi = m[f"{key}_ci"]
        assert 0 <= lo <= m[key] <= hi <= 1
    assert s.usage == Usage(input_tokens=25, output_tokens=4, cost=0.75)
    assert (s.duration_s, s.run_dir, s.epochs) == (3.0, "x", 2)


def test_summarise_breaks_down_by_subset() -> None:
    s = summarise("r", "demo", "m", hand_run(), epochs=2, expected=8)
    assert set(s.subsets) == {"easy", "hard"}
    easy, hard = s.subsets["easy"], s.subsets["hard"]
    assert easy["pass@1"] == pytest.approx(0.75) and easy["pass@2"] == pytest.approx(1.0)
    assert (easy["samples"], easy["errors"], easy["infra_errors"]) == (2, 0, 0)
    assert hard["pass@1"] == pytest.approx(0.5) and hard["pass@2"] == pytest.approx(0.0)
    counts = (hard["samples"], hard["errors"], hard["infra_errors"], hard["completed"])
    assert counts == (2, 1, 1, 3)


def test_summarise_graded_scores_and_task_metrics() -> None:
    results = [
        EpisodeResult(
            run_id="r",
            task="demo",
            sample_id=str(i),
            epoch=1,
            model="m",
            score=Score(value=v, passed=v >= 0.5),
        )
        for i, v in enumerate([0.2, 0.4, 0.6, 0.8])
    ]
    s = summarise(
        "r",
        "demo",
        "m",
        results,
        epochs=1,
        expected=4,
        task_metrics={"failure_classes": {"syntax": 1}, "mean": 123},
    )
    assert s.metrics["mean"] == pytest.approx(0.5)
    assert s.metrics["pass@1"] == pytest.approx(0.5)
    assert s.metrics["failure_classes"] == {"syntax": 1}
    assert s.metrics["task:mean"] == 123  # a clashing task key does not hide the core one
    assert s.subsets == {}


def test_summarise_of_nothing_scored_has_counts_but_no_rates() -> None:
    s = summarise("r", "demo", "m", [ep("a", 1, status="infra_error")], epochs=3, expected=3)
    assert (s.completed, s.infra_errors) == (0, 1)
    assert "pass@1" not in s.metrics and "mean" not in s.metrics


def test_summarise_reports_each_task_when_a_run_has_several() -> None:
    results = [
        *hand_run(),
        EpisodeResult(
            run_id="r", task="other", sample_id="a", epoch=1, model="m", score=Score.of(False)
        ),
    ]
    s = summarise("r", "demo", "m", results, epochs=2, expected=9)
    assert s.metrics["tasks"]["other"]["pass@1"] == 0.0
    assert s.metrics["tasks"]["demo"]["pass@1"] == pytest.approx(0.625)


def test_summary_json_has_the_documented_keys_and_round_trips() -> None:
    s = summarise("r", "demo", "m", hand_run(), epochs=2, expected=8)
    data = s.model_dump(mode="json")
    assert {"run_id", "task", "model", "episodes", "completed", "errors", "metrics"} <= set(data)
    assert isinstance(data["metrics"]["pass@1_ci"], list)
    assert RunSummary.model_validate_json(s.model_dump_json()) == s


def test_sample_scores_feed_paired_difference() -> None:
    scores = sample_scores(hand_run())
    assert scores == {"a": 1.0, "b": 0.5, "c": 0.0, "d": 1.0}
    assert sample_scores(hand_run(), passed=True)["b"] == 0.5


def test_epoch_to_epoch_variance_is_in_the_summary() -> None:
    from agentbench.metrics import summarise
    from agentbench.types import EpisodeResult, Score

    def episode(sample: str, epoch: int, passed: bool) -> EpisodeResult:
        return EpisodeResult(
            run_id="r",
            task="t",
            sample_id=sample,
            epoch=epoch,
            model="m",
            score=Score.of(passed),
        )

    # s0 always passes, s1 never, s2 passes 1 of 4, s3 passes 2 of 4: two samples flip.
    outcomes = {"s0": [1, 1, 1, 1], "s1": [0, 0, 0, 0], "s2": [1, 0, 0, 0], "s3": [1, 0, 1, 0]}
    results = [episode(s, e, bool(v)) for s, vs in outcomes.items() for e, v in enumerate(vs)]
    metrics = summarise("r", "t", "m", results, epochs=4, expected=16).metrics
    assert metrics["flip_share"] == 0.5
    # unbiased variances: 0, 0, 1*3/(4*3) = 0.25, 2*2/(4*3) = 1/3
    assert metrics["sample_variance"] == pytest.approx((0.25 + 1 / 3) / 4)
    single = summarise("r", "t", "m", results[:4], epochs=1, expected=4).metrics
    assert "flip_share" not in single
