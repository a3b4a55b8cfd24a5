"""Local HTTP servers that speak model providers' wire protocols, with fault injection.

They let a provider plugin be tested through its real SDK, over real sockets, without a network:

    from agentbench.fakeservers import Fault, FakeOpenAIServer

    async with FakeOpenAIServer(api_key="sk-test") as server:
        server.inject(Fault.status(429, retry_after=0.01), Fault.truncated())
        server.reply("Paris")                    # scripted answers (str or ModelOutput) ...
        ...                                      # point the SDK at server.base_url
        assert len(server.requests) == 3         # ... and every request, recorded

`FakeOpenAIServer` speaks Chat Completions (`POST /v1/chat/completions`: tool calls, logprobs,
n > 1, usage with cached tokens); `FakeAnthropicServer` speaks Messages (`POST /v1/messages`:
tool_use / tool_result blocks, images, system prompts, stop_reason, cache_read_input_tokens). Both
check requests the way the real APIs do (a tool result without its tool call is a 400) and answer
with a `responder(request) -> ModelOutput | str` once the scripted replies run out.

A server runs in the caller's event loop (`async with`), in a thread (`with server.in_thread()`),
or in its own process: `python -m agentbench.fakeservers openai --latency 1` prints its base URL.
`latency` (with optional `jitter`) delays every answer, as a model's thinking would;
`rate_limit=20` (with `rate_window_s`, default 60) refuses calls over a sliding-window quota with
429 and the Retry-After of the next free slot, as a per-minute request quota does
(`rate_policy="bucket"`: a token bucket, one call per refill after a burst).
The asyncio server keeps thousands of connections open at once (for concurrency benchmarks).

Checks a provider plugin's tests can share (each raises AssertionError with what went wrong):

    @pytest.mark.parametrize(("fault", "error"), RETRYABLE_FAULTS)
    async def test_faults_are_retried_by_the_core(server, provider, fault, error):
        model = Model("my/model", provider, retry=RetryPolicy(initial_s=0.01), timeout=2.0)
        await assert_fault_retried(model, server, fault, error)   # mapped to `error`, retried once

`assert_not_retried` (a 401, a refused request: one request, no retry), `assert_concurrent_calls`
(the HTTP pool fits `max_connections`), and whole runs through the runner: `run_sums` runs a small
task (`SumsTask`, answered right by the responder `answer_sums`) with your model on the server,
`assert_run_survives` injects `RUN_FAULTS` into such a run and `assert_run_stops` an unretried one.

`FileServer(root)` serves a directory of files (a task loader's download-and-cache path, tested
offline); the pytest fixture `file_server` gives one rooted in the test's temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from agentbench.fakeservers._base import BadRequest, FakeServer, Fault, RecordedRequest, Responder
from agentbench.fakeservers._checks import (
    RETRYABLE_FAULTS,
    RUN_FAULTS,
    SumsRun,
    SumsTask,
    answer_sums,
    assert_concurrent_calls,
    assert_fault_retried,
    assert_not_retried,
    assert_run_stops,
    assert_run_survives,
    run_sums,
)
from agentbench.fakeservers._files import FileServer
from agentbench.fakeservers._protocols import FakeAnthropicServer, FakeOpenAIServer

__all__ = [
    "RETRYABLE_FAULTS",
    "RUN_FAULTS",
    "SERVERS",
    "BadRequest",
    "FakeAnthropicServer",
    "FakeOpenAIServer",
    "FakeServer",
    "Fault",
    "FileServer",
    "RecordedRequest",
    "Responder",
    "SumsRun",
    "SumsTask",
    "answer_sums",
    "assert_concurrent_calls",
    "assert_fault_retried",
    "assert_not_retried",
    "assert_run_stops",
    "assert_run_survives",
    "main",
    "run_sums",
]

SERVERS: dict[str, type[FakeServer]] = {
    s.protocol: s for s in (FakeOpenAIServer, FakeAnthropicServer)
}


def main(argv: list[str] | None = None) -> None:
    """`python -m agentbench.fakeservers PROTOCOL`: serve until killed; print the base URL first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", choices=sorted(SERVERS))
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before every answer")
    parser.add_argument("--jitter", type=float, default=0.0, help="latency spread: +-this fraction")
    parser.add_argument("--api-key", default=None, help="answer 401 to requests without this key")
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="calls admitted per window (429 beyond)"
    )
    parser.add_argument("--rate-window", type=float, default=60.0, help="the window, in seconds")
    parser.add_argument(
        "--rate-policy", choices=["window", "bucket"], default="window", help="quota kind"
    )
    args = parser.parse_args(argv)

    async def serve() -> None:
        server = SERVERS[args.protocol](
            lambda request: "ok",
            latency=args.latency,
            jitter=args.jitter,
            api_key=args.api_key,
            port=args.port,
            record=False,
            rate_limit=args.rate_limit,
            rate_window_s=args.rate_window,
            rate_policy=args.rate_policy,
        )
        await server.start()
        print(server.base_url, flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
