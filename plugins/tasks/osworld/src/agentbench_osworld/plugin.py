"""Plugin entry point: registers the `osworld` task."""

from __future__ import annotations

from typing import Any

from agentbench import hookimpl


@hookimpl
def register_tasks(register: Any) -> None:
    from .task import OSWorldTask

    register("osworld", OSWorldTask)


@hookimpl
def register_commands(cli: Any) -> None:
    from .cli import osworld

    cli.add_command(osworld)


@hookimpl
def register_sandbox_images(register: Any) -> None:
    """The desktop (Xvfb, window manager, controller) and its applications variant."""
    from pathlib import Path

    from agentbench import SandboxImage

    context = Path(__file__).parent / "sandbox" / "desktop"
    register(
        "desktop",
        SandboxImage(context=context, description="X desktop for OSWorld-style tasks"),
    )
    register(
        "desktop-apps",
        SandboxImage(
            context=context,
            build_args={"APPS": "all"},
            description="the desktop with LibreOffice, Chromium, GIMP, VLC, Thunderbird, VS Code",
        ),
    )
