"""Hostile solutions run as real episodes: each is contained, scored with a reason, in time.

The "model" answers with a hostile program; the task runs it in the docker sandbox and scores it.
Each test checks the score and its reason, the time taken, that the sandbox still answers, and
that the host is unaffected.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from agentbench.checkers import run_python
from agentbench.sandbox import SandboxSpec
from agentbench.task import EpisodeContext, Task
from agentbench.testing import run_episode
from agentbench.types import Sample, Score

pytestmark = pytest.mark.docker

TIMEOUT = 6.0
SPEC = SandboxSpec(memory_mb=256, pids=64, disk_mb=64, cpus=1.0)


class RunSolution(Task):
    """Runs the model's answer as a program; it passes when it prints SOLVED and exits 0."""

    name = "hostile-probe"

    def samples(self):
        return [Sample(id="1", input="write a program")]

    def sandbox_spec(self, sample):
        return SPEC

    async def check(self, ctx: EpisodeContext) -> Score:
        result = await run_python(ctx, ctx.state["output"].text, timeout=TIMEOUT, python="python3")
        if result.ok and "SOLVED" in result.stdout:
            return Score.of(True, "solved")
        if result.timed_out:
            reason = f"timed out after {TIMEOUT:g}s"
        else:
            reason = f"exit code {result.exit_code}: {result.stderr.strip()[-300:]}"
        return Score.of(False, reason, stdout=result.stdout[-2000:])


async def episode(backend, program: str):
    start = time.monotonic()
    run = await run_episode(RunSolution(), model=[program], sandbox=backend, keep_sandbox=True)
    elapsed = time.monotonic() - start
    box = run.sandbox
    try:
        alive = await box.exec("echo alive", timeout=10)
        assert alive.stdout == "alive\n", "the sandbox must survive the attack"
    finally:
        await run.aclose()
    return run, elapsed


async def test_fork_bomb_is_capped_by_the_pids_limit(docker_backend):
    bomb = (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    )
    run, elapsed = await episode(docker_backend, bomb)
    assert not run.passed and "timed out" in run.explanation
    assert elapsed < TIMEOUT + 15


async def test_memory_bomb_is_killed_by_the_memory_limit(docker_backend):
    bomb = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 2**20))\n"
    run, elapsed = await episode(docker_backend, bomb)
    assert not run.passed and (
        "exit code 137" in run.explanation or "MemoryError" in run.explanation
    )
    assert elapsed < TIMEOUT + 15


async def test_infinite_loop_times_out(docker_backend):
    run, elapsed = await episode(docker_backend, "while True:\n    pass\n")
    assert not run.passed and "timed out" in run.explanation
    assert TIMEOUT <= elapsed < TIMEOUT + 15


async def test_filling_the_disk_stops_at_the_limit(docker_backend):
    fill = (
        "import os\nwritten = 0\n"
        "with open('fill.bin', 'wb') as f:\n"
        "    while True:\n"
        "        f.write(b'x' * 2**20); f.flush(); written += 1\n"
    )
    run, elapsed = await episode(docker_backend, fill)
    assert not run.passed and "No space left on device" in run.explanation
    assert elapsed < TIMEOUT + 15


async def test_network_connections_fail(docker_backend):
    probe = (
        "import socket\n"
        "for host, port in [('1.1.1.1', 53), ('pypi.org', 443), ('172.17.0.1', 2375)]:\n"
        "    try:\n"
        "        socket.create_connection((host, port), timeout=2)\n"
        "        print('CONNECTED', host)\n"
        "    except OSError as e:\n"
        "        print('blocked', host, e)\n"
        "raise SystemExit(1)\n"
    )
    run, elapsed = await episode(docker_backend, probe)
    out = run.score.details["stdout"]
    assert not run.passed and "CONNECTED" not in out and out.count("blocked") == 3
    assert elapsed < TIMEOUT + 15


async def test_host_environment_and_files_are_out_of_reach(docker_backend, tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTBENCH_TEST_SECRET", "hunter2-env")
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2-file")
    probe = (
        "import os, glob\n"
        "print(sorted(os.environ))\n"
        "readable = os.access('/proc/1/environ', os.R_OK)\n"
        "print(open('/proc/1/environ', 'rb').read() if readable else 'no pid1 env')\n"
        f"print(os.path.exists({str(secret)!r}), glob.glob('/root/*'), glob.glob('/home/*/*'))\n"
        "raise SystemExit(1)\n"
    )
    run, _ = await episode(docker_backend, probe)
    out = run.score.details["stdout"]
    assert (
        "hunter2" not in out
        and "AGENTBENCH_TEST_SECRET" not in out
        and "AGENTBENCH_EXECUTOR" not in out
    )
    assert "False" in out and "no pid1 env" in out
    assert os.environ["AGENTBENCH_TEST_SECRET"] == "hunter2-env"


async def test_no_docker_socket_inside(docker_backend):
    probe = (
        "import os, glob\n"
        "found = [p for p in ['/var/run/docker.sock', '/run/docker.sock'] if os.path.exists(p)]\n"
        "for top in set(os.listdir('/')) - {'proc', 'sys', 'dev'}:\n"
        "    found += glob.glob(f'/{top}/**/docker.sock', recursive=True)\n"
        "print('SOCKETS', found, os.environ.get('DOCKER_HOST'))\n"
        "raise SystemExit(1)\n"
    )
    run, _ = await episode(docker_backend, probe)
    assert "SOCKETS [] None" in run.score.details["stdout"]


async def test_killing_pid_1_is_refused(docker_backend):
    probe = (
        "import os, signal\n"
        "for sig in (signal.SIGKILL, signal.SIGTERM):\n"
        "    try:\n"
        "        os.kill(1, sig)\n"
        "        print('SENT', sig)\n"
        "    except PermissionError:\n"
        "        print('refused', sig)\n"
        "os.system('kill -9 -1')\n"
    )
    run, _ = await episode(docker_backend, probe)
    assert not run.passed and "SENT" not in run.score.details["stdout"]


async def test_detached_process_does_not_outlive_the_episode(docker_backend, docker_client):
    probe = (
        "import os, subprocess\n"
        "subprocess.Popen(['sleep', '777'], start_new_session=True, stdout=subprocess.DEVNULL,\n"
        "                 stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)\n"
        "if os.fork() == 0:\n"
        "    os.setsid(); os.execvp('sleep', ['sleep', '778'])\n"
        "print('detached')\n"
    )
    run, elapsed = await episode(docker_backend, probe)
    assert not run.passed and run.score.details["stdout"] == "detached\n"
    assert elapsed < TIMEOUT
    # the episode is over and its container gone: nothing of it runs anywhere on this engine
    mine = docker_client.api.containers(
        filters={"label": f"agentbench.run={docker_backend.run_id}"}
    )
    assert not mine
    assert not any("sleep 777" in p.read_text(errors="replace") for p in _host_cmdlines())


def _host_cmdlines():
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            path.read_bytes()
            yield path
        except OSError:
            continue
