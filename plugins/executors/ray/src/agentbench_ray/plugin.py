"""The entry point: registers the `ray` executor (Ray itself is imported only when it runs)."""

from typing import Any

from agentbench import hookimpl


@hookimpl
def register_executors(register: Any) -> None:
    from agentbench_ray.executor import RayExecutor

    register("ray", RayExecutor)
