"""What a plugin author needs to test a task: a scripted model and one episode, run in-process.

    from agentbench.testing import run_episode, scripted, tool_call

    async def test_my_task_passes_with_the_right_answer():
        run = await run_episode(MyTask(), sample_id="1", model=scripted(["42"]), sandbox="local")
        assert run.passed, run.explanation

    async def test_my_task_runs_tools():
        model = scripted([tool_call("python", code="print(6*7)"), "42"])
        run = await run_episode("my-task", sample_id="1", model=model)
        assert [e["type"] for e in run.events_of("exec")] ...

`model` may also be a model reference ("oracle", "null", "scripted/script.yaml") resolved through
the installed plugins, and `task` a registered task name. The episode runs the same stages as
`agentbench run` (setup and solve under the limits, then check), without a store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from agentbench._runner.episode import EpisodeEnv, EpisodeRecord, run_one_episode
from agentbench.errors import InfrastructureError
from agentbench.model import Model, ModelProvider, RetryPolicy, parse_model_ref
from agentbench.sandbox import Sandbox, SandboxBackend
from agentbench.task import EpisodeContext, EpisodeLog, Task
from agentbench.types import EpisodeResult, GenerateConfig, Limits, Sample, Score, ToolCall


def scripted(responses: Sequence[Any] | Mapping[str, Sequence[Any]]) -> Model:
    """A model that plays `responses`: the n-th call of an episode gets the n-th response.

    Args:
        responses: A list (every episode plays it) or a mapping sample id -> list. Items are text,
            `tool_call(...)` results, `Message`s, or mappings with `text`, `tool_calls`, `images`.
    """
    from agentbench._providers.scripted import ScriptedProvider

    return Model(
        "scripted", ScriptedProvider(responses=responses), retry=RetryPolicy(max_attempts=1)
    )


def tool_call(name: str, id: str | None = None, **arguments: Any) -> dict[str, Any]:
    """A scripted response that calls one tool: `tool_call("bash", cmd="ls")`."""
    call = ToolCall(id=id or f"call_{name}", name=name, arguments=arguments)
    return {"tool_calls": [call]}


@dataclass
class EpisodeRun(EpisodeRecord):
    """One episode run by `run_episode`: the runner's `EpisodeRecord` (result, transcript
    events, artifacts, emitted records) with the context it ran in.

    Attributes:
        context: The `EpisodeContext` (its `state`, `messages`, `usage`).
        sandbox: The sandbox, when `keep_sandbox=True` (close it with `await run.aclose()`).
    """

    _backend: SandboxBackend | None = field(default=None, repr=False)
    _owned: bool = field(default=True, repr=False)

    @property
    def transcript(self) -> list[dict[str, Any]]:
        """Every event of the episode (model calls, tool calls, commands, ...)."""
        return self.events

    @property
    def score(self) -> Score | None:
        return self.result.score

    @property
    def passed(self) -> bool:
        return self.result.passed

    @property
    def explanation(self) -> str:
        """The score's explanation, or the error when the episode failed."""
        if self.result.score is not None:
            return self.result.score.explanation
        return self.result.error or ""

    def events_of(self, type: str) -> list[dict[str, Any]]:
        """The transcript events of one type ("model", "exec", "tool", ...)."""
        return [e for e in self.events if e.get("type") == type]

    async def aclose(self) -> None:
        """Free a kept sandbox."""
        await _free(self._backend, self.sandbox, owned=self._owned)
        self._backend, self.sandbox = None, None


async def run_episode(
    task: Task | str,
    *,
    model: Model | ModelProvider | str | Sequence[Any],
    sample_id: str | None = None,
    sample: Sample | None = None,
    options: Mapping[str, Any] | None = None,
    sandbox: str | SandboxBackend | None = "local",
    sandbox_options: Mapping[str, Any] | None = None,
    epoch: int = 0,
    limits: Limits | None = None,
    generate_config: GenerateConfig | None = None,
    seed: int = 0,
    raise_errors: bool = True,
    keep_sandbox: bool = False,
    plugins: str | list[str] | None = None,
    roles: Mapping[str, Model | ModelProvider | str | Sequence[Any]] | None = None,
) -> EpisodeRun:
    """Run one episode of `task` in this process and return its result and transcript.

    The episode is assembled as `agentbench run` assembles it (`run_one_episode`), without a
    store and without infrastructure retries.

    Args:
        task: A task instance, or the registered name of one (with `options`).
        model: A `Model`, a provider, a reference ("oracle", "null", "scripted/x.yaml"), or a
            list of scripted responses.
        sample_id: Which sample to run (default: the task's first sample).
        sample: A sample to run instead of looking one up.
        options: Task options, when `task` is a name.
        sandbox: A backend name, a backend instance, or None to run without a sandbox.
        sandbox_options: Options for a backend given by name.
        epoch: The epoch number (0-based).
        limits: Step, token and wall-time limits.
        generate_config: Sampling settings laid under the task's own.
        seed: The run seed (the context's `rng` derives from it).
        raise_errors: Re-raise what the task or model raises, and a sandbox failure (the runner
            would record status "error" / "infra_error"); `LimitExceeded` is never raised, the
            episode is scored with what it has.
        keep_sandbox: Keep the sandbox open for inspection (`run.sandbox`; then `run.aclose()`).
        plugins: Plugin filter used to resolve names.
        roles: Models of the task's other roles, as `model` is given (e.g.
            `{"critic": scripted([...])}`); roles left out fall back as the task declares.
    """
    task = _resolve_task(task, options, plugins)
    sample = sample or _find_sample(task, sample_id)
    wrapped = _resolve_model(model, plugins)
    backend = _resolve_backend(sandbox, sandbox_options, plugins)

    async def get_backend() -> SandboxBackend | None:
        return backend

    env = EpisodeEnv(
        run_id="testing",
        task_name=task.name,
        task=task,
        model=wrapped,
        backend=get_backend,
        models=_role_models(task, wrapped, roles or {}, plugins),
        limits=limits or Limits(),
        seed=seed,
        generate_config=generate_config or GenerateConfig(),
        infra_retries=0,
    )
    owned = not isinstance(sandbox, SandboxBackend)
    try:
        record = await run_one_episode(
            env,
            sample,
            epoch,
            keep_sandbox=keep_sandbox,
            keep_context=True,
            catch=not raise_errors,
        )
    except Exception as exc:
        await _free(backend, None, owned=owned)
        if raise_errors:
            raise
        record = _errored(env, sample, epoch, exc)  # the runner would stop the run here
    if raise_errors and record.result.status == "infra_error":
        await _free(backend, record.sandbox, owned=owned)
        raise InfrastructureError(record.result.error or "the sandbox failed")
    kept = keep_sandbox and record.sandbox is not None
    if not kept:
        await _free(backend, None, owned=owned)
    context = record.context or EpisodeContext(
        task=task, sample=sample, model=wrapped, sandbox=None, log=EpisodeLog(), limits=env.limits
    )
    return EpisodeRun(
        record.result,
        record.events,
        record.artifacts,
        record.sandbox if kept else None,
        record.records,
        context,
        _backend=backend if kept else None,
        _owned=owned,
    )


