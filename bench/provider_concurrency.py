"""How close a provider gets to the ideal call rate with many calls in flight.

A fake server (`python -m agentbench.fakeservers`, its own process so that its CPU is not counted)
answers every call after `--latency` seconds. This process sends `--calls` calls through the core
`Model` wrapper with `--max-connections` in flight, over the provider's real SDK. The ideal rate is
max_connections / latency; efficiency is the achieved rate over it. One untimed round first opens
every pooled connection, so the figure is the steady state.

    uv run python bench/provider_concurrency.py                       # openai, 1,000 in flight
    uv run python bench/provider_concurrency.py --provider anthropic
    uv run python bench/provider_concurrency.py --max-connections 100 --calls 500

Why 1,000 in flight at 1 s falls short of the ideal: the calls run in step (they start together,
so they come back together), and asyncio interleaves the steps of every call that is ready, so a
round lasts latency + in_flight * cpu_per_call. With ~1 ms of CPU per call (SDK, HTTP, JSON,
pydantic) that is ~2 s instead of 1 s; at 100 in flight it is ~1.1 s.

The last line is JSON: {"efficiency", "cpu_s", "peak_rss_mb", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

from agentbench import GenerateConfig, Message, Model, RetryPolicy, load_plugins

KEY = "sk-bench"
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
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def measure(args: argparse.Namespace, base_url: str, server_pid: int) -> dict[str, Any]:
    _protocol, model_name, key_env = MODELS[args.provider]
    os.environ[key_env] = KEY
    provider_cls = load_plugins().provider(args.provider)
    provider = provider_cls(model_name, base_url=base_url)
    retry = RetryPolicy(max_attempts=1)  # a failed call must show, not hide behind a retry
    model = Model(
        f"{args.provider}/{model_name}",
        provider,
        max_connections=args.max_connections,
        timeout=120,
        retry=retry,
    )
    config = GenerateConfig(max_tokens=16)
    try:
        # Not timed: one call makes the client, then one round opens every pooled connection.
        await model.generate([Message.user("warm up")], config=config)
        await asyncio.gather(
            *(
                model.generate([Message.user(f"warm {i}")], config=config)
                for i in range(args.max_connections)
            )
        )
        if args.tune_gc:  # what a runner could do: fewer, cheaper collections
            gc.freeze()
            gc.set_threshold(50_000, 50, 100)
        cpu0, server_cpu0, start = cpu_seconds(), process_cpu_seconds(server_pid), time.monotonic()
        outputs = await asyncio.gather(
            *(model.generate([Message.user(f"call {i}")], config=config) for i in range(args.calls))
        )
        elapsed = time.monotonic() - start
        cpu = cpu_seconds() - cpu0
        server_cpu = process_cpu_seconds(server_pid) - server_cpu0
    finally:
        await model.aclose()
    assert all(o.text == "ok" for o in outputs)
    ideal = args.max_connections / args.latency
    achieved = args.calls / elapsed
    return {
        "provider": args.provider,
        "calls": args.calls,
        "max_connections": args.max_connections,
        "latency_s": args.latency,
        "jitter": args.jitter,
        "tune_gc": args.tune_gc,
        "elapsed_s": round(elapsed, 3),
        "calls_per_s": round(achieved, 1),
        "ideal_calls_per_s": round(ideal, 1),
        "efficiency": round(achieved / ideal, 4),
        "cpu_s": round(cpu, 3),
        "cpu_ms_per_call": round(1000 * cpu / args.calls, 3),
        "server_cpu_s": round(server_cpu, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--provider", choices=sorted(MODELS), default="openai")
    parser.add_argument("--calls", type=int, default=5000, help="calls in all")
    parser.add_argument("--max-connections", type=int, default=1000, help="calls in flight at once")
    parser.add_argument("--latency", type=float, default=1.0, help="seconds per call")
    parser.add_argument("--jitter", type=float, default=0.0, help="latency spread: +-this fraction")
    parser.add_argument(
        "--tune-gc", action="store_true", help="freeze the heap, collect less often"
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
    print(
        f"{figures['calls']} calls, {figures['max_connections']} in flight, "
        f"{args.latency:g}s latency: "
        f"{figures['calls_per_s']}/s of an ideal {figures['ideal_calls_per_s']}/s; "
        f"{figures['cpu_ms_per_call']} ms CPU per call",
        file=sys.stderr,
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
