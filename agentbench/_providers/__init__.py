"""Built-in model providers that need no network: scripted, oracle, null, baseline and replay."""

from agentbench.hookspecs import hookimpl


@hookimpl
def register_model_providers(register):
    from .oracle import BaselineProvider, NullProvider, OracleProvider
    from .replay import ReplayProvider
    from .scripted import ScriptedProvider

    register("scripted", ScriptedProvider)
    register("oracle", OracleProvider)
    register("null", NullProvider)
    register("baseline", BaselineProvider)
    register("replay", ReplayProvider)
