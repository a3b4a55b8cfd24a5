"""Built-in executor: `local` (this process, an asyncio pool)."""

from typing import Any

from agentbench.hookspecs import hookimpl


@hookimpl
def register_executors(register: Any) -> None:
    from agentbench.executor import LocalExecutor

    register("local", LocalExecutor)
