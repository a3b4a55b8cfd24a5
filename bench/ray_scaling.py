"""How the ray executor scales with nodes on a model-latency-bound workload.

A fake OpenAI-compatible server (`python -m agentbench.fakeservers`, its own process) answers
every call after `--latency` seconds (0.2). A toy task makes `--calls` (4) sequential model calls
per episode and nothing else, so an episode takes about 0.8 s of waiting. `--episodes` (2,000)
such episodes run

- on a local Ray cluster (`ray.cluster_utils.Cluster`: a head without slots plus 1, 2 and 4
  simulated nodes, each its own raylet with 1 CPU and `--slots` episode slots), and
- with the built-in `local` executor with the same total slots (`--max-episodes` = nodes x slots),

each timed twice: `*_whole_s` from the start of the run to its summary (for ray: connecting,
starting a worker process on each node, importing the plugins there and rebuilding the
environment included, some seconds that do not grow with the run), and `*_s` from the first
episode's start to the last one's end (from the store: the steady part). The nodes share this
machine's cores.

Figures (from the steady times): `speedup_N` = ray time on 1 node / ray time on N nodes;
`overhead_ms_per_episode` is what the ray executor adds to each episode against the local
executor with the same slots, the worst over the node counts: (T_ray - T_local) x slots /
episodes. The `whole_` figures include the start-up.

    uv run python bench/ray_scaling.py                      # 2,000 episodes, 25 slots a node
    uv run python bench/ray_scaling.py --episodes 400 --nodes 1,2

The last line is JSON: {"speedup_2", "speedup_4", "overhead_ms_per_episode", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

KEY = "sk-bench"

# The task, as a module the driver and every Ray worker import (a fake distribution whose
# `agentbench` entry point names it; the workers get it through runtime_env's working_dir).
TASK_MODULE = '''
from agentbench import Message, Sample, Score, Task, TaskOptions, hookimpl


class LatencyOptions(TaskOptions):
    n: int = 100
    calls: int = 4


class LatencyTask(Task):
    """`calls` model calls in a row per episode; passes when every answer is "ok"."""

    name = "ray-latency"
    Options = LatencyOptions

    def samples(self):
        return [Sample(id=f"e{i}", input=f"episode {i}") for i in range(self.options.n)]

    def sandbox_spec(self, sample):
        return None

    async def solve(self, ctx):
        answers = []
        for i in range(self.options.calls):
            output = await ctx.generate([Message.user(f"{ctx.sample.input} call {i}")])
            answers.append(output.text)
        ctx.state["answers"] = answers

    async def check(self, ctx):
        return Score.of(all(a == "ok" for a in ctx.state["answers"]))


@hookimpl
def register_tasks(register):
    register("ray-latency", LatencyTask)
'''


def install_task(site: Path) -> None:
    """The task module and its dist-info under `site`."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "ab_ray_latency.py").write_text(TASK_MODULE)
    dist = site / "ab_ray_latency-0.0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ab-ray-latency\nVersion: 0.0.1\n")
    (dist / "entry_points.txt").write_text("[agentbench]\nray-latency = ab_ray_latency\n")


def start_server(latency: float) -> tuple[subprocess.Popen[str], str]:
    """The fake OpenAI server process and its base URL."""
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


