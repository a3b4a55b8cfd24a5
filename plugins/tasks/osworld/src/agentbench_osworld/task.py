"""The `osworld` task: OSWorld task files run on a container desktop.

agentbench run osworld --model openai/gpt-4o                       # the bundled tasks
agentbench run osworld -T path=OSWorld/evaluation_examples -T assets=cache --model ...
agentbench run osworld --model oracle                               # the scripted solutions
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from agentbench import EpisodeContext, Sample, SandboxSpec, Score, Task, TaskOptions

from .agent import AgentConfig, run_agent
from .controller import DesktopController
from .data import TaskFile, load_solution, load_tasks
from .evaluator import evaluate, unsupported
from .getters import EvalEnv
from .setup import PASSWORD, SetupEnv, SetupError, asset_fix, missing_assets, run_steps


class OSWorldOptions(TaskOptions):
    """Options of the `osworld` task (`-T key=value`)."""

    path: str | None = Field(
        default=None,
        description="folder of <domain>/<id>.json task files (default: the bundled tasks)",
    )
    index: str | None = Field(
        default=None, description="index file (domain -> ids); default test_all.json if present"
    )
    domains: list[str] | None = Field(default=None, description="only these domains")
    assets: list[str] = Field(
        default_factory=list, description="folders with the files of download steps"
    )
    action_space: Literal["pyautogui", "computer_13"] = "pyautogui"
    observation: Literal["screenshot", "a11y_tree", "screenshot_a11y_tree"] = "screenshot"
    max_steps: int = Field(default=15, ge=1)
    history: int = Field(default=3, ge=0, description="previous steps shown to the model")
    a11y_max_tokens: int = Field(default=10000, ge=0)
    sleep_after_action: float = Field(default=0.5, ge=0)
    settle_seconds: float = Field(
        default=1.0, ge=0, description="wait after setup before the first observation"
    )
    image: str = "desktop"
    memory_mb: int = 4096
    cpus: float = 2.0

    @field_validator("domains", "assets", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        """`-T domains=os,chrome` and `-T assets=a,b` give comma-separated strings."""
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


def eval_assets(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(url, path) of the files a task needs only at evaluation: postconfig downloads and
    cloud_file gold files."""
    evaluator = config.get("evaluator") or {}
    files = [
        (f["url"], f["path"])
        for step in evaluator.get("postconfig") or []
        if isinstance(step, dict) and step.get("type") == "download"
        for f in (step.get("parameters") or {}).get("files", [])
        if isinstance(f, dict) and "url" in f
    ]
    for key in ("result", "expected"):
        configs = evaluator.get(key)
        for c in configs if isinstance(configs, list) else [configs]:
            if isinstance(c, dict) and c.get("type") == "cloud_file":
                urls = c["path"] if c.get("multi") else [c["path"]]
                dests = c["dest"] if c.get("multi") else [c["dest"]]
                files += list(zip(urls, dests, strict=False))
    return files


def check_eval_assets(config: dict[str, Any], env: SetupEnv) -> None:
    """Fail before the desktop starts (so before any model call) when a file needed only at
    evaluation is missing, naming each one and where it goes."""
    missing = missing_assets(eval_assets(config), env)
    if missing:
        where = "; ".join(asset_fix(url, env.task_id).split(" with it as ")[-1] for url in missing)
        raise SetupError(
            f"files needed to evaluate task {env.task_id} are missing: {', '.join(missing)}",
            f"download them and pass -T assets=DIR with them as {where}",
        )


