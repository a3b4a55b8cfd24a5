# ruff: noqa: E501 - the task templates are data
"""ClassEval end to end: the oracle over 100 tasks in Docker, holistic strategy, from the CLI.

Runs `agentbench run classeval --model oracle -T data=FILE --sandbox docker` as a user would and
times it (wall clock, including the CLI start). FILE is upstream's ClassEval_data.json when given,
otherwise a generated file of 100 tasks in its format (each a class of three methods with a test
class per method and a class-level one). Goal: under 20 s on a 2-core machine. Fails unless every
episode is class_success.

    uv run python bench/classeval_oracle.py [--data ClassEval_data.json] [--max-episodes 8]

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

_DESC = '    """\n    A running tally number {i} with a step of {k}.\n    """\n'
_CTOR = 'class Tally{i}: \n    def __init__(self):\n        """\n        Start at zero.\n        """\n        self.count = 0\n\n'
_METHODS = [
    (
        "bump",
        'def bump(self, times):\n        """\n        Add {k} per time.\n        :param times: int\n        :return: int, the new count\n        """',
        "def bump(self, times):\n        self.count += {k} * times\n        return self.count",
        "class Tally{i}TestBump(unittest.TestCase):\n    def test_bump_1(self):\n        self.assertEqual(Tally{i}().bump(2), {k2})\n\n    def test_bump_2(self):\n        t = Tally{i}()\n        t.bump(1)\n        self.assertEqual(t.bump(1), {k2})\n",
    ),
    (
        "reset",
        'def reset(self):\n        """\n        Back to zero; return the old count.\n        :return: int\n        """',
        "def reset(self):\n        old, self.count = self.count, 0\n        return old",
        "class Tally{i}TestReset(unittest.TestCase):\n    def test_reset_1(self):\n        t = Tally{i}()\n        t.bump(3)\n        self.assertEqual(t.reset(), {k3})\n        self.assertEqual(t.count, 0)\n",
    ),
    (
        "scaled",
        'def scaled(factor):\n        """\n        The step times a factor.\n        :param factor: int\n        :return: int\n        """',
        "def scaled(factor):\n        return {k} * factor",
        "class Tally{i}TestScaled(unittest.TestCase):\n    def test_scaled_1(self):\n        self.assertEqual(Tally{i}.scaled(3), {k3})\n\n    def test_scaled_2(self):\n        self.assertEqual(Tally{i}.scaled(0), 0)\n",
    ),
]
_MAIN = "class Tally{i}Test(unittest.TestCase):\n    def test_main(self):\n        t = Tally{i}()\n        t.bump(1)\n        self.assertEqual(t.reset() + Tally{i}.scaled(1), {k2})\n"


def _task(i: int) -> dict:
    fill = {"i": i, "k": i % 5 + 1, "k2": 2 * (i % 5 + 1), "k3": 3 * (i % 5 + 1)}
    methods = [tuple(part.format(**fill) for part in method) for method in _METHODS]
    body = "".join(
        ("\n    @staticmethod" if name == "scaled" else "") + "\n    " + doc + "\n"
        for name, doc, _, _ in methods
    )
    init = '    def __init__(self):\n        """\n        Start at zero.\n        """\n        self.count = 0\n'
    skeleton = f"class Tally{i}:\n" + _DESC.format(**fill) + "\n" + init + body
    solution = f"class Tally{i}:\n    def __init__(self):\n        self.count = 0\n" + "".join(
        ("\n    @staticmethod" if name == "scaled" else "") + "\n    " + code + "\n"
        for name, _, code, _ in methods
    )
    tests = [test for _, _, _, test in methods] + [_MAIN.format(**fill)]
    return {
        "task_id": f"ClassEval_{i}",
        "skeleton": skeleton,
        "test": "import unittest\n\n" + "\n\n".join(tests),
        "solution_code": solution,
        "import_statement": [],
        "class_description": _DESC.format(**fill),
        "class_name": f"Tally{i}",
        "test_classes": [f"Tally{i}Test{n.capitalize()}" for n, *_ in methods] + [f"Tally{i}Test"],
        "class_constructor": _CTOR.format(**fill),
        "fields": ["self.count"],
        "methods_info": [
            {
                "method_name": name,
                "method_description": doc,
                "test_class": f"Tally{i}Test{name.capitalize()}",
                "test_code": test,
                "solution_code": code,
                "dependencies": {
                    "Standalone": False,
                    "lib_dependencies": [],
                    "field_dependencies": [],
                    "method_dependencies": [],
                },
            }
            for name, doc, code, test in methods
        ],
    }


def generate(path: Path, n: int = 100) -> None:
    """Write `n` tasks in upstream's ClassEval_data.json format."""
    path.write_text(json.dumps([_task(i) for i in range(n)], indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="upstream ClassEval_data.json (default: generated)")
    parser.add_argument("--max-episodes", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="classeval-bench-") as tmp:
        data = Path(args.data) if args.data else Path(tmp) / "classeval_100.json"
        if not args.data:
            generate(data)
        cmd = [
            "agentbench", "run", "classeval", "--model", "oracle", "-T", f"data={data}",
            "-T", "strategy=holistic", "--sandbox", "docker", "--run-dir", tmp,
            "--run-name", "bench", "--max-episodes", str(args.max_episodes), "--json", "--no-baseline",
            "--no-progress",
        ]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"agentbench run failed ({done.returncode}):\n{done.stderr[-3000:]}")
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        with closing(sqlite3.connect(Path(tmp) / "bench" / "agentbench.db")) as db:
            durations = [row[0] for row in db.execute("SELECT duration_s FROM episodes")]
    metrics = summary["metrics"]
    print(
        f"{len(durations)} episodes, {metrics.get('passed')} passed, "
        f"task metrics {metrics.get('task:pass@1')}",
        file=sys.stderr,
    )
    if metrics.get("pass@1") != 1.0:
        sys.exit("the oracle did not pass every task")
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
