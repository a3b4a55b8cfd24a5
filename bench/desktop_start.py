"""Desktop start: seconds from asking the docker backend for a desktop sandbox to holding its first
screenshot (container start, Xvfb + D-Bus + window manager start, screenshot, PNG transfer).

Median of --runs fresh containers (the desktop is never reused between episodes). Goal: < 3 s.
Measured for each image of --images: the default `desktop` and the applications image
`desktop-apps` (LibreOffice, Chromium, GIMP, VLC, Thunderbird; an image missing locally is
skipped with a note). The last line is JSON: {image: {"start_to_screenshot_median_s": ...}}.

    uv run python bench/desktop_start.py [--runs 10] [--images desktop,desktop-apps]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from agentbench_osworld.controller import DesktopController
from agentbench_osworld.task import OSWorldTask

from agentbench import get_registry


async def one_start(backend, spec) -> dict[str, float]:
    t0 = time.perf_counter()
    box = await backend.acquire(spec, label="bench/desktop_start")
    t1 = time.perf_counter()
    try:
        png = await DesktopController(box).screenshot()
        t2 = time.perf_counter()
        assert png.startswith(b"\x89PNG"), "not a PNG"
    finally:
        await backend.release(box, reusable=False)
    return {
        "total": t2 - t0,
        "container": t1 - t0,
        "desktop_and_screenshot": t2 - t1,
        "png_bytes": len(png),
    }


async def main(runs: int, image: str = "desktop") -> dict[str, float]:
    ref = image if image in ("desktop",) else f"agentbench/{image}:latest"
    task = OSWorldTask({"image": ref})
    spec = task.sandbox_spec(task.samples()[0])
    backend = get_registry().sandbox("docker")(f"bench-desktop-{int(time.time())}", {})
    results = []
    try:
        await one_start(backend, spec)  # warm-up: image lookup, first client connection
        for i in range(runs):
            result = await one_start(backend, spec)
            results.append(result)
            print(
                f"run {i + 1}: {result['total']:.2f} s (container {result['container']:.2f} s, "
                f"desktop+screenshot {result['desktop_and_screenshot']:.2f} s, "
                f"{result['png_bytes']} bytes)"
            )
    finally:
        await backend.aclose()
    return {
        "start_to_screenshot_median_s": round(statistics.median(r["total"] for r in results), 3),
        "container_start_median_s": round(statistics.median(r["container"] for r in results), 3),
        "desktop_and_screenshot_median_s": round(
            statistics.median(r["desktop_and_screenshot"] for r in results), 3
        ),
        "runs": runs,
        "goal_s": 3.0,
    }


def _image_present(image: str) -> bool:
    import docker

    try:
        docker.from_env().images.get(f"agentbench/{image}:latest")
    except docker.errors.ImageNotFound:
        return False
    return True


async def all_images(runs: int, images: list[str]) -> dict[str, dict[str, float] | str]:
    figures: dict[str, dict[str, float] | str] = {}
    for image in images:
        if not _image_present(image):
            figures[image] = f"skipped: agentbench/{image} is not built"
            print(f"{image}: {figures[image]}")
            continue
        print(f"== {image}")
        figures[image] = await main(runs, image)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--images", default="desktop,desktop-apps")
    args = parser.parse_args()
    images = [i.strip() for i in args.images.split(",") if i.strip()]
    print(json.dumps(asyncio.run(all_images(args.runs, images))))
