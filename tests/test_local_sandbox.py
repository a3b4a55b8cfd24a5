"""The `local` sandbox backend: real subprocesses in temp dirs."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import pytest

from agentbench import SandboxSpec
from agentbench.plugins import load_plugins


@pytest.fixture
async def backend():
    backend_cls = load_plugins().sandbox("local")
    backend = backend_cls("test-run", {})
    yield backend
    await backend.aclose()


@pytest.fixture
async def box(backend):
    return await backend.acquire(SandboxSpec(files={"data/in.txt": "hello\n"}), label="t/s1/0")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


async def test_it_says_it_is_not_isolated(backend, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="agentbench.sandbox.local"):
        first = await backend.acquire(SandboxSpec())
        await backend.acquire(SandboxSpec())
    assert first.isolated is False
    assert "NO isolation" in first.describe() and str(first.root) in first.describe()
    warnings = [r for r in caplog.records if "NO isolation" in r.getMessage()]
    assert len(warnings) == 1  # once per backend, not once per sandbox


async def test_each_sandbox_is_a_fresh_dir_with_the_spec_files(backend, box) -> None:
    other = await backend.acquire(SandboxSpec())
    assert box.root != other.root
    assert (await box.exec("cat data/in.txt")).stdout == "hello\n"
    assert (await other.exec("ls -A")).stdout == ""
    assert Path((await box.exec("pwd")).stdout.strip()).resolve() == box.root.resolve()


async def test_exec_shell_and_argv_with_exit_codes(box) -> None:
    shell = await box.exec("echo out; echo err >&2; exit 3")
    assert (shell.exit_code, shell.stdout, shell.stderr) == (3, "out\n", "err\n")
    assert not shell.ok and not shell.timed_out
    argv = await box.exec(["python", "-c", "import sys; print(sys.argv[1])", "a b; c"])
    assert argv.ok and argv.stdout == "a b; c\n"  # no shell: the argument arrives whole
    missing = await box.exec(["no-such-program-xyz"])
    assert missing.exit_code == 127


async def test_stdin_cwd_and_env(box) -> None:
    piped = await box.exec("tr a-z A-Z", input="shout\n")
    assert piped.stdout == "SHOUT\n"
    raw = await box.exec(
        ["python", "-c", "import sys; print(len(sys.stdin.buffer.read()))"], input=b"\x00\x01\x02"
    )
    assert raw.stdout == "3\n"
    await box.exec("mkdir -p sub")
    assert (await box.exec("pwd", cwd="sub")).stdout.strip().endswith("/sub")
    assert (await box.exec("pwd", cwd="/work/sub")).stdout.strip().endswith("/sub")
    env = await box.exec('echo "$GREETING:$HOME"', env={"GREETING": "hi"})
    assert env.stdout.strip() == f"hi:{box.root}"
    no_stdin = await box.exec(
        ["python", "-c", "import sys; print(repr(sys.stdin.read()))"], timeout=5
    )
    assert no_stdin.stdout == "''\n"  # stdin is closed, so a reader does not hang


async def test_spec_env_is_passed_and_the_host_environment_is_not(backend, monkeypatch) -> None:
    monkeypatch.setenv("SECRET_FROM_HOST", "leak")
    box = await backend.acquire(SandboxSpec(env={"FROM_SPEC": "yes"}))
    out = await box.exec('echo "$FROM_SPEC/${SECRET_FROM_HOST:-none}"')
    assert out.stdout.strip() == "yes/none"


async def test_timeout_kills_the_whole_process_group(box) -> None:
    t0 = time.monotonic()
    result = await box.exec("sleep 30 & echo $! > child.pid; sleep 30", timeout=0.5)
    assert time.monotonic() - t0 < 5
    assert result.timed_out and result.exit_code == 124 and not result.ok
    child = int((await box.read_file("child.pid")).strip())
    deadline = time.monotonic() + 2
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the background child survived the timeout"


async def test_a_background_child_holding_the_pipes_does_not_hang_exec(box) -> None:
    t0 = time.monotonic()
    result = await box.exec("sleep 30 & echo started", timeout=20)
    assert result.exit_code == 0 and result.stdout == "started\n"
    assert time.monotonic() - t0 < 5


async def test_output_is_capped_and_the_cut_is_marked(backend) -> None:
    box = await backend.acquire(SandboxSpec(output_limit=1000))
    result = await box.exec(["python", "-c", "print('A' * 5000 + 'END')"])
    assert result.truncated and result.exit_code == 0
    assert len(result.stdout) < 1100
    assert result.stdout.startswith("A" * 400) and result.stdout.rstrip().endswith("END")
    assert "truncated" in result.stdout
    small = await box.exec("echo fine")
    assert not small.truncated and small.stdout == "fine\n"


async def test_read_and_write_text_and_bytes(box) -> None:
    await box.write_file("deep/dir/a.txt", "héllo")
    await box.write_file("/work/b.bin", b"\x00\xff")
    assert await box.read_file("deep/dir/a.txt") == "héllo"
    assert await box.read_file("/work/deep/dir/a.txt") == "héllo"
    assert await box.read_file("b.bin", binary=True) == b"\x00\xff"
    assert (await box.exec("wc -c < b.bin")).stdout.strip() == "2"
    with pytest.raises(FileNotFoundError):
        await box.read_file("nope.txt")


async def test_release_removes_the_dir_and_kills_leftover_processes(backend) -> None:
    box = await backend.acquire(SandboxSpec())
    await box.exec("nohup sleep 60 >/dev/null 2>&1 & echo $! > server.pid")
    pid = int((await box.read_file("server.pid")).strip())
    assert _alive(pid)  # a background server outlives the command, as in a container
    await backend.release(box)
    deadline = time.monotonic() + 2
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)
    assert not box.root.exists()


async def test_keep_option_keeps_the_dir(tmp_path) -> None:
    backend = load_plugins().sandbox("local")("run", {"keep": "true", "dir": str(tmp_path)})
    box = await backend.acquire(SandboxSpec(files={"x.txt": "x"}))
    await backend.aclose()
    assert box.root.parent == tmp_path and (box.root / "x.txt").read_text() == "x"


async def test_cancelling_exec_kills_the_command(box) -> None:
    call = asyncio.create_task(box.exec("echo $$ > shell.pid; sleep 30"))
    for _ in range(100):
        await asyncio.sleep(0.02)
        if (box.root / "shell.pid").exists() and (box.root / "shell.pid").read_text().strip():
            break
    pid = int((box.root / "shell.pid").read_text())
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert not _alive(pid)


async def test_commands_run_concurrently(box) -> None:
    t0 = time.monotonic()
    results = await asyncio.gather(*(box.exec(f"sleep 1; echo {i}") for i in range(4)))
    assert [r.stdout.strip() for r in results] == [str(i) for i in range(4)]
    assert time.monotonic() - t0 < 3.5  # one after the other would take 4 s
