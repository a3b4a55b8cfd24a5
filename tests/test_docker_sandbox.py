"""The docker sandbox: exec semantics, files, limits and lock-down, on a real engine."""

from __future__ import annotations

import asyncio
import time

import pytest

from agentbench.sandbox import SandboxSpec

pytestmark = pytest.mark.docker


async def test_exec_runs_shell_and_argv_with_exit_codes_stdin_cwd_env(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(env={"FROM_SPEC": "s"}), label="basics")
    r = await box.exec("echo out; echo err >&2; exit 3")
    assert (r.exit_code, r.stdout, r.stderr, r.timed_out) == (3, "out\n", "err\n", False)
    r = await box.exec(["python3", "-c", "import sys; print(sys.stdin.read()[::-1])"], input="abc")
    assert r.stdout == "cba\n"
    await box.exec("mkdir -p sub/dir")
    r = await box.exec("pwd; echo $FROM_SPEC $FROM_CMD", cwd="sub/dir", env={"FROM_CMD": "c"})
    assert r.stdout == "/work/sub/dir\ns c\n"
    assert (await box.exec(["no-such-program"])).exit_code == 127


async def test_commands_run_as_unprivileged_user_unless_asked(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(), label="users")
    r = await box.exec("id -u; echo $HOME; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status")
    uid, home, cap_eff, nnp = r.stdout.split("\n")[:4]
    assert uid == "1000" and home == "/home/sandbox"
    assert cap_eff.split()[1] == "0000000000000000" and nnp.split()[1] == "1"
    assert (await box.exec("id -u", user="root")).stdout == "0\n"
    written = await box.exec("touch /usr/x; touch /work/ok && echo wrote")
    assert "Read-only file system" in written.stderr and written.stdout == "wrote\n"


async def test_timeout_kills_the_whole_process_tree(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(), label="timeout")
    start = time.monotonic()
    cmd = "sleep 300 & echo $! > /tmp/child; (setsid sleep 301 &); sleep 302"
    r = await box.exec(cmd, timeout=1)
    assert r.timed_out and r.exit_code == 124 and time.monotonic() - start < 5
    left = await box.exec("ps -eo args | grep -c '^sleep 30[02]$' || true")
    assert left.stdout.strip() == "0"


async def test_detached_child_does_not_hold_the_command(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(), label="detach")
    start = time.monotonic()
    r = await box.exec("nohup setsid sleep 600 > /dev/null 2>&1 & echo started", timeout=30)
    assert r.ok and r.stdout == "started\n" and time.monotonic() - start < 3


async def test_output_is_capped_and_the_cut_marked(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(output_limit=1000), label="cap")
    r = await box.exec("head -c 50000 /dev/zero | tr '\\0' x; echo done >&2")
    # the head and the tail are kept (a harness's last line survives a flood before it)
    head, marker, tail = r.stdout.partition("\n[output truncated: 49000 bytes left out]\n")
    assert r.truncated and marker and head == "x" * 500 and tail == "x" * 500
    assert r.stderr == "done\n"


async def test_files_text_bytes_large_and_missing(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(files={"given.txt": "from spec"}), label="files")
    assert await box.read_file("given.txt") == "from spec"
    await box.write_file("a/b/c.txt", "héllo\n")
    assert (
        await box.exec("cat a/b/c.txt; stat -c %U a/b a/b/c.txt")
    ).stdout == "héllo\nsandbox\nsandbox\n"
    blob = bytes(range(256)) * (8 * 4096)  # 8 MiB
    await box.write_file("/tmp/blob.bin", blob)
    assert await box.read_file("/tmp/blob.bin", binary=True) == blob
    assert (await box.exec("stat -c %s /tmp/blob.bin")).stdout.strip() == str(len(blob))
    with pytest.raises(FileNotFoundError):
        await box.read_file("nope.txt")


async def test_concurrent_commands_share_one_container(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(), label="concurrent")
    start = time.monotonic()
    results = await asyncio.gather(*(box.exec(f"sleep 1; echo {i}") for i in range(8)))
    assert [r.stdout for r in results] == [f"{i}\n" for i in range(8)]
    assert time.monotonic() - start < 4


async def test_container_is_locked_down_and_labelled(docker_backend, docker_client):
    spec = SandboxSpec(memory_mb=300, cpus=0.5, pids=64)
    box = await docker_backend.acquire(spec, label="task/7/0")
    info = docker_client.api.inspect_container(box.id)
    host, labels = info["HostConfig"], info["Config"]["Labels"]
    assert (
        host["NetworkMode"] == "none" and host["ReadonlyRootfs"] and host["Memory"] == 300 * 2**20
    )
    assert host["NanoCpus"] == 5 * 10**8 and host["PidsLimit"] == 64 and host["CapDrop"] == ["ALL"]
    assert "no-new-privileges:true" in host["SecurityOpt"] and not host["Privileged"]
    assert (
        labels["agentbench.run"] == docker_backend.run_id
        and labels["agentbench.episode"] == "task/7/0"
    )
    assert {"agentbench.pid", "agentbench.host"} <= labels.keys()
    assert box.describe().startswith("docker exec -it -u sandbox -w /work ")


async def test_image_without_python_falls_back_to_docker_exec(docker_backend, base_image):
    box = await docker_backend.acquire(SandboxSpec(image=base_image), label="fallback")
    r = await box.exec("id -u; pwd; cat", input="in")
    assert r.stdout == "1000\n/work\nin"
    await box.write_file("x/y.bin", b"\x00\xff")
    assert await box.read_file("x/y.bin", binary=True) == b"\x00\xff"
    r = await box.exec("sleep 30", timeout=1)
    assert r.timed_out and r.exit_code == 124
    with pytest.raises(FileNotFoundError):
        await box.read_file("missing")


async def test_a_cancelled_command_is_killed(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(), label="cancel")
    command = asyncio.create_task(box.exec("sleep 333"))
    await asyncio.sleep(1)
    assert "sleep 333" in (await box.exec("ps -eo args")).stdout
    command.cancel()
    with pytest.raises(asyncio.CancelledError):
        await command
    await asyncio.sleep(0.5)
    assert "sleep 333" not in (await box.exec("ps -eo args")).stdout
