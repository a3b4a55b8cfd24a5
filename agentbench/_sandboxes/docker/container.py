"""One sandbox, one container: how a SandboxSpec becomes a locked-down container."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import posixpath
import uuid
from importlib import resources
from typing import Any

from agentbench.errors import InfrastructureError
from agentbench.sandbox import Sandbox, SandboxSpec
from agentbench.types import ExecResult

from .. import option_flag
from .channel import DockerExecChannel, ExecutorChannel, raise_for_reply

log = logging.getLogger("agentbench.sandbox.docker")

# Root in the container keeps only what the executor needs to run commands as the unprivileged
# user, stop them and clean up after them; commands run as that user have no capabilities at all.
EXECUTOR_CAPS = ["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETUID", "SETGID"]
KEEPALIVE = ["sleep", "2147483647"]
EXECUTOR_ENV = "AGENTBENCH_EXECUTOR"
# The program travels in an env var that it removes from its own environment (so commands never
# see it); its command line stays short for an agent that runs `ps`.
# Images without a python3 >= 3.7 answer the first request (the hello, id 1) with NoExecutor and
# idle: the same container then serves plain docker exec, no restart needed.
_NO_EXECUTOR = '{"id": 1, "ok": false, "error": "NoExecutor", "message": "no python3 >= 3.7"}'
EXECUTOR_CMD = [
    "sh",
    "-c",
    "if python3 -c 'import sys; sys.exit(sys.version_info < (3, 7))' 2>/dev/null; then "
    f'exec python3 -I -u -c "import os;exec(os.environ.pop({EXECUTOR_ENV!r}))"; fi; '
    f"read -r _; echo '{_NO_EXECUTOR}'; exec {' '.join(KEEPALIVE)}",
]
ATTACH_TIMEOUT_S = 30.0
TMPFS_FLAGS = "rw,exec,nosuid,nodev"


def executor_source() -> str:
    """The in-container executor program (a standalone script)."""
    return resources.files(__package__).joinpath("executor_main.py").read_text()


def home_dir(user: str | None) -> str | None:
    """Where a named user's (tmpfs) home goes; None for root, numeric ids and the image default."""
    if not user or user in ("root", "0") or user.split(":")[0].isdigit():
        return None
    return f"/home/{user.split(':')[0]}"


def writable_dirs(spec: SandboxSpec) -> list[dict[str, Any]]:
    """The tmpfs mounts of a sandbox, i.e. everything a command can write (root is read-only)."""
    dirs: list[dict[str, Any]] = [
        {"path": "/tmp", "mode": 0o1777},
        {"path": "/dev/shm", "mode": 0o1777},
    ]
    if option_flag(spec.options, "tmpfs_workdir", True):
        dirs.append({"path": spec.workdir, "mode": 0o755, "owned": True})
    home = home_dir(spec.user)
    if home and home != spec.workdir:
        dirs.append({"path": home, "mode": 0o755, "owned": True})
    return dirs


