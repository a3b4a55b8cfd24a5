"""Plugin entry point: registers humaneval-pro, mbpp-pro and bigcodebench-lite-pro."""

from __future__ import annotations

from typing import Any

from agentbench import hookimpl


@hookimpl
def register_tasks(register: Any) -> None:
    """Register the three self-invoking code tasks."""
    from .tasks import BigCodeBenchLitePro, HumanEvalPro, MbppPro

    for task in (HumanEvalPro, MbppPro, BigCodeBenchLitePro):
        register(task.name, task)
