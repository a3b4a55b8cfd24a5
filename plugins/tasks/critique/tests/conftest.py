"""Fixtures of the critique tests: one grader (its workers start once) and the fixture data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agentbench_critique.grading import Grader

FIXTURES = Path(__file__).parent / "fixtures" / "realcritic"


@pytest.fixture(scope="session")
def grader() -> Iterator[Grader]:
    """Two grading workers with upstream's 3 s bound per comparison."""
    pool = Grader(workers=2)
    yield pool
    pool.close()
