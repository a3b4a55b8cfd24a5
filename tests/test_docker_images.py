"""agentbench's images: names, compose parity, the python image's libraries, cached builds."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest
import yaml

from agentbench._sandboxes.docker import images
from agentbench.sandbox import SandboxSpec

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = (
    "numpy pandas matplotlib sklearn scipy seaborn statsmodels holidays pytz dateutil regex docx "
    "openpyxl gensim bs4 PIL nltk PyPDF2 reportlab"
).split()


def test_short_names_mean_agentbench_images():
    assert "python" in images.known_images()
    assert images.image_ref("python") == "agentbench/python:latest"
    assert images.image_ref("debian:bookworm-slim") == "debian:bookworm-slim"
    assert images.image_ref("someone/python") == "someone/python"
    assert images.agentbench_name("agentbench/python:latest") == "python"
    assert images.agentbench_name("agentbench/python:1.0") is None


def test_compose_builds_the_images_with_the_same_tags_and_contexts():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert "python" in services
    for name, service in services.items():
        if "build" not in service:
            continue
        context = ROOT / service["build"]["context"]
        assert context.name in images.known_images() and (context / "Dockerfile").is_file()
        assert service["image"] == f"agentbench/{context.name}:latest", name


@pytest.mark.docker
async def test_python_image_has_python_3_11_and_the_benchmark_libraries(docker_backend):
    box = await docker_backend.acquire(SandboxSpec(image="python"), label="libs")
    program = f"import sys, {', '.join(LIBRARIES)}; print(sys.version_info[:2])"
    r = await box.exec(["python", "-c", program], timeout=120)
    assert r.ok, r.stderr
    assert r.stdout.strip() == "(3, 11)"
    plot = "import matplotlib.pyplot as plt; plt.plot([1, 2]); plt.savefig('p.png'); print('ok')"
    assert (await box.exec(["python", "-c", plot], timeout=60)).stdout == "ok\n"


@pytest.mark.docker
def test_rebuilding_an_image_reuses_the_layer_cache(docker_client, python_image):
    before = docker_client.api.inspect_image(python_image)["Id"]
    lines: list[str] = []
    report = images.build_image(docker_client, "python", echo=lines.append)
    assert report.tag == python_image and report.base == "present"
    assert report.image_id == before, "an unchanged Dockerfile must give the same image"
    assert report.cached_steps > 5 and report.seconds < 120, report.summary()
    assert any(line.startswith("Step ") for line in lines)


@pytest.mark.docker
async def test_missing_agentbench_image_is_built_on_first_use(
    docker_client, base_image, tmp_path, monkeypatch, caplog
):
    from agentbench._sandboxes.docker import DockerBackend

    name = f"tiny{uuid.uuid4().hex[:8]}"
    (tmp_path / name).mkdir()
    dockerfile = f"ARG BASE_IMAGE\nFROM ${{BASE_IMAGE}}\nRUN echo {name} > /marker\n"
    (tmp_path / name / "Dockerfile").write_text(dockerfile)
    monkeypatch.setattr(images, "images_dir", lambda: tmp_path)
    backend = DockerBackend(f"test-{name}")
    try:
        with caplog.at_level(logging.WARNING, logger="agentbench.sandbox.docker"):
            box = await backend.acquire(SandboxSpec(image=name), label="autobuild")
        assert f"image agentbench/{name}:latest is not built; building it now" in caplog.text
        assert (await box.exec("cat /marker")).stdout == f"{name}\n"
    finally:
        await backend.aclose()
        docker_client.api.remove_image(f"agentbench/{name}:latest", force=True)


def test_images_a_plugin_registers_are_known_and_built_from_its_folder(monkeypatch) -> None:
    from agentbench import SandboxImage

    fake = SandboxImage(context=Path("/somewhere/in/a/plugin"), build_args={"X": "1"})
    monkeypatch.setattr(images, "plugin_images", lambda: {"plugged": fake})
    assert "plugged" in images.known_images() and "python" in images.known_images()
    assert images.image_ref("plugged") == "agentbench/plugged:latest"
    assert images.image_source("plugged") == (Path("/somewhere/in/a/plugin"), {"X": "1"})
    assert images.image_source("python")[0] == images.images_dir() / "python"
