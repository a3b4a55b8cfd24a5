"""Plugin entry point: registers the `anthropic/` model prefix."""

from agentbench import hookimpl


@hookimpl
def register_model_providers(register):  # type: ignore[no-untyped-def]
    """Register `anthropic/<model>` (the SDK is imported only when such a model is used)."""
    from agentbench_anthropic.provider import AnthropicProvider

    register("anthropic", AnthropicProvider)
