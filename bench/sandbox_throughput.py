"""Sandbox throughput: episodes per second of four ways to run code in Docker.

An "episode" writes a solution file and a unittest module (5 asserts) and runs the tests. Modes,
all on the same image and machine, each at concurrency 1, 2, 4 and 8:

  (a) fresh   a fresh container per episode (`docker run`-style: create, start, wait, remove)
  (b) exec    warm containers, one `docker exec` per command (2 file writes + the test run)
  (c) agentbench  the docker backend: warm pool, reset between episodes, executor stream
  (d) floor   subprocesses inside one running container (no docker in the loop)

Goal: (c) >= 3x (b), and (c) within 1.5x of (d). The last line is JSON with
`speedup_vs_docker_exec` (c/b throughput) and `ratio_to_floor` (c time / d time) at concurrency 4.

    uv run python bench/sandbox_throughput.py [--episodes 24] [--repeats 2] [--image IMAGE]

Each cell is the best of --repeats runs (other load on the machine only ever slows a run down).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import time
import uuid
from collections.abc import Awaitable, Callable

from agentbench._sandboxes.docker import DockerBackend
from agentbench._sandboxes.docker.channel import DockerExecChannel
from agentbench._sandboxes.docker.cleanup import prune
from agentbench._sandboxes.docker.container import remove_container
from agentbench._sandboxes.docker.engine import make_client, owner_labels
from agentbench.sandbox import SandboxSpec

SOLUTION = "def add(a, b):\n    return a + b\n"
TESTS = """import unittest
from solution import add


class TestAdd(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(1, 2), 3)
        self.assertEqual(add(-1, 1), 0)
        self.assertEqual(add(0, 0), 0)
        self.assertEqual(add(2.5, 2.5), 5.0)
        self.assertEqual(add("a", "b"), "ab")


if __name__ == "__main__":
    unittest.main()
"""
RUN_TESTS = ["python3", "-m", "unittest", "-q", "test_solution"]
CONCURRENCY = (1, 2, 4, 8)
CONTAINER_ARGS = {
    "user": "0",
    "network_mode": "none",
    "mem_limit": "1024m",
    "nano_cpus": 10**9,
    "pids_limit": 256,
    "cap_drop": ["ALL"],
    "cap_add": ["CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL", "SETUID", "SETGID"],
    "security_opt": ["no-new-privileges:true"],
    "init": True,
    "tmpfs": {"/work": "rw,exec,size=64m,mode=1777", "/tmp": "rw,exec,size=64m,mode=1777"},
    "read_only": True,
    "working_dir": "/work",
    "entrypoint": [],
    "log_config": {"type": "json-file", "config": {}},
}


Episode = Callable[[int], Awaitable[None]]


async def measure(episode: Episode, episodes: int, concurrency: int) -> float:
    """Seconds to run `episodes` episodes, at most `concurrency` at a time."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(episodes):
        queue.put_nowait(i)

    async def worker(slot: int) -> None:
        while not queue.empty():
            queue.get_nowait()
            await episode(slot)

    start = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in range(concurrency)))
    return time.perf_counter() - start


def fresh_container_episode(client, image: str, run_id: str) -> Episode:
    script = (
        "chown sandbox /work && cd /work && "
        f"printf %s {shlex.quote(SOLUTION)} > solution.py && "
        f"printf %s {shlex.quote(TESTS)} > test_solution.py && "
        f"su -s /bin/sh sandbox -c {shlex.quote(' '.join(RUN_TESTS))}"
    )

    def run() -> None:
        container = client.containers.create(
            image, ["sh", "-c", script], labels=owner_labels(run_id, "fresh"), **CONTAINER_ARGS
        )
        try:
            container.start()
            code = container.wait()["StatusCode"]
            assert code == 0, container.logs()
        finally:
            remove_container(container)

    async def episode(slot: int) -> None:
        await asyncio.to_thread(run)

    return episode


def docker_exec_episode(channels: list[DockerExecChannel]) -> Episode:
    def run(channel: DockerExecChannel) -> None:
        write = ["sh", "-c", 'cat > "$1"', "sh"]
        for name, text in (("solution.py", SOLUTION), ("test_solution.py", TESTS)):
            data = text.encode()
            code, _, err = channel.run_blocking([*write, name], "sandbox", "/work", None, data)
            assert code == 0, err
        code, _, err = channel.run_blocking(RUN_TESTS, "sandbox", "/work")
        assert code == 0, err

    async def episode(slot: int) -> None:
        await asyncio.to_thread(run, channels[slot])

    return episode


