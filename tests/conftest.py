"""Shared fixtures of the core tests (others may append theirs below).

Docker: tests that need an engine take the `docker_backend` (or `docker_client`) fixture and are
marked `docker`. Without an engine they are skipped with the reason, unless
AGENTBENCH_REQUIRE_DOCKER=1 (CI sets it), where they fail instead.
"""

from __future__ import annotations

import os
import uuid

import pytest

PYTHON_IMAGE = "agentbench/python:latest"
DESKTOP_IMAGE = "agentbench/desktop:latest"
BASE_IMAGE = "debian:bookworm-slim"


def _missing(reason: str) -> None:
    if os.environ.get("AGENTBENCH_REQUIRE_DOCKER") == "1":
        pytest.fail(f"{reason} (AGENTBENCH_REQUIRE_DOCKER=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client():
    """A docker SDK client to a running engine (skips, or fails in CI, without one)."""
    from agentbench._sandboxes.docker.engine import make_client, ping

    if not ping():
        _missing("no Docker engine answers (start dockerd to run the docker tests)")
    client = make_client()
    yield client
    client.close()


def _need_image(client, ref: str, fix: str) -> str:
    """The image, built first when it is one of agentbench's and missing (as `agentbench run`
    does; AGENTBENCH_AUTO_BUILD=0 skips instead)."""
    from agentbench._sandboxes.docker.images import agentbench_name, image_exists
    from agentbench.pytest_plugin import build_images

    if not image_exists(client, ref):
        name = agentbench_name(ref)
        if name is None or os.environ.get("AGENTBENCH_AUTO_BUILD") == "0":
            _missing(f"image {ref} is not built ({fix})")
        build_images(name)  # as an episode's first use builds it
    return ref


@pytest.fixture(scope="session")
def python_image(docker_client) -> str:
    """agentbench's python image (built here if missing; `agentbench sandbox build python`)."""
    return _need_image(docker_client, PYTHON_IMAGE, "agentbench sandbox build python")


@pytest.fixture(scope="session")
def desktop_image(docker_client) -> str:
    """agentbench's desktop image (built here if missing: a fresh machine has only python)."""
    return _need_image(docker_client, DESKTOP_IMAGE, "agentbench sandbox build desktop")


@pytest.fixture(scope="session")
def base_image(docker_client) -> str:
    """The base image without python3 (exercises the plain docker exec fallback)."""
    return _need_image(docker_client, BASE_IMAGE, "bash sandboxes/base/bootstrap.sh or docker pull")


@pytest.fixture
async def docker_backend(docker_client, python_image):
    """A docker backend of a fresh run; afterwards no container of that run may be left."""
    from agentbench._sandboxes.docker import DockerBackend
    from agentbench._sandboxes.docker.cleanup import list_containers

    run_id = f"test-{uuid.uuid4().hex[:10]}"
    backend = DockerBackend(run_id, {"auto_build": "false"})
    yield backend
    await backend.aclose()
    left = list_containers(docker_client, run_id)
    assert not left, f"containers left behind: {[c.name for c in left]}"
