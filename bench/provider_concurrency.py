"""How close a provider gets to the ideal call rate with many calls in flight.

A fake server (`python -m agentbench.fakeservers`, its own process so that its CPU is not counted)
answers every call after `--latency` seconds. This process keeps `--max-connections` calls in
flight (one worker per connection, each sending its next call when the last one returns, as the
runner's episode workers do) through the core `Model` wrapper, over the provider's real SDK, for
`--calls` calls in all. One untimed round first opens every pooled connection. The garbage
collector is tuned as the runner tunes it for a big run (`--no-tune-gc`: Python's defaults).

The ideal rate is max_connections / latency. Two figures are reported against it:

- `whole_run_efficiency`: all calls over the whole timed run (first round to last answer);
- `steady_efficiency`: calls per second between the `--settle-rounds` x N-th answer and the
  (calls - N)-th one (N = max connections), i.e. while every connection is busy, after the first
  rounds and before the drain at the end.

`efficiency`, the issue's figure, is the steady-state one (`steady_efficiency`).

Why they differ: the first rounds run in step (all N calls start together, so they come back
together), and asyncio's FIFO ready queue runs every answer's steps before any follow-up call is
sent, so such a round lasts latency + N * cpu_per_call. Round by round the calls drift apart and
the rate approaches min(N / latency, 1 / cpu_per_call); `round_rates` shows it per round. The
default of 30,000 calls (some 40 s in all) leaves about 25 rounds for the steady window.

    uv run python bench/provider_concurrency.py                       # openai, 1,000 in flight
    uv run python bench/provider_concurrency.py --provider anthropic
    uv run python bench/provider_concurrency.py --max-connections 100 --calls 2000

The last line is JSON: {"efficiency", "whole_run_efficiency", "steady_efficiency", "cpu_s",
"cpu_ms_per_call", "peak_rss_mb", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from agentbench import GenerateConfig, Message, Model, RetryPolicy, load_plugins
from agentbench._runner.gctuning import tuned_gc

KEY = "sk-bench"
MAX_ROUND_RATES = 40
MODELS = {
    "openai": ("openai", "gpt-4o-mini", "OPENAI_API_KEY"),
    "anthropic": ("anthropic", "claude-haiku-4-5", "ANTHROPIC_API_KEY"),
    "litellm": ("openai", "openai/gpt-4o-mini", "OPENAI_API_KEY"),
}


def start_server(
    protocol: str, latency: float, jitter: float = 0.0
) -> tuple[subprocess.Popen[str], str]:
    """The fake server process and its base URL."""
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "agentbench.fakeservers", protocol, "--api-key", KEY),
            *("--latency", str(latency), "--jitter", str(jitter)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    return server, server.stdout.readline().strip()


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds of another process (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class GcTimer:
    """Seconds spent in garbage collection, via `gc.callbacks`."""

    def __init__(self) -> None:
        self.seconds, self.collections, self._start = 0.0, 0, 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.collections += 1


async def drive(model: Model, config: GenerateConfig, calls: int, in_flight: int) -> list[float]:
    """Send `calls` calls, `in_flight` at a time; the time each answer came back, in order."""
    answered: list[float] = []
    todo = iter(range(calls))
    wrong: list[str] = []

    async def worker() -> None:
        for i in todo:  # one shared iterator: next() never awaits
            output = await model.generate([Message.user(f"call {i}")], config=config)
            answered.append(time.monotonic())
            if output.text != "ok":
                wrong.append(output.text)

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    assert not wrong, f"{len(wrong)} wrong answers, e.g. {wrong[0]!r}"
    return answered


def rates(start: float, answered: list[float], n: int, settle_rounds: int) -> dict[str, Any]:
    """Whole-run and steady-state rates, and the rate of each round of `n` answers."""
    calls = len(answered)
    figures: dict[str, Any] = {"calls_per_s": calls / (answered[-1] - start)}
    first, last = settle_rounds * n - 1, calls - n - 1  # answer indices bounding the window
    figures["steady_calls_per_s"] = (
        (last - first) / (answered[last] - answered[first]) if last - first >= n else None
    )
    # Rounds of n answers, grouped so that there are at most MAX_ROUND_RATES figures.
    group = n * max(1, -(-(calls // n) // MAX_ROUND_RATES))
    bounds = [start, *(answered[k - 1] for k in range(group, calls + 1, group))]
    figures["round_rates"] = [round(group / (b - a), 1) for a, b in itertools.pairwise(bounds)]
    figures["rounds_per_rate"] = group // n
    return figures


async def measure(args: argparse.Namespace, base_url: str, server_pid: int) -> dict[str, Any]:
    _protocol, model_name, key_env = MODELS[args.provider]
    os.environ[key_env] = KEY
    provider_cls = load_plugins().provider(args.provider)
    options = {"http": args.http} if args.http != "auto" else {}  # litellm has no such option
    provider = provider_cls(model_name, base_url=base_url, **options)
    retry = RetryPolicy(max_attempts=1)  # a failed call must show, not hide behind a retry
    model = Model(
        f"{args.provider}/{model_name}",
        provider,
        max_connections=args.max_connections,
        timeout=120,
        retry=retry,
    )
    config = GenerateConfig(max_tokens=16)
    gc_timer = GcTimer()
    try:
        # Not timed: one call makes the client, then one round opens every pooled connection.
        await model.generate([Message.user("warm up")], config=config)
        await drive(model, config, args.max_connections, args.max_connections)
        tuning = tuned_gc() if args.tune_gc else contextlib.nullcontext()
        with tuning:
            gc.callbacks.append(gc_timer)
            cpu0, server_cpu0 = cpu_seconds(), process_cpu_seconds(server_pid)
            start = time.monotonic()
            answered = await drive(model, config, args.calls, args.max_connections)
            cpu = cpu_seconds() - cpu0
            server_cpu = process_cpu_seconds(server_pid) - server_cpu0
            gc.callbacks.remove(gc_timer)
    finally:
        await model.aclose()
    ideal = args.max_connections / args.latency
    figures = rates(start, answered, args.max_connections, args.settle_rounds)
    steady = figures["steady_calls_per_s"]
    steady_efficiency = None if steady is None else round(steady / ideal, 4)
    return {
        "provider": args.provider,
        "http": args.http,
        "calls": args.calls,
        "max_connections": args.max_connections,
        "latency_s": args.latency,
        "jitter": args.jitter,
        "tune_gc": args.tune_gc,
        "settle_rounds": args.settle_rounds,
        "elapsed_s": round(answered[-1] - start, 3),
        "ideal_calls_per_s": round(ideal, 1),
        "calls_per_s": round(figures["calls_per_s"], 1),
        "steady_calls_per_s": None if steady is None else round(steady, 1),
        "efficiency": steady_efficiency,
        "whole_run_efficiency": round(figures["calls_per_s"] / ideal, 4),
        "steady_efficiency": steady_efficiency,
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_call": round(1000 * cpu / args.calls, 3),
        "gc_s": round(gc_timer.seconds, 3),
        "gc_collections": gc_timer.collections,
        "server_cpu_s": round(server_cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rounds_per_rate": figures["rounds_per_rate"],
        "round_rates": figures["round_rates"],
    }


def report(figures: dict[str, Any]) -> str:
    """The human-readable table (stderr)."""
    steady = figures["steady_efficiency"]
    steady_text = "n/a (too few calls)" if steady is None else f"{steady:.1%}"
    rows = [
        (
            "setup",
            f"{figures['provider']} ({figures['http']}), {figures['calls']} calls, "
            f"{figures['max_connections']} in flight, {figures['latency_s']:g}s latency, "
            f"gc {'tuned' if figures['tune_gc'] else 'default'}",
        ),
        ("ideal", f"{figures['ideal_calls_per_s']} calls/s"),
        ("whole run", f"{figures['calls_per_s']} calls/s = {figures['whole_run_efficiency']:.1%}"),
        (
            f"steady (after round {figures['settle_rounds']})",
            f"{figures['steady_calls_per_s']} calls/s = {steady_text}  <- efficiency",
        ),
        (
            "CPU",
            f"{figures['cpu_ms_per_call']} ms/call (gc {figures['gc_s']} s), "
            f"server {figures['server_cpu_s']} s",
        ),
        ("peak RSS", f"{figures['peak_rss_mb']} MB"),
        (
            f"calls/s per {figures['rounds_per_rate']} round(s)",
            " ".join(f"{r:.0f}" for r in figures["round_rates"]),
        ),
    ]
    return "\n".join(f"{name:>24}: {value}" for name, value in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=sorted(MODELS), default="openai")
    parser.add_argument("--calls", type=int, default=30_000, help="calls in all")
    parser.add_argument("--max-connections", type=int, default=1000, help="calls in flight at once")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per call")
    parser.add_argument("--jitter", type=float, default=0.0, help="latency spread: +-this fraction")
    parser.add_argument(
        "--http", choices=["auto", "aiohttp", "httpx"], default="auto", help="SDK HTTP transport"
    )
    parser.add_argument(
        "--settle-rounds", type=int, default=5, help="rounds left out before the steady window"
    )
    parser.add_argument(
        "--no-tune-gc",
        dest="tune_gc",
        action="store_false",
        help="keep Python's GC defaults (the runner tunes them for big runs)",
    )
    args = parser.parse_args()
    # Each connection is a file descriptor, in this process and in the server's.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.max_connections + 256)), hard)
    )
    server, base_url = start_server(MODELS[args.provider][0], args.latency, args.jitter)
    try:
        figures = asyncio.run(measure(args, base_url, server.pid))
    finally:
        server.terminate()
        server.wait()
    print(report(figures), file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
