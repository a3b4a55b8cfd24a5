"""Grade every record's `pred` against its `gt` as RealCritic does; compare with `previous_score`.

    uv run python bench/critique_grading.py [DIR] [--workers N] [--show K]

DIR is in upstream's layout (`<task>/test.jsonl`, e.g. RealCritic's data/mix_data). Without DIR,
about 2,000 synthetic records (all eight tasks; numbers, percent forms, fractions, tuples,
intervals, matrices, choice letters, x= forms, symbolic expressions, and a few hostile answers)
are written to a temporary folder first, each labelled with the verdict upstream's rules give.
Disagreements are listed; the last line is JSON: {"items": ..., "seconds": ..., "agreement": ...},
agreement being the share of records whose grade equals `previous_score[0]`. Every comparison
runs in a grading worker, bounded at 3 s (a timeout is a mismatch); `seconds` includes starting
the workers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentbench_critique.answers import parse_ground_truth
from agentbench_critique.data import TASKS, load_task
from agentbench_critique.grading import Grader

PER_TASK = 250


def _frac(a: int, b: int) -> str:
    return f"\\frac{{{a}}}{{{b}}}"


def _numeric(rng: random.Random) -> tuple[str, str, bool]:
    n = rng.randint(2, 5000)
    kind = rng.randrange(6)
    if kind == 0:
        return str(n), str(n), True
    if kind == 1:
        return str(n + rng.randint(1, 9)), str(n), False
    if kind == 2:
        return f"{n}.0", str(n), True
    if kind == 3:
        return f"{n:,}", str(n), True
    if kind == 4:
        return str(n * 100), str(n), True  # upstream also accepts gt*100 (percent forms)
    return f"{n}.5", str(n), False


def _math(rng: random.Random) -> tuple[str, str, bool]:
    a, b = rng.randint(1, 30), rng.randint(31, 60)
    kind = rng.randrange(12)
    if kind == 0:
        return _frac(a, b), _frac(a, b), True
    if kind == 1:
        return f"{a / b:.6f}", _frac(a, b), True
    if kind == 2:
        return _frac(a + 1, b), _frac(a, b), False
    if kind == 3:
        return f"({a},{b})", f"({a},{b})", True
    if kind == 4:
        return f"({b},{a})", f"({a},{b})", False
    if kind == 5:
        return f"[{a},{_frac(1, 2)})", f"[{a},0.5)", True
    if kind == 6:
        return f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}", True
    if kind == 7:
        m = f"\\begin{{pmatrix}}{a}&{_frac(1, 2)}\\\\{b}&1\\end{{pmatrix}}"
        return m, f"\\begin{{pmatrix}}{a}&0.5\\\\{b}&1\\end{{pmatrix}}", True
    if kind == 8:
        return f"x^2+{2 * a}x+{a * a}", f"(x+{a})^2", True
    if kind == 9:
        return f"x^2+{2 * a}x+{a * a + 1}", f"(x+{a})^2", False
    if kind == 10:
        return f"y={a}x+{b}", f"{a}x-y+{b}=0", True
    return str(a), f"k={a}", True


def _choice(rng: random.Random) -> tuple[str, str, bool]:
    gt = rng.choice("ABCD")
    if rng.random() < 0.5:
        return gt, gt, True
    return rng.choice([c for c in "ABCD" if c != gt]), gt, False


def _hostile(rng: random.Random) -> tuple[str, str, bool]:
    return rng.choice(
        [
            ("__import__('os').system('true')", "0", False),
            ("9**9**9**9", "1", False),
            ("().__class__.__bases__", "0", False),
        ]
    )


def synthetic(folder: Path, per_task: int = PER_TASK, seed: int = 0) -> int:
    """Write labelled synthetic records in upstream's layout; returns how many."""
    rng = random.Random(seed)
    makers = {
        "arc-challenge": _choice,
        "gpqa": _choice,
        "mmlu_stem": _choice,
        "gsm8k": _numeric,
        "math": _math,
        "college_math": _math,
        "minerva_math": _math,
        "olympiadbench": _math,
    }
    total = 0
    for task in TASKS:
        (folder / task).mkdir(parents=True, exist_ok=True)
        lines = []
        for idx in range(per_task):
            hostile = task == "olympiadbench" and idx % 125 == 0
            pred, gt, label = (_hostile if hostile else makers[task])(rng)
            record = {
                "idx": idx,
                "question": f"synthetic question {idx}",
                "reasoning": "",
                "pred": pred,
                "gt": gt,
                "gt_cot": f"So the answer is $\\boxed{{{gt}}}$.",
                "previous_score": [label],
            }
            lines.append(json.dumps(record))
        (folder / task / "test.jsonl").write_text("\n".join(lines) + "\n")
        total += len(lines)
    return total


def grade_folder(folder: Path, workers: int, show: int) -> dict[str, Any]:
    """Grade every record of every task file under `folder`; print disagreements."""
    items: list[tuple[str, dict[str, Any]]] = []
    for task in TASKS:
        path = folder / task / "test.jsonl"
        if path.is_file():
            items += [(task, r) for r in load_task(task, path, on_bad_record="skip").records]
    started = time.monotonic()
    grader = Grader(workers=workers)
    try:
        pairs = [(_pred(r), parse_ground_truth(r, task)) for task, r in items]
        verdicts = grader.equal_many(pairs)
    finally:
        grader.close()
    seconds = time.monotonic() - started
    agree, shown = 0, 0
    for (task, record), (pred, gt), verdict in zip(items, pairs, verdicts, strict=True):
        expected = bool((record.get("previous_score") or [False])[0])
        if verdict.equal == expected:
            agree += 1
        elif shown < show:
            shown += 1
            print(
                f"disagree {task}/{record['idx']}: pred={pred!r} gt={gt!r} "
                f"graded={verdict.equal} previous_score={expected} ({verdict.problem or 'ok'})"
            )
    return {
        "items": len(items),
        "seconds": round(seconds, 2),
        "agreement": round(agree / len(items), 4) if items else None,
    }


def _pred(record: dict[str, Any]) -> str | None:
    pred = record.get("pred")
    if isinstance(pred, list):
        pred = pred[0] if pred else None
    return None if pred is None else str(pred)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir", nargs="?", help="folder in upstream's layout (default: synthetic)")
    parser.add_argument("--workers", type=int, default=2, help="grading worker processes")
    parser.add_argument("--show", type=int, default=50, help="disagreements to list")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="critique-bench-") as tmp:
        folder = Path(args.dir) if args.dir else Path(tmp)
        if not args.dir:
            synthetic(folder)
        result = grade_folder(folder, args.workers, args.show)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
