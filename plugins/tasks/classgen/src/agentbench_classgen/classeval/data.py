"""ClassEval data: a local file, or upstream's `data/ClassEval_data.json` downloaded and cached.

The file is a JSON array of task records (`task_id, skeleton, test, solution_code,
import_statement, class_description, class_name, test_classes, class_constructor, fields,
methods_info`). Downloads come from a pinned commit of FudanSELab/ClassEval and are verified with
a SHA-256: the digest given with `-T data_sha256=`, otherwise trust-on-first-use (the digest of
the first download is recorded beside the cached file and every later use must match it).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from agentbench import DataError, cached_download
from agentbench import cache_dir as core_cache_dir

log = logging.getLogger(__name__)

#: The upstream commit the default download comes from (GitHub resolves the short hash).
REVISION = "eaeac44d"
FILENAME = "ClassEval_data.json"
DEFAULT_URL = f"https://raw.githubusercontent.com/FudanSELab/ClassEval/{REVISION}/data/{FILENAME}"

REQUIRED_FIELDS: dict[str, type] = {
    "task_id": str,
    "skeleton": str,
    "test": str,
    "solution_code": str,
    "import_statement": list,
    "class_description": str,
    "class_name": str,
    "test_classes": list,
    "class_constructor": str,
    "methods_info": list,
}
METHOD_FIELDS = ("method_name", "method_description", "solution_code")


def cache_dir(folder: str = f"classeval/{REVISION}") -> Path:
    """Where downloads are kept: $AGENTBENCH_CACHE_DIR or ~/.cache/agentbench, then `folder`."""
    return core_cache_dir(folder)


def resolve_data(data: str | None, *, url: str | None = None, sha256: str | None = None) -> Path:
    """The local path of the data file: the given path, or the cached (downloaded) upstream file."""
    if data:
        path = Path(data).expanduser()
        if not path.is_file():
            raise DataError(
                f"data file {str(path)!r} does not exist",
                f"pass the path of upstream's data/{FILENAME} with -T data=PATH",
            )
        return path
    return fetch(url or DEFAULT_URL, sha256=sha256)


def fetch(
    url: str,
    *,
    sha256: str | None,
    timeout: float = 60.0,
    filename: str = FILENAME,
    folder: str = f"classeval/{REVISION}",
) -> Path:
    """The cached copy of `url`, downloaded first if missing or corrupt, checksum verified."""
    return cached_download(
        url,
        cache_dir(folder) / filename,
        what=filename,
        fix=f"offline? pass a local copy of upstream's data/{filename} with -T data=PATH",
        sha256=sha256,
        timeout=timeout,
    )


def load_tasks(path: Path) -> list[dict[str, Any]]:
    """Read and validate a ClassEval JSON array (every bad record is named in the error)."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg})",
            f"pass upstream's {FILENAME} (a JSON array) with -T data=PATH",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} ({exc})", "pass a readable file") from None
    if not isinstance(items, list):
        raise DataError(
            f"{path}: expected a JSON array of tasks, got {type(items).__name__}",
            f"pass upstream's {FILENAME} with -T data=PATH",
        )
    problems = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        reason = _problem(item, seen)
        if reason:
            name = item.get("task_id") if isinstance(item, dict) else None
            problems.append(f"{name or f'#{index}'}: {reason}")
        else:
            seen.add(item["task_id"])
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise DataError(
            f"{path}: {len(problems)} bad record(s): {'; '.join(problems[:5])}{more}",
            "fix the file; each record needs upstream's ClassEval fields",
        )
    return list(items)


def _problem(item: Any, seen: set[str]) -> str | None:
    if not isinstance(item, dict):
        return f"is a {type(item).__name__}, not an object"
    missing = [k for k in REQUIRED_FIELDS if k not in item]
    if missing:
        return "missing field(s) " + ", ".join(repr(m) for m in missing)
    wrong = [k for k, kind in REQUIRED_FIELDS.items() if not isinstance(item[k], kind)]
    if wrong:
        return "field(s) of the wrong type: " + ", ".join(repr(w) for w in wrong)
    if item["task_id"] in seen:
        return "duplicate task_id"
    if not item["test_classes"]:
        return "no test_classes"
    for method in item["methods_info"]:
        if not isinstance(method, dict) or any(
            not isinstance(method.get(k), str) for k in METHOD_FIELDS
        ):
            return f"a methods_info entry lacks one of {', '.join(METHOD_FIELDS)}"
    return None
