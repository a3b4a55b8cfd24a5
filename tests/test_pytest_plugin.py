"""The pytest plugin: its Docker guard (a missing image skips, or fails in CI) and file server."""

from __future__ import annotations

import pytest

from agentbench.pytest_plugin import build_images, require_docker

MISSING = "no-such-image-for-agentbench-tests"


@pytest.mark.docker
def test_built_image_passes_the_guard(docker_required: None) -> None:
    require_docker("python")  # .ci/run builds it; returns without skipping


@pytest.mark.docker
def test_missing_image_skips_with_the_build_command(
    docker_required: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AGENTBENCH_REQUIRE_DOCKER", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"agentbench sandbox build {MISSING}"):
        require_docker("python", MISSING)


@pytest.mark.docker
def test_missing_image_fails_when_ci_forbids_skips(
    docker_required: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTBENCH_REQUIRE_DOCKER", "1")
    with pytest.raises(pytest.fail.Exception, match="forbids skipping"):
        require_docker(MISSING)


@pytest.mark.docker
def test_build_images_returns_the_references_and_names_an_unknown_image(
    docker_required: None,
) -> None:
    from agentbench.errors import AgentbenchError

    assert build_images("python") == ["agentbench/python:latest"]
    with pytest.raises(AgentbenchError):
        build_images(MISSING)  # neither registered nor pullable here: a clear error, no pull


def test_file_server_serves_files_added_while_it_runs_and_records_requests(file_server) -> None:
    import urllib.error
    import urllib.request

    (file_server.root / "data.json").write_text("[1]")
    with urllib.request.urlopen(file_server.url + "data.json") as answer:
        assert answer.read() == b"[1]"
    with pytest.raises(urllib.error.HTTPError, match="404"):
        urllib.request.urlopen(file_server.url + "missing.json")
    assert file_server.requests == ["/data.json", "/missing.json"]
