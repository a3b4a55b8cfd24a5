"""Variance figures on real scripted multi-epoch runs with known flips."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_compare import make_run

from agentbench import bootstrap_ci
from agentbench.compare import load_stored_run
from agentbench.variance import (
    flip_share,
    mean_ci,
    order_flip_rates,
    per_sample_variance,
    seed_variance,
    variance_report,
)

# 20 samples x 4 epochs: s00-s04 always pass, s05-s09 pass in epochs 0 and 1 only, s10 in epoch 3
# only, the rest never. So 6 of 20 samples flip, and 31 of 80 episodes pass.
PASSING = {
    **{i: {0, 1, 2, 3} for i in range(5)},
    **{i: {0, 1} for i in range(5, 10)},
    10: {3},
}


def _results(tmp_path: Path, name: str):
    from agentbench._runner.store import Store, find_run_dir

    run_dir = find_run_dir(name, tmp_path / "runs")
    with Store(run_dir, create=False) as store:
        return store.results(store.run_ids()[-1])


async def test_flips_and_per_sample_variance_of_a_multi_epoch_run(tmp_path: Path) -> None:
    await make_run(tmp_path, "multi", PASSING, epochs=4)
    results = _results(tmp_path, "multi")
    assert len(results) == 80

    flips = flip_share(results)
    assert (flips["samples"], flips["flipping"], flips["share"]) == (20, 6, 0.3)
    assert flips["flipping_ids"] == [f"t-echo/s{i:02d}" for i in range(5, 11)]

    spread = per_sample_variance(results)
    by_id = {r["sample_id"]: r for r in spread["samples"]}
    assert by_id["s00"]["variance"] == 0.0
    assert by_id["s05"]["variance"] == pytest.approx(1 / 3)  # 1,1,0,0: 1 / (4 - 1)
    assert by_id["s10"]["variance"] == pytest.approx(0.25)  # 0,0,0,1: 0.75 / 3
    assert spread["mean_variance"] == pytest.approx((5 / 3 + 0.25) / 20)

    ci = mean_ci(results, resamples=3000)
    assert ci["mean"] == pytest.approx(31 / 80)
    assert (ci["samples"], ci["episodes"]) == (20, 80)
    lo, hi = ci["ci"]
    assert lo < 31 / 80 < hi
    # Bootstrapping over samples only (per-sample means) gives about the same interval: the
    # within-sample epoch resampling adds a little width, never less.
    means = [r["mean"] for r in spread["samples"]]
    s_lo, s_hi = bootstrap_ci(means, resamples=3000)
    assert hi - lo == pytest.approx(s_hi - s_lo, abs=0.06)

    report = variance_report(results, resamples=500)
    assert report["flips"]["share"] == 0.3 and len(report["per_sample"]) == 20


async def test_seed_to_seed_variance_over_three_runs(tmp_path: Path) -> None:
    for name, n in (("seed0", 5), ("seed1", 6), ("seed2", 7)):
        await make_run(tmp_path, name, {i: {0} for i in range(n)})
    runs = [_results(tmp_path, n) for n in ("seed0", "seed1", "seed2")]
    figures = seed_variance(runs)
    assert figures["means"] == pytest.approx([0.25, 0.30, 0.35])
    assert figures["variance"] == pytest.approx(0.0025)  # ((-.05)^2 + 0 + .05^2) / 2
    assert figures["std"] == pytest.approx(0.05)
    assert flip_share(runs[0])["share"] is None  # one epoch: nothing can flip


def test_order_flip_rates_of_identical_and_distant_runs() -> None:
    a = {f"s{i}": float(i < 10) for i in range(20)}
    same = order_flip_rates([a, dict(a)], names=["a", "a2"])
    assert same["pairs"][0]["flip_rate"] is None  # a tie has no order to flip
    far = order_flip_rates([a, {k: 0.0 for k in a}], names=["a", "zero"])
    assert far["pairs"][0]["flip_rate"] < 0.001
    assert far["ranking_stability"] > 0.99
    with pytest.raises(ValueError, match="share no sample"):
        order_flip_rates([a, {"x": 1.0}])


async def test_compare_loads_the_same_scores_the_variance_functions_see(tmp_path: Path) -> None:
    await make_run(tmp_path, "multi", PASSING, epochs=4)
    run = load_stored_run("multi", tmp_path / "runs")
    assert sum(v for v, _ in run.episodes.values()) == 31
