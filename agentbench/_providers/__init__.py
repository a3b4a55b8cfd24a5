"""Built-in model providers that need no network."""

from agentbench.hookspecs import hookimpl


@hookimpl
def register_model_providers(register):
    pass
