"""Sandbox base classes and the spec a task hands to a backend.

A *backend* (registered through `register_sandboxes`) turns a `SandboxSpec` into a `Sandbox`. The
runner acquires one sandbox per episode and releases it afterwards; a backend may keep released
sandboxes warm and hand them out again when the spec says the sandbox is `resettable`.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from agentbench.types import ExecResult


class SandboxImage(BaseModel):
    """An image a plugin ships: its build context inside the plugin's distribution.

    Registered with `register_sandbox_images` (`register("desktop", SandboxImage(context=...))`),
    built by `agentbench sandbox build NAME` or on first use, tagged `agentbench/<name>:latest`.
    The Dockerfile gets `--build-arg BASE_IMAGE=debian:bookworm-slim` (agentbench bootstraps that
    base where no registry answers) and may use `extra-ca.crt`, the host's CA bundle, when the
    build needs it behind a TLS-intercepting proxy.

    Attributes:
        context: The folder with the Dockerfile (use `Path(__file__).parent / ...`).
        build_args: Extra `--build-arg`s (a variant of another image, e.g. {"APPS": "all"}).
        description: One line for `agentbench sandbox list`.
    """

    model_config = ConfigDict(frozen=True)

    context: Path
    build_args: dict[str, str] = Field(default_factory=dict)
    description: str = ""


class ImageBuild(BaseModel):
    """An image a task derives for its samples (one per repository and commit, say).

    The backend builds it once per content (`digest`), tags it `agentbench/derived-<name>:<digest
    prefix>`, reuses it in later episodes and runs, and keeps each build's log. A failed build is
    an infrastructure error of the samples that need it, named in the error.

    Attributes:
        name: A short name for the tag and the messages (e.g. "repoclass-geo-shapes").
        dockerfile: The Dockerfile's text.
        files: The build context's other files, by relative path.
        base: An agentbench image the Dockerfile builds FROM (e.g. "python"); it is built first
            when missing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dockerfile: str
    files: dict[str, bytes] = Field(default_factory=dict)
    base: str | None = None

    @property
    def digest(self) -> str:
        """A content hash of the Dockerfile, the base and every file (path and bytes)."""
        import hashlib

        h = hashlib.sha256(self.dockerfile.encode() + b"\0" + (self.base or "").encode())
        for path in sorted(self.files):
            h.update(b"\0" + path.encode() + b"\0")
            h.update(hashlib.sha256(self.files[path]).digest())
        return h.hexdigest()

    @property
    def tag(self) -> str:
        """`agentbench/derived-<name>:<first 16 hex digits of the digest>`."""
        import re

        slug = re.sub(r"[^a-z0-9_.-]+", "-", self.name.lower()).strip("-.")[:60] or "image"
        return f"agentbench/derived-{slug}:{self.digest[:16]}"


class SandboxSpec(BaseModel):
    """What a task needs from its sandbox.

    Attributes:
        image: Image name. Short names ("python", "desktop") mean agentbench's own images
            (`agentbench/<name>:latest`, built by `agentbench sandbox build`).
        cpus: CPU limit (cores, may be fractional).
        memory_mb: Memory limit in MiB (swap included).
        pids: Maximum number of processes.
        network: Whether the sandbox may reach the network (off by default).
        disk_mb: Size limit of the writable work dir where the backend supports it.
        workdir: The writable directory commands run in.
        user: The user commands run as (non-root by default).
        env: Environment for every command.
        files: Files to place before setup: path (relative to workdir or absolute) -> content.
        resettable: The task allows reuse of a warm sandbox after a reset that removes every trace
            of the previous episode.
        output_limit: Bytes of stdout/stderr kept per command; the rest is cut and marked.
        options: Backend-specific settings (e.g. shm size, extra ports for the desktop).
        build: An image derived for this sample, built (once per content) and used instead of
            `image` by backends that build images (docker); others ignore it.
    """

    model_config = ConfigDict(extra="forbid")

    image: str = "python"
    cpus: float = 1.0
    memory_mb: int = 1024
    pids: int = 256
    network: bool = False
    disk_mb: int | None = 512
    workdir: str = "/work"
    user: str | None = "sandbox"
    env: dict[str, str] = Field(default_factory=dict)
    files: dict[str, str | bytes] = Field(default_factory=dict)
    resettable: bool = True
    output_limit: int = 1_000_000
    options: dict[str, Any] = Field(default_factory=dict)
    build: ImageBuild | None = None

    def pool_key(self) -> str:
        """Sandboxes with the same key are interchangeable after a reset (files excluded)."""
        key = self.model_dump_json(exclude={"files", "env", "build"})
        return key if self.build is None else f"{key}#{self.build.digest}"


