"""The `agentbench` command as a user runs it: a subprocess with a plugin found by entry point."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import runner_fixtures

FX = runner_fixtures


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env: dict[str, str] = FX.install_fake_dist(tmp_path_factory.mktemp("site"))
    return env


def ab(
    env: dict[str, str], cwd: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*FX.agentbench_cmd(), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


HEAVY = (
    "pydantic",
    "rich",
    "numpy",
    "tenacity",
    "yaml",
    "docker",
    "openai",
    "anthropic",
    "litellm",
    "agentbench._runner.store",
    "agentbench.types",
    "agentbench.model",
    "sqlite3",
)


def test_help_imports_nothing_heavy(env: dict[str, str], tmp_path: Path) -> None:
    # Only our plugin, which imports lazily as plugins should: this checks the CLI itself.
    env = {**env, "AGENTBENCH_PLUGINS": "t-tasks"}
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "agentbench", "--help"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0 and "Commands:" in out.stdout
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "t-hello" in out.stdout  # the plugin's command is there
    assert not {m for m in imported for h in HEAVY if m == h or m.startswith(h + ".")}
    t0 = time.perf_counter()
    assert ab(env, tmp_path, "--help").returncode == 0
    print(f"agentbench --help: {time.perf_counter() - t0:.3f} s")


def test_console_script_and_python_m_both_work(env: dict[str, str], tmp_path: Path) -> None:
    via_m = subprocess.run(
        [sys.executable, "-m", "agentbench", "--version"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert via_m.returncode == 0 and "agentbench" in via_m.stdout
    assert ab(env, tmp_path, "--version").stdout == via_m.stdout


def test_plugin_commands_appear_in_help_and_run(env: dict[str, str], tmp_path: Path) -> None:
    help_text = ab(env, tmp_path, "--help").stdout
    assert "t-hello" in help_text
    if (
        importlib.util.find_spec("agentbench._sandboxes.cli") is not None
    ):  # the docker backend's group
        assert re.search(r"^  sandbox ", help_text, re.M)
    out = ab(env, tmp_path, "t-hello", "you")
    assert out.returncode == 0 and out.stdout == "hello you from a plugin\n"


def test_list_shows_what_plugins_register_and_respects_the_plugin_filter(
    env: dict[str, str], tmp_path: Path
) -> None:
    out = ab(env, tmp_path, "list", "tasks")
    assert out.returncode == 0
    line = next(line for line in out.stdout.splitlines() if line.strip().startswith("t-say"))
    assert "ab-test-runner-tasks" in line and "say i" in line
    plugins = json.loads(ab(env, tmp_path, "list", "plugins", "--json").stdout)
    assert {"name": "t-tasks", "distribution": "ab-test-runner-tasks", "loaded": True} in plugins
    models = ab(env, tmp_path, "list", "models").stdout
    assert "t-say/<model>" in models
    hidden = ab(env, tmp_path, "--plugins", "-t-tasks", "list", "tasks")
    assert hidden.returncode == 0 and "t-say" not in hidden.stdout
    by_env = ab({**env, "AGENTBENCH_PLUGINS": "-ab-test-runner-tasks"}, tmp_path, "list", "tasks")
    assert by_env.returncode == 0 and "t-say" not in by_env.stdout


def test_run_prints_the_summary_and_report_prints_it_again(
    env: dict[str, str], tmp_path: Path
) -> None:
    out = ab(
        env,
        tmp_path,
        "run",
        "t-say",
        "--model",
        "t-say",
        "-T",
        "n=6",
        "-T",
        "wrong_ids=[s1, s2]",
        "--epochs",
        "2",
        "--run-name",
        "r",
        "--json",
        "--no-progress",
    )
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert {"run_id", "task", "model", "episodes", "completed", "errors", "metrics"} <= set(summary)
    assert (summary["run_id"], summary["task"], summary["model"]) == ("r", "t-say", "t-say")
    assert (summary["episodes"], summary["completed"], summary["errors"]) == (12, 12, 0)
    assert summary["metrics"]["pass@1"] == pytest.approx(4 / 6)
    assert len(summary["metrics"]["pass@1_ci"]) == 2 and "pass@2" in summary["metrics"]

    again = ab(env, tmp_path, "report", "r", "--json")
    assert again.returncode == 0 and json.loads(again.stdout) == summary
    text = ab(env, tmp_path, "report", str(tmp_path / "runs" / "r"))
    assert text.returncode == 0 and "pass@1" in text.stdout and "0.667" in text.stdout
    html = ab(env, tmp_path, "report", "r", "--html", "-o", str(tmp_path / "r.html"))
    assert html.returncode == 0 and (tmp_path / "r.html").read_text().lstrip().lower().startswith(
        "<!doctype html"
    )


def test_plain_progress_when_not_a_terminal(env: dict[str, str], tmp_path: Path) -> None:
    out = ab(env, tmp_path, "run", "t-say", "--model", "t-say", "-T", "n=3", "-T", "fail_ids=[s1]")
    assert out.returncode == 1  # an episode errored
    lines = out.stderr.splitlines()
    assert lines[0].startswith("[agentbench] run ") and "3 episodes to run" in lines[0]
    assert any("error: s1 epoch 0: RuntimeError: boom on s1" in line for line in lines)
    assert "3/3 episodes" in lines[-2] and "passed 2" in lines[-2] and "\x1b[" not in out.stderr
    assert lines[-1] == "1 episodes errored (1 in solve): s1/0: RuntimeError: boom on s1"


def test_exit_status_tells_a_pipeline_what_happened(env: dict[str, str], tmp_path: Path) -> None:
    failing = ("-T", "n=3", "-T", "fail_ids=[s1]", "--run-dir", str(tmp_path / "r"))
    allowed = ab(env, tmp_path, "run", "t-say", "--model", "t-say", *failing, "--allow-errors")
    assert allowed.returncode == 0
    traced = ab(env, tmp_path, "run", "t-say", "--model", "t-say", *failing, "--traceback")
    assert traced.returncode == 1
    assert "--- s1/0 (solve):" in traced.stderr and 'raise RuntimeError(f"boom on' in traced.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    nothing = ab(env, tmp_path, "run", "t-say", "--model", "t-say", "-T", f"data={empty}")
    assert nothing.returncode == 3 and "nothing was scored: no samples" in nothing.stderr
    infra = ab(
        env,
        tmp_path,
        "run",
        "t-say",
        "--model",
        "t-say",
        "-T",
        "n=2",
        "-T",
        "sandbox=true",
        "--sandbox",
        "t-fake",
        "-S",
        "die_times=100",
        "--infra-retries",
        "0",
    )
    assert infra.returncode == 3 and "every episode was left out" in infra.stderr


BAD_INPUT = [
    (["run", "t-sey", "--model", "t-say"], "unknown task 't-sey'; did you mean t-say"),
    (["run", "t-say", "--model", "t-sai/x"], "unknown model 't-sai'; did you mean t-say"),
    (
        ["run", "t-say", "--model", "t-say", "--sandbox", "t-fak"],
        "unknown sandbox 't-fak'; did you mean t-fake?",
    ),
    (["run", "t-say", "--model", "t-say", "-T", "nn=3"], "unknown task option 'nn'"),
    (["run", "t-say", "--model", "t-say", "-T", "n=many"], "bad task option 'n'"),
    (["run", "t-say", "--model", "t-say", "-T", "n"], "bad -T 'n': expected KEY=VALUE"),
    (["run", "t-say", "--model", "t-say", "-T", "data=missing.txt"], "missing.txt: cannot read"),
    (["run", "t-say", "--model", "t-say", "-M", "auth_fail=true"], "T_SAY_API_KEY is not set"),
    (
        ["run", "t-say", "--model", "t-say", "--sample-id", "s99"],
        "no sample matches --sample-id 's99'",
    ),
    (["run", "t-say"], "no model given"),
    (["run", "t-say", "--model", "t-say", "--plugins", "-t-tasks"], "unknown task 't-say'"),
    (["run", "--resume", "nope", "--run-dir", "elsewhere"], "no run 'nope'"),
    (["report", "nope"], "no run 'nope'"),
    (["debug", "t-say", "--sample-id", "s*", "--model", "t-say"], "matches 5 samples"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_line_with_the_fix_and_exit_2(
    env: dict[str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    out = ab(env, tmp_path, *args, *(["--no-progress"] if args[0] == "run" else []))
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and "(fix: " in errors[0], out.stderr


def test_debug_prints_events_live_the_score_and_keeps_the_sandbox(
    env: dict[str, str], tmp_path: Path
) -> None:
    events = tmp_path / "events.txt"
    out = ab(
        env,
        tmp_path,
        "debug",
        "t-say",
        "--sample-id",
        "s3",
        "--model",
        "t-say",
        "-T",
        "sandbox=true",
        "--sandbox",
        "t-fake",
        "-S",
        "can_keep=true",
        "-S",
        f"events_file={events}",
        "--keep",
        "always",
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.count("fake-shell 1") == 1  # the way in, printed once, at the end
    order = [
        "sandbox ready",
        "wrote /work/prompt.txt (5 bytes)",
        "$ echo hi",
        "exit 0",
        ">> user: say 3",
        "<< assistant: 3",
        "score 1.0 passed=True: said '3', wanted '3'",
        "PASSED  score 1",
        "sandbox kept alive (every process the episode left was stopped; its files are there): "
        "fake-shell 1",
        "remove it with its backend's own cleanup",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert "close 1" not in events.read_text() and "keep 1" in events.read_text()
    run_id = re.search(r"\(run (debug-[^)]+)\)", text).group(1)  # type: ignore[union-attr]
    report = ab(env, tmp_path, "report", run_id, "--json")
    assert report.returncode == 0, report.stderr
    summary = json.loads(report.stdout)
    assert summary["completed"] == 1 and summary["metrics"]["passed"] == 1
    assert summary["duration_s"] > 0  # the debug run is finished in the store, not 0.0 s

    failed = ab(
        env,
        tmp_path,
        "debug",
        "t-say",
        "--sample-id",
        "s2",
        "--model",
        "t-say",
        "-T",
        "fail_ids=[s2]",
        "-T",
        "sandbox=true",
        "--sandbox",
        "t-fake",
        "--keep",
        "never",
        "-S",
        f"events_file={events}",
    )
    assert failed.returncode == 1 and "ERROR: RuntimeError: boom on s2" in failed.stdout
    assert "error in solve: RuntimeError: boom on s2" in failed.stdout  # with its traceback
    assert 'raise RuntimeError(f"boom on' in failed.stdout
    assert events.read_text().splitlines()[-2:] == ["close 1", "backend aclose"]

    passing = ab(
        env,
        tmp_path,
        "debug",
        "t-say",
        "--sample-id",
        "s1",
        "--model",
        "t-say",
        "-T",
        "sandbox=true",
        "--sandbox",
        "t-fake",
        "-S",
        "can_keep=true",
        "-S",
        f"events_file={events}",
    )
    assert passing.returncode == 0 and "sandbox removed (--keep on-fail)" in passing.stdout


def test_a_plugin_that_fails_to_import_is_named_and_skipped(
    env: dict[str, str], tmp_path: Path
) -> None:
    site = tmp_path / "broken-site"
    dist = site / "ab_broken-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ab-broken\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[agentbench]\nbroken = ab_broken_plugin\n")
    (site / "ab_broken_plugin.py").write_text("raise ImportError('no module named vendor_sdk')\n")
    env = {**env, "PYTHONPATH": f"{site}:{env['PYTHONPATH']}"}
    out = ab(env, tmp_path, "list", "plugins")
    assert out.returncode == 0
    line = next(line for line in out.stdout.splitlines() if line.strip().startswith("broken"))
    assert "ab-broken" in line and "FAILED: ImportError: no module named vendor_sdk" in line
    assert "broken" in out.stderr and "Traceback" not in out.stderr  # a warning, not a crash
    run = ab(
        env, tmp_path, "run", "t-say", "--model", "t-say", "-T", "n=1", "--no-progress", "--json"
    )
    assert run.returncode == 0 and json.loads(run.stdout)["completed"] == 1
