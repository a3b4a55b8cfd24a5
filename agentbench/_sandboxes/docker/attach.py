"""Episodes in a container that is already running (`-S attach=NAME`), e.g. the compose desktop
that a person watches over VNC.

The backend never creates, resets, renames or removes such a container. It starts its executor in
it with `docker exec` (as root, so that commands can run as the spec's user) and stops it when the
episode ends. Isolation (network, limits, capabilities, root filesystem) is whatever the container
was started with, not the task's SandboxSpec, and nothing is cleaned up between episodes.

The executor holds an exclusive lock (flock) inside the container for its lifetime, so a second
episode from another process is refused while one runs; the kernel drops the lock when the
executor exits, however it ends. Episodes of one backend wait for each other instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from agentbench.errors import InfrastructureError, SandboxError
from agentbench.sandbox import SandboxSpec

from .channel import DockerExecChannel, ExecutorChannel, raise_for_reply
from .container import ATTACH_TIMEOUT_S, EXECUTOR_ENV, DockerSandbox, executor_source

log = logging.getLogger("agentbench.sandbox.docker")

PRELUDE_ENV = "AGENTBENCH_ATTACH"
LOCK_PATHS = ("/run/agentbench-executor.lock", "/tmp/agentbench-executor.lock")
STOP_WAIT_S = 5.0
# Runs before the executor (same process, same globals): takes the container's lock, or answers
# the first request (the hello, id 1) with Busy and exits. A container where no lock file can be
# made (read-only root and /tmp) runs unlocked; the backend still serializes its own episodes.
_PRELUDE = f"""
import fcntl, os, sys
_agentbench_lock = None
for _path in {LOCK_PATHS!r}:
    try:
        _agentbench_lock = os.open(_path, os.O_RDWR | os.O_CREAT, 0o600)
        break
    except OSError:
        pass
