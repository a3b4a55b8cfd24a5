"""The run store: round trips, replacement on the episode key, resume keys, crash safety."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from agentbench._runner.store import DB_NAME, Store, artifacts_dir, find_run_dir, safe_segment
from agentbench.errors import ConfigError, DataError
from agentbench.types import EpisodeResult, ModelOutput, RunConfig, RunSummary, Score, Usage


def make_result(sample_id: str = "s1", epoch: int = 1, status: str = "ok", **kw) -> EpisodeResult:
    kw.setdefault("score", Score.of(True, "all tests passed"))
    return EpisodeResult(
        run_id=kw.pop("run_id", "run1"),
        task="demo",
        sample_id=sample_id,
        epoch=epoch,
        model="scripted",
        status=status,
        **kw,
    )


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "run1") as s:
        s.create_run("run1", RunConfig(task="demo", model="scripted", epochs=2))
        yield s


def test_creates_wal_database_in_run_dir(tmp_path: Path) -> None:
    with Store(tmp_path / "new" / "run"):
        pass
    db = tmp_path / "new" / "run" / DB_NAME
    assert db.is_file()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        conn.close()
    assert {"runs", "episodes", "transcripts", "artifacts", "responses"} <= tables


def test_create_run_is_idempotent_and_keeps_created_at(store: Store) -> None:
    first = store.get_run("run1")
    store.create_run("run1", RunConfig(task="demo", model="scripted", epochs=3))
    again = store.get_run("run1")
    assert again["created_at"] == first["created_at"]
    assert again["config"].epochs == 3
    assert again["finished_at"] is None and again["summary"] is None
    assert store.get_run("nope") is None
    assert store.run_ids() == ["run1"]


def test_record_round_trips_every_field(store: Store) -> None:
    result = make_result(
        "HumanEval/0",
        2,
        subset="hard",
        usage=Usage(input_tokens=12, output_tokens=5, cost=0.25),
        steps=3,
        attempts=2,
        duration_s=1.5,
        score=Score(value=0.5, passed=False, explanation="1 of 2", details={"failed": ["t2"]}),
    )
    store.record(result, [{"type": "model", "t": 0.1, "text": "hi"}])
    assert store.results("run1") == [result]


def test_second_record_of_a_key_replaces_the_first(store: Store) -> None:
    store.record(
        make_result(status="infra_error", score=None, error="container died"),
        [{"type": "exec", "n": 1}],
        ["old.png"],
    )
    store.record(make_result(), [{"type": "exec", "n": 2}], ["new.png"])
    results = store.results("run1")
    assert len(results) == 1 and results[0].status == "ok"
    assert store.transcript("run1", "demo", "s1", 1, "scripted") == [{"type": "exec", "n": 2}]
    assert store.artifacts("run1", "demo", "s1", 1, "scripted") == ["new.png"]
    conn = sqlite3.connect(store.path)
    try:
        assert conn.execute("SELECT COUNT(*) FROM transcripts").fetchone()[0] == 1
        assert conn.execute("SELECT COUNT(*) FROM artifacts").fetchone()[0] == 1
    finally:
        conn.close()


def test_done_keys_count_ok_error_limit_but_not_infra_or_cancelled(store: Store) -> None:
    for i, status in enumerate(["ok", "error", "limit", "infra_error", "cancelled"]):
        store.record(make_result(f"s{i}", status=status), [])
    assert store.done_keys("run1") == {
        ("demo", "s0", 1, "scripted"),
        ("demo", "s1", 1, "scripted"),
        ("demo", "s2", 1, "scripted"),
    }
    store.record(make_result("s3"), [])  # the infra error retried successfully
    assert ("demo", "s3", 1, "scripted") in store.done_keys("run1")


def test_runs_are_kept_apart(store: Store) -> None:
    store.record(make_result(run_id="run1"), [])
    store.record(make_result(run_id="run2"), [])
    assert [r.run_id for r in store.results("run1")] == ["run1"]
    assert len(store.done_keys("run2")) == 1


def test_transcript_keeps_events_and_stringifies_odd_values(store: Store, tmp_path: Path) -> None:
    events = [
        {
            "type": "artifact",
            "path": tmp_path / "a.png",
            "nested": {"ok": [1, 2.5, None]},
            "raw": b"\xff\x00",
            "score": Score.of(True),
        }
    ]
    store.record(make_result(), events)
    got = store.transcript("run1", "demo", "s1", 1, "scripted")
    assert got == [
        {
            "type": "artifact",
            "path": str(tmp_path / "a.png"),
            "nested": {"ok": [1, 2.5, None]},
            "raw": "_wA=",  # url-safe base64
            "score": Score.of(True).model_dump(mode="json"),
        }
    ]
    assert store.transcript("run1", "demo", "missing", 1, "scripted") == []


def test_response_cache_round_trip(store: Store) -> None:
    assert store.get_response("k") is None
    output = ModelOutput.from_text("hello", model="scripted", usage=Usage(input_tokens=3))
    store.put_response("k", output)
    store.put_response("k", output)  # twice is fine
    assert store.get_response("k") == output


def test_finish_run_stores_the_summary(store: Store) -> None:
    summary = RunSummary(
        run_id="run1",
        task="demo",
        model="scripted",
        episodes=2,
        completed=2,
        errors=0,
        metrics={"pass@1": 0.5, "pass@1_ci": [0.0, 1.0]},
    )
    store.finish_run("run1", summary)
    run = store.get_run("run1")
    assert run["summary"] == summary and run["finished_at"] >= run["created_at"]


def test_records_from_many_threads_all_land(store: Store) -> None:
    def work(offset: int) -> None:
        for i in range(50):
            store.record(make_result(f"t{offset}-{i}"), [{"i": i}])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.done_keys("run1")) == 200


def test_not_a_database_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / DB_NAME).write_text("this is not sqlite" * 100)
    with pytest.raises(DataError, match="not a readable agentbench database"):
        Store(tmp_path)


# crash safety -----------------------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from agentbench._runner.store import Store
    from agentbench.types import EpisodeResult, RunConfig, Score

    run_dir, count, block = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "block"
    store = Store(run_dir)
    store.create_run("run1", RunConfig(task="demo"))
    payload = [{"type": "model", "text": "x" * 2000, "i": i} for i in range(20)]
    for i in range(count):
        result = EpisodeResult(run_id="run1", task="demo", sample_id=f"s{i:05d}", epoch=1,
                               model="scripted", score=Score.of(i % 2 == 0))
        store.record(result, payload, [f"shot{i}.png"])
        print(i, flush=True)
    print("done", flush=True)
    if block:
        sys.stdin.read()  # wait, uncheckpointed WAL and all, to be killed
    """
)


