"""Plugin entry point: registers the `litellm/` model prefix."""

from agentbench import hookimpl


@hookimpl
def register_model_providers(register):  # type: ignore[no-untyped-def]
    """Register `litellm/<route>/<model>` (litellm is imported only when such a model is used)."""
    from agentbench_litellm.provider import LiteLLMProvider

    register("litellm", LiteLLMProvider)
