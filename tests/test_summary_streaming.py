"""Summaries streamed from the store equal the list-based ones; stored results read lazily."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import runner_fixtures

from agentbench import Score, hookimpl
from agentbench._report import write_html_report
from agentbench._report.html import _sort_key
from agentbench._runner.store import Store, StoredResults
from agentbench.api import load_run, load_summary, run_async
from agentbench.metrics import (
    SCORED_STATUSES,
    bootstrap_ci,
    pass_at_k,
    summarise,
    summarise_store,
)
from agentbench.plugins import load_plugins
from agentbench.types import EpisodeResult, RunConfig, RunSummary, Usage

# The list-based summary as it was before it was streamed, kept here as the reference. ---------


def _old_value(r: EpisodeResult) -> float:
    return 0.0 if r.status == "error" or r.score is None else float(r.score.value)


def _old_passed(r: EpisodeResult) -> bool:
    return r.status != "error" and r.passed


def _old_group(results: list[EpisodeResult], attr: str) -> dict[str, list[EpisodeResult]]:
    groups: dict[str, list[EpisodeResult]] = defaultdict(list)
    for r in results:
        if getattr(r, attr) is not None:
            groups[getattr(r, attr)].append(r)
    return groups


def _old_counts(results: list[EpisodeResult]) -> dict[str, int]:
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


def _old_figures(results: list[EpisodeResult], epochs: int) -> dict[str, Any]:
    per_sample: dict[tuple[str, str, str], list[EpisodeResult]] = defaultdict(list)
    for r in results:
        if r.status in SCORED_STATUSES:
            per_sample[(r.task, r.model, r.sample_id)].append(r)
    figures: dict[str, Any] = {
        "passed": sum(_old_passed(r) for g in per_sample.values() for r in g)
    }
    if not per_sample:
        return figures
    tallies = [(len(g), sum(_old_passed(r) for r in g)) for g in per_sample.values()]
    for k in range(1, max(epochs, 1) + 1):
        values = [pass_at_k(n, c, k) for n, c in tallies if n >= k]
        if values:
            figures[f"pass@{k}"] = sum(values) / len(values)
            figures[f"pass@{k}_ci"] = list(bootstrap_ci(values))
    means = [sum(_old_value(r) for r in g) / len(g) for g in per_sample.values()]
    figures["mean"] = sum(means) / len(means)
    figures["mean_ci"] = list(bootstrap_ci(means))
    repeated = [(n, c) for n, c in tallies if n >= 2]
    if epochs > 1 and repeated:  # the epoch-to-epoch figures, computed the plain way
        figures["flip_share"] = sum(0 < c < n for n, c in repeated) / len(repeated)
        figures["sample_variance"] = sum(c * (n - c) / (n * (n - 1)) for n, c in repeated) / len(
            repeated
        )
    return figures


def old_summary(
    run_id: str, results: list[EpisodeResult], epochs: int, expected: int
) -> RunSummary:
    metrics = _old_figures(results, epochs)
    if len({r.task for r in results}) > 1:
        metrics["tasks"] = {
            t: {**_old_counts(g), **_old_figures(g, epochs)}
            for t, g in _old_group(results, "task").items()
        }
    counts = _old_counts(results)
    by_role: dict[str, Usage] = {}
    for r in results:
        for role, usage in r.usage_by_role.items():
            by_role[role] = by_role.get(role, Usage()) + usage
    return RunSummary(
        run_id=run_id,
        task="mix",
        model="m",
        episodes=expected,
        completed=counts["completed"],
        errors=counts["errors"],
        infra_errors=counts["infra_errors"],
        provider_errors=counts["provider_errors"],
        left_out=counts["infra_errors"] + counts["provider_errors"] + counts["cancelled"],
        epochs=epochs,
        samples=counts["samples"],
        metrics=metrics,
        subsets={
            name: {**_old_counts(g), **_old_figures(g, epochs)}
            for name, g in sorted(_old_group(results, "subset").items())
        },
        usage=sum((r.usage for r in results), Usage()),
        usage_by_role=by_role,
    )


# A run with every kind of episode, recorded out of order. -----------------------------------

STATUSES = ["ok"] * 8 + ["error", "infra_error", "provider_error", "limit", "cancelled"]


def mixed_results(samples: int = 120, epochs: int = 4, seed: int = 7) -> list[EpisodeResult]:
    """Two tasks, two models, subsets (one sample changes subset between epochs), graded
    scores with many distinct means, costs known and unknown, usage per role."""
    rng = random.Random(seed)
    out = []
    for epoch in range(epochs):
        for i in range(samples):
            status = rng.choice(STATUSES)
            graded = i % 3 == 0
            value = round(rng.random(), 3) if graded else float(rng.random() < 0.6)
            score = (
                None
                if status in ("infra_error", "provider_error", "cancelled")
                else (Score(value=value, passed=value >= 0.5 if graded else None))
            )
            cost = None if i % 4 == 0 else rng.random() / 100
            roles = {"critic": Usage(input_tokens=i, output_tokens=1, cost=cost)} if i % 5 else {}
            subset = None if i % 7 == 0 else ("even" if i % 2 == 0 else "odd")
            if i == 1 and epoch % 2:
                subset = "moved"
            out.append(
                EpisodeResult(
                    run_id="mix",
                    task="alpha" if i % 6 else "beta",
                    sample_id=str(i) if i % 2 else f"s-{i}",
                    epoch=epoch,
                    model="m" if i % 11 else "other",
                    subset=subset,
                    status=status,
                    score=score,
                    error="boom" if status.endswith("error") else None,
                    usage=Usage(input_tokens=10 + i, output_tokens=epoch, cost=cost),
                    usage_by_role=roles,
                )
            )
    rng.shuffle(out)  # recording order is not sample order
    return out


@pytest.fixture
def mixed_store(tmp_path: Path):
    with Store(tmp_path / "mix") as store:
        store.create_run("mix", RunConfig(task="alpha", model="m", epochs=4))
        for result in mixed_results():
            store.record(result, [])
        # A re-recorded episode keeps its first place in the recording order.
        first = store.results("mix")[0]
        store.record(first.model_copy(update={"status": "ok", "score": Score.of(True)}), [])
        yield store


def test_streamed_summary_equals_the_list_based_one(mixed_store: Store) -> None:
    results = mixed_store.results("mix")
    expected = old_summary("mix", results, epochs=4, expected=600)
    kw: dict[str, Any] = {"epochs": 4, "expected": 600}
    streamed = summarise_store(mixed_store, "mix", "mix", "m", **kw)
    assert streamed == expected
    assert summarise("mix", "mix", "m", results, **kw) == expected
    m = streamed.metrics
    assert set(m["tasks"]) == {"alpha", "beta"} and {"even", "odd", "moved"} <= set(
        streamed.subsets
    )
    assert streamed.provider_errors and streamed.infra_errors and streamed.left_out
    assert streamed.usage_by_role["critic"].input_tokens > 0 and streamed.usage.cost is not None


def test_streamed_summary_of_an_empty_run(tmp_path: Path) -> None:
    with Store(tmp_path / "e") as store:
        streamed = summarise_store(store, "e", "t", "m", epochs=2, expected=4)
    assert streamed == summarise("e", "t", "m", [], epochs=2, expected=4)
    assert streamed.metrics == {"passed": 0} and streamed.usage.cost is None


def test_stored_results_are_a_lazy_sequence(mixed_store: Store) -> None:
    results = mixed_store.results("mix")
    lazy = mixed_store.episodes("mix")
    assert isinstance(lazy, StoredResults) and not isinstance(lazy, list)
    assert len(lazy) == len(results) == 480
    assert list(lazy) == results and list(lazy) == results  # iterates again, from the store
    assert lazy[0] == results[0] and lazy[-1] == results[-1] and lazy[17] == results[17]
    assert lazy[5:9] == results[5:9] and lazy[::50] == results[::50]
    assert [r.sample_id for r in mixed_store.iter_results("mix", page=7)] == [
        r.sample_id for r in results
    ]
    with pytest.raises(IndexError):
        lazy[480]
    with pytest.raises(IndexError):
        lazy[-481]
    assert len(mixed_store.episodes("nope")) == 0 and list(mixed_store.episodes("nope")) == []


def test_report_order_is_sorted_by_sqlite_as_python_sorts(mixed_store: Store) -> None:
    for sid in ("10", "2", "007", "7", "b", "a10", ""):
        mixed_store.record(
            EpisodeResult(run_id="mix", task="alpha", sample_id=sid, epoch=0, model="m"), []
        )
    results = mixed_store.results("mix")
    ordered = list(mixed_store.episodes("mix").in_report_order())
    assert ordered == sorted(results, key=_sort_key)


def test_html_report_streamed_from_the_store_equals_one_from_a_list(
    mixed_store: Store, tmp_path: Path
) -> None:
    summary = summarise_store(mixed_store, "mix", "mix", "m", epochs=4, expected=600)
    a = write_html_report(summary, mixed_store.results("mix"), tmp_path / "a.html")
    b = write_html_report(summary, mixed_store.episodes("mix"), tmp_path / "b.html")
    assert a.read_text() == b.read_text() and "Episodes (480)" in a.read_text()


# Through the runner. -------------------------------------------------------------------------


class MetricsSpy(runner_fixtures.SayTask):
    """Reports what `Task.metrics` was given and walks it twice."""

    name = "t-spy"

    def metrics(self, results: Any) -> dict[str, Any]:
        first = [r.sample_id for r in results]
        second = [r.sample_id for r in results]
        return {
            "results_type": type(results).__name__,
            "len": len(results),
            "same_twice": first == second,
            "first": results[0].sample_id,
        }


class SpyPlugin:
    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register("t-spy", MetricsSpy)


async def test_a_run_streams_its_summary_and_task_metrics(tmp_path: Path) -> None:
    registry = load_plugins(extra=[runner_fixtures, SpyPlugin()])
    summary = await run_async(
        "t-spy",
        registry=registry,
        model="t-say",
        run_dir=str(tmp_path),
        run_name="spy",
        epochs=3,
        task_options={"n": 6, "wrong_ids": ["s1"], "fail_ids": ["s2"]},
    )
    m = summary.metrics
    assert (m["results_type"], m["len"], m["same_twice"]) == ("StoredResults", 18, True)
    with Store(tmp_path / "spy") as store:
        results = store.results("spy")
    assert m["first"] == results[0].sample_id
    expected = old_summary("spy", results, epochs=3, expected=18)
    for field in ("completed", "errors", "samples", "subsets", "usage", "left_out"):
        assert getattr(summary, field) == getattr(expected, field), field
    core = {k: v for k, v in m.items() if k in expected.metrics}
    assert core == expected.metrics
    assert load_summary("spy", tmp_path) == summary


async def test_load_run_gives_lazy_results_and_recomputes_unfinished_runs(tmp_path: Path) -> None:
    with Store(tmp_path / "half") as store:
        store.create_run("half", RunConfig(task="mix", model="m", epochs=4))
        for result in mixed_results()[:100]:
            store.record(result.model_copy(update={"run_id": "half"}), [])
        stored = store.results("half")
    summary, results = load_run("half", tmp_path)
    with results:
        assert isinstance(results, StoredResults) and list(results) == stored
    assert summary == load_summary("half", tmp_path)
    samples = len({r.sample_id for r in stored})
    expected = summarise(
        "half", "mix", "m", stored, epochs=4, expected=samples * 4, run_dir=str(tmp_path / "half")
    )
    assert summary == expected


def test_interval_quantiles_equal_numpys_to_the_last_bit() -> None:
    import numpy as np

    from agentbench.metrics import _percentiles

    rng = np.random.default_rng(3)
    for trial in range(300):
        values = rng.random(int(rng.integers(1, 2500))) * float(rng.choice([1e-9, 1.0, 1e6]))
        if trial % 3 == 0:
            values = np.round(values, 2)  # ties and repeated levels
        confidence = float(rng.choice([0.5, 0.8, 0.9, 0.95, 0.99, rng.uniform(0.01, 0.99)]))
        alpha = (1 - confidence) / 2
        lo, hi = np.quantile(values, [alpha, 1 - alpha])
        assert _percentiles(values, confidence) == (float(lo), float(hi))
