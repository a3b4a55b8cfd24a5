"""`agentbench new plugin NAME --task|--provider|--sandbox`: a ready plugin distribution.

It writes NAME/ with a pyproject (the `agentbench` entry point, the dependency on agentbench
and, until agentbench is published, a path source to this installation), a skeleton that works
(a task with a reference answer, a provider, or a sandbox backend), a passing test, and a README.
`cd NAME && uv run pytest` passes with no edits.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

PYPROJECT = """\
[project]
name = "{dist}"
version = "0.1.0"
description = "{description}"
requires-python = ">=3.11"
dependencies = ["agentbench-runner"]

[project.entry-points.agentbench]
{name} = "{package}.plugin"

[dependency-groups]
dev = ["pytest>=8", "pytest-asyncio>=0.23"]

[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]
{sources}
[tool.pytest.ini_options]
filterwarnings = ["error"]
"""

SOURCE = """
# Where agentbench comes from until it is on a package index: this installation's source tree.
# Once published, delete this table (or point it at a git URL: `git = "https://..."`).
[tool.uv.sources]
agentbench-runner = {{ path = "{path}", editable = true }}
"""

PLUGIN = '''\
"""The plugin's entry point: registers {what} (imported inside the hook, so the CLI stays fast)."""

from typing import Any

from agentbench import hookimpl


@hookimpl
def {hook}(register: Any) -> None:
    from .{module} import {cls}

    register("{name}", {cls})
'''

TASK = '''\
"""{cls}: reverse a word. Replace the samples, the prompt and the checker with your benchmark's."""

from __future__ import annotations

from agentbench import EpisodeContext, Sample, Score, Task, TaskOptions


class {cls}Options(TaskOptions):
    """Options of {name} (`-T key=value`)."""

    words: list[str] = ["agent", "bench", "plugin"]


class {cls}(Task):
    """Reverse a word (a skeleton: samples, a solve loop, a checker and a reference answer)."""

    name = "{name}"
    Options = {cls}Options

    def samples(self) -> list[Sample]:
        return [
            Sample(id=f"w{{i}}", input=f"Write the word {{w!r}} backwards. Answer with it only.",
                   target=w[::-1])
            for i, w in enumerate(self.options.words)
        ]

    async def check(self, ctx: EpisodeContext) -> Score:
        answer = ctx.state["output"].text.strip() if "output" in ctx.state else ""
        return Score.of(answer == ctx.sample.target, f"answered {{answer!r}}")

    def reference(self, sample: Sample) -> str:
        """What the `oracle` model answers: a run with it must score 100%."""
        return str(sample.target)
'''

TASK_TEST = '''\
"""{cls} through agentbench.testing: the oracle passes, a wrong answer fails."""

from agentbench.testing import run_episode, scripted

from {package}.{module} import {cls}


async def test_the_oracle_passes_every_sample() -> None:
    task = {cls}()
    for sample in task.samples():
        run = await run_episode(task, sample=sample, model="oracle", sandbox=None)
        assert run.passed, run.explanation


async def test_a_wrong_answer_fails() -> None:
    run = await run_episode({cls}(), sample_id="w0", model=scripted(["nope"]), sandbox=None)
    assert not run.passed and "nope" in run.explanation
'''

PROVIDER = '''\
"""{cls}: a model provider (this skeleton echoes the last message; call your API instead)."""

from __future__ import annotations

from agentbench import GenerateConfig, Message, ModelOutput, ModelProvider, ToolSpec, Usage


class {cls}(ModelProvider):
    """`{name}/<model>`: map your SDK's errors onto agentbench's (`model_error_from_exception`)."""

    name = "{name}"

    async def generate(
        self, messages: list[Message], tools: list[ToolSpec] | None, config: GenerateConfig
    ) -> ModelOutput:
        text = messages[-1].text if messages else ""
        return ModelOutput.from_text(text, model=self.model_name, usage=Usage(output_tokens=1))
'''

PROVIDER_TEST = '''\
"""{cls} through the core's model wrapper (retries, limits, usage)."""

from agentbench import Message, Model

from {package}.{module} import {cls}


async def test_it_answers_through_the_core() -> None:
    model = Model("{name}/echo", {cls}("echo"))
    output = await model.generate([Message.user("hello")])
    assert output.text == "hello" and model.usage.output_tokens == 1