if _agentbench_lock is not None:
    try:
        fcntl.flock(_agentbench_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.stdin.readline()
        print('{{"id": 1, "ok": false, "error": "Busy", "message": "another executor runs"}}')
        sys.exit(0)
exec(os.environ.pop({EXECUTOR_ENV!r}))
"""
_NO_EXECUTOR = '{"id": 1, "ok": false, "error": "NoExecutor", "message": "no python3 >= 3.7"}'
ATTACH_CMD = [
    "sh",
    "-c",
    "if python3 -c 'import sys; sys.exit(sys.version_info < (3, 7))' 2>/dev/null; then "
    f'exec python3 -I -u -c "import os;exec(os.environ.pop({PRELUDE_ENV!r}))"; fi; '
    f"read -r _; echo '{_NO_EXECUTOR}'",
]


class AttachedSandbox(DockerSandbox):
    """A sandbox in a container the backend did not create: closing it stops only the executor.

    Args:
        spec: The episode's spec (user, workdir, env and files apply; isolation settings do not).
        container: The running container (docker SDK object).
        channel: The executor's channel (over the `docker exec` stream).
        exec_id: The docker exec running the executor.
        default_user: The container's configured user.
        on_close: Called once when the sandbox closes (frees the container for the next episode).
    """

    def __init__(
        self,
        spec: SandboxSpec,
        container: Any,
        channel: ExecutorChannel,
        *,
        exec_id: str,
        default_user: str | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(spec, container, channel, default_user=default_user)
        self.exec_id = exec_id
        self.executor_pid: int | None = None
        self._on_close = on_close

    @property
    def resettable(self) -> bool:
        """Never: a reset would kill the container's own processes (its desktop, its VNC)."""
        return False

    async def reset(self) -> None:
        raise SandboxError(
            f"container {self.name} is attached, not owned: agentbench never resets it",
            "restart it yourself (e.g. `docker compose restart desktop`) for a clean state",
        )

    async def aclose(self) -> None:
        """Stop the executor (it exits when its stdin closes); the container keeps running."""
        if self.closed:
            return
        self.closed = True
        try:
            with contextlib.suppress(Exception):
                await self.channel.aclose()
            await asyncio.shield(asyncio.to_thread(self._wait_executor_gone))
        finally:
            if self._on_close is not None:
                self._on_close()

    def _wait_executor_gone(self) -> None:
        api = self.container.client.api
        deadline = time.monotonic() + STOP_WAIT_S
        try:
            while api.exec_inspect(self.exec_id).get("Running"):
                if time.monotonic() > deadline:
                    self._kill_executor()
                    return
                time.sleep(0.02)
        except Exception as exc:  # the container went away: nothing left to stop
            log.debug("executor of %s: %s", self.name, exc)

    def _kill_executor(self) -> None:
        if self.executor_pid is None:
            return
        channel = DockerExecChannel(self.container.client.api, self.container.id)
        channel.run_blocking(["kill", "-KILL", str(self.executor_pid)], "0")


def find_container(client: Any, target: str) -> Any:
    """The running container named (or with the id) `target`.

    Raises:
        SandboxError: no such container, or it is not running (with the fix).
    """
    from docker.errors import NotFound

    try:
        container = client.containers.get(target)
    except NotFound:
        raise SandboxError(
            f"no container {target!r} to attach to",
            "start it first (e.g. `docker compose up -d desktop`) and check `docker ps`",
        ) from None
    if container.status != "running":
        raise SandboxError(
            f"container {target!r} is {container.status}, not running",
            f"`docker start {container.name}`",
        )
    return container


async def attach_sandbox(
    client: Any,
    container: Any,
    spec: SandboxSpec,
    *,
    on_close: Callable[[], None] | None = None,
) -> AttachedSandbox:
    """Start an executor in `container` and return a sandbox over it (workdir made if missing).

    Raises:
        SandboxError: another process runs an episode in it, or it has no python3 >= 3.7.
    """
    exec_id, channel = await _start_executor(client.api, container.id)
    default_user = (container.attrs.get("Config") or {}).get("User") or None
    sandbox = AttachedSandbox(
        spec, container, channel, exec_id=exec_id, default_user=default_user, on_close=on_close
    )
    try:
        hello = await channel.request({"op": "hello"}, 20.0)
        _check_hello(hello, container.name)
        sandbox.executor_pid = hello.get("pid")
        await _ensure_workdir(sandbox)
    except BaseException:
        await sandbox.aclose()
        raise
    return sandbox


async def _start_executor(api: Any, container_id: str) -> tuple[str, ExecutorChannel]:
    env = {EXECUTOR_ENV: executor_source(), PRELUDE_ENV: _PRELUDE}
    created = await asyncio.to_thread(
        api.exec_create, container_id, ATTACH_CMD, stdin=True, user="0", environment=env
    )
    try:
        channel = await asyncio.wait_for(
            ExecutorChannel.exec_stream(api, created["Id"]), ATTACH_TIMEOUT_S
        )
    except TimeoutError:
        raise InfrastructureError(f"could not start an executor in {container_id[:12]}") from None
    return created["Id"], channel


def _check_hello(reply: dict[str, Any], name: str) -> None:
    if reply.get("error") == "Busy":
        raise SandboxError(
            f"container {name} already runs an agentbench episode (one at a time when attached)",
            "wait for it to finish, or attach this run to another container",
        )
    if reply.get("error") == "NoExecutor":
        raise SandboxError(
            f"container {name} has no python3 >= 3.7 for agentbench's executor",
            "attach to a container of an agentbench image (e.g. the compose `desktop` service)",
        )
    raise_for_reply(reply)


async def _ensure_workdir(sandbox: AttachedSandbox) -> None:
    """Create the spec's workdir if the container lacks it (owned by the spec's user)."""
    script = '[ -d "$1" ] || { mkdir -p "$1" && { [ -z "$2" ] || chown "$2" "$1"; }; }'
    user = sandbox.user if sandbox.user not in ("root", "0") else ""
    op = {
        "op": "exec",
        "argv": ["sh", "-c", script, "sh", sandbox.spec.workdir, user],
        "cwd": "/",
        "workdir": "/",
        "user": "root",
        "env": {},
        "timeout": 30,
    }
    reply = raise_for_reply(await sandbox.channel.request(op, 30.0))
    if reply["exit_code"] != 0:
        raise SandboxError(
            f"cannot create the work dir {sandbox.spec.workdir} in {sandbox.name}: "
            f"{reply.get('stderr', '').strip()}",
            "create it in the container, or attach to a container of the task's image",
        )


def isolation_notice(container: Any, spec: SandboxSpec, image_ref: str) -> str:
    """The warning that an attached container's isolation is its own, not the task's spec."""
    host = container.attrs.get("HostConfig") or {}
    memory = host.get("Memory") or 0
    notice = (
        f"attached to container {container.name} (not created by agentbench): isolation settings "
        f"are those of the attached container (network {host.get('NetworkMode') or '?'}, "
        f"memory {f'{memory // 2**20} MiB' if memory else 'unlimited'}, "
        f"privileged {bool(host.get('Privileged'))}), not the task's sandbox spec "
        f"(network {'on' if spec.network else 'off'}, {spec.memory_mb} MiB); "
        "nothing is reset or removed between episodes"
    )
    image = (container.attrs.get("Config") or {}).get("Image", "")
    if image and image != image_ref:
        notice += f"; its image is {image}, the task asks for {image_ref}"
    return notice
