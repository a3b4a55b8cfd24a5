"""Plugin entry point: registers `classeval` and `repoclassbench`."""

from __future__ import annotations

from typing import Any

from agentbench import hookimpl


@hookimpl
def register_tasks(register: Any) -> None:
    """Register the class-level code generation tasks."""
    from .classeval.task import ClassEval
    from .repoclass.task import RepoClassBench

    register(ClassEval.name, ClassEval)
    register(RepoClassBench.name, RepoClassBench)
