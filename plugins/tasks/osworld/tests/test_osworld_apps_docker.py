"""The project's own OSWorld-format tasks, one or more per domain (tests/fixtures/apps): each
makes its files in setup (python-docx, python-pptx, openpyxl, LibreOffice), passes with its
scripted solution and fails with the null model. The `os` ones run in the default image, the
others in the applications image (agentbench/desktop-apps:latest, built with
`agentbench sandbox build desktop-apps`, which the docker backend runs on first use).

The newer getters run here for real too: `page_info` (a page served by a local http server in
the container, chrome-cart-page), `update_browse_history` with `history` (chrome-history-delete,
solved in chrome://history), `background_image_in_slide` and `audio_in_slide` (impress-*).
VS Code (code-server behind the `code` shim) is driven through its command palette
(vscode-font-size), and `vscode_config` runs a command of an evaluation extension the task
installs from a local .vsix, as upstream's 53ad5833 does (vscode-open-project).

Desktop waits are polls with generous limits (setup waits up to 90 s for an application's
window), so they hold on a loaded 2-core machine.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from agentbench_osworld.task import OSWorldTask

from agentbench.testing import run_episode

pytestmark = pytest.mark.docker

APPS = Path(__file__).parent / "fixtures" / "apps"
APPS_IMAGE = "agentbench/desktop-apps:latest"
OS_IDS = ["power-never-suspend", "volume-half", "bc-sum-file"]
APP_IDS = [
    "writer-append-line",
    "impress-retitle",
    "impress-background-image",
    "impress-slide-audio",
    "calc-column-total",
    "chrome-second-page",
    "chrome-form-city",
    "chrome-cart-page",
    "chrome-history-delete",
    "gimp-undo-levels",
    "vlc-minimal-view",
    "tb-no-start-page",
    "docx-to-pdf",
    "vscode-font-size",
    "vscode-open-project",
]


async def _run(sample_id: str, model: Any, image: str = "desktop", **options: Any):
    task = OSWorldTask(
        {"path": str(APPS), "image": image, "settle_seconds": 0.5, "max_steps": 3, **options}
    )
    return await run_episode(
        task, sample_id=sample_id, model=model, sandbox="docker", raise_errors=False
    )


async def _both(ids: list[str], image: str, parallel: int = 2) -> dict[str, tuple[Any, Any]]:
    """Each task with its scripted solution (oracle) and with the null model."""
    semaphore = asyncio.Semaphore(parallel)

    async def one(sample_id: str, model: str):
        async with semaphore:
            return await _run(sample_id, model, image)

    runs = await asyncio.gather(
        *(one(i, m) for i in ids for m in ("oracle", "null")), return_exceptions=False
    )
    return {i: (runs[2 * k], runs[2 * k + 1]) for k, i in enumerate(ids)}


def _report(runs: dict[str, tuple[Any, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    not_passed = {
        i: f"{s.result.status}: {s.result.error or s.explanation}"
        for i, (s, _) in runs.items()
        if not s.passed
    }
    not_failed = {i: n.explanation for i, (_, n) in runs.items() if n.passed}
    return not_passed, not_failed


async def test_os_fixtures_pass_when_solved_and_fail_for_the_null_model():
    runs = await _both(OS_IDS, "desktop", parallel=3)
    assert _report(runs) == ({}, {})
    for _, null in runs.values():
        assert null.result.status == "ok"  # a real 0, not an error


async def test_application_fixtures_pass_when_solved_and_fail_for_the_null_model():
    runs = await _both(APP_IDS, APPS_IMAGE, parallel=2)
    assert _report(runs) == ({}, {})


async def test_an_application_task_in_the_default_image_fails_before_any_model_call():
    run = await _run("gimp-undo-levels", "oracle")
    assert run.result.status == "error"
    assert "GIMP is not installed" in (run.result.error or "")
    assert "desktop-apps" in (run.result.error or "")
    assert run.events_of("model") == []


async def test_chrome_runs_as_a_process_named_chrome_that_pkill_chrome_closes() -> None:
    """Upstream's postconfig steps close the browser with `pkill chrome` (its process name in
    OSWorld's VM): the image's google-chrome must run under that name, not `chromium`."""
    import docker

    from agentbench.pytest_plugin import build_images

    await asyncio.to_thread(build_images, "desktop-apps")  # built when missing, never pulled
    script = (
        "google-chrome --headless=new --disable-gpu about:blank >/dev/null 2>&1 &\n"
        "for i in $(seq 120); do pgrep -x chrome >/dev/null && break; sleep 0.5; done\n"
        "echo running=$(pgrep -xc chrome)\n"
        "pkill chrome\n"
        "for i in $(seq 60); do pgrep chrom >/dev/null || break; sleep 0.5; done\n"
        "echo left=$(pgrep -c chrom)\n"
    )
    client = docker.from_env()
    try:
        out = client.containers.run(
            APPS_IMAGE, ["sh", "-c", script], entrypoint=[], remove=True, network_disabled=True
        ).decode()
    finally:
        client.close()
    running = int(out.split("running=")[1].split()[0])
    assert running >= 1 and "left=0" in out, out


async def test_code_is_code_server_in_the_applications_image_and_names_it_elsewhere() -> None:
    """`code` (VS Code's CLI) passes extension and version commands to code-server, with VS
    Code's folders; in the default image it exits 127 naming the applications image."""
    import docker

    from agentbench.plugins import get_registry
    from agentbench.pytest_plugin import require_docker

    require_docker()
    backend = get_registry().sandbox("docker")("testing", {})
    try:
        for name in ("desktop", "desktop-apps"):
            await backend.ensure_image(name)
    finally:
        await backend.aclose()
    script = (
        "code --version; echo rc=$?; code --list-extensions; echo rc=$?; "
        "ls -d $HOME/.config/Code/User $HOME/.vscode/extensions"
    )
    client = docker.from_env()
    try:
        run = client.containers.run
        apps = run(APPS_IMAGE, ["sh", "-c", script + " 2>&1"], entrypoint=[], remove=True)
        plain = run(
            "agentbench/desktop:latest",
            ["sh", "-c", "code /tmp 2>&1; echo rc=$?"],
            entrypoint=[],
            remove=True,
        )
    finally:
        client.close()
    apps_out, plain_out = apps.decode(), plain.decode()
    assert apps_out.count("rc=0") == 2 and "4.139.1" in apps_out, apps_out
    assert "/home/user/.config/Code/User" in apps_out, apps_out
    assert "rc=127" in plain_out and "agentbench/desktop-apps" in plain_out, plain_out