def agentbench_episode(backend: DockerBackend, spec: SandboxSpec) -> Episode:
    async def episode(slot: int) -> None:
        box = await backend.acquire(spec, label="bench")
        try:
            await box.write_file("solution.py", SOLUTION)
            await box.write_file("test_solution.py", TESTS)
            result = await box.exec(RUN_TESTS, timeout=60)
            assert result.ok, result.stderr
        finally:
            await backend.release(box)

    return episode


FLOOR_DRIVER = """
import asyncio, os, sys, time
solution, tests = sys.argv[1], sys.argv[2]
episodes, concurrency = int(sys.argv[3]), int(sys.argv[4])

async def episode(slot):
    d = f"/work/floor{slot}"
    os.makedirs(d, exist_ok=True)
    for name, text in (("solution.py", solution), ("test_solution.py", tests)):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    p = await asyncio.create_subprocess_exec(
        "python3", "-m", "unittest", "-q", "test_solution", cwd=d,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    await p.communicate()
    assert p.returncode == 0

async def main():
    left = list(range(episodes))
    async def worker(slot):
        while left:
            left.pop()
            await episode(slot)
    start = time.perf_counter()
    await asyncio.gather(*(worker(s) for s in range(concurrency)))
    print(time.perf_counter() - start)

asyncio.run(main())
"""


def floor_seconds(channel: DockerExecChannel, episodes: int, concurrency: int) -> float:
    argv = ["python3", "-c", FLOOR_DRIVER, SOLUTION, TESTS, str(episodes), str(concurrency)]
    code, out, err = channel.run_blocking(argv, "sandbox", "/work")
    assert code == 0, err
    return float(out.decode().strip().splitlines()[-1])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=24, help="episodes per cell")
    parser.add_argument("--image", default="agentbench/python:latest")
    parser.add_argument("--repeats", type=int, default=2, help="best of this many per cell")
    args = parser.parse_args()
    client = make_client()
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    spec = SandboxSpec(image=args.image)
    backend = DockerBackend(run_id, {"auto_build": "false"})
    warm = []
    try:
        for _ in range(max(CONCURRENCY)):
            labels = owner_labels(run_id, "exec")
            container = client.containers.create(
                args.image, ["sleep", "infinity"], labels=labels, **CONTAINER_ARGS
            )
            container.start()
            warm.append(container)
        channels = [DockerExecChannel(client.api, c.id) for c in warm]
        # the floor's one container gets every core (the others have one core each)
        floor_args = {**CONTAINER_ARGS, "nano_cpus": 0}
        labels = owner_labels(run_id, "floor")
        container = client.containers.create(
            args.image, ["sleep", "infinity"], labels=labels, **floor_args
        )
        container.start()
        warm.append(container)
        floor = DockerExecChannel(client.api, container.id)
        for channel in [*channels, floor]:  # tmpfs mounts start root-owned
            channel.run_blocking(["chown", "sandbox", "/work"], "root")
        # warm-up: the pool holds one container per slot, the page cache holds python
        await measure(agentbench_episode(backend, spec), max(CONCURRENCY), max(CONCURRENCY))
        await measure(docker_exec_episode(channels), max(CONCURRENCY), max(CONCURRENCY))
        modes = {
            "fresh": fresh_container_episode(client, args.image, run_id),
            "exec": docker_exec_episode(channels),
            "agentbench": agentbench_episode(backend, spec),
        }
        table: dict[str, dict[int, float]] = {m: {} for m in [*modes, "floor"]}
        for c in CONCURRENCY:
            for mode, episode in modes.items():
                times = [await measure(episode, args.episodes, c) for _ in range(args.repeats)]
                table[mode][c] = min(times)
            times = [
                await asyncio.to_thread(floor_seconds, floor, args.episodes, c)
                for _ in range(args.repeats)
            ]
            table["floor"][c] = min(times)
    finally:
        await backend.aclose()
        for container in warm:
            remove_container(container)
        prune(client, all_=True, run_id=run_id)
        client.close()

    print(f"episodes per second ({args.episodes} episodes, best of {args.repeats}, {args.image})")
    print(f"{'mode':12}" + "".join(f"{'c=' + str(c):>10}" for c in CONCURRENCY))
    for mode, row in table.items():
        print(f"{mode:12}" + "".join(f"{args.episodes / row[c]:10.1f}" for c in CONCURRENCY))
    figures = {
        "speedup_vs_docker_exec": round(table["exec"][4] / table["agentbench"][4], 2),
        "ratio_to_floor": round(table["agentbench"][4] / table["floor"][4], 2),
        "speedup_vs_fresh_container": round(table["fresh"][4] / table["agentbench"][4], 2),
        "episodes_per_s_c4": {m: round(args.episodes / row[4], 2) for m, row in table.items()},
        "episodes_per_cell": args.episodes,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