'''

SANDBOX = '''\
"""{cls}: a sandbox backend (this skeleton runs commands as subprocesses in a temp dir: no
isolation; put your container or VM client here)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from agentbench import ExecResult, Sandbox, SandboxBackend, SandboxSpec


class {cls}Sandbox(Sandbox):
    isolated = False

    def __init__(self, spec: SandboxSpec) -> None:
        super().__init__(spec)
        self.root = Path(tempfile.mkdtemp(prefix="{name}-"))

    async def exec(self, cmd, *, timeout=None, input=None, cwd=None, env=None, user=None):
        shell = isinstance(cmd, str)
        make = asyncio.create_subprocess_shell if shell else asyncio.create_subprocess_exec
        args = [cmd] if shell else list(cmd)
        proc = await make(*args, cwd=self.root / (cwd or ""), stdin=asyncio.subprocess.PIPE,
                          stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        data = input.encode() if isinstance(input, str) else input
        try:
            out, err = await asyncio.wait_for(proc.communicate(data), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return ExecResult(exit_code=124, timed_out=True)
        return ExecResult(exit_code=proc.returncode or 0, stdout=out.decode(), stderr=err.decode())

    async def read_file(self, path: str, *, binary: bool = False):
        data = (self.root / path).read_bytes()
        return data if binary else data.decode()

    async def write_file(self, path: str, content) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)

    async def aclose(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


class {cls}(SandboxBackend):
    """`--sandbox {name}`."""

    name = "{name}"

    async def acquire(self, spec: SandboxSpec, *, label: str = "") -> Sandbox:
        sandbox = {cls}Sandbox(spec)
        for path, content in spec.files.items():
            await sandbox.write_file(path, content)
        return sandbox
'''

SANDBOX_TEST = '''\
"""{cls}: commands run, files round-trip."""

from agentbench import SandboxSpec

from {package}.{module} import {cls}


async def test_commands_and_files() -> None:
    backend = {cls}("test")
    box = await backend.acquire(SandboxSpec(files={{"a.txt": "hi"}}))
    try:
        result = await box.exec("cat a.txt")
        assert result.exit_code == 0 and result.stdout == "hi"
        await box.write_file("b.txt", "there")
        assert await box.read_file("b.txt") == "there"
    finally:
        await box.aclose()
'''

KINDS = {
    "task": ("register_tasks", "task", TASK, TASK_TEST, "a task"),
    "provider": ("register_model_providers", "provider", PROVIDER, PROVIDER_TEST, "a provider"),
    "sandbox": ("register_sandboxes", "backend", SANDBOX, SANDBOX_TEST, "a sandbox backend"),
}

README = """\
# {dist}

{description}, as an agentbench plugin (entry point `{name}` in the `agentbench` group).

```bash
uv run pytest                                   # its tests (async tests need no configuration)
uv run agentbench list plugins                  # it is found through its entry point
{usage}
```

Until agentbench is on a package index, `[tool.uv.sources]` in pyproject.toml points at the
agentbench source tree this plugin was made from; replace it with a git source
(`agentbench-runner = {{ git = "https://..." }}`) to share the plugin, and drop it once
agentbench is published (as `agentbench-runner`: the PyPI name `agentbench` is another
project). Import only from `agentbench` (its public API), never from a module
whose name starts with `_`.
"""


def write_plugin(root: Path, name: str, kind: str) -> list[Path]:
    """Write the plugin distribution `name` of `kind` under `root`; return the files written."""
    from agentbench.errors import ConfigError

    if not re.fullmatch(r"[a-z][a-z0-9-]{1,40}", name):
        raise ConfigError(
            f"plugin name {name!r} is not valid",
            "use 2-41 lowercase letters, digits and '-', starting with a letter",
        )
    target = root / name
    if target.exists():
        raise ConfigError(f"{target} already exists", "choose another name or directory")
    hook, module, code, test, what = KINDS[kind]
    package = "agentbench_" + name.replace("-", "_")
    cls = (
        "".join(part.capitalize() for part in name.split("-"))
        + ({"task": "", "provider": "Provider", "sandbox": "Backend"}[kind])
    )
    source_tree = Path(__file__).resolve().parents[1]
    sources = (
        SOURCE.format(path=source_tree.as_posix())
        if (source_tree / "pyproject.toml").is_file()
        else ""
    )
    values = {
        "name": name,
        "dist": f"agentbench-runner-{name}",
        "package": package,
        "cls": cls,
        "module": module,
        "hook": hook,
        "what": what,
        "description": f"{what.capitalize()} for agentbench: {name}",
        "sources": sources,
    }
    usage = {
        "task": f"uv run agentbench run {name} --model oracle --sandbox local",
        "provider": f"uv run agentbench run hello-arith --model {name}/echo  # any task",
        "sandbox": f"uv run agentbench run TASK --model M --sandbox {name}",
    }[kind]
    files = {
        "pyproject.toml": PYPROJECT.format(**values),
        "README.md": README.format(**values, usage=usage),
        f"src/{package}/__init__.py": f'"""{values["description"]}."""\n',
        f"src/{package}/plugin.py": PLUGIN.format(**values),
        f"src/{package}/{module}.py": code.format(**values),
        f"tests/test_{package}.py": test.format(**values),
    }
    written = []
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


@click.group()
def new() -> None:
    """Start something new (a plugin distribution)."""


@new.command("plugin")
@click.argument("name")
@click.option("--task", "kind", flag_value="task", default=True, help="A task plugin (default).")
@click.option("--provider", "kind", flag_value="provider", help="A model provider plugin.")
@click.option("--sandbox", "kind", flag_value="sandbox", help="A sandbox backend plugin.")
@click.option(
    "--dir",
    "directory",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where to create NAME/.",
)
def plugin(name: str, kind: str, directory: str) -> None:
    """Write NAME/: a plugin distribution with its entry point, a skeleton and a passing test."""
    written = write_plugin(Path(directory), name, kind)
    root = written[0].parent
    for path in written:
        click.echo(f"  {path.relative_to(root.parent)}")
    click.echo(f"next: cd {root} && uv run pytest")
