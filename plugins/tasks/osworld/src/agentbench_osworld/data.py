"""Reading OSWorld task files as they are: `<domain>/<id>.json` plus an index like test_all.json.

The index maps each domain to its task ids (`{"os": ["id", ...], ...}`). Without an index every
`<domain>/*.json` file is a task. The project's own tasks ship in this package (`tasks/`), with a
scripted solution for each in `tasks/solutions/<id>.json` (a list of agent responses).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentbench import DataError

BUNDLED = Path(__file__).with_name("tasks")


@dataclass
class TaskFile:
    """One task: its domain, its JSON config and where it was read from."""

    domain: str
    config: dict[str, Any]
    path: Path

    @property
    def id(self) -> str:
        return str(self.config["id"])


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataError(
            f"cannot read {path}: {exc.strerror}", "check the -T path / index option"
        ) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: malformed JSON: {exc.msg}", "fix the file") from None


def find_index(root: Path, index: str | None) -> Path | None:
    """The index file: as given (absolute, or relative to the folder or its parent), else
    test_all.json beside or above the task folder, else None."""
    names = [index] if index else ["test_all.json"]
    for name in names:
        candidate = Path(name)
        for path in (
            [candidate] if candidate.is_absolute() else [root / candidate, root.parent / candidate]
        ):
            if path.is_file():
                return path
    if index:
        raise DataError(
            f"index {index!r} not found in {root} or {root.parent}",
            "give -T index=<file> as a path or a name beside the task folders",
        )
    return None


def _task_root(root: Path) -> Path:
    """OSWorld keeps tasks in evaluation_examples/examples/; accept either folder."""
    return (
        root / "examples"
        if (root / "examples").is_dir() and not any(root.glob("*/*.json"))
        else root
    )


def load_tasks(
    path: str | Path | None = None, index: str | None = None, domains: list[str] | None = None
) -> list[TaskFile]:
    """The tasks of a folder (the bundled ones when `path` is None), in index order.

    Raises:
        DataError: a missing folder, index or task file, or malformed JSON.
    """
    root = Path(path).expanduser() if path else BUNDLED
    if not root.is_dir():
        raise DataError(
            f"task folder {root} does not exist", "pass -T path=<folder with <domain>/<id>.json>"
        )
    root = _task_root(root)
    index_path = find_index(root, index)
    tasks: list[TaskFile] = []
    if index_path is not None:
        listing = _read_json(index_path)
        if not isinstance(listing, dict):
            raise DataError(
                f"{index_path}: an index maps domains to lists of task ids", "fix the index"
            )
        for domain, ids in listing.items():
            if domains and domain not in domains:
                continue
            for task_id in ids:
                file = root / domain / f"{task_id}.json"
                if not file.is_file():
                    raise DataError(
                        f"{index_path} lists {domain}/{task_id}, but {file} is missing",
                        "fix the index or add the task file",
                    )
                tasks.append(TaskFile(domain, _read_json(file), file))
    else:
        for file in sorted(root.glob("*/*.json")):
            if file.parent.name == "solutions" or (domains and file.parent.name not in domains):
                continue
            tasks.append(TaskFile(file.parent.name, _read_json(file), file))
    for task in tasks:
        _validate(task)
    return tasks


def _validate(task: TaskFile) -> None:
    missing = [k for k in ("id", "instruction", "evaluator") if k not in task.config]
    if missing:
        raise DataError(
            f"{task.path}: task has no {', '.join(missing)}", "is this an OSWorld task file?"
        )
    if "func" not in task.config["evaluator"]:
        raise DataError(f"{task.path}: the evaluator has no func", "add evaluator.func")


def load_solution(task: TaskFile) -> list[Any] | None:
    """The scripted solution of a task (solutions/<id>.json beside the domain folders), if any."""
    for folder in (
        task.path.parent.parent / "solutions",
        task.path.parent.parent.parent / "solutions",
    ):
        file = folder / f"{task.id}.json"
        if file.is_file():
            solution = _read_json(file)
            return solution.get("responses") if isinstance(solution, dict) else solution
    return None