def _errored(env: EpisodeEnv, sample: Sample, epoch: int, exc: Exception) -> EpisodeRecord:
    """The record of an episode stopped by an error the runner lets through (a user error)."""
    error = f"{type(exc).__name__}: {exc}"
    result = EpisodeResult(
        run_id=env.run_id,
        task=env.task_name,
        sample_id=sample.id,
        epoch=epoch,
        model=env.model.ref,
        subset=sample.subset,
        status="error",
        error=error,
    )
    return EpisodeRecord(result, [{"type": "error", "error": error}], [])


async def _free(backend: SandboxBackend | None, box: Sandbox | None, *, owned: bool) -> None:
    """Close a backend this module created; give a sandbox back to one the caller passed."""
    if backend is None:
        return
    if owned:
        await backend.aclose()
    elif box is not None:
        await backend.release(box, reusable=False)


def _resolve_task(task: Task | str, options: Mapping[str, Any] | None, plugins: Any) -> Task:
    if isinstance(task, Task):
        if options:
            raise TypeError("pass options to the task's constructor, or give the task by name")
        return task
    from agentbench.plugins import get_registry

    return get_registry(plugins).task(task)(dict(options or {}))


def _find_sample(task: Task, sample_id: str | None) -> Sample:
    from agentbench.errors import ConfigError

    samples = list(task.samples())
    if not samples:
        raise ConfigError(f"task {task.name!r} has no samples", "check the task's options")
    if sample_id is None:
        return samples[0]
    for sample in samples:
        if sample.id == sample_id:
            return sample
    known = ", ".join(s.id for s in samples[:10])
    raise ConfigError(
        f"task {task.name!r} has no sample {sample_id!r}", f"pick one of {known}, ..."
    )


def _resolve_model(model: Model | ModelProvider | str | Sequence[Any], plugins: Any) -> Model:
    if isinstance(model, Model):
        return model
    if isinstance(model, ModelProvider):
        ref = model.name + (f"/{model.model_name}" if model.model_name else "")
        return Model(ref, model, retry=RetryPolicy(max_attempts=1))
    if isinstance(model, str):
        from agentbench.plugins import get_registry

        prefix, name = parse_model_ref(model)
        provider = get_registry(plugins).provider(prefix)(name)
        return Model(model, provider, retry=RetryPolicy(max_attempts=1))
    return scripted(model)


def _role_models(
    task: Task, default: Model, given: Mapping[str, Any], plugins: Any
) -> dict[str, Model]:
    """Every role's model: the given ones, the rest by the task's fallbacks."""
    from agentbench.errors import ConfigError
    from agentbench.roles import DEFAULT_ROLE, task_roles

    declared = task_roles(task)
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ConfigError(f"task {task.name!r} has no role {unknown[0]!r}", "check `roles=`")
    models = {DEFAULT_ROLE: default, **{k: _resolve_model(v, plugins) for k, v in given.items()}}
    for name in declared:
        role = name
        while role not in models:
            fallback = declared[role].fallback
            if fallback is None:
                raise ConfigError(f"task {task.name!r} needs a model for role {role!r}", "")
            role = fallback
        models[name] = models[role]
    return models


def _resolve_backend(
    sandbox: str | SandboxBackend | None, options: Any, plugins: Any
) -> SandboxBackend | None:
    if sandbox is None or isinstance(sandbox, SandboxBackend):
        return sandbox
    from agentbench.plugins import get_registry

    return get_registry(plugins).sandbox(sandbox)("testing", dict(options or {}))
