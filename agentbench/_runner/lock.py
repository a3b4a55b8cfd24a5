"""One process per run: an advisory lock in the run directory, and run names that are safe."""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

from agentbench.errors import ConfigError

LOCK_NAME = "run.lock"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


def check_run_name(name: str) -> str:
    """A `--run-name` that is one safe path segment (and a valid container name part).

    Raises:
        ConfigError: anything else (`../x`, spaces, slashes, over 120 characters).
    """
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise ConfigError(
            f"--run-name {name[:60]!r} is not a valid run name",
            "use 1-120 letters, digits, '.', '_' or '-', starting with a letter or digit",
        )
    return name


class RunLock:
    """An exclusive `flock` on `<run_dir>/run.lock`, held while a process runs the run.

    The lock dies with its process (a SIGKILL included), so a crashed run never blocks its
    `--resume`; the file keeps the holder's pid and host for the error a second process gets.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, run_id: str) -> None:
        """Take the lock, or raise a ConfigError naming the process that holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise ConfigError(
                f"run {run_id!r} is already running in process {holder.get('pid', '?')} on "
                f"{holder.get('host', '?')} (since {holder.get('since', '?')})",
                "wait for it to finish, stop it, or choose another --run-name",
            ) from None
        os.ftruncate(fd, 0)
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        os.write(fd, json.dumps(info).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing drops the flock


def _holder(fd: int) -> dict[str, Any]:
    try:
        data = os.pread(fd, 4096, 0)
        info = json.loads(data or b"{}")
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}
