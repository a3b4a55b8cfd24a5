"""Loading RealCritic data: the local layout, task selection, bad records, and the pinned
download (from a local HTTP server) with its cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from agentbench_critique.data import REVISION, TASKS, parse_tasks
from agentbench_critique.tasks import RealCritic

from agentbench import ConfigError, DataError
from agentbench.fakeservers import FileServer

FIXTURES = Path(__file__).parent / "fixtures" / "realcritic"


@pytest.fixture
def server(file_server: FileServer) -> FileServer:
    shutil.copytree(FIXTURES, file_server.root / "mix_data")
    return file_server


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "critique" / REVISION[:12]


def test_all_eight_tasks_load_from_the_upstream_layout() -> None:
    task = RealCritic({"data": str(FIXTURES)})
    samples = list(task.samples())
    assert [s.subset for s in samples][:3] == ["arc-challenge"] * 2 + ["college_math"]
    assert {s.subset for s in samples} == set(TASKS)
    assert len(samples) == 18
    first = samples[0]
    assert first.id == "arc-challenge/0" and first.target == "C"
    assert first.metadata["prior"] is True
    assert first.input[1].content.startswith("The following is the data for your task:")


def test_tasks_option_picks_some_in_the_given_order() -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "math,gsm8k", "protocol": "direct"})
    ids = [s.id for s in task.samples()]
    assert ids == ["math/0", "math/1", "math/2", "gsm8k/0", "gsm8k/1", "gsm8k/2"]
    assert parse_tasks("all") == list(TASKS)
    with pytest.raises(ConfigError, match="unknown RealCritic task"):
        parse_tasks("gsm8k,aime")


def test_math_ground_truth_comes_from_the_solution() -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "math"})
    assert [s.target for s in task.samples()] == ["\\frac{3}{4}", "(1,2)", "3"]


def test_records_are_sorted_by_idx_and_bad_ones_named(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "gsm8k"
    folder.mkdir(parents=True)
    good = {"question": "q", "gt": "1", "gt_cot": "", "reasoning": "r", "previous_score": [True]}
    lines = [
        json.dumps({**good, "idx": 5}),
        json.dumps({**good, "idx": 2}),
        "{not json",
        json.dumps({"idx": 9, "question": "q"}),
        json.dumps({**good, "idx": 2}),
    ]
    (folder / "test.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"3 bad record\(s\)") as info:
        list(RealCritic({"data": str(tmp_path / "data"), "tasks": "gsm8k"}).samples())
    assert "line 3: not valid JSON" in str(info.value)
    assert "missing field(s) 'gt', 'gt_cot'" in str(info.value)
    task = RealCritic({"data": str(tmp_path / "data"), "tasks": "gsm8k", "on_bad_record": "skip"})
    assert [s.id for s in task.samples()] == ["gsm8k/2", "gsm8k/5"]
    assert len(task.metrics([])["skipped_records"]) == 3


def test_a_missing_task_file_says_how_to_fix_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"test\.jsonl does not exist"):
        list(RealCritic({"data": str(tmp_path), "tasks": "gsm8k"}).samples())


def test_cross_needs_the_solution_to_critique(tmp_path: Path) -> None:
    folder = tmp_path / "gsm8k"
    folder.mkdir()
    (folder / "test.jsonl").write_text(json.dumps({"question": "q", "gt": "1", "gt_cot": ""}))
    with pytest.raises(DataError, match="no usable 'reasoning'"):
        list(RealCritic({"data": str(tmp_path), "tasks": "gsm8k"}).samples())
    direct = RealCritic({"data": str(tmp_path), "tasks": "gsm8k", "protocol": "direct"})
    assert [s.id for s in direct.samples()] == ["gsm8k/0"]


def test_download_is_cached_and_its_checksum_recorded(server: FileServer, cache: Path) -> None:
    options = {"data_url": server.url + "mix_data/", "tasks": "gsm8k,math"}
    assert len(list(RealCritic(options).samples())) == 6
    assert server.requests == ["/mix_data/gsm8k/test.jsonl", "/mix_data/math/test.jsonl"]
    assert (cache / "gsm8k" / "test.jsonl.sha256").read_text().strip()
    assert len(list(RealCritic(options).samples())) == 6
    assert len(server.requests) == 2  # the second run read the cache


def test_a_changed_download_is_refused(server: FileServer, cache: Path, tmp_path: Path) -> None:
    options = {"data_url": server.url + "mix_data/", "tasks": "gsm8k"}
    list(RealCritic(options).samples())
    (cache / "gsm8k" / "test.jsonl").write_text("corrupt\n")  # the cached copy is damaged
    served = tmp_path / "www" / "mix_data" / "gsm8k" / "test.jsonl"
    served.write_text(served.read_text() + "\n")  # and upstream's copy changed
    with pytest.raises(DataError, match="checksum mismatch"):
        list(RealCritic(options).samples())


def test_offline_download_names_the_way_out(cache: Path) -> None:
    options = {"data_url": "http://127.0.0.1:9/mix_data/", "tasks": "gsm8k"}
    with pytest.raises(DataError, match=r"could not download gsm8k/test\.jsonl"):
        list(RealCritic(options).samples())


def test_direct_takes_one_round_only() -> None:
    with pytest.raises(ConfigError, match="one round"):
        RealCritic({"data": str(FIXTURES), "protocol": "direct", "rounds": 2})