def tmpfs_sizes(spec: SandboxSpec) -> dict[str, int]:
    """MiB per writable mount, all of them together within the memory limit.

    tmpfs pages count against the container's memory, so mounts that add up to more than the
    limit let a program that fills them exhaust the sandbox's memory with files no OOM kill can
    free, and take the executor down with it. The mounts share `disk_mb` (at most the memory
    limit less a quarter, and at least 128 MiB, kept for the processes): the work dir half, /tmp
    a quarter, the home dir and /dev/shm an eighth each.
    """
    headroom = max(128, spec.memory_mb // 4)
    budget = max(16, min(spec.disk_mb or spec.memory_mb, spec.memory_mb - headroom))
    shares = {spec.workdir: 4, "/tmp": 2, "/dev/shm": 1}
    home = home_dir(spec.user)
    paths = [d["path"] for d in writable_dirs(spec)]
    if home in paths and home != spec.workdir:
        shares[home] = 1
    total = sum(shares[p] for p in paths if p in shares)
    return {p: max(4, budget * shares.get(p, 1) // total) for p in [*paths, "/dev/shm"]}


def create_kwargs(
    spec: SandboxSpec, image: str, labels: dict[str, str], *, executor: bool
) -> dict[str, Any]:
    """Arguments of `containers.create` for a spec: limits, no privileges, tmpfs, labels.

    `spec.options` may loosen it for images that need it (the desktop): `read_only` (false: a
    writable root), `tmpfs_workdir` (false: the image's own work dir), `no_new_privileges`
    (false: allow sudo), `cap_add` (extra capabilities), and `shm_size`, `ports`, `extra_hosts`,
    `devices` passed through.
    """
    sizes = tmpfs_sizes(spec)
    tmpfs = {
        d["path"]: f"{TMPFS_FLAGS},size={sizes[d['path']]}m,mode={d['mode']:o}"
        for d in writable_dirs(spec)
        if d["path"] != "/dev/shm"
    }
    extra_caps = [c for c in spec.options.get("cap_add", []) if c not in EXECUTOR_CAPS]
    no_new_privileges = option_flag(spec.options, "no_new_privileges", True)
    kwargs: dict[str, Any] = {
        "image": image,
        "command": EXECUTOR_CMD if executor else KEEPALIVE,
        "environment": {EXECUTOR_ENV: executor_source()} if executor else {},
        "entrypoint": [],
        "user": "0",
        "name": f"agentbench-{labels.get('agentbench.run', 'x')[:12]}-{uuid.uuid4().hex[:8]}",
        "hostname": "sandbox",
        # detach=False is how the SDK sets StdinOnce (with stdin_open): the executor's stdin
        # closes when its one attached client (the runner) disconnects, even after a SIGKILL;
        # the executor then exits and the container stops.
        "detach": not executor,
        "stdin_open": executor,
        "tty": False,
        "init": True,
        "network_mode": "bridge" if spec.network else "none",
        "mem_limit": f"{spec.memory_mb}m",
        "memswap_limit": f"{spec.memory_mb}m",
        "nano_cpus": int(spec.cpus * 1e9),
        "pids_limit": spec.pids,
        "cap_drop": ["ALL"],
        "cap_add": EXECUTOR_CAPS + extra_caps,
        "security_opt": ["no-new-privileges:true"] if no_new_privileges else [],
        "read_only": option_flag(spec.options, "read_only", True),
        "tmpfs": tmpfs,
        "shm_size": f"{sizes['/dev/shm']}m",
        "working_dir": spec.workdir if option_flag(spec.options, "tmpfs_workdir", True) else None,
        "labels": labels,
        "log_config": {"type": "none", "config": {}},
    }
    for key in ("shm_size", "ports", "extra_hosts", "devices"):
        if key in spec.options:
            kwargs[key] = spec.options[key]
    return kwargs


class DockerSandbox(Sandbox):
    """A running container and the channel its commands go through.

    Created by `DockerBackend`; `aclose()` removes the container.
    """

    def __init__(
        self,
        spec: SandboxSpec,
        container: Any,
        channel: ExecutorChannel | DockerExecChannel,
        *,
        default_user: str | None = None,
    ) -> None:
        super().__init__(spec)
        self.container = container
        self.channel = channel
        self.default_user = default_user
        self.closed = False

    @property
    def id(self) -> str:
        return str(self.container.id)

    @property
    def name(self) -> str:
        return str(self.container.name)

    @property
    def resettable(self) -> bool:
        """Whether `reset()` can prove the container clean (executor and read-only root)."""
        return (
            isinstance(self.channel, ExecutorChannel)
            and self.channel.alive
            and option_flag(self.spec.options, "read_only", True)
            and not self.closed
        )

    @property
    def user(self) -> str:
        """Who commands run as: the spec's user, else the image's default user, else root."""
        user = self.spec.user or self.default_user or "root"
        if isinstance(self.channel, DockerExecChannel):
            return self.channel.user_alias.get(user, user)
        return user

    def path(self, path: str) -> str:
        """An absolute container path (relative paths are under the workdir)."""
        return posixpath.normpath(posixpath.join(self.spec.workdir, path))

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
        op: dict[str, Any] = {
            "op": "exec",
            "workdir": self.spec.workdir,
            "cwd": self.path(cwd) if cwd else self.spec.workdir,
            "user": user or self.user,
            "env": {**self.spec.env, **(env or {})},
            "timeout": timeout,
            "limit": self.spec.output_limit,
        }
        if isinstance(cmd, str):
            op["shell"] = cmd
        else:
            op["argv"] = [str(a) for a in cmd]
        if input is not None:
            data = input.encode() if isinstance(input, str) else input
            op["stdin"] = base64.b64encode(data).decode()
        reply = raise_for_reply(await self._request(op, timeout))
        return ExecResult(
            exit_code=reply["exit_code"],
            stdout=reply.get("stdout", ""),
            stderr=reply.get("stderr", ""),
            duration_s=reply.get("duration_s", 0.0),
            timed_out=reply.get("timed_out", False),
            truncated=reply.get("truncated", False),
        )

    async def read_file(self, path: str, *, binary: bool = False) -> str | bytes:
        reply = raise_for_reply(await self._request({"op": "read", "path": self.path(path)}))
        data = base64.b64decode(reply["data"])
        return data if binary else data.decode("utf-8")

    async def write_file(self, path: str, content: str | bytes) -> None:
        data = content.encode() if isinstance(content, str) else content
        op = {
            "op": "write",
            "path": self.path(path),
            "data": base64.b64encode(data).decode(),
            "user": self.user,
            "workdir": self.spec.workdir,
        }
        raise_for_reply(await self._request(op))

    async def _request(self, op: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        if self.closed:
            raise InfrastructureError("the sandbox was closed")
        return await self.channel.request(op, timeout)

    async def prepare(self, spec: SandboxSpec) -> None:
        """Take on an episode's spec (env, files) and place its files."""
        self.spec = spec
        for path, content in spec.files.items():
            await self.write_file(path, content)

    async def reset(self) -> None:
        """Leave nothing of the last episode: processes killed, writable dirs emptied.

        Raises:
            InfrastructureError: when something survived (the container must then be discarded).
        """
        op = {
            "op": "reset",
            "dirs": writable_dirs(self.spec),
            "user": self.user,
            "workdir": self.spec.workdir,
        }
        reply = raise_for_reply(await self._request(op, 30.0))
        if reply.get("processes_left") or reply.get("files_left"):
            raise InfrastructureError(
                f"reset left processes {reply.get('processes_left')} "
                f"and files {reply.get('files_left')}"
            )

    async def aclose(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            await self.channel.aclose()
        await asyncio.shield(asyncio.to_thread(remove_container, self.container))

    def describe(self) -> str:
        shell = "bash" if isinstance(self.channel, ExecutorChannel) else "sh"
        return f"docker exec -it -u {self.user} -w {self.spec.workdir} {self.name} {shell}"


def remove_container(container: Any) -> None:
    """Remove a container (and its anonymous volumes); already gone is fine."""
    try:
        container.remove(force=True, v=True)
    except Exception as exc:
        if "No such container" not in str(exc) and "is already in progress" not in str(exc):
            log.warning(
                "could not remove container %s: %s", getattr(container, "name", container), exc
            )


async def start_container(
    client: Any,
    spec: SandboxSpec,
    image: str,
    labels: dict[str, str],
    *,
    executor: bool,
    default_user: str | None = None,
) -> DockerSandbox:
    """Create and start a container for `spec` and connect its channel.

    With `executor`, the container's main process is the executor where the image has python3
    (3.7 or newer); otherwise the same container serves plain `docker exec`.
    """
    kwargs = create_kwargs(spec, image, labels, executor=executor)
    container = await asyncio.to_thread(client.containers.create, **kwargs)
    try:
        await asyncio.to_thread(container.start)
        channel: ExecutorChannel | DockerExecChannel | None = None
        if executor:
            channel = await _executor_channel(client, container)
        if channel is None:
            channel = await _exec_channel(client, container)
        sandbox = DockerSandbox(spec, container, channel, default_user=default_user)
        if isinstance(channel, ExecutorChannel):
            await sandbox.reset()  # hands the work dir and home to the user
        else:
            await prepare_dirs_without_executor(sandbox)
        return sandbox
    except BaseException:
        await asyncio.shield(asyncio.to_thread(remove_container, container))
        raise


async def _executor_channel(client: Any, container: Any) -> ExecutorChannel | None:
    """The executor's channel, or None when the image has no python3 to run it."""
    try:
        channel = await asyncio.wait_for(
            ExecutorChannel.attach(client.api, container.id), ATTACH_TIMEOUT_S
        )
    except TimeoutError:
        raise InfrastructureError(f"could not attach to container {container.name}") from None
    try:
        reply = await channel.request({"op": "hello"}, 20.0)
    except BaseException:
        await channel.aclose()
        raise
    if reply.get("error") == "NoExecutor":
        await channel.aclose()
        return None
    raise_for_reply(reply)
    return channel


async def _exec_channel(client: Any, container: Any) -> DockerExecChannel:
    channel = DockerExecChannel(client.api, container.id)
    code, _out, _err = await asyncio.to_thread(
        channel.run_blocking, ["sh", "-c", "command -v timeout"], "root"
    )
    channel.has_timeout = code == 0
    return channel


async def prepare_dirs_without_executor(sandbox: DockerSandbox) -> None:
    """Hand the owned tmpfs dirs to the sandbox user (the executor does it itself otherwise)."""
    channel = sandbox.channel
    assert isinstance(channel, DockerExecChannel)
    user = sandbox.user
    if user in ("root", "0"):
        return
    known = await sandbox.exec(["id", "-u", user.split(":")[0]], user="root")
    if not known.ok and user == "sandbox":  # images without the user: the executor's fallback uid
        channel.user_alias[user] = user = "1000:1000"
    owned = [d["path"] for d in writable_dirs(sandbox.spec) if d.get("owned")]
    if owned:
        await sandbox.exec(["chown", user, *owned], user="root")
