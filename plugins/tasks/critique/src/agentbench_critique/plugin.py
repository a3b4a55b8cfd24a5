"""Plugin entry point: registers the `realcritic` task."""

from __future__ import annotations

from typing import Any

from agentbench import hookimpl


@hookimpl
def register_tasks(register: Any) -> None:
    """Register RealCritic's critique protocols as one task."""
    from .tasks import RealCritic

    register(RealCritic.name, RealCritic)
