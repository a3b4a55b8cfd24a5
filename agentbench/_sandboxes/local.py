"""The `local` sandbox backend: commands run as subprocesses in a fresh temp dir. NO isolation.

Meant for tests, for tasks whose code is trusted, and for machines without Docker. Commands run
as the current user with full access to the machine and the network; nothing limits CPU, memory
or disk. The backend logs a warning when it hands out its first sandbox, and `describe()` says so.

Each sandbox is a temp dir that stands in for the spec's workdir: relative paths, and absolute
paths under `spec.workdir` (e.g. `/work/main.py`), land in it. Commands get a small environment
(PATH with this Python first, so `python` is the interpreter agentbench runs on; HOME = the
sandbox dir; the spec's env); `--sandbox-option inherit_env=true` passes the whole environment.
`--sandbox-option keep=true` keeps the temp dirs after the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from agentbench._sandboxes import option_flag
from agentbench.sandbox import Sandbox, SandboxBackend, SandboxSpec
from agentbench.types import ExecResult

log = logging.getLogger("agentbench.sandbox.local")

TIMEOUT_EXIT_CODE = 124
#: After a command exits, how long its output pipes may stay open (held by a background child
#: that did not redirect them) before that child's process group is killed.
PIPE_GRACE_S = 1.0
_MARKER = "AGENTBENCH_LOCAL_SANDBOX"


class _Capture:
    """Keeps the head and the tail of a stream, at most `limit` bytes, and counts what it drops."""

    def __init__(self, limit: int) -> None:
        self.head_limit = limit - limit // 2
        self.tail_limit = limit // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.head_limit - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail += chunk
        excess = len(self.tail) - self.tail_limit
        if excess > 0:
            del self.tail[:excess]
            self.dropped += excess

    def text(self) -> str:
        if not self.dropped:
            return (bytes(self.head) + bytes(self.tail)).decode("utf-8", errors="replace")
        marker = f"\n[... {self.dropped} bytes of output truncated ...]\n".encode()
        return (bytes(self.head) + marker + bytes(self.tail)).decode("utf-8", errors="replace")


async def _drain(stream: asyncio.StreamReader | None, capture: _Capture) -> None:
    if stream is None:
        return
    while chunk := await stream.read(65536):
        capture.add(chunk)


class _Protocol(asyncio.subprocess.SubprocessStreamProtocol):
    """Also tells when the process exits: `Process.wait()` waits for the pipes to close too."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=2**16, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


async def _feed_and_wait(
    proc: asyncio.subprocess.Process, exited: asyncio.Future[None], data: str | bytes | None
) -> None:
    if data is not None and proc.stdin is not None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            proc.stdin.write(data.encode() if isinstance(data, str) else data)
            await proc.stdin.drain()
        proc.stdin.close()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            await proc.stdin.wait_closed()
    await asyncio.shield(exited)


async def _collect(pgid: int, transport: asyncio.SubprocessTransport, readers: Any) -> None:
    """Read what is left in the pipes once the command exited.

    A background child that inherited the pipes keeps them open: after a grace period its
    process group is killed, and if the pipes are still open (the child left the group), they
    are closed.
    """
    for step in ("wait", "kill", "close"):
        if step == "kill":
            _killpg(pgid)
        elif step == "close":
            transport.close()
        try:
            await asyncio.wait_for(asyncio.shield(readers), PIPE_GRACE_S)
            return
        except TimeoutError:
            continue
    await readers


