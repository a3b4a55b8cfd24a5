"""`agentbench run` as a real subprocess: Ctrl-C (SIGINT) and SIGKILL followed by --resume."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import runner_fixtures

FX = runner_fixtures
N = 16


def recorded(db: Path) -> list[tuple[str, int]]:
    """(sample_id, epoch) of every episode row, read without writing to the database."""
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return [(r[0], r[1]) for r in conn.execute("SELECT sample_id, epoch FROM episodes")]
    except sqlite3.OperationalError:  # schema not created yet
        return []
    finally:
        conn.close()


def start_run(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], Path, Path]:
    env = FX.install_fake_dist(tmp_path / "site")
    log = tmp_path / "solves.txt"
    cmd = [
        *FX.agentbench_cmd(),
        "run",
        "t-say",
        "--model",
        "t-say",
        "--run-dir",
        str(tmp_path / "runs"),
        "--run-name",
        "sig",
        "-T",
        f"n={N}",
        "-T",
        "sleep=0.15",
        "-T",
        f"log_file={log}",
        "--max-episodes",
        "2",
        "--progress",
        "plain",
        *extra,
    ]
    proc = subprocess.Popen(
        cmd, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return proc, tmp_path / "runs" / "sig" / "agentbench.db", log


def solves(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


@pytest.mark.slow
def test_sigkill_then_resume_ends_with_exactly_the_expected_episodes(tmp_path: Path) -> None:
    proc, db, log = start_run(tmp_path, "--epochs", "2")
    try:
        assert FX.wait_for(lambda: len(recorded(db)) >= 5), (
            proc.stderr.read() if proc.poll() is not None else ""
        )
    finally:
        proc.kill()  # SIGKILL: no cleanup at all
        proc.communicate()
    before = set(recorded(db))
    assert 5 <= len(before) < 2 * N
    solved_before = len(solves(log))

    env = FX.install_fake_dist(tmp_path / "site")
    out = subprocess.run(
        [
            *FX.agentbench_cmd(),
            "run",
            "--resume",
            "sig",
            "--run-dir",
            str(tmp_path / "runs"),
            "--json",
            "--no-progress",
            "--no-baseline",  # the baseline's own episodes would also log their solves
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert (summary["run_id"], summary["episodes"], summary["completed"], summary["errors"]) == (
        "sig",
        2 * N,
        2 * N,
        0,
    )
    rows = recorded(db)
    expected = {(f"s{i}", e) for i in range(N) for e in range(2)}
    assert len(rows) == len(expected) and set(rows) == expected  # none twice, none missing
    resumed = [tuple(s.split(":")) for s in solves(log)[solved_before:]]
    resumed_keys = Counter((sid, int(e)) for sid, e in resumed)
    assert set(resumed_keys) == expected - before  # none recomputed
    assert max(resumed_keys.values()) == 1


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_cancels_cleanly_keeps_finished_episodes_and_exits_130(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    events = tmp_path / "sandbox-events.txt"
    proc, db, _log = start_run(
        tmp_path,
        "--json",
        "-T",
        "sandbox=true",
        "--sandbox",
        "t-fake",
        "-S",
        f"events_file={events}",
    )
    try:
        assert FX.wait_for(lambda: len(recorded(db)) >= 3)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert "agentbench run --resume sig" in stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    rows = recorded(db)
    assert 3 <= summary["completed"] == len(rows) < N
    lines = events.read_text().splitlines()
    acquired = {line.split()[1] for line in lines if line.startswith("acquire")}
    closed = {line.split()[1] for line in lines if line.startswith("close")}
    assert acquired == closed and len(acquired) > len(rows)  # in-flight sandboxes were closed too
    assert lines[-1] == "backend aclose"


@pytest.mark.slow
def test_a_repeated_ctrl_c_does_not_cut_the_shutdown_short(tmp_path: Path) -> None:
    # `uv run` forwards the terminal's Ctrl-C to a child the terminal has already signalled: the
    # run gets SIGINT twice. The second must not interrupt the shutdown (sandboxes closing).
    import time

    events = tmp_path / "events.txt"
    proc, db, _log = start_run(
        tmp_path,
        "--json",
        "-T",
        "sandbox=true",
        "--sandbox",
        "t-fake",
        "-S",
        "close_delay=1.5",
        "-S",
        f"events_file={events}",
    )
    try:
        assert FX.wait_for(lambda: len(recorded(db)) >= 3)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.3)  # the forwarded copy lands while the backend is still closing
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert "still stopping" in stderr
    assert events.read_text().splitlines()[-1] == "backend aclose"  # every sandbox was closed
    assert "interrupted: finished episodes are kept" in stderr
    assert "continue with: agentbench run --resume sig" in stderr
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["completed"] == len(recorded(db)) >= 3
