"""How commands reach a container: the executor stream, or plain `docker exec` as a fallback.

`ExecutorChannel` speaks JSON lines with the in-container executor (executor_main.py) over the
container's attached stdin/stdout: one socket per container, many requests in flight at once.
`DockerExecChannel` runs each request as its own `docker exec` (about 100 ms of engine CPU each); it
serves images without python3, and is the baseline the throughput bench compares against.
Both expose `request(op_dict, timeout) -> reply_dict` with the executor's request format.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import itertools
import json
import logging
import socket
import time
from typing import Any

from agentbench.errors import InfrastructureError, SandboxError

log = logging.getLogger("agentbench.sandbox.docker")

ATTACH_PARAMS = {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
REPLY_GRACE_S = 30.0  # beyond a command's own timeout, before the executor counts as hung
_ERRORS: dict[str, type[Exception]] = {
    "FileNotFoundError": FileNotFoundError,
    "IsADirectoryError": IsADirectoryError,
    "NotADirectoryError": NotADirectoryError,
    "PermissionError": PermissionError,
}


def raise_for_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """The reply itself, or the exception it reports (file errors as their builtin types)."""
    if reply.get("ok"):
        return reply
    error, message = reply.get("error", "Error"), reply.get("message", "")
    if error in _ERRORS:
        raise _ERRORS[error](message)
    if error in ("LookupError", "KeyError"):
        raise SandboxError(message, "use a user that exists in the image, or add it to the image")
    raise InfrastructureError(f"sandbox executor failed: {error}: {message}")


def _hijacked_socket(sock: Any) -> socket.socket:
    """A private plain socket for an upgraded docker connection; the SDK's wrappers are closed."""
    raw = getattr(sock, "_sock", sock)
    if type(raw) is not socket.socket:  # TLS or ssh engines: no plain socket to hand to asyncio
        _close_quietly(sock)
        raise SandboxError(
            "the executor stream needs a unix or plain tcp Docker socket",
            "use a local engine, or --sandbox-option executor=false",
        )
    dup = raw.dup()
    _close_quietly(sock)
    return dup


def _close_quietly(sock: Any) -> None:
    for closable in (getattr(sock, "_response", None), sock, getattr(sock, "_sock", None)):
        if closable is not None:
            with contextlib.suppress(Exception):
                closable.close()


class ExecutorChannel:
    """Requests to the executor over the container's attached stream (multiplexed by id)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._write_lock = asyncio.Lock()
        self._stderr: collections.deque[bytes] = collections.deque(maxlen=50)
        self.closed_reason: str | None = None
        self._background: set[asyncio.Future[None]] = set()
        self._pump = asyncio.create_task(self._read_replies())

    @classmethod
    async def attach(cls, api: Any, container_id: str) -> ExecutorChannel:
        """Attach to a started container whose main process is the executor."""
        sock = await asyncio.to_thread(api.attach_socket, container_id, params=ATTACH_PARAMS)
        raw = _hijacked_socket(sock)
        reader, writer = await asyncio.open_connection(sock=raw, limit=2**31 - 1)
        return cls(reader, writer)

    @classmethod
    async def exec_stream(cls, api: Any, exec_id: str) -> ExecutorChannel:
        """Start a created `docker exec` (stdin attached, no tty) that runs the executor.

        Closing the channel closes the executor's stdin, and it exits.
        """
        sock = await asyncio.to_thread(api.exec_start, exec_id, socket=True)
        raw = _hijacked_socket(sock)
        reader, writer = await asyncio.open_connection(sock=raw, limit=2**31 - 1)
        return cls(reader, writer)

    @property
    def alive(self) -> bool:
        return self.closed_reason is None

    async def request(self, op: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Send one request and wait for its reply.

        Raises:
            InfrastructureError: the stream closed (container gone) or no reply in time.
        """
        if self.closed_reason:
            raise InfrastructureError(self.closed_reason)
        ident = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        try:
            line = json.dumps({**op, "id": ident}).encode() + b"\n"
            async with self._write_lock:
                self._writer.write(line)
                await self._writer.drain()
            limit = None if timeout is None else timeout + REPLY_GRACE_S
            return await asyncio.wait_for(future, limit)
        except (ConnectionError, OSError) as exc:
            raise InfrastructureError(f"lost the sandbox executor stream: {exc}") from exc
        except TimeoutError:
            raise InfrastructureError(f"sandbox executor gave no reply to {op['op']!r}") from None
        except asyncio.CancelledError:
            if op["op"] == "exec" and self.alive:  # the caller gave up: stop the command too
                task = asyncio.ensure_future(self._send({"op": "cancel", "target": ident}))
                self._background.add(task)
                task.add_done_callback(self._background.discard)
            raise
        finally:
            self._pending.pop(ident, None)

    async def _send(self, op: dict[str, Any]) -> None:
        """Send a request whose reply nobody waits for."""
        line = json.dumps({**op, "id": next(self._ids)}).encode() + b"\n"
        with contextlib.suppress(ConnectionError, OSError):
            async with self._write_lock:
                self._writer.write(line)
                await self._writer.drain()

    async def _read_replies(self) -> None:
        partial: list[bytes] = []  # pieces of a reply line (large files span many frames)
        try:
            while True:
                header = await self._reader.readexactly(8)
                payload = await self._reader.readexactly(int.from_bytes(header[4:], "big"))
                if header[0] == 2:
                    self._stderr.append(payload)
                    continue
                if b"\n" not in payload:
                    partial.append(payload)
                    continue
                first, *lines, rest = payload.split(b"\n")
                self._dispatch(json.loads(b"".join([*partial, first])))
                for line in lines:
                    self._dispatch(json.loads(line))
                partial = [rest] if rest else []
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            self._fail(f"the sandbox container stopped ({type(exc).__name__}){self._stderr_tail()}")
        except asyncio.CancelledError:
            self._fail("the sandbox channel was closed")
            raise

    def _dispatch(self, reply: dict[str, Any]) -> None:
        future = self._pending.get(reply.get("id", -1))
        if future is not None and not future.done():
            future.set_result(reply)

    def _stderr_tail(self) -> str:
        tail = b"".join(self._stderr).decode("utf-8", "replace").strip()
        return f": {tail[-500:]}" if tail else ""

    def _fail(self, reason: str) -> None:
        self.closed_reason = self.closed_reason or reason
        for future in self._pending.values():
            if not future.done():
                future.set_exception(InfrastructureError(reason))

    async def aclose(self) -> None:
        self._fail("the sandbox channel was closed")
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()


