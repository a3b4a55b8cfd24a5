"""`-S attach=NAME`: episodes in a running desktop container started as compose.yaml starts it,
so a person watching over VNC sees the agent work. Needs the agentbench/desktop image.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from agentbench.errors import SandboxError
from agentbench.testing import run_episode

pytestmark = pytest.mark.docker

COMPOSE = Path(__file__).resolve().parents[1] / "compose.yaml"
SAMPLE = "make-project-folders"


def _compose_desktop_kwargs() -> dict[str, Any]:
    """`containers.run` arguments with compose.yaml's settings for the `desktop` service.

    The published VNC port gets a free host port (same host address), so a desktop already up on
    5900 does not clash; the container name is unique for the same reason.
    """
    service = yaml.safe_load(COMPOSE.read_text())["services"]["desktop"]
    ports: dict[str, tuple[str, None]] = {}
    for entry in service["ports"]:
        host_ip, _host_port, container_port = str(entry).rsplit(":", 2)
        ports[f"{container_port}/tcp"] = (host_ip, None)
    return {
        "image": service["image"],
        "environment": service.get("environment", {}),
        "ports": ports,
        "shm_size": service.get("shm_size"),
        "name": f"{service['container_name']}-test-{uuid.uuid4().hex[:8]}",
        "detach": True,
    }


@pytest.fixture
def desktop(docker_client: Any, desktop_image: str) -> Iterator[Any]:
    """A desktop container as `docker compose up -d desktop` runs it; removed afterwards."""
    container = docker_client.containers.run(**_compose_desktop_kwargs())
    try:
        container.reload()
        yield container
    finally:
        container.remove(force=True, v=True)


def _vnc_address(container: Any) -> tuple[str, int]:
    binding = container.attrs["NetworkSettings"]["Ports"]["5900/tcp"][0]
    return binding["HostIp"], int(binding["HostPort"])


def _rfb_greeting(address: tuple[str, int], wait_s: float = 30.0) -> bytes:
    """What a VNC client reads first from the port: the RFB protocol version line."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with socket.create_connection(address, timeout=5) as sock:
                data = b""
                while len(data) < 12:
                    chunk = sock.recv(12 - len(data))
                    if not chunk:
                        break
                    data += chunk
                if data:
                    return data
        except OSError:
            pass
        if time.monotonic() > deadline:
            return b""
        time.sleep(0.3)


def _solution() -> dict[str, list[Any]]:
    from agentbench_osworld.task import OSWorldTask

    task = OSWorldTask()
    sample = next(s for s in task.samples() if s.id == SAMPLE)
    return {SAMPLE: task.reference(sample)}


def test_compose_publishes_vnc_only_on_localhost():
    for entry in yaml.safe_load(COMPOSE.read_text())["services"]["desktop"]["ports"]:
        assert str(entry).startswith("127.0.0.1:"), "VNC has no password: localhost only"


async def test_an_attached_episode_scores_and_leaves_the_desktop_running(desktop, caplog):
    from agentbench_osworld.task import OSWorldTask

    address = _vnc_address(desktop)
    assert address[0] == "127.0.0.1"
    assert (await asyncio.to_thread(_rfb_greeting, address)).startswith(b"RFB 003.00")

    run = await run_episode(
        OSWorldTask({"settle_seconds": 0.2}),
        sample_id=SAMPLE,
        model=_solution(),
        sandbox="docker",
        sandbox_options={"attach": desktop.name},
        raise_errors=False,
    )
    assert run.result.status == "ok", run.result.error
    assert run.score is not None and run.score.value == 1, run.explanation
    assert desktop.name in run.events_of("sandbox")[0]["description"]
    assert "isolation settings are those of the attached container" in caplog.text

    desktop.reload()
    assert desktop.status == "running"
    assert (await asyncio.to_thread(_rfb_greeting, address)).startswith(b"RFB 003.00")
    # nothing was reset: the agent's work and the desktop's processes are still there
    listing = desktop.exec_run(["ls", "/home/user/Documents/projects"], user="user")
    assert listing.output.decode().split() == ["2023", "2024"]
    processes = desktop.exec_run(["ps", "-eo", "args"]).output.decode()
    assert "Xvfb" in processes and "x11vnc" in processes
    assert "AGENTBENCH" not in processes and "python3 -I -u" not in processes  # executor gone


async def test_one_episode_at_a_time_in_an_attached_container(desktop):
    from agentbench._sandboxes.docker.backend import DockerBackend
    from agentbench.sandbox import SandboxSpec

    spec = SandboxSpec(image="desktop", user="user", workdir="/home/user/work")
    first = DockerBackend("attach-a", {"attach": desktop.name})
    other = DockerBackend("attach-b", {"attach": desktop.id})  # as another process would
    try:
        box = await first.acquire(spec)
        assert (await box.exec("id -un; pwd")).stdout.split() == ["user", "/home/user/work"]
        with pytest.raises(SandboxError, match="already runs an agentbench episode"):
            await other.acquire(spec)
        waiting = asyncio.ensure_future(first.acquire(spec))  # the same run waits its turn
        await asyncio.sleep(0.5)
        assert not waiting.done()
        await first.release(box)
        second = await asyncio.wait_for(waiting, 30)
        assert (await second.exec(["echo", "ok"])).stdout == "ok\n"
        await first.release(second)
        third = await other.acquire(spec)  # free again once the run's episodes ended
        await other.release(third)
    finally:
        await first.aclose()
        await other.aclose()
    desktop.reload()
    assert desktop.status == "running"


async def test_attaching_to_a_missing_container_says_how_to_start_it():
    from agentbench._sandboxes.docker.backend import DockerBackend
    from agentbench.sandbox import SandboxSpec

    backend = DockerBackend("attach-missing", {"attach": f"no-such-{uuid.uuid4().hex[:8]}"})
    try:
        with pytest.raises(SandboxError, match="docker compose up -d desktop"):
            await backend.acquire(SandboxSpec(image="desktop"))
    finally:
        await backend.aclose()
