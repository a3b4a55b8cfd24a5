"""The `docker` sandbox backend: containers per SandboxSpec, a warm pool, crash-safe cleanup.

Options (`--sandbox-option key=value`):
    executor: use the in-container executor stream (default true); false runs every command
        with its own `docker exec`.
    max_idle: warm containers kept per pool key (default 32).
    auto_build: build a missing agentbench image on first use (default true; also
        AGENTBENCH_AUTO_BUILD=0).
    attach: name or id of a running container to run the episodes in instead of creating
        containers (e.g. the compose `desktop` service, to watch over VNC). The backend never
        resets, renames or removes it; its isolation settings are its own, not the task's spec;
        episodes in it run one at a time, and one from another process is refused.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import logging
import os
import sys
from typing import Any, ClassVar, TypeVar

from agentbench.errors import InfrastructureError, SandboxError
from agentbench.sandbox import ImageBuild, Sandbox, SandboxBackend, SandboxSpec

from .. import option_int
from . import cleanup, images
from .attach import AttachedSandbox, attach_sandbox, find_container, isolation_notice
from .channel import ExecutorChannel, raise_for_reply
from .container import (
    DockerSandbox,
    option_flag,
    remove_container,
    start_container,
)
from .engine import make_client, owner_labels, ping

log = logging.getLogger("agentbench.sandbox.docker")

# Backends not closed yet: the atexit safety net removes their containers (strong references, so a
# backend dropped without aclose() is still cleaned up at exit).
_live_backends: set[DockerBackend] = set()
_S = TypeVar("_S", bound=DockerSandbox)


class DockerBackend(SandboxBackend):
    """Runs each episode in a locked-down container (see the module docstring for options)."""

    name: ClassVar[str] = "docker"
    known_options: ClassVar[frozenset[str] | None] = frozenset(
        {"executor", "max_idle", "auto_build", "attach"}
    )

    def __init__(self, run_id: str, options: dict[str, Any] | None = None) -> None:
        super().__init__(run_id, options)
        self._client: Any = None
        self._connect_lock = asyncio.Lock()
        self._idle: dict[str, list[DockerSandbox]] = collections.defaultdict(list)
        self._live: dict[str, DockerSandbox] = {}
        self._image_locks: dict[str, asyncio.Lock] = collections.defaultdict(asyncio.Lock)
        self._image_users: dict[str, str | None] = {}
        self._no_executor: set[str] = set()
        self._failed_builds: dict[str, str] = {}
        self._closing = False
        self.attach = str(self.options.get("attach") or "").strip() or None
        self._attach_slots: dict[str, asyncio.Semaphore] = {}
        self._attach_noticed = False
        self.max_idle = option_int(self.options, "max_idle", 32)
        self.use_executor = option_flag(self.options, "executor", True)
        self.auto_build = option_flag(
            self.options, "auto_build", os.environ.get("AGENTBENCH_AUTO_BUILD", "1") != "0"
        )
        _live_backends.add(self)

    @classmethod
    def available(cls) -> bool:
        """Whether a Docker engine answers (a raw ping, well under a second)."""
        return ping()

    async def client(self) -> Any:
        """The SDK client; the first call also removes containers of dead agentbench processes."""
        async with self._connect_lock:
            if self._client is None:
                client = await asyncio.to_thread(make_client)
                await asyncio.to_thread(cleanup.remove_orphans, client)
                self._client = client
        return self._client

    async def acquire(self, spec: SandboxSpec, *, label: str = "") -> Sandbox:
        if self._closing:
            raise InfrastructureError("the docker backend is closing")
        if self.attach:
            return await self._attached(spec)
        sandbox = await self._warm(spec)
        if sandbox is None:
            sandbox = await self._start(spec, label)
        return await self._hand_out(sandbox, spec)

    async def _hand_out(self, sandbox: _S, spec: SandboxSpec) -> _S:
        """Track `sandbox` and place the episode's files (discarded again on failure)."""
        self._live[sandbox.id] = sandbox
        if self._closing:  # aclose() ran while the container was starting
            await self._discard(sandbox)
            raise InfrastructureError("the docker backend is closing")
        try:
            await sandbox.prepare(spec)
        except BaseException:
            await self._discard(sandbox)
            raise
        return sandbox

    async def _attached(self, spec: SandboxSpec) -> AttachedSandbox:
        """A sandbox in the `attach` container, once the previous episode in it has ended."""
        assert self.attach is not None
        client = await self.client()
        container = await asyncio.to_thread(find_container, client, self.attach)
        if not self._attach_noticed:
            self._attach_noticed = True
            ref = images.image_ref(spec.image)
            log.warning("%s", isolation_notice(container, spec, ref))
        slot = self._attach_slots.setdefault(container.id, asyncio.Semaphore(1))
        if slot.locked():
            log.info("waiting for the episode in container %s to end", container.name)
        await slot.acquire()
        try:
            sandbox = await attach_sandbox(client, container, spec, on_close=slot.release)
        except BaseException:
            slot.release()
            raise
        return await self._hand_out(sandbox, spec)

    async def _warm(self, spec: SandboxSpec) -> DockerSandbox | None:
        if not spec.resettable:
            return None
        idle = self._idle.get(spec.pool_key())
        while idle:
            sandbox = idle.pop()
            if sandbox.resettable:
                return sandbox
            await self._discard(sandbox)
        return None

    async def _start(self, spec: SandboxSpec, label: str) -> DockerSandbox:
        client = await self.client()
        if spec.build is not None:
            ref = await self.ensure_derived(spec.build, label)
        else:
            ref = await self.ensure_image(spec.image)
        labels = owner_labels(self.run_id, label)
        executor = self.use_executor and ref not in self._no_executor
        default_user = self._image_users.get(ref)
        try:
            sandbox = await start_container(
                client, spec, ref, labels, executor=executor, default_user=default_user
            )
            if executor and not isinstance(sandbox.channel, ExecutorChannel):
                log.warning("image %s has no python3 >= 3.7: commands use docker exec", ref)
                self._no_executor.add(ref)
            return sandbox
        except (SandboxError, InfrastructureError):
            raise
        except Exception as exc:
            raise self._engine_error(exc, f"could not start a container from {ref}") from exc

    async def ensure_derived(self, build: ImageBuild, label: str = "") -> str:
        """The tag of a task's derived image, built first (once, by content) when missing.

        Raises:
            InfrastructureError: the build failed (naming the episode and the build log).
        """
        tag = build.tag
        if tag in self._image_users:
            return tag
        async with self._image_locks[tag]:
            if tag in self._image_users:
                return tag
            if tag in self._failed_builds:  # one failed build per run, not one per episode
                raise InfrastructureError(f"{label or build.name}: {self._failed_builds[tag]}")
            client = await self.client()
            if build.base:
                await self.ensure_image(build.base)
            try:
                _tag, log_path, seconds = await asyncio.to_thread(
                    images.build_derived, client, build, echo=_echo
                )
            except SandboxError as exc:
                self._failed_builds[tag] = str(exc)
                raise InfrastructureError(f"{label or build.name}: {exc}") from None
            if seconds:
                log.warning("built %s in %.1fs (log: %s)", tag, seconds, log_path)
            info = await asyncio.to_thread(client.api.inspect_image, tag)
            self._image_users[tag] = (info.get("Config") or {}).get("User") or None
        return tag

    async def ensure_image(self, name: str) -> str:
        """The image reference for a spec's image name; a missing agentbench image is built first.

        Raises:
            SandboxError: the image is missing and cannot be built or pulled (with the fix).
        """
        ref = images.image_ref(name)
        if ref in self._image_users:
            return ref
        client = await self.client()
        async with self._image_locks[ref]:
            if ref in self._image_users:
                return ref
            if not await asyncio.to_thread(images.image_exists, client, ref):
                await self._obtain(client, ref)
            info = await asyncio.to_thread(client.api.inspect_image, ref)
            self._image_users[ref] = (info.get("Config") or {}).get("User") or None
        return ref

    async def _obtain(self, client: Any, ref: str) -> None:
        name = images.agentbench_name(ref)
        if name is None:
            try:
                log.warning("pulling image %s ...", ref)
                await asyncio.to_thread(client.images.pull, ref)
                return
            except Exception as exc:
                raise SandboxError(
                    f"image {ref} is missing and cannot be pulled ({exc})", f"docker pull {ref}"
                ) from exc
        fix = f"agentbench sandbox build {name}"
        if not self.auto_build:
            raise SandboxError(f"image {ref} is not built", fix)
        log.warning(
            "image %s is not built; building it now (minutes the first time; or run `%s`)", ref, fix
        )
        report = await asyncio.to_thread(images.build_image, client, name, echo=_echo)
        log.warning("%s", report.summary())

    async def release(self, sandbox: Sandbox, *, reusable: bool = True) -> None:
        assert isinstance(sandbox, DockerSandbox)
        key = sandbox.spec.pool_key()
        keep = reusable and sandbox.spec.resettable and sandbox.resettable and not self._closing
        if keep and len(self._idle[key]) < self.max_idle:
            try:
                await sandbox.reset()
            except (InfrastructureError, SandboxError) as exc:
                log.info("discarding sandbox %s: %s", sandbox.name, exc)
            else:
                if not self._closing:
                    self._idle[key].append(sandbox)
                    return
        await self._discard(sandbox)

    async def keep(self, sandbox: Sandbox) -> bool:
        """Leave the container running after the run (for `agentbench debug`).

        Every process the episode left is killed first (what a hostile program started must not
        run on unwatched); the files stay, and the executor keeps the container up after this
        process exits. It is renamed `agentbench-kept-...`, which automatic orphan cleanup
        spares; `agentbench sandbox prune --kept` removes it. An attached container is left as
        it is (only the executor stops).
        """
        if not isinstance(sandbox, DockerSandbox) or sandbox.closed:
            return False
        self._live.pop(sandbox.id, None)
        if isinstance(sandbox, AttachedSandbox):  # it runs on anyway: only the executor stops
            await sandbox.aclose()
            return True
        if isinstance(sandbox.channel, ExecutorChannel):
            raise_for_reply(await sandbox.channel.request({"op": "keep"}, 30.0))
        name = cleanup.KEPT_PREFIX + sandbox.name.removeprefix("agentbench-")
        await asyncio.to_thread(sandbox.container.rename, name)
        await asyncio.to_thread(sandbox.container.reload)
        return True

    async def _discard(self, sandbox: DockerSandbox) -> None:
        self._live.pop(sandbox.id, None)
        await sandbox.aclose()

    async def aclose(self) -> None:
        """Remove every container this backend created (also on Ctrl-C: removal is shielded)."""
        self._closing = True
        _live_backends.discard(self)
        sandboxes = list(self._live.values()) + [s for idle in self._idle.values() for s in idle]
        self._idle.clear()
        self._live.clear()
        if sandboxes:
            await asyncio.shield(
                asyncio.gather(*(s.aclose() for s in sandboxes), return_exceptions=True)
            )
        if self._client is not None:
            client, self._client = self._client, None
            await asyncio.to_thread(client.close)

    def close_now(self) -> None:
        """Blocking removal of what is left (the atexit safety net when aclose never ran)."""
        sandboxes = list(self._live.values()) + [s for idle in self._idle.values() for s in idle]
        self._live.clear()
        self._idle.clear()
        for sandbox in sandboxes:
            sandbox.closed = True
            if not isinstance(sandbox, AttachedSandbox):  # its executor ends with this process
                remove_container(sandbox.container)

    def _engine_error(self, exc: Exception, what: str) -> Exception:
        if not ping():
            return InfrastructureError(f"{what}: the Docker engine stopped answering ({exc})")
        return InfrastructureError(f"{what}: {exc}")


def _echo(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@atexit.register
def _remove_leftovers() -> None:
    for backend in list(_live_backends):
        with contextlib.suppress(Exception):
            backend.close_now()
