"""The audit's HTML page (`agentbench audit TASK --html FILE`): one self-contained file."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from agentbench._report.assets import CSS


def write_audit_html(report: dict[str, Any], path: Path) -> Path:
    """Write an `agentbench.audit` report as a page: rates, defects, samples, surviving diffs."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    title = f"agentbench audit: {report.get('task', '?')}"
    body = "".join(
        (
            f"<h1>{escape(title)}</h1>",
            _overview(report),
            _operators(report),
            _defects(report),
            _samples(report),
            _survivors(report),
        )
    )
    path.write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>\n",
        encoding="utf-8",
    )
    return path


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _table(header: list[str], rows: list[list[Any]], table_id: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _overview(report: dict[str, Any]) -> str:
    fields = [
        ("Mutants that pass the checker", f"{report['survived']:,} of {report['mutants']:,}"),
        ("False-positive rate of the tests", _rate(report["false_positive_rate"])),
        ("Weak samples", ", ".join(report["weak_samples"]) or "none"),
        ("Audit run", str(report.get("run_dir", ""))),
    ]
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in fields)
    return f"<h2>Summary</h2><table><tbody>{rows}</tbody></table>"


def _operators(report: dict[str, Any]) -> str:
    rows = [
        [op, f["mutants"], f["survived"], _rate(f["rate"])]
        for op, f in report["by_operator"].items()
    ]
    header = ["Operator", "Mutants", "Survived", "Rate"]
    return "<h2>By operator</h2>" + _table(header, rows, "operators") if rows else ""


def _defects(report: dict[str, Any]) -> str:
    items = [
        f"the reference of {sid} fails its own checker: {why}"
        for sid, why in report["broken_references"].items()
    ]
    items += [f"skipped {sid}: {why}" for sid, why in report.get("skipped_samples", {}).items()]
    if not items:
        return ""
    listing = "".join(f"<li>{escape(i)}</li>" for i in items)
    return f"<h2>Benchmark defects and skipped samples</h2><ul>{listing}</ul>"


def _samples(report: dict[str, Any]) -> str:
    entries = report["samples"]
    order = sorted(entries, key=lambda s: (-(entries[s]["rate"] or 0), s))
    rows = [
        [
            sid,
            "passes" if entries[sid]["control"] else "fails",
            entries[sid]["mutants"],
            entries[sid]["survived"],
            _rate(entries[sid]["rate"]),
        ]
        for sid in order
    ]
    header = ["Sample", "Reference", "Mutants", "Survived", "Rate"]
    return "<h2>Samples, weakest first</h2>" + _table(header, rows, "samples")


def _survivors(report: dict[str, Any]) -> str:
    parts = []
    for sid, entry in report["samples"].items():
        for s in entry["survivors"]:
            head = f"{sid}, mutant {s['mutant']} ({s['operator']}: {s['description']})"
            parts.append(f"<h3>{escape(head)}</h3><pre>{escape(s['diff'] or '')}</pre>")
    if not parts:
        return "<h2>Surviving mutants</h2><p>None: every mutant failed the checker.</p>"
    return "<h2>Surviving mutants</h2>" + "".join(parts)
