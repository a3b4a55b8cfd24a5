"""The grading worker: a child process that extracts and compares answers, one request a line.

Started by `grading.Grader` as `python -m agentbench_critique.worker`. It limits its own address
space, installs the sympify guard (`safe_parse.guard_sympify`), warms sympy up, prints a ready
line, then answers JSON requests on stdin with JSON replies on stdout:

    {"op": "equal", "pred": ..., "gt": ...}          -> {"ok": true, "value": bool}
    {"op": "extract", "text": ..., "task": ..., "gt": ...} -> {"ok": true, "value": str | null}

The parent enforces the time limit of each request by killing this process.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from typing import Any

READY = "agentbench-critique-grader-ready"
#: Address-space limit of the worker (sympy itself needs a few hundred MiB).
MEMORY_LIMIT_BYTES = 3 * 1024**3


def _limit_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    except (ImportError, ValueError, OSError):  # not on this platform, or already lower
        pass


def _warm_up() -> None:
    """Import what sympy imports lazily (some of it sympifies constant strings at import time,
    which the guard would refuse later) by grading a few answers of every kind."""
    import sympy.physics.quantum
    import sympy.physics.units  # noqa: F401

    from .equivalence import math_equal

    for pred, gt in (
        ("\\frac{1}{2}", "0.5"),
        ("x+1", "1+x"),
        ("\\sin^2(x)+\\cos^2(x)", "1"),
        ("\\sqrt{2}e^{i\\pi}", "-\\sqrt{2}"),
        ("y=2x+1", "2x-y+1=0"),
        ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}"),
        ("(1,\\frac{9}{2})", "(1,4.5)"),
        ("\\log_2(8)+\\binom{4}{2}+3!", "12"),
        ("x**2", "x^2"),
    ):
        math_equal(pred, gt)


@functools.lru_cache(maxsize=8192)
def _equal(pred: str | None, gt: str) -> bool:
    """`math_equal`, remembered: it is deterministic, and answers repeat (choice letters)."""
    from .equivalence import math_equal

    return bool(math_equal(pred, gt))


def handle(request: dict[str, Any]) -> Any:
    """The answer to one request (raises on a malformed one)."""
    from .answers import prediction

    op = request["op"]
    if op == "equal":
        return _equal(request["pred"], request["gt"])
    if op == "extract":
        return prediction(str(request["text"]), str(request["task"]), str(request["gt"]))
    raise ValueError(f"unknown op {op!r}")


def main() -> None:
    """Serve requests until stdin closes."""
    _limit_memory()
    sys.setrecursionlimit(5000)
    from .safe_parse import guard_sympify

    _warm_up()
    guard_sympify()
    out = sys.stdout
    sys.stdout = sys.stderr  # stray prints from libraries must not corrupt the protocol
    out.write(READY + "\n")
    out.flush()
    for line in sys.stdin:
        try:
            reply: dict[str, Any] = {"ok": True, "value": handle(json.loads(line))}
        except (Exception, RecursionError) as exc:
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
