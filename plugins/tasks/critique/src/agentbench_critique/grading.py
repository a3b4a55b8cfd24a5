"""Grading answers safely: a small pool of worker processes, every request bounded in time.

Model text is hostile. It is extracted and compared only inside worker processes
(`worker.py`) that never hand text to Python's `eval` (see `safe_parse.py`), limit their own
memory, and are killed when a request runs past its time limit (upstream: 3 s per comparison,
a timeout counts as a mismatch). A killed or crashed worker is replaced on the next request.

    grader = Grader(workers=2)
    verdicts = grader.equal_many([("\\frac{1}{2}", "0.5"), ("9**9**9**9", "1")])
    [v.equal for v in verdicts]     # [True, False]; the second timed out
    grader.close()

From async code: `await grader.aequal(pred, gt)`, `await grader.aextract(text, task, gt)`.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import queue
import selectors
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .worker import READY

#: Upstream's bound on one comparison (pebble `timeout=3` in evaluate.py).
COMPARE_TIMEOUT = 3.0
#: Bound on extracting the answer from one response (plain string work; generous).
EXTRACT_TIMEOUT = 10.0
#: Bound on a worker's start (importing sympy on a loaded machine).
START_TIMEOUT = 120.0


@dataclass(frozen=True)
class Verdict:
    """The outcome of one request: the value, or why there is none ("timeout", "error: ...")."""

    value: Any
    problem: str | None = None

    @property
    def equal(self) -> bool:
        """A comparison's result; anything but a clean True is a mismatch."""
        return self.problem is None and self.value is True


class GraderError(RuntimeError):
    """The grading worker could not be started."""


class _Worker:
    """One worker process and its line protocol."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agentbench_critique.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self._stdin, self._stdout = self.proc.stdin, self.proc.stdout
        self._buffer = b""
        line = self._read_line(START_TIMEOUT)
        if line is None or line.decode(errors="replace").strip() != READY:
            self.kill()
            raise GraderError("the grading worker did not start (is sympy installed?)")

    def _read_line(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return None
                chunk = os.read(self._stdout.fileno(), 1 << 16)
                if not chunk:
                    return None
                self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def request(self, payload: dict[str, Any], timeout: float) -> Verdict:
        """Send one request; a timeout or a crash kills the worker and gives a problem."""
        try:
            self._stdin.write(json.dumps(payload).encode() + b"\n")
            self._stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return Verdict(None, "error: the grading worker died")
        line = self._read_line(timeout)
        if line is None:
            crashed = self.proc.poll() is not None
            self.kill()
            return Verdict(None, "error: the grading worker died" if crashed else "timeout")
        reply = json.loads(line)
        if not reply.get("ok"):
            return Verdict(None, "error: " + str(reply.get("error")))
        return Verdict(reply.get("value"))

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """End this worker's process group (only the processes this worker started)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self._stdin, self._stdout):
            try:
                stream.close()
            except OSError:
                pass


class Grader:
    """A pool of grading workers (started lazily, replaced when killed).

    Args:
        workers: How many worker processes run requests in parallel.
        compare_timeout: Seconds for one comparison (a timeout is a mismatch).
        extract_timeout: Seconds for extracting the answer of one response.
    """

    def __init__(
        self,
        workers: int = 1,
        *,
        compare_timeout: float = COMPARE_TIMEOUT,
        extract_timeout: float = EXTRACT_TIMEOUT,
    ) -> None:
        self.size = max(1, workers)
        self.compare_timeout = compare_timeout
        self.extract_timeout = extract_timeout
        self._idle: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(self.size):
            self._idle.put(None)  # a slot; its worker starts on first use
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False

    def _run(self, payload: dict[str, Any], timeout: float) -> Verdict:
        worker = self._idle.get()
        try:
            if worker is None or not worker.alive:
                worker = self._start()
            return worker.request(payload, timeout)
        finally:
            self._idle.put(worker if worker is not None and worker.alive else None)

    def _start(self) -> _Worker:
        if self._closed:
            raise GraderError("the grader is closed")
        worker = _Worker()
        with self._lock:
            self._all = [w for w in self._all if w.alive] + [worker]
        return worker

    def equal(self, pred: str | None, gt: str, timeout: float | None = None) -> Verdict:
        """Compare one prediction with one reference (within `timeout` s, else a mismatch)."""
        payload = {"op": "equal", "pred": pred, "gt": gt}
        return self._run(payload, timeout or self.compare_timeout)

    def extract(self, text: str, task: str, gt: str) -> Verdict:
        """The answer upstream would score for `text` (a string, or None for no answer)."""
        payload = {"op": "extract", "text": text, "task": task, "gt": gt}
        return self._run(payload, self.extract_timeout)

    def equal_many(self, pairs: list[tuple[str | None, str]]) -> list[Verdict]:
        """Compare many pairs, spread over the workers; results in input order."""
        with ThreadPoolExecutor(max_workers=self.size) as pool:
            return list(pool.map(lambda pair: self.equal(*pair), pairs))

    async def aequal(self, pred: str | None, gt: str, timeout: float | None = None) -> Verdict:
        """`equal` without blocking the event loop."""
        return await asyncio.to_thread(self.equal, pred, gt, timeout)

    async def aextract(self, text: str, task: str, gt: str) -> Verdict:
        """`extract` without blocking the event loop."""
        return await asyncio.to_thread(self.extract, text, task, gt)

    def close(self) -> None:
        """Kill every worker this grader started."""
        self._closed = True
        with self._lock:
            workers, self._all = self._all, []
        for worker in workers:
            worker.kill()


_shared: Grader | None = None
_shared_lock = threading.Lock()


def shared_grader() -> Grader:
    """The process-wide grader the task uses (two workers; closed at exit)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Grader(workers=2)
            atexit.register(_shared.close)
        return _shared
