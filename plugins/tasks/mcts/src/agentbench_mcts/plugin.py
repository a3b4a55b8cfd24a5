"""Plugin entry point: registers the mcts-preference task."""

from __future__ import annotations

from typing import Any

from agentbench import hookimpl


@hookimpl
def register_tasks(register: Any) -> None:
    """Register mcts-preference (MCTS-DPO step-level preference collection)."""
    from .task import MctsPreference

    register(MctsPreference.name, MctsPreference)
