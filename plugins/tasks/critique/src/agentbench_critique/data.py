"""RealCritic data: `<task>/test.jsonl` files from a local folder, or the pinned download.

Upstream layout (tangzhy/RealCritic @ 0fbc04a1, `data/mix_data/<task>/test.jsonl`): one JSON
record a line with `idx, question, reasoning` (another model's solution), `pred`,
`previous_score` (a one-item list: was that solution right), `gt`, `gt_cot`, and task-specific
fields. Multiple-choice tasks have "Answer Choices: (A) ..." inside `question`. Records are
sorted by `idx` as upstream's loader does. Downloads are kept in a cache and verified by SHA-256,
trust-on-first-use (the digest of the first download is recorded beside the file).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench import ConfigError, DataError, cached_download
from agentbench import cache_dir as core_cache_dir

log = logging.getLogger(__name__)

#: The upstream commit the default downloads come from.
REVISION = "0fbc04a15c127e405744105107f7a7a1d7bdb480"
BASE_URL = f"https://raw.githubusercontent.com/tangzhy/RealCritic/{REVISION}/data/mix_data/"
#: Upstream's eight tasks, in the order of its README.
TASKS = (
    "arc-challenge",
    "college_math",
    "gpqa",
    "gsm8k",
    "math",
    "minerva_math",
    "mmlu_stem",
    "olympiadbench",
)
SPLIT_FILE = "test.jsonl"
REQUIRED_FIELDS = ("question", "gt", "gt_cot")


@dataclass
class TaskData:
    """The valid records of one task's file and the records left out (id, reason)."""

    task: str
    source: str
    records: list[dict[str, Any]]
    bad: list[tuple[str, str]] = field(default_factory=list)


def parse_tasks(value: str | list[str] | None) -> list[str]:
    """The tasks a `-T tasks=gsm8k,math` option names (all eight when unset), checked."""
    if value is None or value == "" or value == "all":
        return list(TASKS)
    names = value if isinstance(value, list) else value.split(",")
    names = [name.strip() for name in names if name.strip()]
    unknown = [name for name in names if name not in TASKS]
    if unknown or not names:
        raise ConfigError(
            f"unknown RealCritic task(s): {', '.join(unknown) or '(none given)'}",
            f"pick from {','.join(TASKS)}",
        )
    return list(dict.fromkeys(names))


def cache_dir() -> Path:
    """Where downloads are kept: $AGENTBENCH_CACHE_DIR or ~/.cache/agentbench, then critique/."""
    return core_cache_dir("critique", REVISION[:12])


def task_file(task: str, data: str | None, base_url: str | None = None) -> Path:
    """The local path of a task's file: `<data>/<task>/test.jsonl`, or the cached download."""
    if data:
        path = Path(data).expanduser() / task / SPLIT_FILE
        if not path.is_file():
            raise DataError(
                f"{path} does not exist",
                f"pass a folder in upstream's layout (<task>/{SPLIT_FILE}) with -T data=DIR",
            )
        return path
    url = (base_url or BASE_URL).rstrip("/") + f"/{task}/{SPLIT_FILE}"
    return fetch(url, task=task)


def fetch(url: str, *, task: str, timeout: float = 60.0) -> Path:
    """The cached copy of a task file, downloaded first if missing or corrupt."""
    return cached_download(
        url,
        cache_dir() / task / SPLIT_FILE,
        what=f"{task}/{SPLIT_FILE}",
        fix="offline? pass a local copy of upstream's data/mix_data with -T data=DIR",
        timeout=timeout,
    )


def load_task(task: str, path: Path, *, on_bad_record: str = "fail") -> TaskData:
    """Read and check one task's JSONL file; records sorted by `idx` (added where missing)."""
    loaded = TaskData(task=task, source=str(path), records=[])
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} ({exc})", "pass a readable file") from None
    seen: set[int] = set()
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            loaded.bad.append((f"line {lineno}", f"not valid JSON ({exc.msg})"))
            continue
        reason = _check(record, lineno, seen)
        if reason:
            loaded.bad.append((f"line {lineno}", reason))
            continue
        seen.add(record["idx"])
        loaded.records.append(record)
    loaded.records.sort(key=lambda r: r["idx"])
    if loaded.bad and on_bad_record == "fail":
        listing = "; ".join(f"{where}: {why}" for where, why in loaded.bad[:5])
        more = f" (and {len(loaded.bad) - 5} more)" if len(loaded.bad) > 5 else ""
        raise DataError(
            f"{path}: {len(loaded.bad)} bad record(s): {listing}{more}",
            "fix the file, or leave them out with -T on_bad_record=skip",
        )
    for where, why in loaded.bad:
        log.warning("%s: skipping %s: %s", path, where, why)
    return loaded


def _check(record: Any, lineno: int, seen: set[int]) -> str | None:
    if not isinstance(record, dict):
        return f"is a {type(record).__name__}, not an object"
    record.setdefault("idx", lineno - 1)
    if not isinstance(record["idx"], int) or isinstance(record["idx"], bool):
        return "field 'idx' must be an integer"
    if record["idx"] in seen:
        return f"duplicate idx {record['idx']}"
    missing = [name for name in REQUIRED_FIELDS if name not in record]
    if missing:
        return "missing field(s) " + ", ".join(repr(m) for m in missing)
    if not all(isinstance(record[name], str) for name in REQUIRED_FIELDS):
        return "fields 'question', 'gt' and 'gt_cot' must be strings"
    return None


def prior_correct(record: dict[str, Any]) -> bool | None:
    """Whether the record's own solution was right (`previous_score[0]`), if it says."""
    score = record.get("previous_score")
    if isinstance(score, list) and score and isinstance(score[0], bool):
        return score[0]
    if isinstance(score, bool):
        return score
    return None
