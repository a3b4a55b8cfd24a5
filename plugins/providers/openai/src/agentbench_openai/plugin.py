"""Plugin entry point: registers the `openai/` model prefix."""

from agentbench import hookimpl


@hookimpl
def register_model_providers(register):  # type: ignore[no-untyped-def]
    """Register `openai/<model>` (the SDK is imported only when such a model is used)."""
    from agentbench_openai.provider import OpenAIProvider

    register("openai", OpenAIProvider)
