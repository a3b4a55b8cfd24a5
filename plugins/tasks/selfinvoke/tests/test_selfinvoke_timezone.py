"""The sandbox time zone option (`-T timezone=...`): BigCodeBench-Lite Pro defaults to UTC+8."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentbench_selfinvoke.tasks import BigCodeBenchLitePro, HumanEvalPro

from agentbench import ConfigError, Sample
from agentbench.testing import run_episode

# A record in the upstream format whose expected value holds only in UTC+8, like the one
# upstream problem whose expected values were computed on a machine in that zone.
RECORD = {
    "id": "BigCodeBench/tz",
    "raw_problem": "from datetime import datetime\n\ndef task_func(ts):\n",
    "raw_solution": "    return datetime.fromtimestamp(ts).strftime('%Y-%m-%d %H:%M')\n",
    "new_problem": "\ndef stamp_all(stamps):\n",
    "new_solution": "    return [task_func(t) for t in stamps]\n",
    "test_code": "\nassert stamp_all([0]) == ['1970-01-01 08:00']",
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "tz.json"
    path.write_text(json.dumps([RECORD]))
    return path


def test_the_time_zone_goes_into_the_sandbox_env() -> None:
    sample = Sample(id="x")
    assert BigCodeBenchLitePro({"data": "demo"}).sandbox_spec(sample).env["TZ"] == "Asia/Shanghai"
    utc = BigCodeBenchLitePro({"data": "demo", "timezone": "UTC"}).sandbox_spec(sample)
    assert utc.env["TZ"] == "UTC"
    assert "TZ" not in HumanEvalPro({"data": "demo"}).sandbox_spec(sample).env
    zoned = HumanEvalPro({"data": "demo", "timezone": "Europe/Paris"}).sandbox_spec(sample)
    assert zoned.env["TZ"] == "Europe/Paris"


def test_a_bad_time_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="timezone"):
        HumanEvalPro({"data": "demo", "timezone": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="timezone"):
        HumanEvalPro({"data": "demo", "timezone": "../etc/passwd"})


@pytest.mark.parametrize("sandbox", ["local", pytest.param("docker", marks=[pytest.mark.docker])])
async def test_the_oracle_passes_in_utc8_and_fails_in_utc(
    sandbox: str, data: Path, request: pytest.FixtureRequest
) -> None:
    if sandbox == "docker":
        request.getfixturevalue("docker_ready")
    run = await run_episode(
        "bigcodebench-lite-pro", options={"data": str(data)}, model="oracle", sandbox=sandbox
    )
    assert run.passed, run.explanation
    utc = await run_episode(
        "bigcodebench-lite-pro",
        options={"data": str(data), "timezone": "UTC"},
        model="oracle",
        sandbox=sandbox,
    )
    assert not utc.passed
