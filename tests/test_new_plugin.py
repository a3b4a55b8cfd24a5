"""`agentbench new plugin`: a distribution that installs, registers and passes its own tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from agentbench import ConfigError
from agentbench._new_plugin import write_plugin
from agentbench.cli import cli


def _install(site: Path, root: Path, dist: str, name: str, package: str) -> dict[str, str]:
    """Make `root/src` importable and its entry point visible (as an editable install would)."""
    info = site / f"{dist.replace('-', '_')}-0.1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[agentbench]\n{name} = {package}.plugin\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(root / "src")])
    env.pop("AGENTBENCH_PLUGINS", None)
    return env


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["task", "provider", "sandbox"])
def test_a_new_plugin_passes_its_own_tests_with_no_edits(tmp_path: Path, kind: str) -> None:
    out = CliRunner().invoke(
        cli, ["new", "plugin", f"my-{kind}", f"--{kind}", "--dir", str(tmp_path)]
    )
    assert out.exit_code == 0, out.output
    root = tmp_path / f"my-{kind}"
    pyproject = (root / "pyproject.toml").read_text()
    assert f'my-{kind} = "agentbench_my_{kind}.plugin"' in pyproject
    assert 'dependencies = ["agentbench-runner"]' in pyproject  # "agentbench" on PyPI: another
    assert 'agentbench-runner = { path = "' in pyproject  # a source until it is published
    env = dict(os.environ, PYTHONPATH=str(root / "src"))
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


@pytest.mark.slow
def test_a_new_task_plugin_installed_runs_with_the_oracle_at_100_percent(tmp_path: Path) -> None:
    write_plugin(tmp_path, "word-flip", "task")
    env = _install(
        tmp_path / "site",
        tmp_path / "word-flip",
        "agentbench-runner-word-flip",
        "word-flip",
        "agentbench_word_flip",
    )
    script = Path(sys.executable).with_name("agentbench")
    out = subprocess.run(
        [
            str(script),
            "run",
            "word-flip",
            "--model",
            "oracle",
            "--json",
            "--no-progress",
            "--run-dir",
            str(tmp_path / "runs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["metrics"]["pass@1"] == 1.0


def test_bad_names_and_existing_folders_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid"):
        write_plugin(tmp_path, "Bad Name", "task")
    write_plugin(tmp_path, "twice", "task")
    with pytest.raises(ConfigError, match="already exists"):
        write_plugin(tmp_path, "twice", "task")
