"""Built-in sandbox backends."""

from agentbench.hookspecs import hookimpl


@hookimpl
def register_sandboxes(register):
    pass
