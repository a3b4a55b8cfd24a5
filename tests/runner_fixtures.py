"""Tiny tasks, a model and a sandbox backend for the runner and CLI tests (no tests here).

The module is a plugin (hook implementations at module level). In-process tests pass it as an
extra plugin; subprocess tests install it as a fake distribution on PYTHONPATH with an
`agentbench` entry point, so `agentbench run` finds it like any installed plugin.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from agentbench import (
    AuthenticationError,
    DataError,
    ExecResult,
    Executor,
    InfrastructureError,
    Message,
    ModelOutput,
    ModelProvider,
    Plan,
    RoleSpec,
    Sample,
    Sandbox,
    SandboxBackend,
    SandboxSpec,
    Score,
    ServerError,
    Task,
    TaskOptions,
    Usage,
    build_environment,
    hookimpl,
    run_one_episode,
)

# -- tasks ---------------------------------------------------------------------------------------


class SayOptions(TaskOptions):
    n: int = 5
    sleep: float = 0.0
    fail_ids: list[str] = []
    wrong_ids: list[str] = []
    log_file: str | None = None
    data: str | None = None
    sandbox: bool = False
    steps: int = 1


class SayTask(Task):
    """Sample i asks the model to say i; passes when it does."""

    name = "t-say"
    Options = SayOptions

    def samples(self) -> list[Sample]:
        if self.options.data is not None:
            try:
                lines = Path(self.options.data).read_text().splitlines()
            except OSError as exc:
                raise DataError(
                    f"{self.options.data}: cannot read ({exc.strerror})",
                    "pass -T data=<a readable file>",
                ) from None
            return [
                Sample(id=line.strip(), input=f"say {line.strip()}", target=line.strip())
                for line in lines
                if line.strip()
            ]
        return [
            Sample(
                id=f"s{i}", input=f"say {i}", target=str(i), subset="even" if i % 2 == 0 else "odd"
            )
            for i in range(self.options.n)
        ]

    def sandbox_spec(self, sample: Sample) -> SandboxSpec | None:
        return SandboxSpec(image="fake") if self.options.sandbox else None

    async def setup(self, ctx: Any) -> None:
        if ctx.sandbox is not None:
            await ctx.write_file("/work/prompt.txt", str(ctx.sample.input))

    async def solve(self, ctx: Any) -> None:
        if self.options.log_file:
            with open(self.options.log_file, "a") as f:
                f.write(f"{ctx.sample.id}:{ctx.epoch}\n")
        if self.options.sleep:
            await asyncio.sleep(self.options.sleep)
        if ctx.sample.id in self.options.fail_ids:
            raise RuntimeError(f"boom on {ctx.sample.id}")
        if ctx.sandbox is not None:
            await ctx.exec("echo hi")
        ctx.messages = [Message.user(str(ctx.sample.input))]
        for _ in range(self.options.steps):
            output = await ctx.generate()
            ctx.messages.append(output.message)
            ctx.state["answer"] = output.text

    async def check(self, ctx: Any) -> Score:
        answer = ctx.state.get("answer")
        if answer is None:
            raise RuntimeError("no answer to check")
        if ctx.sample.id in self.options.wrong_ids:
            answer = "wrong"
        return Score.of(
            answer == ctx.sample.target, f"said {answer!r}, wanted {ctx.sample.target!r}"
        )


# -- model ---------------------------------------------------------------------------------------


class SayProvider(ModelProvider):
    """Answers 'say X' with X; `-M auth_fail=true` raises AuthenticationError (missing key)."""

    name = "t-say"
    calls = 0  # across instances, for tests of the response cache

    def __init__(
        self,
        model_name: str = "",
        *,
        auth_fail: bool = False,
        tokens: int = 10,
        auth_fail_on: str | None = None,
        outage_file: str | None = None,
    ) -> None:
        super().__init__(model_name)
        self.auth_fail, self.tokens, self.auth_fail_on = auth_fail, tokens, auth_fail_on
        self.outage_file = outage_file

    async def generate(self, messages: Any, tools: Any, config: Any) -> ModelOutput:
        SayProvider.calls += 1
        if self.auth_fail:
            raise AuthenticationError("T_SAY_API_KEY is not set", "export T_SAY_API_KEY=<your key>")
        text = messages[-1].text if messages else ""
        word = text.split()[-1] if text.split() else ""
        if self.auth_fail_on is not None and word == self.auth_fail_on:
            raise AuthenticationError("T_SAY_API_KEY expired", "export T_SAY_API_KEY=<a fresh key>")
        if self.outage_file and Path(self.outage_file).exists():
            raise ServerError("503 service unavailable", status=503)
        if word == "say":
            word = ""
        return ModelOutput.from_text(
            word, usage=Usage(input_tokens=self.tokens, output_tokens=self.tokens)
        )


# -- sandbox -------------------------------------------------------------------------------------

EVENTS: list[str] = []  # what the fake backend did, for in-process tests
EVENTS_FILE: list[str] = []  # set by the backend option events_file (subprocess tests)


def _event(text: str) -> None:
    EVENTS.append(text)
    if EVENTS_FILE:
        with open(EVENTS_FILE[0], "a") as f:
            f.write(text + "\n")


class FakeSandbox(Sandbox):
    isolated = True

    def __init__(self, spec: SandboxSpec, backend: FakeBackend, number: int) -> None:
        super().__init__(spec)
        self.backend, self.number, self.closed = backend, number, False

    async def exec(self, cmd: Any, *, timeout: float | None = None, **kwargs: Any) -> ExecResult:
        if self.backend.die_times > 0:
            self.backend.die_times -= 1
            raise InfrastructureError(f"fake sandbox {self.number} died")
        return ExecResult(exit_code=0, stdout="hi\n")

    async def read_file(self, path: str, *, binary: bool = False) -> str | bytes:
        raise FileNotFoundError(path)

    async def write_file(self, path: str, content: str | bytes) -> None:
        pass

    async def aclose(self) -> None:
        self.closed = True
        _event(f"close {self.number}")

    def describe(self) -> str:
        return f"fake-shell {self.number}"


class FakeBackend(SandboxBackend):
    """Counts what happens; `-S die_times=N` makes the next N execs raise InfrastructureError."""

    name = "t-fake"

    def __init__(self, run_id: str, options: dict[str, Any] | None = None) -> None:
        super().__init__(run_id, options)
        self.die_times = int(self.options.get("die_times", 0))
        self.can_keep = bool(self.options.get("can_keep", False))
        self.close_delay = float(self.options.get("close_delay", 0))
        self.created = 0
        if self.options.get("events_file"):
            EVENTS_FILE[:] = [str(self.options["events_file"])]

    async def acquire(self, spec: SandboxSpec, *, label: str = "") -> Sandbox:
        self.created += 1
        _event(f"acquire {self.created}")
        return FakeSandbox(spec, self, self.created)

    async def release(self, sandbox: Sandbox, *, reusable: bool = True) -> None:
        _event(f"release {sandbox.number} reusable={reusable}")  # type: ignore[attr-defined]
        await sandbox.aclose()

    async def keep(self, sandbox: Sandbox) -> bool:
        _event(f"keep {sandbox.number}")  # type: ignore[attr-defined]
        return self.can_keep

    async def aclose(self) -> None:
        if self.close_delay:  # a backend whose cleanup takes a while (removing containers)
            await asyncio.sleep(self.close_delay)
        _event("backend aclose")


class DuoTask(SayTask):
    """Sample i: the solver says i, then the critic (its own role) judges the answer."""

    name = "t-duo"
    roles: ClassVar[dict[str, RoleSpec]] = {
        "critic": RoleSpec(fallback=None, description="judges the solver's answer")
    }

    async def solve(self, ctx: Any) -> None:
        answer = (await ctx.generate([Message.user(f"say {ctx.sample.target}")])).text
        verdict = await ctx.generate([Message.user(f"is {answer} right?")], role="critic")
        ctx.state.update(answer=answer, verdict=verdict.text)

    async def check(self, ctx: Any) -> Score:
        ok = ctx.state["answer"] == ctx.sample.target and ctx.state["verdict"] == "right"
        return Score.of(ok, f"{ctx.state['answer']!r} judged {ctx.state['verdict']!r}")


class PairRecord(BaseModel):
    prompt: str
    chosen: str
    rejected: str


class TreeOptions(SayOptions):
    width: int = 64
    sleep_ms: int = 0


class TreeTask(SayTask):
    """One episode expands `width` nodes at once (tagged calls) and emits preference pairs."""

    name = "t-tree"
    Options = TreeOptions
    record_types: ClassVar[dict[str, type[BaseModel]]] = {"preference_pair": PairRecord}

    async def solve(self, ctx: Any) -> None:
        async def expand(i: int) -> str:
            await asyncio.sleep(ctx.rng.random() * self.options.sleep_ms / 1000)
            output = await ctx.generate([Message.user(f"node {i}")], tag=f"node-{i}")
            return output.text

        texts = await asyncio.gather(*(expand(i) for i in range(self.options.width)))
        ctx.state["answer"] = ctx.sample.target
        ctx.state["texts"] = texts
        for i in range(0, len(texts) - 1, 2):
            ctx.emit(
                "preference_pair",
                {"prompt": f"node {i}", "chosen": texts[i], "rejected": texts[i + 1]},
            )
        if self.options.sleep:
            await asyncio.sleep(self.options.sleep)

    def exporters(self) -> dict[str, Any]:
        def dpo(records: Any) -> Any:
            for r in records:
                yield json.dumps({k: r[k] for k in ("prompt", "chosen", "rejected")}) + "\n"

        return {"dpo": dpo}


class SerialExecutor(Executor):
    """Runs the plan's episodes one at a time in an environment rebuilt from the plan's JSON (as
    a remote executor would), taking each episode from the plan's stream as it goes, and writing
    what it did to `-E log=FILE`."""

    name = "t-serial"

    async def run(self, plan: Any, sink: Any, *, env: Any = None) -> None:
        copy = Plan.model_validate_json(plan.model_dump_json())  # it crosses a process boundary
        own_env = build_environment(copy)
        for sample, epoch in plan.iter_episodes():  # the driver hands out episodes one by one
            record = await run_one_episode(own_env, sample, epoch)
            if self.options.get("log"):
                with open(self.options["log"], "a") as f:
                    f.write(f"{sample.id}:{epoch}\n")
            await sink(record)


# -- registration --------------------------------------------------------------------------------


@hookimpl
def register_tasks(register: Any) -> None:
    register("t-say", SayTask)
    register("t-duo", DuoTask)
    register("t-tree", TreeTask)


@hookimpl
def register_model_providers(register: Any) -> None:
    register("t-say", SayProvider)


@hookimpl
def register_sandboxes(register: Any) -> None:
    register("t-fake", FakeBackend)


@hookimpl
def register_executors(register: Any) -> None:
    register("t-serial", SerialExecutor)


# -- helpers for the tests -------------------------------------------------------------------------

MODULE_NAME = "ab_test_runner_tasks"

# The entry point module: imports the tasks only inside the hooks, as a plugin should, so that
# `agentbench --help` does not pay for pydantic.
LAZY_PLUGIN = f"""
from agentbench import hookimpl


