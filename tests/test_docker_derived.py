"""Images a task derives per sample: built once by content, reused by later runs, logs kept."""

from __future__ import annotations

import uuid

import pytest

from agentbench import ImageBuild, InfrastructureError, SandboxSpec

pytestmark = pytest.mark.docker


def _build(marker: str) -> ImageBuild:
    return ImageBuild(
        name="test-derived",
        base="python",
        dockerfile="FROM agentbench/python:latest\nCOPY marker.txt /opt/marker.txt\n",
        files={"marker.txt": marker.encode()},
    )


def test_the_tag_follows_the_content() -> None:
    a, b = _build("one"), _build("one")
    assert a.tag == b.tag and a.tag.startswith("agentbench/derived-test-derived:")
    assert _build("two").tag != a.tag
    spec = SandboxSpec(build=a)
    assert spec.pool_key() != SandboxSpec(build=_build("two")).pool_key()


async def test_a_derived_image_is_built_once_and_reused_by_the_next_run(
    docker_client, python_image, monkeypatch, tmp_path
) -> None:
    from agentbench._sandboxes.docker import DockerBackend

    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    build = _build(uuid.uuid4().hex)  # new content: a real build
    try:
        for run in range(2):
            backend = DockerBackend(f"test-derived-{run}", {"auto_build": "false"})
            try:
                box = await backend.acquire(SandboxSpec(build=build), label=f"s/{run}")
                out = await box.exec(["cat", "/opt/marker.txt"])
                assert out.stdout == build.files["marker.txt"].decode()
            finally:
                await backend.aclose()
        logs = list((tmp_path / "cache" / "builds").glob("*.log"))
        assert len(logs) == 1 and "COPY marker.txt" in logs[0].read_text()
        built = docker_client.api.inspect_image(build.tag)
        assert built["Config"]["Labels"]["agentbench.derived"] == "test-derived"
    finally:
        docker_client.api.remove_image(build.tag, force=True)


async def test_a_failed_build_is_an_infrastructure_error_naming_the_episode(
    docker_client, python_image, monkeypatch, tmp_path
) -> None:
    from agentbench._sandboxes.docker import DockerBackend

    monkeypatch.setenv("AGENTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    broken = ImageBuild(
        name="test-broken",
        dockerfile=f"FROM agentbench/python:latest\nRUN exit 3 # {uuid.uuid4()}\n",
    )
    backend = DockerBackend("test-derived-broken", {"auto_build": "false"})
    try:
        with pytest.raises(InfrastructureError, match=r"repo-x/0: building the derived image"):
            await backend.acquire(SandboxSpec(build=broken), label="repo-x/0")
    finally:
        await backend.aclose()
    (log,) = (tmp_path / "cache" / "builds").glob("*.log")
    assert "exit 3" in log.read_text()
