"""The HTML report: one self-contained file (inline CSS and JS, no network), every value escaped."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Sized
from html import escape
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from agentbench._report.text import (
    breakdown_table,
    fmt_ci,
    fmt_duration,
    fmt_number,
    fmt_usage,
    headline_keys,
    task_metric_items,
)
from agentbench._runner.store import DB_NAME, Store, artifacts_dir, safe_segment
from agentbench.types import EpisodeResult, RunSummary

_MAX_EXPLANATION_CHARS = 400

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#1d1d1f}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #d0d0d7;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.pass td.status{background:#dff5e1}tr.fail td.status{background:#fbe3e3}
tr.error td.status{background:#fdecc8}
tr.infra_error td.status,tr.cancelled td.status{background:#e6e6ea}
td.text{max-width:48em;white-space:pre-wrap;word-break:break-word}
pre{background:#f6f6f8;padding:.6em;overflow:auto}
#filter{margin:.4em 0;padding:.3em;width:24em}
"""

# Filters the episode rows by the text typed (sample id, status, explanation...).
_JS = """
document.getElementById('filter').addEventListener('input', function (e) {
  var q = e.target.value.toLowerCase();
  document.querySelectorAll('#episodes tbody tr').forEach(function (row) {
    row.style.display = row.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
  });
});
"""


class TranscriptSource(Protocol):
    """What the report needs from the store to link transcripts and artifacts."""

    run_dir: Path

    def transcript(
        self, run_id: str, task: str, sample_id: str, epoch: int, model: str
    ) -> list[dict[str, Any]]: ...

    def artifacts(
        self, run_id: str, task: str, sample_id: str, epoch: int, model: str
    ) -> list[str]: ...


