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
