"""The plugin contract.

A plugin is a module or object with functions named like the hooks below, decorated with
`agentbench.hookimpl`, and exposed through the `agentbench` entry-point group of its distribution:

    [project.entry-points.agentbench]
    my_plugin = "my_package.plugin"

Registration hooks are synchronous and cheap: they hand classes to a `register(name, cls)`
callable. Observer hooks may be `async def`; the core awaits whatever they return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("agentbench")
hookimpl = pluggy.HookimplMarker("agentbench")

Register = Callable[[str, Any], None]


@hookspec
def register_tasks(register: Register) -> None:
    """Register task classes by name.

    Call `register("humaneval-pro", HumanEvalPro)` once per task; the class subclasses
    `agentbench.Task`. A name registered by two distributions is an error that names both.
    """


@hookspec
def register_model_providers(register: Register) -> None:
    """Register model providers by prefix.

    Call `register("openai", OpenAIProvider)`; model references `openai/<model>` then resolve to
    `OpenAIProvider(model_name="<model>", **model_options)`. Import vendor SDKs lazily (inside the
    provider), never at module level, so that `agentbench --help` stays fast.
    """


@hookspec
def register_sandboxes(register: Register) -> None:
    """Register sandbox backends by name.

    Call `register("docker", DockerBackend)`; the class subclasses `agentbench.SandboxBackend`.
    """


@hookspec
def register_sandbox_images(register: Register) -> None:
    """Register the sandbox images a plugin ships, by name.

    Call `register("desktop", SandboxImage(context=Path(__file__).parent / "desktop"))`: the
    build context lives inside the plugin's distribution; `agentbench sandbox build desktop`
    builds it, and a `SandboxSpec(image="desktop")` uses (and builds on first use)
    `agentbench/desktop:latest`.
    """


@hookspec
def register_executors(register: Register) -> None:
    """Register executors by name.

    Call `register("ray", RayExecutor)`; the class subclasses `agentbench.Executor` and is chosen
    with `agentbench run --executor ray`. An executor runs a plan's episodes and hands each finished
    record back; the runner alone writes the store.
    """


@hookspec
def register_commands(cli: Any) -> None:
    """Add commands to the CLI.

    `cli` is the root `click.Group`; add commands with `cli.add_command(...)` or `@cli.command()`.
    """


@hookspec
def on_run_start(run: Any) -> Any:
    """Called once when a run starts, with the `RunInfo` (run id, config, directory).

    May be `async def`. Exceptions are logged and do not stop the run.
    """


@hookspec
def on_episode_end(result: Any) -> Any:
    """Called after each episode is committed to the store, with its `EpisodeResult`.

    May be `async def`. Exceptions are logged and do not stop the run.
    """


@hookspec
def on_run_end(summary: Any) -> Any:
    """Called once when a run ends (also after Ctrl-C), with its `RunSummary`.

    May be `async def`. Exceptions are logged and do not stop the run.
    """
