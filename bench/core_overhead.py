"""Core overhead: 10,000 episodes of a trivial task, scripted model, no sandbox.

Everything a real run does except the model and the sandbox: scheduling, the episode context,
the model wrapper (retries, limits, usage), transcript events, the SQLite store (one commit per
episode), metrics and the summary. Goal: >= 2,000 episodes/s and < 300 MB peak RSS.

    uv run python bench/core_overhead.py [--episodes 10000] [--max-episodes 64]

The last line is JSON: {"episodes_per_s": ..., "peak_rss_mb": ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from typing import Any

from agentbench import Sample, Score, Task, TaskOptions, hookimpl
from agentbench.api import run_async
from agentbench.plugins import load_plugins


class TrivialOptions(TaskOptions):
    n: int = 10_000


class TrivialTask(Task):
    """Sample i: the model must answer "ok"."""

    name = "bench-trivial"
    Options = TrivialOptions

    def samples(self) -> list[Sample]:
        return [Sample(id=f"t{i}", input="answer ok", target="ok") for i in range(self.options.n)]

    async def check(self, ctx: Any) -> Score:
        return Score.of(ctx.state["output"].text == ctx.sample.target)


class BenchPlugin:
    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register("bench-trivial", TrivialTask)


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def main(episodes: int, max_episodes: int) -> dict[str, Any]:
    registry = load_plugins(extra=[BenchPlugin()])
    with tempfile.TemporaryDirectory() as run_dir:
        t0, cpu0 = time.perf_counter(), _cpu_s()
        summary = await run_async(
            "bench-trivial",
            registry=registry,
            model="scripted",
            model_options={"responses": ["ok"]},
            task_options={"n": episodes},
            max_episodes=max_episodes,
            run_dir=run_dir,
        )
        seconds, cpu = time.perf_counter() - t0, _cpu_s() - cpu0
    assert summary.completed == episodes and summary.metrics["pass@1"] == 1.0, summary
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "episodes": episodes,
        "seconds": round(seconds, 3),
        "cpu_s": round(cpu, 3),
        # On a loaded machine wall time lies; episodes per CPU second is what the core costs.
        "episodes_per_cpu_s": round(episodes / cpu, 1),
        "episodes_per_s": round(episodes / seconds, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--max-episodes", type=int, default=64)
    args = parser.parse_args()
    result = asyncio.run(main(args.episodes, args.max_episodes))
    print(f"{result['episodes']} episodes in {result['seconds']} s", file=sys.stderr)
    print(json.dumps(result))
