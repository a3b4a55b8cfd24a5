"""MCTS-DPO preference collection against a slow OpenAI-compatible server: calls in flight.

A fake OpenAI server (its own process, so that its CPU is not counted here) plays the toy model
of `agentbench_mcts.toy` (right and wrong steps, self-evaluation verdicts with logprobs) and
answers every call after `--latency` seconds. `agentbench run mcts-preference` runs `--questions`
questions ('What is X + Y?', GSM8K format) as concurrent episodes over the OpenAI provider with
`--max-connections` connections; inside an episode, each expansion's samples go out together and
then all its self-evaluations go out together.

One call at a time (upstream's loop) would take calls * latency seconds, so
speedup = calls * latency / seconds is the average number of calls in flight. Goal: >= 50.

    uv run python bench/mcts_throughput.py
    uv run python bench/mcts_throughput.py --questions 64 --n-iters 8

The last line is JSON: {"seconds", "calls", "speedup", "pairs", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentbench import EpisodeResult, RunConfig, hookimpl, run_async

KEY = "sk-bench"


def serve(latency: float) -> None:
    """The server process: print the base URL, then answer until killed."""
    from agentbench_mcts.toy import toy_responder

    from agentbench.fakeservers import FakeOpenAIServer

    async def main() -> None:
        server = FakeOpenAIServer(toy_responder(), latency=latency, api_key=KEY, record=False)
        await server.start()
        print(server.base_url, flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())


def write_questions(path: Path, n: int, seed: int = 0) -> None:
    """n GSM8K-format records 'What is X + Y?' with a two-line reference solution."""
    rng = random.Random(seed)
    lines = []
    for i in range(n):
        x, y = rng.randint(10, 99), rng.randint(10, 99)
        answer = f"We add {x} and {y}.\n{x} + {y} = <<{x}+{y}={x + y}>>{x + y}\n#### {x + y}"
        lines.append(
            json.dumps({"id": f"q{i}", "question": f"What is {x} + {y}?", "answer": answer})
        )
    path.write_text("\n".join(lines) + "\n")


class Collector:
    """Keeps every finished episode (an observer plugin)."""

    def __init__(self) -> None:
        self.results: list[EpisodeResult] = []

    @hookimpl
    def on_episode_end(self, result: EpisodeResult) -> None:
        self.results.append(result)


async def measure(args: argparse.Namespace, base_url: str, workdir: Path) -> dict[str, Any]:
    data = workdir / "questions.jsonl"
    write_questions(data, args.questions)
    os.environ["OPENAI_API_KEY"] = KEY
    collector = Collector()
    config = RunConfig(
        task="mcts-preference",
        model="openai/gpt-4o-mini",
        model_options={"base_url": base_url},
        task_options={
            "data": str(data),
            "n_iters": args.n_iters,
            "depth_limit": args.depth,
            "n_init_actions": args.widths[0],
            "n_actions": args.widths[1],
            "out": str(workdir / "out"),
        },
        max_episodes=args.questions,
        max_connections=args.max_connections,
        max_retries=0,
        run_dir=str(workdir / "runs"),
        progress="none",
    )
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    start, wall0 = time.monotonic(), time.time()
    summary = await run_async(config, plugins=[collector])
    seconds = time.monotonic() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    details = [r.score.details for r in collector.results if r.score is not None]
    errors = [r.error for r in collector.results if r.error]
    calls = sum(d["calls"] for d in details)
    durations = [r.duration_s for r in collector.results]
    rounds = [r.duration_s / args.latency for r in collector.results]
    per_episode_calls = [d["calls"] for d in details]
    return {
        "seconds": round(seconds, 3),
        "calls": calls,
        "speedup": round(calls * args.latency / seconds, 2),
        "pairs": sum(d["pairs_written"] for d in details),
        "prefetched_unused_calls": sum(d["prefetch_unused"] for d in details),
        "episodes": len(collector.results),
        "errors": len(errors),
        "passed": sum(1 for r in collector.results if r.passed),
        "latency_s": args.latency,
        "max_connections": args.max_connections,
        "calls_per_episode": round(statistics.mean(per_episode_calls), 2),
        "latency_rounds_per_episode": round(statistics.mean(rounds), 2),
        "calls_in_flight_per_episode": round(
            statistics.mean(
                c / max(r, 1e-9) for c, r in zip(per_episode_calls, rounds, strict=True)
            ),
            2,
        ),
        "longest_episode_s": round(max(durations), 3),
        "first_episode_start_s": round(min(r.started_at for r in collector.results) - wall0, 3),
        "last_episode_start_s": round(max(r.started_at for r in collector.results) - wall0, 3),
        "mean_tree_nodes": round(statistics.mean(d["tree_nodes"] for d in details), 1),
        "cpu_s": round(cpu, 3),
        "summary_pass@1": summary.metrics.get("pass@1"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--questions", type=int, default=32)
    parser.add_argument("--n-iters", type=int, default=16)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--widths", type=int, nargs=2, default=[2, 2], help="root and below")
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--max-connections", type=int, default=256)
    args = parser.parse_args()
    if args.serve:
        serve(args.latency)
        return
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            figures = asyncio.run(measure(args, base_url, Path(tmp)))
    finally:
        server.terminate()
        server.wait()
    print(
        f"{figures['episodes']} episodes, {figures['calls']} calls in {figures['seconds']} s "
        f"(one at a time: {figures['calls'] * args.latency:.0f} s); "
        f"per episode {figures['calls_per_episode']} calls over "
        f"{figures['latency_rounds_per_episode']} latency rounds; CPU {figures['cpu_s']} s",
        file=sys.stderr,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