class LocalSandbox(Sandbox):
    """A temp dir on this machine; commands are subprocesses in their own process group."""

    isolated: ClassVar[bool] = False

    def __init__(self, spec: SandboxSpec, root: Path, *, inherit_env: bool = False) -> None:
        super().__init__(spec)
        self.root = root
        self.inherit_env = inherit_env
        self._pgids: set[int] = set()
        self.closed = False

    def host_path(self, path: str) -> Path:
        """Where `path` (relative, or absolute under the spec's workdir) is on this machine."""
        workdir = self.spec.workdir.rstrip("/") or "/"
        if path == workdir:
            return self.root
        if workdir != "/" and path.startswith(workdir + "/"):
            return self.root / path[len(workdir) + 1 :]
        return Path(path) if os.path.isabs(path) else self.root / path

    def _env(self, extra: dict[str, str] | None) -> dict[str, str]:
        base = (
            dict(os.environ)
            if self.inherit_env
            else {k: os.environ[k] for k in ("LANG", "LC_ALL", "TZ", "TERM") if k in os.environ}
        )
        path = os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
        base.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{path}", HOME=str(self.root))
        base.setdefault("LANG", "C.UTF-8")
        base.update(self.spec.env)
        base.update(extra or {})
        base[_MARKER] = str(self.root)  # lets aclose find processes that left our process groups
        return base

    async def exec(
        self,
        cmd: str | list[str],
        *,
        timeout: float | None = None,
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
    ) -> ExecResult:
        """Run `cmd` (a shell string via /bin/sh, or an argv list); see `Sandbox.exec`.

        `user` is ignored: commands run as the current user.
        """
        argv = ["/bin/sh", "-c", cmd] if isinstance(cmd, str) else [str(a) for a in cmd]
        t0 = time.monotonic()
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await loop.subprocess_exec(
                lambda: _Protocol(loop),
                *argv,
                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.host_path(cwd) if cwd else self.root,
                env=self._env(env),
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
            return ExecResult(
                exit_code=127, stderr=f"{argv[0]}: {exc.strerror}", duration_s=time.monotonic() - t0
            )
        proc = asyncio.subprocess.Process(transport, protocol, loop)
        self._pgids.add(proc.pid)
        out, err = _Capture(self.spec.output_limit), _Capture(self.spec.output_limit)
        readers = asyncio.gather(_drain(proc.stdout, out), _drain(proc.stderr, err))
        timed_out = False
        try:
            try:
                await asyncio.wait_for(_feed_and_wait(proc, protocol.exited, input), timeout)
            except TimeoutError:
                timed_out = True
                _killpg(proc.pid)
                await protocol.exited
            await _collect(proc.pid, transport, readers)
            code = await proc.wait()
        except BaseException:  # cancelled: leave nothing running
            _killpg(proc.pid)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(protocol.exited), PIPE_GRACE_S)
            transport.close()
            await asyncio.gather(readers, return_exceptions=True)
            raise
        return ExecResult(
            exit_code=TIMEOUT_EXIT_CODE if timed_out else (128 - code if code < 0 else code),
            stdout=out.text(),
            stderr=err.text(),
            duration_s=time.monotonic() - t0,
            timed_out=timed_out,
            truncated=bool(out.dropped or err.dropped),
        )

    async def read_file(self, path: str, *, binary: bool = False) -> str | bytes:
        """Read a file (relative paths are under the sandbox dir). Raises FileNotFoundError."""
        data = self.host_path(path).read_bytes()
        return data if binary else data.decode("utf-8", errors="replace")

    async def write_file(self, path: str, content: str | bytes) -> None:
        """Write a file, creating its parent directories."""
        target = self.host_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)

    async def aclose(self) -> None:
        """Kill every process this sandbox started (background ones too) and delete its dir."""
        if self.closed:
            return
        self.closed = True
        if self._pgids and not _kill_marked(str(self.root)):
            # No /proc: fall back to the process groups (their ids could be reused by now, so
            # this is second best).
            for pgid in self._pgids:
                _killpg(pgid)
        if not option_flag(self.spec.options, "keep", False):
            await asyncio.to_thread(shutil.rmtree, self.root, True)

    def describe(self) -> str:
        """Where the sandbox is, and a reminder that it isolates nothing."""
        return f"local sandbox (NO isolation: runs as you on this machine); cd {self.root}"


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _kill_marked(root: str) -> bool:
    """Kill processes whose environment carries this sandbox's marker; False without /proc."""
    marker = f"{_MARKER}={root}".encode()
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return False
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)
    return True


class LocalBackend(SandboxBackend):
    """Hands out `LocalSandbox`es. Options: `keep` (keep the dirs), `inherit_env`, `dir`."""

    name = "local"
    known_options: ClassVar[frozenset[str] | None] = frozenset({"keep", "inherit_env", "dir"})

    def __init__(self, run_id: str = "", options: dict[str, Any] | None = None) -> None:
        super().__init__(run_id, options)
        self._open: set[LocalSandbox] = set()
        self._warned = False

    async def keep(self, sandbox: Sandbox) -> bool:
        """Keep the sandbox's directory after the run (its processes are stopped)."""
        if not isinstance(sandbox, LocalSandbox):
            return False
        sandbox.spec = sandbox.spec.model_copy(
            update={"options": {**sandbox.spec.options, "keep": True}}
        )
        self._open.discard(sandbox)
        await sandbox.aclose()  # stops what it started, and leaves the directory
        return True

    async def acquire(self, spec: SandboxSpec, *, label: str = "") -> Sandbox:
        """A fresh temp dir with `spec.files` written into it."""
        if not self._warned:
            self._warned = True
            log.warning(
                "the local sandbox has NO isolation: commands run as you, on this machine, "
                "with network access; use --sandbox docker for untrusted code"
            )
        if option_flag(self.options, "keep", False):
            spec = spec.model_copy(update={"options": {**spec.options, "keep": True}})
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")[:60]
        root = Path(
            tempfile.mkdtemp(
                prefix=f"agentbench-{slug + '-' if slug else ''}", dir=self.options.get("dir")
            )
        )
        sandbox = LocalSandbox(
            spec, root, inherit_env=option_flag(self.options, "inherit_env", False)
        )
        self._open.add(sandbox)
        try:
            for path, content in spec.files.items():
                await sandbox.write_file(path, content)
        except BaseException:
            await self.release(sandbox)
            raise
        return sandbox

    async def release(self, sandbox: Sandbox, *, reusable: bool = True) -> None:
        """Close the sandbox (the local backend keeps none warm)."""
        self._open.discard(sandbox)  # type: ignore[arg-type]
        await sandbox.aclose()

    async def aclose(self) -> None:
        """Close every sandbox still open."""
        for sandbox in list(self._open):
            await self.release(sandbox)
