"""agentbench's pytest plugin (entry point `pytest11`): what a plugin's own tests need.

Installed with agentbench, it is active in any project whose tests run pytest:

- `async def` tests run without configuration (each gets pytest-asyncio's `asyncio` mark, so a
  plugin's repository needs no `asyncio_mode = "auto"`);
- the markers `docker` (needs an engine and the sandbox images) and `slow` are registered;
- fixtures:
    - `agentbench_run_dir`: a temporary `--run-dir` for runs made in a test;
    - `docker_required`: skips the test when no Docker engine answers, or fails it when
      `AGENTBENCH_REQUIRE_DOCKER=1` (set that in CI, so Docker tests never skip silently);
      `require_docker("python", ...)` does the same and also wants those sandbox images built;
      `build_images("desktop", ...)` builds the missing ones instead (for a test that starts
      containers itself);
    - `openai_server`, `anthropic_server`: local servers speaking those wire protocols
      (`agentbench.fakeservers`), started on 127.0.0.1 for the test; point a provider at
      `server.base_url`;
    - `file_server`: a static file server (`agentbench.fakeservers.FileServer`) for testing a
      loader's download path: write files under `file_server.root`, fetch `file_server.url + name`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

try:  # async fixtures need pytest-asyncio's decorator in its strict mode
    from pytest_asyncio import fixture as async_fixture
except ImportError:  # pragma: no cover - without pytest-asyncio there are no async tests
    async_fixture = pytest.fixture


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # pytest-asyncio warns (an error under filterwarnings=error) while its fixture loop scope is
    # unset; a plugin's tests should not need that line, so unset means "function" here.
    key = "asyncio_default_fixture_loop_scope"
    try:
        if not config.getini(key):
            config._inicache[key] = "function"  # what getini() returns for it from now on
    except (ValueError, AttributeError):  # no pytest-asyncio, or a pytest without the cache
        pass
    config.addinivalue_line(
        "markers", "docker: needs a running Docker engine and the sandbox images"
    )
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: Any, name: str, obj: Any) -> None:
    """Mark coroutine tests for pytest-asyncio before it collects them (no asyncio_mode needed)."""
    if not inspect.iscoroutinefunction(obj) or not collector.funcnamefilter(name):
        return
    try:
        import pytest_asyncio  # noqa: F401
    except ImportError:
        return
    marks = getattr(obj, "pytestmark", [])
    if not any(getattr(m, "name", None) == "asyncio" for m in marks):
        pytest.mark.asyncio(obj)  # records the mark on the function itself


@pytest.fixture
def agentbench_run_dir(tmp_path: Path) -> Path:
    """A fresh directory for the runs a test makes (`run_dir=str(agentbench_run_dir)`)."""
    path = tmp_path / "runs"
    path.mkdir()
    return path


def require_docker(*images: str) -> None:
    """Skip the calling test without a Docker engine or one of the sandbox `images` built.

    `images` are sandbox image names (`"python"` for `agentbench/python:latest`). Under
    `AGENTBENCH_REQUIRE_DOCKER=1` the test fails instead, so CI never skips Docker tests silently.
    Call it from a fixture of any scope (a session fixture checks the images once).
    """
    reason = _docker_missing(images)
    if reason is None:
        return
    if os.environ.get("AGENTBENCH_REQUIRE_DOCKER") == "1":
        pytest.fail(f"{reason}; AGENTBENCH_REQUIRE_DOCKER=1 forbids skipping")
    pytest.skip(reason)


def build_images(*images: str) -> list[str]:
    """Build the sandbox `images` that are missing (as an episode's first use would), after the
    Docker check of `require_docker()`; return their references.

    For a test that starts containers itself (with the Docker SDK) rather than through an
    episode: a fresh machine has only what the quickstart built, and a plain `containers.run`
    would try to pull an agentbench image from a registry instead of building it.
    """
    import asyncio

    from agentbench.plugins import get_registry

    require_docker()

    async def ensure() -> list[str]:
        backend = get_registry().sandbox("docker")("testing", {})
        try:
            return [await backend.ensure_image(name) for name in images]
        finally:
            await backend.aclose()

    return asyncio.run(ensure())


def _docker_missing(images: tuple[str, ...]) -> str | None:
    from agentbench.plugins import get_registry

    if not get_registry().sandbox("docker").available():
        return "no Docker engine answers (start dockerd to run the docker tests)"
    if not images:
        return None
    import docker

    client = docker.from_env()
    try:
        for name in images:
            tag = f"agentbench/{name}:latest"
            try:
                client.images.get(tag)
            except docker.errors.ImageNotFound:
                return f"image {tag} is not built (agentbench sandbox build {name})"
    finally:
        client.close()
    return None


@pytest.fixture
def docker_required() -> None:
    """Skip without a Docker engine (fail instead under AGENTBENCH_REQUIRE_DOCKER=1)."""
    require_docker()


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[Any]:
    """A `FileServer` serving `tmp_path / "www"`: put files in `.root`, download from `.url`."""
    from agentbench.fakeservers import FileServer

    with FileServer(tmp_path / "www") as server:
        yield server


@async_fixture
async def openai_server() -> AsyncIterator[Any]:
    """A local OpenAI-compatible server (Chat Completions) for the test."""
    from agentbench.fakeservers import FakeOpenAIServer

    async with FakeOpenAIServer(api_key="sk-test") as server:
        yield server


@async_fixture
async def anthropic_server() -> AsyncIterator[Any]:
    """A local Anthropic-compatible server (Messages) for the test."""
    from agentbench.fakeservers import FakeAnthropicServer

    async with FakeAnthropicServer(api_key="sk-ant-test") as server:
        yield server