def write_html_report(
    summary: RunSummary,
    results: Iterable[EpisodeResult],
    path: Path,
    *,
    store: TranscriptSource | None = None,
    link_files: bool = True,
) -> Path:
    """Write the run's report as one self-contained HTML file.

    The page is written as it is made, one episode row at a time, so a run of any size is
    reported without holding its episodes.

    Args:
        summary: The run summary.
        results: Every recorded episode: a list, or the lazy sequence of `load_run` (read
            from the store already sorted, a page at a time).
        path: The HTML file to write (its directory is created).
        store: The run's store. Each episode's transcript is written as JSON under
            `<path's dir>/transcripts/` and linked, and its artifact files are linked too.
            When None, the store in `summary.run_dir` is used if there is one.
        link_files: False leaves out the transcript files and links.

    Returns:
        `path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Path(summary.run_dir) / DB_NAME
    if link_files and store is None and summary.run_dir and db.is_file():
        with Store(db.parent, create=False) as own:
            return write_html_report(summary, results, path, store=own)
    if not link_files:
        store = None
    title = f"agentbench report: {summary.run_id}"
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{escape(title)}</h1>"
        )
        for section in (
            _summary_section(summary),
            _metrics_section(summary),
            _breakdown_section("Subsets", summary.subsets, "subset"),
            _breakdown_section("Tasks", summary.metrics.get("tasks"), "task"),
            _task_metrics_section(summary),
        ):
            out.write(section)
        for chunk in _episodes_section(results, path.parent, store):
            out.write(chunk)
        out.write(f"<script>{_JS}</script></body></html>\n")
    return path


def _cell(value: Any, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<td{attr}>{escape(str(value))}</td>"


def _table(header: list[str], rows: list[str], table_id: str = "") -> str:
    attr = f' id="{table_id}"' if table_id else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _summary_section(s: RunSummary) -> str:
    fields = [
        ("Task", s.task),
        ("Model", s.model),
        ("Episodes", f"{s.completed:,} of {s.episodes:,} completed"),
        ("Errors (model)", fmt_number(s.errors)),
        ("Infra errors (excluded)", fmt_number(s.infra_errors)),
        ("Samples x epochs", f"{s.samples:,} x {s.epochs}"),
        ("Duration", fmt_duration(s.duration_s)),
        ("Usage", fmt_usage(s.usage)),
        ("Run directory", s.run_dir or "-"),
    ]
    rows = [f"<tr><th>{escape(k)}</th>{_cell(v)}</tr>" for k, v in fields]
    return f"<h2>Summary</h2><table><tbody>{''.join(rows)}</tbody></table>"


def _metrics_section(s: RunSummary) -> str:
    m = s.metrics
    rows = [
        f"<tr>{_cell(k)}{_cell(fmt_number(m[k]), 'num')}{_cell(fmt_ci(m.get(k + '_ci')))}</tr>"
        for k in headline_keys(m)
    ]
    if not rows:
        return "<h2>Metrics</h2><p>No scored episodes.</p>"
    return "<h2>Metrics</h2>" + _table(["metric", "value", "95% CI (bootstrap)"], rows)


def _breakdown_section(title: str, groups: Any, label: str) -> str:
    if not isinstance(groups, dict) or not groups:
        return ""
    header, rows = breakdown_table(groups, label)
    html_rows = [
        "<tr>" + _cell(r[0]) + "".join(_cell(c, "num") for c in r[1:]) + "</tr>" for r in rows
    ]
    return f"<h2>{escape(title)}</h2>" + _table(header, html_rows)


def _task_metrics_section(s: RunSummary) -> str:
    items = task_metric_items(s.metrics)
    if not items:
        return ""
    rows = []
    for key, value in items:
        if isinstance(value, dict | list):
            text = json.dumps(value, indent=2, sort_keys=True, default=str)
            rows.append(f"<tr>{_cell(key)}<td><pre>{escape(text)}</pre></td></tr>")
        else:
            rows.append(f"<tr>{_cell(key)}{_cell(fmt_number(value), 'num')}</tr>")
    return "<h2>Task metrics</h2>" + _table(["name", "value"], rows)


def _row_class(r: EpisodeResult) -> str:
    if r.status in ("error", "infra_error", "provider_error", "cancelled"):
        return r.status
    return "pass" if r.passed else "fail"


def _sort_key(r: EpisodeResult) -> tuple[Any, ...]:
    # Natural order for numeric ids ("2" before "10").
    sid = r.sample_id
    return (r.task, r.model, (0, int(sid), "") if sid.isdigit() else (1, 0, sid), r.epoch)


def _in_report_order(results: Iterable[EpisodeResult]) -> Iterator[EpisodeResult]:
    ordered = getattr(results, "in_report_order", None)
    if ordered is not None:  # a stored run: SQLite sorts, Python streams
        return iter(ordered())
    return iter(sorted(results, key=_sort_key))


def _episodes_section(
    results: Iterable[EpisodeResult], out_dir: Path, store: TranscriptSource | None
) -> Iterator[str]:
    """The episodes table, a row at a time."""
    header = [
        "sample",
        "epoch",
        "subset",
        "status",
        "score",
        "explanation / error",
        "steps",
        "tokens",
        "seconds",
    ]
    if store is not None:
        header.append("files")
    count = len(results) if isinstance(results, Sized) else None
    rows = _in_report_order(results)
    if count is None:
        rows_list = list(rows)
        count, rows = len(rows_list), iter(rows_list)
    filter_box = '<input id="filter" type="search" placeholder="filter episodes">'
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    yield (
        f"<h2>Episodes ({count:,})</h2>{filter_box}"
        f'<table id="episodes"><thead><tr>{head}</tr></thead><tbody>'
    )
    for r in rows:
        yield _episode_row(r, out_dir, store)
    yield "</tbody></table>"


def _episode_row(r: EpisodeResult, out_dir: Path, store: TranscriptSource | None) -> str:
    text = r.error or (r.score.explanation if r.score else "") or ""
    if len(text) > _MAX_EXPLANATION_CHARS:
        text = text[: _MAX_EXPLANATION_CHARS - 3] + "..."
    status = r.status if r.status != "ok" else ("passed" if r.passed else "failed")
    cells = [
        _cell(r.sample_id),
        _cell(r.epoch, "num"),
        _cell(r.subset or ""),
        _cell(status, "status"),
        _cell(fmt_number(r.score.value) if r.score else "-", "num"),
        _cell(text, "text"),
        _cell(r.steps, "num"),
        _cell(f"{r.usage.total_tokens:,}", "num"),
        _cell(f"{r.duration_s:.2f}", "num"),
    ]
    if store is not None:
        cells.append(f"<td>{_episode_links(r, out_dir, store)}</td>")
    return f'<tr class="{_row_class(r)}">{"".join(cells)}</tr>'


def _episode_links(r: EpisodeResult, out_dir: Path, store: TranscriptSource) -> str:
    key = (r.run_id, r.task, r.sample_id, r.epoch, r.model)
    target = (
        out_dir
        / "transcripts"
        / safe_segment(r.task)
        / safe_segment(r.sample_id)
        / f"{r.epoch}-{safe_segment(r.model)}.json"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(store.transcript(*key), indent=1, default=str), encoding="utf-8")
    links = [_link(target, out_dir, "transcript")]
    folder = artifacts_dir(store.run_dir, r.task, r.sample_id, r.epoch)
    for name in store.artifacts(*key):
        file = folder / name
        links.append(_link(file, out_dir, name) if file.is_file() else escape(f"{name} (missing)"))
    return " ".join(links)


def _link(target: Path, out_dir: Path, label: str) -> str:
    href = quote(Path(os.path.relpath(target, out_dir)).as_posix())
    return f'<a href="{escape(href)}">{escape(label)}</a>'
