"""Plugin entry point: registers the `osworld` task."""

from __future__ import annotations

from typing import Any

from agentbench import hookimpl


@hookimpl
def register_tasks(register: Any) -> None:
    from .task import OSWorldTask

    register("osworld", OSWorldTask)
