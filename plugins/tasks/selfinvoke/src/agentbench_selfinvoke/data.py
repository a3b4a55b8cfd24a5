"""CodeEval-Pro data: read a local file, or download the pinned upstream file into a cache.

The files are JSON arrays of records with `id, raw_problem, raw_solution, new_problem,
new_solution, test_code` (upstream `dataset/*.json`). Downloads come from a pinned commit of
CodeEval-Pro/CodeEval-Pro and are checked against a SHA-256: from the pinned table where we know
it, otherwise trust-on-first-use (the digest of the first download is recorded beside the cached
file and every later use must match it).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from agentbench import DataError, cached_download
from agentbench import cache_dir as core_cache_dir

log = logging.getLogger(__name__)

#: The upstream commit the default downloads come from.
REVISION = "36f292eafc597b38535fbc8b4aafea8e5c654e3c"
BASE_URL = f"https://raw.githubusercontent.com/CodeEval-Pro/CodeEval-Pro/{REVISION}/dataset/"

#: Known SHA-256 digests of the upstream files at REVISION. The MBPP Pro digest was published
#: by a third-party project that pins the same revision; it could not be re-checked offline.
#: Files missing here are verified trust-on-first-use.
PINNED_SHA256: dict[str, str] = {
    "mbpp_pro.json": "bb2edf4f2da393403083977e94cb4e4bbbe68fcb85495dfdf500885a945e8b3b",
}

REQUIRED_TEXT_FIELDS = ("raw_problem", "raw_solution", "new_problem", "new_solution", "test_code")

#: `-T data=demo` reads the small problem set that ships with the plugin.
DEMO = "demo"


@dataclass
class LoadedData:
    """The valid records of a data file and the ids of the records that were left out."""

    records: list[dict[str, Any]]
    source: str
    bad: list[tuple[str, str]] = field(default_factory=list)  # (record id, reason)


def cache_dir() -> Path:
    """Where downloads are kept: $AGENTBENCH_CACHE_DIR or ~/.cache/agentbench, then selfinvoke/."""
    return core_cache_dir("selfinvoke", REVISION[:12])


def demo_path(filename: str) -> Path:
    """The shipped demo file standing in for upstream's `filename`."""
    demo_name = filename.replace(".json", "_demo.json")
    return Path(str(resources.files("agentbench_selfinvoke") / "data" / demo_name))


def resolve_data(
    data: str | None, *, filename: str, url: str | None = None, sha256: str | None = None
) -> Path:
    """The local path of the data file: the given path, the demo file, or the cached download."""
    if data == DEMO:
        return demo_path(filename)
    if data:
        path = Path(data).expanduser()
        if not path.is_file():
            raise DataError(
                f"data file {str(path)!r} does not exist",
                f"pass the path of upstream's {filename} with -T data=PATH",
            )
        return path
    return fetch(
        url or BASE_URL + filename, filename=filename, sha256=sha256 or PINNED_SHA256.get(filename)
    )


def fetch(url: str, *, filename: str, sha256: str | None, timeout: float = 60.0) -> Path:
    """The cached copy of `url`, downloaded first if missing or corrupt, checksum verified."""
    return cached_download(
        url,
        cache_dir() / filename,
        what=filename,
        fix=f"offline? pass a local copy of upstream's {filename} with -T data=PATH",
        sha256=sha256,
        timeout=timeout,
    )


def load_records(path: Path, *, on_bad_record: str = "fail") -> LoadedData:
    """Read and validate a CodeEval-Pro JSON array.

    Args:
        path: The file.
        on_bad_record: "fail" raises a DataError naming every bad record; "skip" leaves them out
            (their ids and reasons are in `LoadedData.bad`).
    """
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{path}:{exc.lineno}: not valid JSON ({exc.msg})",
            "pass an upstream CodeEval-Pro JSON array with -T data=PATH",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(
            f"cannot read {path} ({exc})", "pass a readable file with -T data=PATH"
        ) from None
    if not isinstance(items, list):
        raise DataError(
            f"{path}: expected a JSON array of problems, got {type(items).__name__}",
            "pass an upstream CodeEval-Pro JSON array with -T data=PATH",
        )
    loaded = LoadedData(records=[], source=str(path))
    seen: set[str] = set()
    for index, item in enumerate(items):
        record_id, reason = _check_record(item, index, seen)
        if reason:
            loaded.bad.append((record_id, reason))
        else:
            seen.add(record_id)
            loaded.records.append(item)
    if loaded.bad and on_bad_record == "fail":
        listing = "; ".join(f"{rid}: {why}" for rid, why in loaded.bad[:5])
        more = f" (and {len(loaded.bad) - 5} more)" if len(loaded.bad) > 5 else ""
        raise DataError(
            f"{path}: {len(loaded.bad)} bad record(s): {listing}{more}",
            "fix the file, or leave them out with -T on_bad_record=skip",
        )
    for rid, why in loaded.bad:
        log.warning("%s: skipping record %s: %s", path, rid, why)
    return loaded


def record_id(item: Any, index: int) -> str:
    """The id a record is reported and sampled under (`#<index>` when it has none)."""
    if (
        isinstance(item, dict)
        and isinstance(item.get("id"), (int, str))
        and not isinstance(item.get("id"), bool)
    ):
        return str(item["id"])
    return f"#{index}"


def _check_record(item: Any, index: int, seen: set[str]) -> tuple[str, str | None]:
    rid = record_id(item, index)
    if not isinstance(item, dict):
        return rid, f"is a {type(item).__name__}, not an object"
    if "id" not in item:
        return rid, "missing field 'id'"
    if rid.startswith("#"):
        return rid, f"field 'id' must be an integer or a string, got {type(item['id']).__name__}"
    missing = [name for name in REQUIRED_TEXT_FIELDS if name not in item]
    if missing:
        return rid, "missing field(s) " + ", ".join(repr(m) for m in missing)
    wrong = [name for name in REQUIRED_TEXT_FIELDS if not isinstance(item[name], str)]
    if wrong:
        return rid, "field(s) " + ", ".join(repr(w) for w in wrong) + " must be strings"
    if rid in seen:
        return rid, "duplicate id"
    return rid, None
