"""RepoClassBench in Docker: the fixture repository's derived image, built once and reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentbench import RunConfig, run_async

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_ready")]
FIXTURES = Path(__file__).parent / "fixtures" / "repoclass"


async def _run(model: str, tmp_path: Path) -> dict:
    summary = await run_async(
        RunConfig(
            task="repoclassbench",
            model=model,
            task_options={
                "data": str(FIXTURES / "python_data.json"),
                "repos": str(FIXTURES / "repos"),
            },
            sandbox="docker",
            run_dir=str(tmp_path / "runs"),
            progress="none",
        )
    )
    return summary.model_dump()


async def test_oracle_passes_and_null_fails_in_the_repositorys_own_image(tmp_path: Path) -> None:
    oracle = await _run("oracle", tmp_path)  # builds the image unless it exists
    assert oracle["metrics"]["pass@1"] == 1.0 and oracle["infra_errors"] == 0, oracle
    null = await _run("null", tmp_path)  # the same image, reused
    assert null["metrics"]["pass@1"] == 0.0 and null["infra_errors"] == 0, null
    import docker

    client = docker.from_env()
    try:
        tags = [t for i in client.images.list() for t in i.tags if "repoclass-geo__shapes" in t]
    finally:
        client.close()
    assert len(tags) >= 1