class OSWorldTask(Task):
    """OSWorld task JSON on an X desktop in a container, scored by OSWorld evaluators."""

    name = "osworld"
    Options = OSWorldOptions

    @cached_property
    def _tasks(self) -> dict[str, TaskFile]:
        opts = self.options
        return {t.id: t for t in load_tasks(opts.path, opts.index, opts.domains)}

    def samples(self) -> list[Sample]:
        return [
            Sample(
                id=t.id,
                input=t.config["instruction"],
                subset=t.domain,
                metadata={
                    "related_apps": t.config.get("related_apps", []),
                    "source": t.config.get("source", ""),
                },
            )
            for t in self._tasks.values()
        ]

    def task_file(self, sample: Sample) -> TaskFile:
        return self._tasks[sample.id]

    def sandbox_spec(self, sample: Sample) -> SandboxSpec:
        opts = self.options
        return SandboxSpec(
            image=opts.image,
            user="user",
            workdir="/home/user",
            cpus=opts.cpus,
            memory_mb=opts.memory_mb,
            pids=4096,
            disk_mb=2048,
            network=False,
            resettable=False,
            env={
                "DISPLAY": ":0",
                "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus",
                "XDG_RUNTIME_DIR": "/run/user/1000",
            },
            options={
                "read_only": False,
                "no_new_privileges": False,
                "shm_size": "256m",
                "cap_add": ["AUDIT_WRITE", "SYS_CHROOT", "NET_BIND_SERVICE"],
            },
        )

    def reference(self, sample: Sample) -> list[Any] | None:
        return load_solution(self.task_file(sample))

    def _assets(self, task: TaskFile) -> list[Path]:
        return [Path(a).expanduser() for a in self.options.assets] + [task.path.parent / "assets"]

    def _envs(self, ctx: EpisodeContext) -> tuple[SetupEnv, EvalEnv]:
        if "envs" not in ctx.state:
            task = self.task_file(ctx.sample)
            assert ctx.sandbox is not None
            controller = DesktopController(ctx.sandbox, log=ctx.log.add)
            cache = Path(tempfile.mkdtemp(prefix=f"osworld-{task.id[:8]}-"))
            assets = self._assets(task)
            setup_env = SetupEnv(
                controller,
                cache_dir=cache,
                assets=assets,
                task_dir=task.path.parent,
                password=PASSWORD,
                task_id=task.id,
            )
            eval_env = EvalEnv(controller, cache, assets=assets, log=ctx.log.add, task_id=task.id)
            ctx.state["envs"] = (setup_env, eval_env)
        return ctx.state["envs"]

    async def setup(self, ctx: EpisodeContext) -> None:
        task = self.task_file(ctx.sample)
        missing = unsupported(task.config["evaluator"])
        if missing:
            raise SetupError(
                f"task {task.id}: unsupported evaluator parts: {', '.join(missing)}",
                "run it with upstream OSWorld, or add the metric/getter to agentbench-osworld",
            )
        setup_env, _ = self._envs(ctx)
        check_eval_assets(task.config, setup_env)
        started = await setup_env.controller.start()
        screen = started.get("screen") or {}
        setup_env.screen = (int(screen.get("width", 1920)), int(screen.get("height", 1080)))
        ctx.log.add(
            "desktop_started",
            timings=started.get("started"),
            screen=setup_env.screen,
            sudo=started.get("sudo", True),
        )
        if not started.get("sudo", True):
            ctx.log.add(
                "warning",
                message="sudo cannot work in this sandbox (no-new-privileges is set); "
                "setup steps and actions that use sudo will fail",
            )
        await run_steps(task.config.get("config", []), setup_env)
        await asyncio.sleep(self.options.settle_seconds)

    async def solve(self, ctx: EpisodeContext) -> None:
        setup_env, _ = self._envs(ctx)
        opts = self.options
        config = AgentConfig(
            action_space=opts.action_space,
            observation=opts.observation,
            max_steps=opts.max_steps,
            history=opts.history,
            a11y_max_tokens=opts.a11y_max_tokens,
            sleep_after_action=opts.sleep_after_action,
        )
        # run_agent keeps the trajectory in ctx.state, where check() reads the action history.
        await run_agent(ctx, setup_env.controller, str(ctx.sample.input), config, setup_env.screen)

    async def check(self, ctx: EpisodeContext) -> Score:
        task = self.task_file(ctx.sample)
        setup_env, eval_env = self._envs(ctx)
        trajectory = ctx.state.get("trajectory")
        eval_env.action_history = list(trajectory.actions) if trajectory is not None else []
        try:
            verdict = await evaluate(task.config["evaluator"], eval_env, setup_env)
        finally:
            shutil.rmtree(eval_env.cache_dir, ignore_errors=True)
        return Score(
            value=verdict.score,
            passed=verdict.score >= 1.0,
            explanation=verdict.explanation,
            details={
                **verdict.details,
                "actions": len(eval_env.action_history),
                "last_action": str(eval_env.action_history[-1])[:200]
                if eval_env.action_history
                else None,
            },
        )
