# ruff: noqa: E501 - the problem templates are data
"""HumanEval Pro end to end: the oracle over 164 problems in Docker, from the CLI.

Runs `agentbench run humaneval-pro --model oracle -T data=FILE --sandbox docker` as a user would
and times it (wall clock, including the CLI start). FILE is upstream's humaneval_pro.json when
given, otherwise a generated file of 164 problems in its format. Goal: under 10 s on a 2-core
machine. Fails unless every episode passes.

    uv run python bench/selfinvoke_oracle.py [--data humaneval_pro.json] [--max-episodes 8]

The last line is JSON: {"seconds": ..., "episode_median_s": ...}.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

# Base problem templates: (name, signature/doc, body, Pro caller, caller body, tests); {k} varies.
_TEMPLATES = [
    (
        "scale_{i}",
        '(xs: list) -> list:\n    """ Multiply every number by {k}.\n    >>> scale_{i}([1])\n    [{k}]\n    """\n',
        "    return [x * {k} for x in xs]\n",
        "# Scale every list of a list of lists by {k}.\ndef scale_all_{i}(rows: list) -> list:\n",
        "    return [scale_{i}(row) for row in rows]\n\n",
        "\nassert scale_all_{i}([[1, 2], []]) == [[{k}, {k2}], []]\nassert scale_all_{i}([]) == []",
    ),
    (
        "count_char_{i}",
        '(s: str) -> int:\n    """ Count the letters \'a\' in s, plus {k}.\n    >>> count_char_{i}(\'aa\')\n    {k2}\n    """\n',
        "    return s.count('a') + {k}\n",
        "# Sum count_char_{i} over several strings.\ndef count_all_{i}(items: list) -> int:\n",
        "    return sum(count_char_{i}(s) for s in items)\n\n",
        "\nassert count_all_{i}(['aa', 'b']) == {k3}\nassert count_all_{i}([]) == 0",
    ),
    (
        "fib_{i}",
        '(n: int) -> int:\n    """ Return the n-th Fibonacci number plus {k}.\n    >>> fib_{i}(0)\n    {k}\n    """\n',
        "    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a + {k}\n",
        "# Return the list of fib_{i}(0..n-1).\ndef fib_list_{i}(n: int) -> list:\n",
        "    return [fib_{i}(j) for j in range(n)]\n\n",
        "\nassert fib_list_{i}(4) == [{k}, {k}+1, {k}+1, {k}+2]\nassert fib_list_{i}(0) == []",
    ),
    (
        "clip_{i}",
        '(x: int) -> int:\n    """ Clip x into the range [0, {k}].\n    >>> clip_{i}(-3)\n    0\n    """\n',
        "    return max(0, min({k}, x))\n",
        "# Clip every number of a list and return the total.\ndef clip_total_{i}(xs: list) -> int:\n",
        "    return sum(clip_{i}(x) for x in xs)\n\n",
        "\nassert clip_total_{i}([-1, {k}, 10**6]) == {k2}\nassert clip_total_{i}([]) == 0",
    ),
]


def generate(path: Path, n: int = 164) -> None:
    """Write `n` self-invoking problems in upstream's humaneval_pro.json format."""
    records = []
    for i in range(n):
        name, doc, body, caller, caller_body, tests = _TEMPLATES[i % len(_TEMPLATES)]
        k = i % 7 + 1
        fill = {"i": i, "k": k, "k2": 2 * k, "k3": 2 + 2 * k}
        records.append(
            {
                "id": i,
                "raw_problem": "\n\ndef " + name.format(**fill) + doc.format(**fill),
                "raw_solution": body.format(**fill),
                "new_problem": caller.format(**fill),
                "new_solution": caller_body.format(**fill),
                "test_code": tests.format(**fill),
            }
        )
    path.write_text(json.dumps(records, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="upstream humaneval_pro.json (default: generated)")
    parser.add_argument("--max-episodes", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="selfinvoke-bench-") as tmp:
        data = Path(args.data) if args.data else Path(tmp) / "humaneval_pro_164.json"
        if not args.data:
            generate(data)
        cmd = [
            "agentbench", "run", "humaneval-pro", "--model", "oracle", "-T", f"data={data}",
            "--sandbox", "docker", "--run-dir", tmp, "--run-name", "bench",
            "--max-episodes", str(args.max_episodes), "--json", "--no-progress", "--no-baseline",
        ]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"agentbench run failed ({done.returncode}):\n{done.stderr[-3000:]}")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        with closing(sqlite3.connect(Path(tmp) / "bench" / "agentbench.db")) as db:
            durations = [row[0] for row in db.execute("SELECT duration_s FROM episodes")]
    passed = summary["metrics"].get("passed")
    print(
        f"{len(durations)} episodes, {passed} passed, pass@1 {summary['metrics'].get('pass@1')}",
        file=sys.stderr,
    )
    if summary["metrics"].get("pass@1") != 1.0:
        sys.exit("the oracle did not pass every problem")
    print(
        json.dumps(
            {
                "seconds": round(seconds, 3),
                "episode_median_s": round(statistics.median(durations), 4),
            }
        )
    )


if __name__ == "__main__":
    main()
