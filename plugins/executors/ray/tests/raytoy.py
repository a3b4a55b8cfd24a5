"""A toy task the Ray tests run on their cluster (installed as a fake distribution, so that the
driver and every Ray worker find it through the `agentbench` entry points).

Sample i echoes `word-i` in the sandbox, asks the model (the `oracle`), keeps an artifact and
passes when both say `word-i`. `-T log_file=` appends `sample:epoch:node` for every episode run
(started, not only finished), so a test sees episodes that ran twice; RAYTOY_SINK_LOG=file
gets one line per episode the driver recorded, so a test sees one recorded twice.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from agentbench import Message, Sample, SandboxSpec, Score, Task, TaskOptions, hookimpl


class ToyOptions(TaskOptions):
    n: int = 6
    sleep: float = 0.0
    sandbox: bool = True
    image: str = "python"
    log_file: str | None = None


class ToyTask(Task):
    """Sample i: echo `word-i` in the sandbox, have the model say it; passes when both do."""

    name = "ray-toy"
    Options = ToyOptions

    def samples(self) -> list[Sample]:
        words = [f"word-{i}" for i in range(self.options.n)]
        return [Sample(id=f"s{i}", input=w, target=w) for i, w in enumerate(words)]

    def sandbox_spec(self, sample: Sample) -> SandboxSpec | None:
        return SandboxSpec(image=self.options.image) if self.options.sandbox else None

    def reference(self, sample: Sample) -> Any:
        return sample.target

    async def solve(self, ctx: Any) -> None:
        if self.options.log_file:
            with open(self.options.log_file, "a") as f:
                f.write(f"{ctx.sample.id}:{ctx.epoch}:{os.environ.get('RAY_NODE_NAME', '?')}\n")
        if self.options.sleep:
            await asyncio.sleep(self.options.sleep)
        echoed = ctx.sample.input
        if ctx.sandbox is not None:
            echoed = (await ctx.sandbox.exec(["echo", str(ctx.sample.input)])).stdout.strip()
        output = await ctx.generate([Message.user(f"say {ctx.sample.input}")])
        ctx.log.artifact("answer.txt", f"{echoed} {output.text}")
        ctx.state["answers"] = (echoed, output.text)

    async def check(self, ctx: Any) -> Score:
        echoed, said = ctx.state["answers"]
        return Score.of(echoed == said == ctx.sample.target, f"echoed {echoed!r}, said {said!r}")


@hookimpl
def register_tasks(register: Any) -> None:
    register("ray-toy", ToyTask)


@hookimpl
def on_episode_end(result: Any) -> None:
    """In the driver: one line per episode the runner recorded (RAYTOY_SINK_LOG=file)."""
    path = os.environ.get("RAYTOY_SINK_LOG")
    if path:
        with open(path, "a") as f:
            f.write(f"{result.sample_id}:{result.epoch}:{result.status}\n")
