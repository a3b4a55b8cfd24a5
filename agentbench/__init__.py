"""agentbench: a plugin-based async runner for agentic benchmarks.

The public API is everything in `__all__`; it is imported lazily so that the CLI starts fast.
Plugins import only from here (never from a `_`-prefixed module).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # errors
    "AgentbenchError": "agentbench.errors",
    "ConfigError": "agentbench.errors",
    "DataError": "agentbench.errors",
    "PluginError": "agentbench.errors",
    "SandboxError": "agentbench.errors",
    "UnknownNameError": "agentbench.errors",
    "InfrastructureError": "agentbench.errors",
    "LimitExceeded": "agentbench.errors",
    "ModelError": "agentbench.errors",
    "RetryableModelError": "agentbench.errors",
    "RateLimitError": "agentbench.errors",
    "ServerError": "agentbench.errors",
    "ModelTimeoutError": "agentbench.errors",
    "ModelConnectionError": "agentbench.errors",
    "ProviderUnavailable": "agentbench.errors",
    "AuthenticationError": "agentbench.errors",
    "BadRequestError": "agentbench.errors",
    "model_error_from_status": "agentbench.errors",
    "parse_retry_after": "agentbench.errors",
    "model_error_from_exception": "agentbench.errors",
    # plugin contract
    "hookimpl": "agentbench.hookspecs",
    # types
    "TextPart": "agentbench.types",
    "ImagePart": "agentbench.types",
    "ToolCall": "agentbench.types",
    "Message": "agentbench.types",
    "ToolSpec": "agentbench.types",
    "GenerateConfig": "agentbench.types",
    "Usage": "agentbench.types",
    "TokenLogprob": "agentbench.types",
    "TopLogprob": "agentbench.types",
    "ModelChoice": "agentbench.types",
    "ModelOutput": "agentbench.types",
    "ExecResult": "agentbench.types",
    "Score": "agentbench.types",
    "Sample": "agentbench.types",
    "Limits": "agentbench.types",
    "EpisodeResult": "agentbench.types",
    "RunConfig": "agentbench.types",
    "RunSummary": "agentbench.types",
    # tasks
    "Task": "agentbench.task",
    "TaskOptions": "agentbench.options",
    "EpisodeContext": "agentbench.task",
    "EpisodeLog": "agentbench.task",
    "parse_options": "agentbench.options",
    # models
    "ModelProvider": "agentbench.model",
    "Model": "agentbench.model",
    "RetryPolicy": "agentbench.model",
    "EpisodeInfo": "agentbench.model",
    "current_episode": "agentbench.model",
    "parse_model_ref": "agentbench.model",
    # model roles
    "RoleSpec": "agentbench.roles",
    "RoleModel": "agentbench.roles",
    "CallInfo": "agentbench.roles",
    "current_call": "agentbench.roles",
    # provider helpers
    "price_table": "agentbench.pricing",
    "usage_cost": "agentbench.pricing",
    "SdkOptions": "agentbench.sdkclient",
    "SdkProvider": "agentbench.sdkclient",
    "sdk_client": "agentbench.sdkclient",
    "sdk_post_json": "agentbench.sdkclient",
    # sandboxes
    "Sandbox": "agentbench.sandbox",
    "SandboxSpec": "agentbench.sandbox",
    "SandboxBackend": "agentbench.sandbox",
    "ImageBuild": "agentbench.sandbox",
    "SandboxImage": "agentbench.sandbox",
    # data downloads
    "cached_download": "agentbench.downloads",
    "cache_dir": "agentbench.downloads",
    # executors
    "Executor": "agentbench.executor",
    "Plan": "agentbench.executor",
    "build_environment": "agentbench.executor",
    "close_environment": "agentbench.executor",
    "first_error": "agentbench.executor",
    "run_one_episode": "agentbench.executor",
    "EpisodeRecord": "agentbench.executor",
    "EpisodeEnv": "agentbench.executor",
    # checkers (execution helpers tasks share)
    "run_python": "agentbench.checkers",
    "run_unittest": "agentbench.checkers",
    "classify_failure": "agentbench.checkers",
    "TestReport": "agentbench.checkers",
    "TestOutcome": "agentbench.checkers",
    "run_script": "agentbench.sealed",
    "ScriptReport": "agentbench.sealed",
    # testing kit for plugin authors
    "run_episode": "agentbench.testing",
    "EpisodeRun": "agentbench.testing",
    # plugins
    "load_plugins": "agentbench.plugins",
    "get_registry": "agentbench.plugins",
    # metrics
    "pass_at_k": "agentbench.metrics",
    "bootstrap_ci": "agentbench.metrics",
    "paired_difference": "agentbench.metrics",
    "summarise": "agentbench.metrics",
    # running
    "run": "agentbench.api",
    "run_async": "agentbench.api",
    "load_summary": "agentbench.api",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agentbench' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
