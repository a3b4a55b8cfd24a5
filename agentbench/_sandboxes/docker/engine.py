"""The Docker engine: a fast reachability probe, the SDK client, errors, ownership labels."""

from __future__ import annotations

import functools
import os
import socket
import time
from typing import Any

from agentbench.errors import SandboxError

LABEL_PREFIX = "agentbench"
LABEL_MANAGED = "agentbench.managed"
LABEL_RUN = "agentbench.run"
LABEL_EPISODE = "agentbench.episode"
LABEL_PID = "agentbench.pid"
LABEL_PID_START = "agentbench.pid_start"
LABEL_HOST = "agentbench.host"

START_FIX = (
    "start the Docker engine (e.g. `sudo systemctl start docker` or `sudo dockerd &`) "
    "or use `--sandbox local` (no isolation)"
)


def _socket_path() -> str | None:
    host = os.environ.get("DOCKER_HOST", "")
    if not host:
        return "/var/run/docker.sock"
    if host.startswith("unix://"):
        return host[len("unix://") :]
    return None


def ping(timeout: float = 1.0) -> bool:
    """Whether an engine answers, in well under a second (no SDK import for a unix socket)."""
    path = _socket_path()
    if path is None:  # tcp:// or ssh:// engines: ask the SDK
        try:
            return bool(make_client(timeout=timeout).ping())
        except SandboxError:
            return False
    if not os.path.exists(path):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return b" 200 " in sock.recv(256)
    except OSError:
        return False


def make_client(timeout: float = 120.0) -> Any:
    """A docker SDK client that has answered a ping.

    Raises:
        SandboxError: when no engine answers (with the fix).
    """
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as exc:  # pragma: no cover - docker is a core dependency
        raise SandboxError("the docker SDK is not installed", "pip install docker") from exc
    path = _socket_path()
    if path is not None and not ping():  # also spares the SDK's socket leak on a failed connect
        raise SandboxError(f"the Docker engine is not reachable (no answer on {path})", START_FIX)
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except DockerException as exc:
        raise SandboxError(
            f"the Docker engine is not reachable ({_short(exc)})", START_FIX
        ) from exc
    except OSError as exc:
        raise SandboxError(f"the Docker engine is not reachable ({exc})", START_FIX) from exc
    return client


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


@functools.cache
def process_start(pid: int) -> str:
    """The start time of a process (clock ticks since boot), so a reused pid is not mistaken."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
        return text[text.rfind(")") + 2 :].split()[19]
    except (OSError, IndexError):
        return ""


def owner_labels(run_id: str, episode: str = "") -> dict[str, str]:
    """Labels that tie a container to its run and to the process that created it."""
    pid = os.getpid()
    return {
        LABEL_MANAGED: "1",
        LABEL_RUN: run_id,
        LABEL_EPISODE: episode,
        LABEL_PID: str(pid),
        LABEL_PID_START: process_start(pid),
        LABEL_HOST: socket.gethostname(),
    }


def owner_alive(labels: dict[str, str]) -> bool:
    """Whether the process that created a container (per its labels) still runs on this host.

    Containers made on another host (a shared engine) are always treated as alive.
    """
    if labels.get(LABEL_HOST) != socket.gethostname():
        return True
    try:
        pid = int(labels.get(LABEL_PID, ""))
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    started = labels.get(LABEL_PID_START)
    return not started or process_start.__wrapped__(pid) == started


class Stopwatch:
    """Seconds since creation (for build reports)."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.start