@hookimpl
def register_tasks(register):
    from {MODULE_NAME} import register_tasks as inner
    inner(register)


@hookimpl
def register_model_providers(register):
    from {MODULE_NAME} import register_model_providers as inner
    inner(register)


@hookimpl
def register_sandboxes(register):
    from {MODULE_NAME} import register_sandboxes as inner
    inner(register)


@hookimpl
def register_executors(register):
    from {MODULE_NAME} import register_executors as inner
    inner(register)


@hookimpl
def register_commands(cli):
    import click

    @cli.command(name="t-hello")
    @click.argument("who", default="world")
    def t_hello(who):
        \"\"\"A command added by a plugin.\"\"\"
        click.echo(f"hello {{who}} from a plugin")
"""


def install_fake_dist(root: Path) -> dict[str, str]:
    """Put this module on a fake distribution with an entry point under `root`; return the env."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{MODULE_NAME}.py").write_text(Path(__file__).read_text())
    dist = root / "ab_test_runner_tasks-0.0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ab-test-runner-tasks\nVersion: 0.0.1\n"
    )
    (root / "ab_test_runner_plugin.py").write_text(LAZY_PLUGIN)
    (dist / "entry_points.txt").write_text("[agentbench]\nt-tasks = ab_test_runner_plugin\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.pop("AGENTBENCH_PLUGINS", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def load() -> Any:
    """This module (tests import it as `runner_fixtures`; `pythonpath = ["tests"]` in pytest)."""
    return sys.modules[MODULE_NAME]


# One module object under both names, so hook implementations and classes are never duplicated.
sys.modules.setdefault(MODULE_NAME, sys.modules[__name__])


def agentbench_cmd() -> list[str]:
    """The console script of this venv."""
    script = Path(sys.executable).with_name("agentbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "agentbench"]


def wait_for(predicate: Any, timeout: float = 30.0, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
