"""The plugin module the `agentbench` entry point names: it registers the task."""

from agentbench import hookimpl

from .task import HelloArith


@hookimpl
def register_tasks(register):
    register("hello-arith", HelloArith)
