"""Plugin entry point: registers the `contamination` task."""

from __future__ import annotations

from typing import Any

from agentbench import hookimpl


@hookimpl
def register_tasks(register: Any) -> None:
    """Register the contamination probe."""
    from .task import ContaminationProbe

    register(ContaminationProbe.name, ContaminationProbe)
