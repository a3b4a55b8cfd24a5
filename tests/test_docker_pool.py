"""The warm pool: containers are reused across episodes only after a reset that leaves nothing."""

from __future__ import annotations

import pytest

from agentbench.sandbox import SandboxSpec

pytestmark = pytest.mark.docker

DIRTY = """
set -e
echo secret > /work/left.txt; mkdir -p /work/d/e; chmod 000 /work/d
echo secret > /tmp/left.txt; echo secret > /dev/shm/left.txt
echo 'export LEAK=from-episode-1' >> ~/.bashrc; echo 'export LEAK=from-episode-1' >> ~/.profile
mkdir -p ~/.config && echo secret > ~/.config/left
nohup sleep 1000 > /dev/null 2>&1 &
setsid sleep 1001 < /dev/null > /dev/null 2>&1 &
python3 -c "import os, time; os.fork() == 0 and os.setsid() == 0 or time.sleep(0)" &
echo done
"""

PROBE = """
ls -A /work /tmp /dev/shm ~ | grep -v ':$' | grep -v '^$' || true
echo "LEAK=${LEAK:-unset} SPEC=${FROM_SPEC:-unset}"
bash -lc 'echo "login LEAK=${LEAK:-unset}"'
ps -eo user=,args= | grep -v -e '^root' -e 'ps -eo' -e 'grep' -e 'bash -c' || true
"""


async def test_reset_leaves_no_files_processes_env_or_tmp(docker_backend):
    first = await docker_backend.acquire(SandboxSpec(env={"FROM_SPEC": "one"}), label="ep1")
    assert (await first.exec(DIRTY)).stdout.strip().endswith("done")
    dirty = (await first.exec(PROBE)).stdout  # the probe sees every trace before the reset
    for trace in (
        "left.txt",
        ".bashrc",
        ".config",
        "LEAK=unset SPEC=one",
        "login LEAK=from-episode-1",
    ):
        assert trace in dirty
    assert "sleep 1000" in dirty and "sleep 1001" in dirty
    await docker_backend.release(first)

    second = await docker_backend.acquire(SandboxSpec(), label="ep2")
    assert second.id == first.id, "a resettable sandbox with the same spec must be reused"
    probe = await second.exec(PROBE)
    assert probe.stdout.splitlines() == ["LEAK=unset SPEC=unset", "login LEAK=unset"], probe


async def test_files_of_the_new_episode_are_placed_after_reset(docker_backend):
    first = await docker_backend.acquire(SandboxSpec(files={"a.txt": "1"}), label="ep1")
    await docker_backend.release(first)
    second = await docker_backend.acquire(SandboxSpec(files={"b.txt": "2"}), label="ep2")
    assert second.id == first.id
    assert (await second.exec("ls; cat b.txt")).stdout == "b.txt\n2"


async def test_no_reuse_when_not_resettable_or_spec_differs(docker_backend, docker_client):
    first = await docker_backend.acquire(SandboxSpec(resettable=False), label="ep1")
    first_id = first.id
    await docker_backend.release(first)
    assert not docker_client.api.containers(all=True, filters={"id": first_id})

    small = await docker_backend.acquire(SandboxSpec(memory_mb=512), label="ep2")
    await docker_backend.release(small)
    other = await docker_backend.acquire(SandboxSpec(memory_mb=768), label="ep3")
    assert other.id != small.id


async def test_release_not_reusable_removes_the_container(docker_backend, docker_client):
    box = await docker_backend.acquire(SandboxSpec(), label="ep1")
    await docker_backend.release(box, reusable=False)
    assert not docker_client.api.containers(all=True, filters={"id": box.id})