class Sandbox(abc.ABC):
    """A place where an episode's commands run.

    `isolated` is False for backends that give no isolation (the `local` one): the CLI warns.
    """

    isolated: ClassVar[bool] = True

    def __init__(self, spec: SandboxSpec) -> None:
        self.spec = spec

    @abc.abstractmethod
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
        """Run a command (a shell string, or an argv list run without a shell).

        On timeout the whole process tree of the command is killed and the result has
        `timed_out=True` and exit code 124.
        """

    @abc.abstractmethod
    async def read_file(self, path: str, *, binary: bool = False) -> str | bytes:
        """Read a file (relative paths are under the workdir). Raises FileNotFoundError."""

    @abc.abstractmethod
    async def write_file(self, path: str, content: str | bytes) -> None:
        """Write a file, creating parent directories (relative paths are under the workdir)."""

    async def aclose(self) -> None:  # noqa: B027 - optional for backends with nothing to free
        """Free the sandbox for good."""

    def describe(self) -> str:
        """A line a person can use to get inside (e.g. a `docker exec -it` command)."""
        return f"{type(self).__name__} (no shell access)"


class SandboxBackend(abc.ABC):
    """Creates, pools and cleans up the sandboxes of one run.

    Args:
        run_id: The run the sandboxes belong to (docker labels them with it).
        options: Backend options from `--sandbox-option key=value`.
    """

    name: ClassVar[str] = ""
    #: The `-S` options this backend understands; any other is an error (None: not checked).
    known_options: ClassVar[frozenset[str] | None] = None

    def __init__(self, run_id: str, options: dict[str, Any] | None = None) -> None:
        self.run_id = run_id
        self.options = dict(options or {})
        self.check_options(self.options)

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> None:
        """Raise a ConfigError for a `-S` option this backend does not know."""
        if cls.known_options is None:
            return
        unknown = sorted(set(options) - cls.known_options)
        if unknown:
            from agentbench.errors import ConfigError

            known = ", ".join(sorted(cls.known_options)) or "none"
            raise ConfigError(
                f"unknown sandbox option {unknown[0]!r} for {cls.name or cls.__name__}",
                f"known options: {known}",
            )

    @classmethod
    def available(cls) -> bool:
        """Whether this backend can be used on this machine (e.g. a Docker engine answers)."""
        return True

    @abc.abstractmethod
    async def acquire(self, spec: SandboxSpec, *, label: str = "") -> Sandbox:
        """A ready sandbox for `spec` with `spec.files` in place (warm one reset, or a new one)."""

    async def release(self, sandbox: Sandbox, *, reusable: bool = True) -> None:
        """Hand a sandbox back after an episode; the default closes it."""
        await sandbox.aclose()

    async def keep(self, sandbox: Sandbox) -> bool:
        """Leave `sandbox` running after the run, for a person to get in (`agentbench debug`).

        A kept sandbox is left out of `aclose()`; its `describe()` line says how to get in.
        Returns False (the default) when the backend cannot keep one; the caller then releases it.
        """
        return False

    async def aclose(self) -> None:  # noqa: B027 - optional
        """Close every sandbox this backend created in this run (except kept ones)."""
