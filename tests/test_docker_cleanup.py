"""Crash safety and failures: nothing is left behind after Ctrl-C, exit or SIGKILL; clear errors."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid

import pytest
from click.testing import CliRunner

from agentbench.errors import InfrastructureError, SandboxError
from agentbench.sandbox import SandboxSpec

CHILD = """
import asyncio, sys, time
from agentbench._sandboxes.docker import DockerBackend
from agentbench.sandbox import SandboxSpec

async def main():
    backend = DockerBackend(sys.argv[1], {"auto_build": "false"})
    try:
        await asyncio.gather(*(backend.acquire(SandboxSpec(), label=f"e{i}") for i in range(2)))
        print("ready", flush=True)
        if sys.argv[2] == "exit-without-aclose":
            return
        await asyncio.sleep(600)
    finally:
        if sys.argv[2] != "exit-without-aclose":
            await backend.aclose()

asyncio.run(main())
"""


def run_ids_containers(client, run_id):
    return client.api.containers(all=True, filters={"label": f"agentbench.run={run_id}"})


def start_child(run_id: str, mode: str) -> subprocess.Popen:
    # faulthandler on SIGUSR1: a child that hangs can be asked where (see `wait_child`).
    err = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: the child never blocks on it
    proc = subprocess.Popen(
        [sys.executable, "-c", _DUMPABLE + CHILD, run_id, mode],
        stdout=subprocess.PIPE,
        stderr=err,
        text=True,
        # As a terminal starts it: Ctrl-C acts even when this test's own process was started
        # in the background of a script (where SIGINT is ignored, and children inherit that).
        preexec_fn=_default_sigint,
    )
    proc.err_file = err  # type: ignore[attr-defined]
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "ready", line
    return proc


_DUMPABLE = "import faulthandler, signal; faulthandler.register(signal.SIGUSR1)\n"


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_child(proc: subprocess.Popen, timeout: float) -> None:
    """Wait for the child to end; if it does not, fail with its stack and stderr."""
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(2)
        proc.kill()
        proc.wait(timeout=30)
        proc.err_file.seek(0)  # type: ignore[attr-defined]
        err = proc.err_file.read()[-20000:]  # type: ignore[attr-defined]
        pytest.fail(f"the child did not end within {timeout:g} s; its stacks and stderr:\n{err}")


def stop_child(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()
    err_file = getattr(proc, "err_file", None)
    if err_file is not None:
        err_file.close()


def remove_run(client, run_id):
    for c in run_ids_containers(client, run_id):
        client.api.remove_container(c["Id"], force=True)


@pytest.mark.docker
@pytest.mark.parametrize("how", ["ctrl-c", "exit-without-aclose"])
def test_containers_are_removed_on_ctrl_c_and_exit(docker_client, python_image, how):
    run_id = f"test-{uuid.uuid4().hex[:10]}"
    proc = None
    try:
        proc = start_child(run_id, how)
        assert len(run_ids_containers(docker_client, run_id)) == 2
        if how == "ctrl-c":
            proc.send_signal(signal.SIGINT)
        wait_child(proc, 120)  # removing two containers; generous on a loaded machine
        assert run_ids_containers(docker_client, run_id) == []
    finally:
        stop_child(proc)
        remove_run(docker_client, run_id)


@pytest.mark.docker
async def test_next_start_removes_containers_of_a_killed_process(docker_client, python_image):
    from agentbench._sandboxes.docker import DockerBackend

    run_id = f"test-{uuid.uuid4().hex[:10]}"
    proc = None
    try:
        proc = start_child(run_id, "wait")
        proc.kill()
        proc.wait(timeout=30)
        assert len(run_ids_containers(docker_client, run_id)) == 2  # SIGKILL: no cleanup ran
        backend = DockerBackend("another-run")
        await backend.client()  # the next agentbench start
        await backend.aclose()
        assert run_ids_containers(docker_client, run_id) == []
    finally:
        stop_child(proc)
        remove_run(docker_client, run_id)


@pytest.mark.docker
def test_prune_command_removes_orphans_and_runs(docker_client, python_image):
    from agentbench._sandboxes.cli import sandbox
    from agentbench._sandboxes.docker.engine import owner_labels

    run_id = f"test-{uuid.uuid4().hex[:10]}"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    orphan_labels = {**owner_labels(run_id, "orphan"), "agentbench.pid": dead.stdout.strip()}
    live_labels = owner_labels(run_id, "live")
    try:
        for labels in (orphan_labels, live_labels):
            docker_client.containers.create(python_image, ["true"], labels=labels)
        result = CliRunner().invoke(sandbox, ["prune", "--run", run_id])
        assert result.exit_code == 0 and "removed 1 container(s)" in result.output
        left = run_ids_containers(docker_client, run_id)
        assert [c["Labels"]["agentbench.episode"] for c in left] == ["live"]
        listed = CliRunner().invoke(sandbox, ["list"])
        assert (
            listed.exit_code == 0
            and run_id in listed.output
            and "agentbench/python:latest" in listed.output
        )
        result = CliRunner().invoke(sandbox, ["prune", "--run", run_id, "--all"])
        assert (
            "removed 1 container(s)" in result.output
            and run_ids_containers(docker_client, run_id) == []
        )
    finally:
        remove_run(docker_client, run_id)


@pytest.mark.docker
async def test_container_dying_mid_command_is_an_infrastructure_error(
    docker_backend, docker_client
):
    box = await docker_backend.acquire(SandboxSpec(), label="dies")
    command = asyncio.create_task(box.exec("sleep 60", timeout=120))
    await asyncio.sleep(0.5)
    start = time.monotonic()
    await asyncio.to_thread(docker_client.api.kill, box.id)
    with pytest.raises(InfrastructureError, match="stopped"):
        await command
    assert time.monotonic() - start < 10
    with pytest.raises(InfrastructureError):
        await box.exec("true")
    await docker_backend.release(box)  # a dead sandbox is discarded, never pooled
    assert not docker_backend._idle.get(box.spec.pool_key())


@pytest.mark.docker
async def test_missing_images_say_how_to_get_them(docker_backend, monkeypatch):
    from agentbench._sandboxes.docker import images

    with pytest.raises(SandboxError, match="cannot be pulled") as info:
        await docker_backend.acquire(SandboxSpec(image="agentbench-test/no-such-image:0"))
    assert info.value.fix == "docker pull agentbench-test/no-such-image:0"
    monkeypatch.setattr(images, "known_images", lambda: ["python", "ghost"])
    with pytest.raises(SandboxError, match="not built") as info:
        await docker_backend.acquire(SandboxSpec(image="ghost"))
    assert info.value.fix == "agentbench sandbox build ghost"


async def test_docker_not_running_is_a_sandbox_error_with_a_fix(monkeypatch, tmp_path):
    from agentbench._sandboxes.docker import DockerBackend

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    start = time.monotonic()
    assert DockerBackend.available() is False
    assert time.monotonic() - start < 1
    backend = DockerBackend("no-engine")
    with pytest.raises(SandboxError, match="not reachable") as info:
        await backend.acquire(SandboxSpec())
    assert "start the Docker engine" in (info.value.fix or "")
    await backend.aclose()


def test_available_is_fast(monkeypatch):
    from agentbench._sandboxes.docker import DockerBackend

    start = time.monotonic()
    DockerBackend.available()
    assert time.monotonic() - start < 1.5


def test_child_script_is_valid_python():
    compile(textwrap.dedent(CHILD), "child", "exec")
    assert os.path.basename(sys.executable).startswith("python")


BUSY_CHILD = """
import asyncio, sys
from agentbench._sandboxes.docker import DockerBackend
from agentbench.sandbox import SandboxSpec

async def main():
    backend = DockerBackend(sys.argv[1], {"auto_build": "false"})
    boxes = await asyncio.gather(*(backend.acquire(SandboxSpec(), label=f"e{i}") for i in range(8)))
    for box in boxes:  # a hostile program busy in every container
        asyncio.ensure_future(box.exec(["python", "-c", "while True: pass"]))
    await asyncio.sleep(1)
    print("ready", flush=True)
    await asyncio.sleep(600)

asyncio.run(main())
"""


@pytest.mark.docker
def test_containers_stop_by_themselves_soon_after_their_runner_is_killed(
    docker_client, python_image
):
    run_id = f"test-{uuid.uuid4().hex[:10]}"
    proc = subprocess.Popen(
        [sys.executable, "-c", BUSY_CHILD, run_id], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        running = {"label": f"agentbench.run={run_id}", "status": "running"}
        assert len(docker_client.api.containers(filters=running)) == 8
        proc.kill()  # SIGKILL: no cleanup code of ours runs
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while docker_client.api.containers(filters=running) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert docker_client.api.containers(filters=running) == []
    finally:
        stop_child(proc)
        remove_run(docker_client, run_id)
