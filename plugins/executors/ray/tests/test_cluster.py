"""Runs on a local multi-node Ray cluster (several raylets on this machine): every episode
recorded once, artifacts in the driver's run directory, a node lost mid-run, the driver killed
and resumed, Docker sandboxes on the nodes and a node without a Docker engine."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentbench.api import load_run

pytestmark = pytest.mark.slow

TIMEOUT = 300
HERE = Path(__file__).parent


def install_toy(site: Path) -> Path:
    """Put raytoy.py under `site` as a distribution with an `agentbench` entry point."""
    site.mkdir(parents=True, exist_ok=True)
    shutil.copy(HERE / "raytoy.py", site / "agentbench_raytoy.py")
    dist = site / "agentbench_raytoy-0.0.1.dist-info"
    dist.mkdir(exist_ok=True)
    meta = "Metadata-Version: 2.1\nName: agentbench-raytoy\nVersion: 0.0.1\n"
    (dist / "METADATA").write_text(meta)
    (dist / "entry_points.txt").write_text("[agentbench]\nraytoy = agentbench_raytoy\n")
    return site


def driver_env(site: Path) -> dict[str, str]:
    """The environment of a driver process (`agentbench run ...`) that finds the toy task."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(site), env.get("PYTHONPATH")) if p)
    env.pop("AGENTBENCH_PLUGINS", None)
    env.pop("RAY_ADDRESS", None)
    env["PYTHONUNBUFFERED"] = "1"
    # Ray's `uv run` hook would make workers run `uv run` in the working_dir: our workers use
    # this venv's Python already (the cluster was started from it).
    env["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"
    return env


def agentbench_cmd() -> list[str]:
    """The console script of this venv."""
    script = Path(sys.executable).with_name("agentbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "agentbench"]


@pytest.fixture
def toy_site(tmp_path: Path) -> Path:
    return install_toy(tmp_path / "site")


@pytest.fixture
def make_cluster(toy_site: Path) -> Iterator[Any]:
    """A function that starts a local cluster: a head without episode slots, plus `nodes`
    nodes of 1 CPU and `slots` agentbench_slots each (separate raylets on this machine)."""
    from ray.cluster_utils import Cluster

    clusters: list[Any] = []

    def make(nodes: int = 2, slots: int = 2, **node_args: Any) -> Any:
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
        clusters.append(cluster)
        for i in range(nodes):
            add_node(cluster, slots, name=f"n{i}", **node_args)
        return cluster

    yield make
    for cluster in clusters:
        cluster.shutdown()


def add_node(cluster: Any, slots: int, name: str, env: dict[str, str] | None = None) -> Any:
    """One more node; its workers see RAY_NODE_NAME=name (and `env`)."""
    return cluster.add_node(
        num_cpus=1,
        resources={"agentbench_slots": slots},
        env_vars={"RAY_NODE_NAME": name, **(env or {})},
    )


def driver_cmd(cluster: Any, site: Path, runs: Path, *args: str) -> list[str]:
    """`agentbench run ray-toy ... --executor ray` against `cluster`."""
    return [
        *agentbench_cmd(),
        "run",
        *args,
        "--executor",
        "ray",
        "-E",
        f"address={cluster.address}",
        "-E",
        f"working_dir={site}",
        "--run-dir",
        str(runs),
        "--json",
        "--no-progress",
        "--no-baseline",  # the null baseline's episodes would be recorded (and observed) too
    ]


def toy_args(tmp_path: Path, name: str, *options: str, sandbox: str = "local") -> list[str]:
    return [
        "ray-toy",
        "--model",
        "oracle",
        "--sandbox",
        sandbox,
        "--run-name",
        name,
        "-T",
        f"log_file={tmp_path / 'started.log'}",
        *(x for o in options for x in ("-T", o)),
    ]


def env_for(site: Path, tmp_path: Path) -> dict[str, str]:
    return {**driver_env(site), "RAYTOY_SINK_LOG": str(tmp_path / "recorded.log")}


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def stored(run_dir: Path) -> list[Any]:
    """The episodes the run's store holds."""
    return list(load_run(run_dir)[1])


def wait_for(predicate: Any, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def summary_of(out: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert out.returncode == 0, out.stderr[-3000:]
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_a_two_node_cluster_runs_every_episode_once(
    make_cluster: Any, toy_site: Path, tmp_path: Path
) -> None:
    cluster = make_cluster(nodes=2, slots=2)
    runs = tmp_path / "runs"
    args = toy_args(tmp_path, "two", "n=8", "sleep=0.5")
    out = subprocess.run(
        [*driver_cmd(cluster, toy_site, runs, *args), "--epochs", "2"],
        env=env_for(toy_site, tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    summary = summary_of(out)
    assert summary["completed"] == 16 and summary["metrics"]["pass@1"] == 1.0
    recorded = lines(tmp_path / "recorded.log")
    assert len(recorded) == 16 and len(set(recorded)) == 16  # each recorded once
    nodes = Counter(line.rsplit(":", 1)[1] for line in lines(tmp_path / "started.log"))
    assert set(nodes) == {"n0", "n1"}, nodes  # both nodes ran episodes
    results = stored(runs / "two")
    assert len(results) == 16
    answer = runs / "two" / "artifacts" / "ray-toy" / "s3" / "1" / "answer.txt"
    assert answer.read_text() == "word-3 word-3"  # came back from the node with its record


def test_a_node_lost_mid_run_loses_and_doubles_nothing(
    make_cluster: Any, toy_site: Path, tmp_path: Path
) -> None:
    cluster = make_cluster(nodes=1, slots=2)
    doomed = add_node(cluster, 2, name="doomed")
    runs = tmp_path / "runs"
    args = toy_args(tmp_path, "lost", "n=12", "sleep=2")
    started = tmp_path / "started.log"
    with subprocess.Popen(
        driver_cmd(cluster, toy_site, runs, *args),
        env=env_for(toy_site, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as driver:
        assert wait_for(lambda: any(x.endswith(":doomed") for x in lines(started)))
        cluster.remove_node(doomed)  # its episodes in flight never finish there
        stdout, stderr = driver.communicate(timeout=TIMEOUT)
    out = subprocess.CompletedProcess(driver.args, driver.returncode, stdout, stderr)
    summary = summary_of(out)
    assert summary["completed"] == 12 and summary["metrics"]["pass@1"] == 1.0
    recorded = lines(tmp_path / "recorded.log")
    assert sorted(recorded) == sorted(f"s{i}:0:ok" for i in range(12))  # exactly once each
    runs_of = Counter(line.rsplit(":", 1)[0] for line in lines(started))
    assert any(n > 1 for n in runs_of.values()), runs_of  # the lost ones ran again elsewhere
    assert len(stored(runs / "lost")) == 12


def test_a_killed_driver_resumes_with_the_same_executor(
    make_cluster: Any, toy_site: Path, tmp_path: Path
) -> None:
    cluster = make_cluster(nodes=2, slots=2)
    runs = tmp_path / "runs"
    args = toy_args(tmp_path, "killed", "n=12", "sleep=1.5")
    env = env_for(toy_site, tmp_path)
    recorded = tmp_path / "recorded.log"
    with subprocess.Popen(
        driver_cmd(cluster, toy_site, runs, *args),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    ) as driver:
        assert wait_for(lambda: len(lines(recorded)) >= 3)
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(timeout=60)
    before = len(lines(recorded))
    assert before < 12
    out = subprocess.run(
        driver_cmd(cluster, toy_site, runs, "--resume", "killed"),
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    summary = summary_of(out)
    assert summary["completed"] == 12 and summary["metrics"]["pass@1"] == 1.0
    assert sorted(lines(recorded)) == sorted(f"s{i}:0:ok" for i in range(12))
    assert len(stored(runs / "killed")) == 12


@pytest.mark.docker
def test_docker_sandboxes_on_the_nodes_and_a_node_without_docker(
    make_cluster: Any, toy_site: Path, tmp_path: Path
) -> None:
    cluster = make_cluster(nodes=1, slots=2)
    broken = add_node(
        cluster, 2, name="nodocker", env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}
    )
    runs = tmp_path / "runs"
    args = toy_args(tmp_path, "dock", "n=10", "sleep=0.5", sandbox="docker")
    out = subprocess.run(
        driver_cmd(cluster, toy_site, runs, *args),
        env=env_for(toy_site, tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    summary = summary_of(out)
    results = stored(runs / "dock")
    assert len(results) == 10 and summary["episodes"] == 10
    ok = [r for r in results if r.status == "ok"]
    failed = [r for r in results if r.status == "infra_error"]
    assert ok and all(r.passed for r in ok)  # echo ran in the python image on the good node
    assert len(ok) + len(failed) == 10
    for result in failed:  # named after the node without an engine
        assert broken.node_id[:12] in (result.error or ""), result.error
        assert "Docker engine is not reachable" in (result.error or "")
    assert len(failed) <= 3 + 2 - 1  # 3 in a row (and 1 more in flight), then no more


def test_nodes_without_the_run_s_plugins_stop_the_run_with_the_fix(
    make_cluster: Any, toy_site: Path, tmp_path: Path
) -> None:
    cluster = make_cluster(nodes=1, slots=2)
    cmd = driver_cmd(cluster, toy_site, tmp_path / "runs", *toy_args(tmp_path, "bare", "n=2"))
    cmd[cmd.index(f"working_dir={toy_site}")] = "node_wait_s=5"  # the task stays on the driver
    out = subprocess.run(
        cmd, env=env_for(toy_site, tmp_path), capture_output=True, text=True, timeout=TIMEOUT
    )
    assert out.returncode == 2, out.stderr[-3000:]
    assert "unknown task 'ray-toy'" in out.stderr and "-E working_dir" in out.stderr
    assert "Traceback" not in out.stderr
    assert not lines(tmp_path / "started.log")
