"""Which upstream task files this plugin can run: per domain, the tasks whose every setup step
type, getter and metric is implemented, and the names still missing (with how many tasks use them).

`agentbench osworld coverage PATH` prints it; `coverage(tasks)` returns it as data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .data import TaskFile

#: Names that need something no container here can give, and why (shown beside the counts).
BLOCKED = {
    "step googledrive": "needs a Google Drive account",
    "step login": "needs an online account login",
    "getter googledrive_file": "needs a Google Drive account",
}


@dataclass
class DomainCoverage:
    """Coverage of one domain."""

    domain: str
    tasks: int = 0
    covered: int = 0
    missing: Counter[str] = field(default_factory=Counter)


def _configs(value: Any) -> list[dict[str, Any]]:
    items = value if isinstance(value, list) else [value]
    return [c for c in items if isinstance(c, dict) and "type" in c]


def task_needs(config: dict[str, Any]) -> list[str]:
    """Every step type, getter and metric a task uses ('step X', 'getter X', 'metric X')."""
    evaluator = config.get("evaluator") or {}
    names = [
        f"step {s.get('type')}"
        for s in [*(config.get("config") or []), *(evaluator.get("postconfig") or [])]
        if isinstance(s, dict)
    ]
    funcs = evaluator.get("func")
    names += [f"metric {f}" for f in (funcs if isinstance(funcs, list) else [funcs])]
    for key in ("result", "expected"):
        names += [f"getter {c['type']}" for c in _configs(evaluator.get(key))]
    return list(dict.fromkeys(names))


def implemented() -> set[str]:
    """The names this plugin implements, in task_needs' form."""
    from .getters import GETTERS, getter
    from .metrics import METRICS
    from .setup import STEPS

    getter("rule")  # registers the application getters
    return (
        {f"step {s}" for s in STEPS}
        | {f"getter {g}" for g in GETTERS}
        | {f"metric {m}" for m in METRICS}
        | {"metric infeasible"}
    ) - set(BLOCKED)


def missing_names(config: dict[str, Any]) -> list[str]:
    """The names a task uses that this plugin lacks."""
    have = implemented()
    return [n for n in task_needs(config) if n not in have]


def coverage(tasks: list[TaskFile]) -> list[DomainCoverage]:
    """Per-domain coverage of the tasks, in the order domains first appear."""
    have = implemented()
    domains: dict[str, DomainCoverage] = {}
    for task in tasks:
        entry = domains.setdefault(task.domain, DomainCoverage(task.domain))
        entry.tasks += 1
        missing = [n for n in task_needs(task.config) if n not in have]
        entry.covered += not missing
        entry.missing.update(missing)
    return list(domains.values())


def render(rows: list[DomainCoverage], top: int = 12) -> str:
    """A plain-text report: one block per domain, then the totals."""
    lines = []
    for row in rows:
        lines.append(f"{row.domain:20} {row.covered:4}/{row.tasks:<4} tasks fully implemented")
        for name, count in row.missing.most_common(top):
            why = f"  ({BLOCKED[name]})" if name in BLOCKED else ""
            lines.append(f"    missing {name} x{count}{why}")
        if len(row.missing) > top:
            lines.append(f"    ... and {len(row.missing) - top} more names")
    total = sum(r.tasks for r in rows)
    covered = sum(r.covered for r in rows)
    lines.append(f"{'total':20} {covered:4}/{total:<4} tasks fully implemented")
    return "\n".join(lines)