class DockerExecChannel:
    """The executor's requests carried out with one `docker exec` each (no python3 needed).

    Args:
        api: The docker SDK's low-level client.
        container_id: The container to run in.
        has_timeout: Whether the image has coreutils `timeout` (used to kill timed-out commands).
    """

    alive = True

    def __init__(self, api: Any, container_id: str, *, has_timeout: bool = True) -> None:
        self.api, self.container_id, self.has_timeout = api, container_id, has_timeout
        self.user_alias: dict[str, str] = {}

    async def request(self, op: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        handler = getattr(self, f"_op_{op['op']}", None)
        if handler is None:
            raise InfrastructureError(f"{op['op']!r} is not supported without the executor")
        return {"ok": True, **await handler(op)}

    async def _op_hello(self, op: dict[str, Any]) -> dict[str, Any]:
        return {"version": 0}

    async def _op_exec(self, op: dict[str, Any]) -> dict[str, Any]:
        argv = op.get("argv") or ["/bin/sh", "-c", op.get("shell", "")]
        timeout = op.get("timeout")
        if timeout is not None and self.has_timeout:
            argv = ["timeout", "-k", "1", f"{timeout:g}", *argv]
        stdin = base64.b64decode(op["stdin"]) if op.get("stdin") is not None else None
        user = op.get("user") or "root"
        start = time.monotonic()
        code, out, err = await asyncio.to_thread(
            self.run_blocking, argv, user, op.get("cwd") or op.get("workdir"), op.get("env"), stdin
        )
        limit = int(op.get("limit") or 1_000_000)
        return {
            "exit_code": code,
            "stdout": _capped(out, limit),
            "stderr": _capped(err, limit),
            "timed_out": timeout is not None and self.has_timeout and code in (124, 137),
            "truncated": len(out) > limit or len(err) > limit,
            "duration_s": time.monotonic() - start,
        }

    async def _op_read(self, op: dict[str, Any]) -> dict[str, Any]:
        code, out, err = await asyncio.to_thread(
            self.run_blocking, ["cat", "--", op["path"]], "root"
        )
        if code != 0:
            raise _file_error(err, op["path"])
        return {"data": base64.b64encode(out).decode()}

    async def _op_write(self, op: dict[str, Any]) -> dict[str, Any]:
        script = 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1"'
        data = base64.b64decode(op["data"])
        argv = ["/bin/sh", "-c", script, "sh", op["path"]]
        code, _out, err = await asyncio.to_thread(
            self.run_blocking, argv, op.get("user") or "root", None, None, data
        )
        if code != 0:
            raise _file_error(err, op["path"])
        return {}

    def run_blocking(
        self,
        argv: list[str],
        user: str,
        workdir: str | None = None,
        env: dict[str, str] | None = None,
        stdin: bytes | None = None,
    ) -> tuple[int, bytes, bytes]:
        """One `docker exec`: (exit code, stdout, stderr). Blocking; run it in a thread."""
        try:
            created = self.api.exec_create(
                self.container_id,
                argv,
                stdin=stdin is not None,
                user=user,
                workdir=workdir,
                environment=env,
            )
            sock = self.api.exec_start(created["Id"], socket=True)
        except Exception as exc:
            raise InfrastructureError(f"docker exec failed: {exc}") from exc
        raw = getattr(sock, "_sock", sock)
        try:
            if stdin is not None:
                raw.sendall(stdin)
                raw.shutdown(socket.SHUT_WR)
            out, err = _read_frames(raw)
        finally:
            _close_quietly(sock)
        for _ in range(100):
            code = self.api.exec_inspect(created["Id"]).get("ExitCode")
            if code is not None:
                return code, out, err
            time.sleep(0.01)
        return -1, out, err

    async def aclose(self) -> None:
        return None


def _read_frames(raw: socket.socket) -> tuple[bytes, bytes]:
    streams: dict[int, bytearray] = {1: bytearray(), 2: bytearray()}
    buffer = bytearray()
    while True:
        chunk = raw.recv(65536)
        if not chunk:
            break
        buffer += chunk
        while len(buffer) >= 8:
            size = int.from_bytes(buffer[4:8], "big")
            if len(buffer) < 8 + size:
                break
            streams.setdefault(buffer[0], bytearray()).extend(buffer[8 : 8 + size])
            del buffer[: 8 + size]
    return bytes(streams[1]), bytes(streams[2])


def _capped(data: bytes, limit: int) -> str:
    text = data[:limit].decode("utf-8", "replace")
    if len(data) > limit:
        text += f"\n[output truncated: {len(data) - limit} more bytes]\n"
    return text


def _file_error(stderr: bytes, path: str) -> Exception:
    text = stderr.decode("utf-8", "replace").strip()
    if "No such file" in text:
        return FileNotFoundError(path)
    if "Is a directory" in text:
        return IsADirectoryError(path)
    if "Permission denied" in text:
        return PermissionError(path)
    return InfrastructureError(f"file operation on {path} failed: {text}")
