"""The pytest plugin's Docker guard: a missing image skips a test, or fails it in CI."""

from __future__ import annotations

import pytest

from agentbench.pytest_plugin import require_docker

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
