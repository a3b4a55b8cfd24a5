"""Repository-wide pytest rules (core tests and every plugin's tests).

Tests marked `docker` need a Docker engine. Without one they are skipped with the reason, except
where AGENTBENCH_REQUIRE_DOCKER=1 (.ci/run sets it): there a missing engine fails them, so CI never
skips a Docker test.
"""

from __future__ import annotations

import os

import pytest

_engine: list[bool] = []


def _engine_answers() -> bool:
    if not _engine:
        from agentbench._sandboxes.docker.engine import ping

        _engine.append(ping())
    return _engine[0]


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is None or _engine_answers():
        return
    reason = "no Docker engine answers (start dockerd to run the docker tests)"
    if os.environ.get("AGENTBENCH_REQUIRE_DOCKER") == "1":
        pytest.fail(f"{reason}; AGENTBENCH_REQUIRE_DOCKER=1 forbids skipping", pytrace=False)
    pytest.skip(reason)
