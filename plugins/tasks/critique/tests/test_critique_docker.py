"""A python block in a critique runs in the docker sandbox and its output is fed back."""

from __future__ import annotations

from pathlib import Path

import pytest
from agentbench_critique.tasks import RealCritic

from agentbench.pytest_plugin import require_docker
from agentbench.testing import run_episode

FIXTURES = Path(__file__).parent / "fixtures" / "realcritic"


@pytest.fixture(scope="module")
def docker_ready() -> None:
    """Skip (or fail, with AGENTBENCH_REQUIRE_DOCKER=1) without an engine and the python image."""
    require_docker("python")


@pytest.mark.docker
async def test_code_block_runs_in_docker_and_feeds_back(docker_ready: None) -> None:
    task = RealCritic({"data": str(FIXTURES), "tasks": "gsm8k", "protocol": "cross"})
    code = (
        "Step 2 is wrong; recompute.\n"
        "```python\n"
        "import os, sys\n"
        "pens = 2 * 2\n"
        "print(pens + 5, os.getuid() != 0, sys.version_info[:2] >= (3, 11))\n"
        "```"
    )
    final = "The corrected total is \\boxed{9}."
    run = await run_episode(task, sample_id="gsm8k/1", model=[code, final], sandbox="docker")
    assert run.passed, run.explanation
    fed_back = run.context.messages[3].content
    assert fed_back == "\n```output\n9 True True\n```\n"  # ran as the sandbox user
    assert run.score.details["transition"] == "I->C"