class CpuMeter:
    """CPU seconds of this process and all its descendants but `skip` (the fake server), also of
    those that end before it is read (sampled every `interval` s from /proc; Linux only)."""

    def __init__(self, skip: int, interval: float = 0.5) -> None:
        self.skip, self.interval = skip, interval
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> CpuMeter:
        self.start = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(self.seen.values()) - sum(self.start.values())

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> dict[int, float]:
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        tick = os.sysconf("SC_CLK_TCK")
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
            cpu[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
        mine = {os.getpid()}
        for pid in sorted(parents):  # parents usually have smaller pids; two passes suffice
            if parents[pid] in mine and pid != self.skip:
                mine.add(pid)
        for pid in sorted(parents):
            if parents[pid] in mine and pid != self.skip:
                mine.add(pid)
        for pid in mine:
            self.seen[pid] = max(self.seen.get(pid, 0.0), cpu.get(pid, 0.0))
        return {pid: cpu.get(pid, 0.0) for pid in mine}


async def timed_run(
    args: argparse.Namespace, base_url: str, out: Path, **how: Any
) -> tuple[float, float]:
    """Seconds one run of the workload takes: start to summary, and first episode started to
    last one finished (the steady part, without connecting and starting workers). Checks that
    every episode passed."""
    from agentbench.api import load_run, run_async

    t0 = time.perf_counter()
    summary = await run_async(
        "ray-latency",
        model="openai/gpt-4o-mini",
        model_options={"base_url": base_url},
        task_options={"n": args.episodes, "calls": args.calls},
        max_connections=10_000,
        run_dir=str(out),
        **how,
    )
    seconds = time.perf_counter() - t0
    assert summary.completed == args.episodes and summary.metrics["pass@1"] == 1.0, summary
    results = list(load_run(Path(summary.run_dir))[1])
    assert len(results) == args.episodes  # nothing lost, nothing doubled
    first = min(r.started_at for r in results)
    last = max(r.started_at + r.duration_s for r in results)
    return seconds, last - first


def ray_run(
    args: argparse.Namespace, base_url: str, out: Path, site: Path, nodes: int
) -> tuple[float, ...]:
    """The workload on a fresh local cluster of `nodes` nodes: whole and steady seconds, and
    the CPU seconds of the driver, raylets and workers during the run."""
    import ray
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    try:
        for _ in range(nodes):
            cluster.add_node(num_cpus=1, resources={"agentbench_slots": args.slots})
        options = {"address": cluster.address, "working_dir": str(site)}
        with CpuMeter(args.server_pid) as meter:
            times = asyncio.run(
                timed_run(args, base_url, out, executor="ray", executor_options=options)
            )
        return (*times, meter.seconds)
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--slots", type=int, default=25, help="episode slots per node")
    parser.add_argument("--nodes", default="1,2,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.nodes.split(",")]

    os.environ["OPENAI_API_KEY"] = KEY  # the raylets, hence the workers, inherit it
    os.environ["RAY_ENABLE_UV_RUN_RUNTIME_ENV"] = "0"  # workers use this venv's Python
    tmp = Path(tempfile.mkdtemp(prefix="ray-scaling-"))
    site = tmp / "site"
    install_task(site)
    sys.path.insert(0, str(site))  # the driver finds the task too
    server, base_url = start_server(args.latency)
    args.server_pid = server.pid
    figures: dict[str, Any] = {"episodes": args.episodes, "slots_per_node": args.slots}
    try:
        for n in counts:
            slots = n * args.slots
            with CpuMeter(server.pid) as meter:
                local = asyncio.run(
                    timed_run(
                        args, base_url, tmp / f"local{n}", executor="local", max_episodes=slots
                    )
                )
            local = (*local, meter.seconds)
            remote = ray_run(args, base_url, tmp / f"ray{n}", site, n)
            ideal = args.episodes / slots * args.calls * args.latency
            per_episode = slots / args.episodes * 1e3
            figures[f"nodes_{n}"] = {
                "ray_s": round(remote[1], 2),
                "local_s": round(local[1], 2),
                "ideal_s": round(ideal, 2),
                "ray_whole_s": round(remote[0], 2),
                "local_whole_s": round(local[0], 2),
                "overhead_ms_per_episode": round((remote[1] - local[1]) * per_episode, 2),
                "whole_overhead_ms_per_episode": round((remote[0] - local[0]) * per_episode, 2),
                "ray_cpu_ms_per_episode": round(remote[2] / args.episodes * 1e3, 2),
                "local_cpu_ms_per_episode": round(local[2] / args.episodes * 1e3, 2),
            }
            print(json.dumps({f"nodes_{n}": figures[f"nodes_{n}"]}), flush=True)
    finally:
        server.terminate()
        server.wait()
    base = figures[f"nodes_{counts[0]}"]["ray_s"] * counts[0]
    result = {
        f"speedup_{n}": round(base / figures[f"nodes_{n}"]["ray_s"], 3) for n in counts if n > 1
    }
    for name in ("overhead_ms_per_episode", "whole_overhead_ms_per_episode"):
        result[name] = max(figures[f"nodes_{n}"][name] for n in counts)
    whole = figures[f"nodes_{counts[0]}"]["ray_whole_s"] * counts[0]
    for n in counts[1:]:
        result[f"whole_speedup_{n}"] = round(whole / figures[f"nodes_{n}"]["ray_whole_s"], 3)
    print(json.dumps({**figures, **result}))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
