"""The plugin module the `agentbench` entry point names: it registers the task.

The task module is imported inside the hook, not at the top: every `agentbench` command loads
this module, and keeping it light keeps the CLI fast.
"""

from agentbench import hookimpl


@hookimpl
def register_tasks(register):
    from .task import HelloArith

    register("hello-arith", HelloArith)