def _start_writer(tmp_path: Path, count: int, block: bool) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    return subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "run"), str(count), "block" * block or "go"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        stream.close()


def test_sigkill_keeps_exactly_the_committed_episodes(tmp_path: Path) -> None:
    proc = _start_writer(tmp_path, 40, block=True)
    lines = [proc.stdout.readline().strip() for _ in range(41)]
    assert lines[-1] == "done"
    assert (tmp_path / "run" / f"{DB_NAME}-wal").stat().st_size > 0  # still only in the WAL
    _kill(proc)
    with Store(tmp_path / "run") as store:
        keys = store.done_keys("run1")
        assert keys == {("demo", f"s{i:05d}", 1, "scripted") for i in range(40)}
        assert len(store.results("run1")) == 40
        assert store.artifacts("run1", "demo", "s00039", 1, "scripted") == ["shot39.png"]


def test_sigkill_mid_write_leaves_a_consistent_prefix_and_resume_completes(tmp_path: Path) -> None:
    total = 3000
    proc = _start_writer(tmp_path, total, block=False)
    acknowledged = [proc.stdout.readline() for _ in range(30)]
    _kill(proc)
    with Store(tmp_path / "run") as store:
        ids = sorted(int(r.sample_id[1:]) for r in store.results("run1"))
        assert len(ids) >= len(acknowledged)
        assert ids == list(range(len(ids)))  # a prefix: nothing lost, nothing half-written
        last = f"s{ids[-1]:05d}"
        assert len(store.transcript("run1", "demo", last, 1, "scripted")) == 20
        conn = sqlite3.connect(store.path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        # Resume: record what is not done, as the runner does, and end with exactly `total`.
        done = store.done_keys("run1")
        for i in range(total):
            if ("demo", f"s{i:05d}", 1, "scripted") not in done:
                store.record(make_result(f"s{i:05d}"), [])
        results = store.results("run1")
        assert len(results) == total
        assert len({r.sample_id for r in results}) == total


# locating runs ----------------------------------------------------------------------------------


def test_find_run_dir_by_id_dir_db_path_and_prefix(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    for name in ("20250101-000000-demo-a1b2", "20250102-000000-demo-c3d4"):
        Store(runs / name).close()
    run = runs / "20250101-000000-demo-a1b2"
    assert find_run_dir("20250101-000000-demo-a1b2", runs) == run
    assert find_run_dir(str(run)) == run
    assert find_run_dir(str(run / DB_NAME)) == run
    assert find_run_dir("20250102", runs) == runs / "20250102-000000-demo-c3d4"
    with pytest.raises(ConfigError, match="ambiguous"):
        find_run_dir("2025", runs)
    with pytest.raises(ConfigError, match="no run 'missing'"):
        find_run_dir("missing", runs)
    (runs / "empty").mkdir()
    with pytest.raises(DataError, match="holds no"):
        find_run_dir("empty", runs)


def test_artifact_dirs_keep_sample_ids_as_one_segment(tmp_path: Path) -> None:
    path = artifacts_dir(tmp_path, "humaneval-pro", "HumanEval/12", 3)
    assert path == tmp_path / "artifacts" / "humaneval-pro" / "HumanEval%2F12" / "3"
    assert safe_segment("..") != ".." and "/" not in safe_segment("../../etc")
    assert safe_segment("") == "_"
