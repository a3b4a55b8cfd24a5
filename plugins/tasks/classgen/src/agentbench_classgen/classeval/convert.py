"""Convert upstream's published ClassEval outputs into a file the `replay` model reads.

Upstream's output files (`output/model_output*/<model>_class_<H|I|C>_<greedy|sampling>.json`)
are JSON arrays of task records with `predict: [code, ...]`, one entry per sample. The `replay`
model reads JSON lines with `task_id` and `completion` (a list is consecutive epochs):

    python -m agentbench_classgen.classeval.convert GPT-4-Turbo_class_H_greedy.json out.jsonl
    agentbench run classeval -T data=ClassEval_data.json --model replay/out.jsonl

Score every published file with `strategy=holistic`: upstream's evaluation treats each `predict`
entry the same way whatever strategy produced it (the incremental and compositional files
already hold the assembled class).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from agentbench import DataError


def replay_lines(records: Any, where: str = "the file") -> list[str]:
    """One replay JSON line per task record: {"task_id", "completion": [predict, ...]}."""
    if not isinstance(records, list):
        raise DataError(
            f"{where}: expected a JSON array of task records", "pass an upstream output file"
        )
    lines = []
    for index, record in enumerate(records):
        predict = record.get("predict") if isinstance(record, dict) else None
        if (
            not isinstance(predict, list)
            or not predict
            or not all(isinstance(p, str) for p in predict)
            or not isinstance(record.get("task_id"), str)
        ):
            raise DataError(
                f"{where}: record #{index} has no task_id and list of predict texts",
                "pass an upstream output file (records with `predict: [code, ...]`)",
            )
        lines.append(json.dumps({"task_id": record["task_id"], "completion": predict}))
    return lines


def convert(source: Path, target: Path) -> int:
    """Write the replay file for `source`; returns the number of task records."""
    try:
        records = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read {source}: {exc}", "pass an upstream output file") from None
    lines = replay_lines(records, str(source))
    target.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m agentbench_classgen.classeval.convert SOURCE.json TARGET.jsonl`."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    count = convert(Path(args[0]), Path(args[1]))
    print(f"wrote {count} task records to {args[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
