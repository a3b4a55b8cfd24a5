"""RepoClassBench data: upstream's `data/input/python_data.json` and the repositories' layout.

Each record has `task_id, class_name, file, sketchy_description, detailed_description,
repo_metadata {commit_id, issue_id, setup_details}, evaluation_metadata {test_directives},
ground_truth_class_body`. The repositories are directories named by `repo_metadata.issue_id`
(a git checkout reset to `commit_id`), under the folder given with `-T repos=DIR`.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from agentbench import ConfigError, DataError

#: Upstream's java_data.json and csharp_data.json hold files in these languages.
UNSUPPORTED_LANGUAGES = {".java": "Java", ".cs": "C#"}
REQUIRED = ("task_id", "class_name", "file", "repo_metadata", "evaluation_metadata")
DESCRIPTIONS = ("detailed", "sketchy")


#: The upstream commit the default download of python_data.json comes from.
REVISION = "19752d8a"
DATA_URL = (
    f"https://raw.githubusercontent.com/microsoft/repoclassbench/{REVISION}/data/input/"
    "python_data.json"
)


def resolve_data(data: str | None, *, sha256: str | None = None, url: str | None = None) -> Path:
    """python_data.json: the given path, or upstream's, downloaded (pinned) into the cache.

    The download is checked against `sha256` when given, else trusted on first use and its
    digest recorded and enforced afterwards (as ClassEval's data).
    """
    from agentbench_classgen.classeval.data import fetch

    if data:
        path = Path(data).expanduser()
        if not path.is_file():
            raise DataError(f"data file {str(path)!r} does not exist", "pass -T data=PATH")
        return path
    return fetch(
        url or DATA_URL,
        sha256=sha256,
        filename="python_data.json",
        folder=f"repoclassbench/{REVISION}",
    )


def load_records(path: Path) -> list[dict[str, Any]]:
    """Read and validate python_data.json; Java and C# records are refused by name."""
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            f"cannot read {path} as JSON ({exc})",
            "pass upstream's data/input/python_data.json with -T data=PATH",
        ) from None
    if not isinstance(items, list):
        raise DataError(f"{path}: expected a JSON array of tasks", "pass python_data.json")
    problems = []
    for index, item in enumerate(items):
        reason = record_problem(item)
        if reason:
            name = item.get("task_id") if isinstance(item, dict) else None
            problems.append(f"{name or f'#{index}'}: {reason}")
    if problems:
        raise DataError(
            f"{path}: {len(problems)} bad record(s): {'; '.join(problems[:5])}",
            "fix the file; each record needs upstream's RepoClassBench fields",
        )
    for item in items:
        check_language(item)
    return list(items)


def record_problem(item: Any) -> str | None:
    """Why a record cannot be used, or None."""
    if not isinstance(item, dict):
        return f"is a {type(item).__name__}, not an object"
    missing = [k for k in REQUIRED if k not in item]
    if missing:
        return "missing field(s) " + ", ".join(repr(m) for m in missing)
    meta = item["repo_metadata"]
    if not isinstance(meta, dict) or not isinstance(meta.get("issue_id"), str):
        return "repo_metadata.issue_id is missing"
    directives = item["evaluation_metadata"].get("test_directives")
    if not isinstance(directives, list) or not all(isinstance(d, str) for d in directives):
        return "evaluation_metadata.test_directives must be a list of strings"
    if not isinstance(item.get("ground_truth_class_body"), str):
        return "ground_truth_class_body must be a string"
    return None


def check_language(record: dict[str, Any]) -> None:
    """Raise a clear error for a Java or C# record (only Python is supported yet)."""
    suffix = PurePosixPath(str(record["file"])).suffix
    language = UNSUPPORTED_LANGUAGES.get(suffix)
    if language is not None:
        raise ConfigError(
            f"RepoClassBench {language} tasks are not supported yet "
            f"(task {record['task_id']!r}, file {record['file']!r})",
            "use upstream's python_data.json",
        )


def relative_file(record: dict[str, Any]) -> str:
    """The file to modify, relative to the repository (upstream's `file_to_modify_rel`): the part
    of `file` after the issue id (after `os/litestar` for litestar's absolute paths)."""
    path = str(record["file"])
    separator = record["repo_metadata"]["issue_id"]
    if "litestar" in path:
        separator = "os/litestar"
    if path.count(separator) != 1:
        raise DataError(
            f"task {record['task_id']!r}: cannot find {separator!r} once in file {path!r}",
            "check the record's `file` field",
        )
    return path.split(separator)[1].lstrip("/")


def repository_dir(repos: Path, record: dict[str, Any]) -> Path:
    """The record's repository under `repos`, or a DataError with the fix."""
    issue = record["repo_metadata"]["issue_id"]
    path = repos / issue
    if not path.is_dir():
        raise DataError(
            f"task {record['task_id']!r}: repository {issue!r} not found under {repos}",
            f"unpack upstream's repository archive so that {path} exists "
            f"(a git checkout reset to {record['repo_metadata'].get('commit_id')})",
        )
    return path


def description(record: dict[str, Any], which: str) -> str:
    """The class description the model gets: `detailed` or `sketchy` (upstream's choice)."""
    if which not in DESCRIPTIONS:
        raise ConfigError(f"unknown description {which!r}", "use detailed or sketchy")
    return str(record[f"{which}_description"])
