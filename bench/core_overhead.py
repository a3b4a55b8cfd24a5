"""Core overhead: 10,000 episodes of a trivial task, scripted model, no sandbox, and the same at
larger scales.

Everything a real run does except the model and the sandbox: scheduling, the episode context,
the model wrapper (retries, limits, usage), transcript events, the SQLite store (one commit per
episode), metrics and the summary. Goal: >= 2,000 episodes/s and < 300 MB peak RSS at 10,000
episodes; memory flat in the size of the run: at 100,000 episodes episodes/s within 20% of the
10,000-episode figure and < 150 MB peak RSS, at 1,000,000 episodes < 200 MB.

Each size runs in its own process (peak RSS is per process): `--episodes` (10,000), then every
`--scale` size (100,000 unless given; `--scale 0` for none; some 25 s per 100,000 episodes).

    uv run python bench/core_overhead.py [--episodes 10000] [--max-episodes 64]
    uv run python bench/core_overhead.py --scale 100000 --scale 1000000   # minutes

The last line is JSON: {"episodes_per_s": ..., "peak_rss_mb": ..., "peak_rss_mb_100k": ...,
"episodes_per_s_100k": ..., "rate_ratio_100k": ...}, with `_1m` keys for a 1,000,000 scale
(`rate_ratio` compares episodes per CPU second, which a loaded machine does not skew).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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

    def samples(self) -> Iterator[Sample]:
        # A generator, as a task over a large data file would be: the core must not hold them.
        return (Sample(id=f"t{i}", input="answer ok", target="ok") for i in range(self.options.n))

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


def measure_in_child(episodes: int, max_episodes: int) -> dict[str, Any]:
    """`main` in a fresh process, so that its peak RSS is its own."""
    out = subprocess.run(
        [
            *(sys.executable, __file__, "--child"),
            *("--episodes", str(episodes), "--max-episodes", str(max_episodes)),
        ],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return figures


def label(episodes: int) -> str:
    """100000 -> "100k", 1000000 -> "1m"."""
    for unit, size in (("m", 1_000_000), ("k", 1_000)):
        if episodes >= size and episodes % size == 0:
            return f"{episodes // size}{unit}"
    return str(episodes)


def scaled(base: dict[str, Any], scales: list[int], max_episodes: int) -> dict[str, Any]:
    """`base` plus, per scale, `peak_rss_mb_<label>`, `episodes_per_s_<label>` and
    `rate_ratio_<label>` (episodes per CPU second at that scale over the base's)."""
    result = dict(base)
    for episodes in scales:
        figures = measure_in_child(episodes, max_episodes)
        name = label(episodes)
        print(f"{episodes} episodes: {json.dumps(figures)}", file=sys.stderr)
        result[f"peak_rss_mb_{name}"] = figures["peak_rss_mb"]
        result[f"episodes_per_s_{name}"] = figures["episodes_per_s"]
        result[f"rate_ratio_{name}"] = round(
            figures["episodes_per_cpu_s"] / base["episodes_per_cpu_s"], 3
        )
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--max-episodes", type=int, default=64)
    parser.add_argument(
        "--scale",
        type=int,
        action="append",
        help="a larger run size to measure too (repeatable; default 100000; 0 for none)",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(main(args.episodes, args.max_episodes))))
        sys.exit(0)
    base = measure_in_child(args.episodes, args.max_episodes)
    print(f"{base['episodes']} episodes in {base['seconds']} s", file=sys.stderr)
    scales = [n for n in (args.scale or [100_000]) if n > 0]
    print(json.dumps(scaled(base, scales, args.max_episodes)))
