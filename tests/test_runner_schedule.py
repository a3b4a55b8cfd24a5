"""Which episodes a run covers: sample selection, the plan, run ids."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from agentbench import ConfigError, DataError, Sample
from agentbench._runner.planning import (
    check_samples,
    plan_episodes,
    select_samples,
    stream_episodes,
)
from agentbench._runner.runner import make_run_id

SAMPLES = [Sample(id=i) for i in ("HumanEval/0", "HumanEval/1", "HumanEval/12", "Mbpp/3", "Mbpp/4")]


def ids(samples: list[Sample]) -> list[str]:
    return [s.id for s in samples]


def test_no_filter_keeps_every_sample_in_order() -> None:
    assert ids(select_samples(SAMPLES)) == ids(SAMPLES)


def test_sample_ids_take_globs_and_comma_lists_and_keep_task_order() -> None:
    chosen = select_samples(SAMPLES, sample_ids=["Mbpp/4,HumanEval/1*"])
    assert ids(chosen) == ["HumanEval/1", "HumanEval/12", "Mbpp/4"]


def test_limit_applies_after_the_id_filter() -> None:
    assert ids(select_samples(SAMPLES, sample_ids=["Mbpp/*"], limit=1)) == ["Mbpp/3"]
    assert ids(select_samples(SAMPLES, limit=2)) == ["HumanEval/0", "HumanEval/1"]


def test_an_id_matching_nothing_is_an_error_with_close_matches() -> None:
    with pytest.raises(ConfigError) as info:
        select_samples(SAMPLES, sample_ids=["HumanEval/2"])
    assert "HumanEval/2" in info.value.message
    assert "did you mean" in info.value.message and "HumanEval/12" in info.value.message
    assert info.value.fix


def test_duplicate_sample_ids_are_a_data_error() -> None:
    with pytest.raises(DataError, match="Mbpp/3"):
        select_samples([*SAMPLES, Sample(id="Mbpp/3")])


def test_plan_runs_epoch_by_epoch_and_skips_done_keys() -> None:
    samples = SAMPLES[:2]
    done = {("HumanEval/0", 0), ("HumanEval/1", 1)}
    plan = [(s.id, e) for s, e in plan_episodes(samples, 3, done)]
    assert plan == [("HumanEval/1", 0), ("HumanEval/0", 1), ("HumanEval/0", 2), ("HumanEval/1", 2)]


def test_plan_of_a_finished_run_is_empty() -> None:
    done = {(s.id, e) for s in SAMPLES for e in range(2)}
    assert plan_episodes(SAMPLES, 2, done) == []


def test_streamed_episodes_match_the_listed_plan_and_ask_done_by_chunk() -> None:
    many = [Sample(id=f"s{i:04d}") for i in range(1100)]
    done_keys = {(f"s{i:04d}", e) for i in range(0, 1100, 7) for e in range(2)}
    asked: list[int] = []

    def done(epoch: int, ids: list[str]) -> set[str]:
        asked.append(len(ids))
        return {i for i in ids if (i, epoch) in done_keys}

    selection = check_samples(many, sample_ids=["s0*"], limit=1000)
    assert selection.count == 1000 and selection.first is not None
    streamed = [(s.id, e) for s, e in stream_episodes(lambda: iter(many), selection, 2, done)]
    listed = [(s.id, e) for s, e in plan_episodes(many[:1000], 2, done_keys)]
    assert streamed == listed
    assert max(asked) <= 512 and sum(asked) == 2000  # looked up a chunk at a time


def test_streaming_reads_the_samples_again_per_epoch_instead_of_keeping_them() -> None:
    reads = 0

    def read() -> Iterator[Sample]:
        nonlocal reads
        reads += 1
        return (Sample(id=f"g{i}") for i in range(5))

    selection = check_samples(read(), limit=3)
    plan = list(stream_episodes(read, selection, 2))
    assert [(s.id, e) for s, e in plan] == [(f"g{i}", e) for e in range(2) for i in range(3)]
    assert reads == 3  # one check, one per epoch


def test_a_duplicate_id_is_found_however_far_apart() -> None:
    samples = (Sample(id=f"x{i}" if i < 9999 else "x17") for i in range(10_000))
    with pytest.raises(DataError, match="'x17'"):
        check_samples(list(samples))


def test_run_id_names_time_task_and_model() -> None:
    run_id = make_run_id(
        "humaneval-pro", "openai/gpt-4o", datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    )
    assert re.fullmatch(r"20250304-050607-humaneval-pro-openai-gpt-4o-[0-9a-f]{4}", run_id)
    assert make_run_id("t", "m") != make_run_id("t", "m")
