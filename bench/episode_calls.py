"""Many model calls in one episode: how close a run gets to the ideal call rate.

A toy task (`bench-fanout`, registered in-process) makes `--calls-per-episode` concurrent
`ctx.generate` calls per episode (`asyncio.gather`, each with its own `tag`, as a tree search
expands nodes) against the local OpenAI-compatible fake server (`python -m agentbench.fakeservers`,
its own process so that its CPU is not counted), which answers each call after `--latency`
seconds. The whole runner is measured: plan, episode workers, the `openai` provider over its real
SDK, the per-model connection limit (`--max-connections`) shared by every episode, the store and
the summary. One untimed warm-up run first opens the pooled connections' worth of sockets on the
server and imports everything.

The ideal rate is max_connections / latency calls per second; `efficiency` is the calls of the
timed run over its wall time, divided by that (goal >= 0.9; the run's first and last round, when
fewer calls are in flight, are included).

    uv run python bench/episode_calls.py          # 200 episodes x 32 calls, 256 connections
    uv run python bench/episode_calls.py --episodes 400 --max-connections 512

The last line is JSON: {"efficiency": ..., "cpu_ms_per_call": ..., ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

from agentbench import EpisodeContext, Message, Sample, Score, Task, TaskOptions, hookimpl
from agentbench.api import run_async
from agentbench.plugins import load_plugins

KEY = "sk-bench"
MODEL = "openai/gpt-4o-mini"


class FanOutOptions(TaskOptions):
    n: int = 200
    calls: int = 32


class FanOutTask(Task):
    """Each episode asks `calls` questions at once; it passes when every answer arrived."""

    name = "bench-fanout"
    Options = FanOutOptions

    def samples(self) -> list[Sample]:
        return [Sample(id=f"f{i}", input=f"node {i}") for i in range(self.options.n)]

    async def solve(self, ctx: EpisodeContext) -> None:
        prompt = str(ctx.sample.input)
        outputs = await asyncio.gather(
            *(
                ctx.generate([Message.user(f"{prompt} child {i}")], tag=f"c{i}")
                for i in range(self.options.calls)
            )
        )
        ctx.state["answers"] = [o.text for o in outputs]

    async def check(self, ctx: EpisodeContext) -> Score:
        answers = ctx.state["answers"]
        return Score.of(len(answers) == self.options.calls and all(answers))


class BenchPlugin:
    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register("bench-fanout", FanOutTask)


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    """The fake OpenAI-compatible server process and its base URL."""
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "agentbench.fakeservers", "openai", "--api-key", KEY),
            *("--latency", str(latency)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def episodes_to_fill(args: argparse.Namespace) -> int:
    """Episodes whose calls together fill every connection."""
    return max(1, -(-args.max_connections // args.calls_per_episode))


async def one_run(args: argparse.Namespace, base_url: str, episodes: int) -> Any:
    """One run of the fan-out task through the runner; its summary."""
    registry = load_plugins(extra=[BenchPlugin()])
    with tempfile.TemporaryDirectory() as run_dir:
        summary = await run_async(
            "bench-fanout",
            registry=registry,
            model=MODEL,
            model_options={"base_url": base_url},
            task_options={"n": episodes, "calls": args.calls_per_episode},
            max_episodes=args.max_episodes or 2 * episodes_to_fill(args),
            max_connections=args.max_connections,
            max_retries=0,  # a failed call must show, not hide behind a retry
            run_dir=run_dir,
        )
    assert summary.completed == episodes and summary.metrics["pass@1"] == 1.0, summary
    return summary


async def measure(args: argparse.Namespace, base_url: str) -> dict[str, Any]:
    os.environ["OPENAI_API_KEY"] = KEY
    await one_run(args, base_url, episodes_to_fill(args))  # not timed: imports, SDK client, sockets
    calls = args.episodes * args.calls_per_episode
    cpu0, start = cpu_seconds(), time.monotonic()
    summary = await one_run(args, base_url, args.episodes)
    elapsed, cpu = time.monotonic() - start, cpu_seconds() - cpu0
    ideal = args.max_connections / args.latency
    achieved = calls / elapsed
    return {
        "episodes": args.episodes,
        "calls_per_episode": args.calls_per_episode,
        "calls": calls,
        "max_connections": args.max_connections,
        "latency_s": args.latency,
        "elapsed_s": round(elapsed, 3),
        "ideal_calls_per_s": round(ideal, 1),
        "calls_per_s": round(achieved, 1),
        "efficiency": round(achieved / ideal, 4),
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_call": round(1000 * cpu / calls, 3),
        "input_tokens": summary.usage.input_tokens,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--calls-per-episode", type=int, default=32)
    parser.add_argument("--max-connections", type=int, default=256)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per call")
    parser.add_argument(
        "--max-episodes",
        type=int,
        default=0,
        help="episodes in flight (default: enough to keep twice the connections asked for)",
    )
    args = parser.parse_args()
    # Each connection is a file descriptor, in this process and in the server's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.max_connections + 256)), hard)
    )
    server, base_url = start_server(args.latency)
    try:
        figures = asyncio.run(measure(args, base_url))
    finally:
        server.terminate()
        server.wait()
    print(
        f"{figures['calls']} calls in {figures['elapsed_s']} s: {figures['calls_per_s']} calls/s "
        f"of an ideal {figures['ideal_calls_per_s']} ({figures['efficiency']:.1%}), "
        f"{figures['cpu_ms_per_call']} ms CPU per call",
        file=sys.stderr,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
