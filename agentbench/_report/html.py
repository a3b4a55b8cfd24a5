"""The HTML report: one self-contained file (inline CSS, JS and SVG, no network).

Static sections (summary, metrics, breakdowns, failure classes, errors by stage, usage per
role, charts) are rendered here, every value escaped. The episode list is one embedded JSON
array that the page's script filters and pages through; each episode's transcript (and its
screenshots, as data: URLs) is a JSON blob of its own, parsed when the episode is opened.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from html import escape
from pathlib import Path
from typing import IO, Any

from agentbench._report import svg
from agentbench._report.assets import CSS, JS
from agentbench._report.comparison import comparison_section
from agentbench._report.episodes import (
    ROW_FIELDS,
    Tally,
    TranscriptSource,
    episode_blob,
    list_row,
    script_json,
)
from agentbench._report.text import (
    breakdown_table,
    fmt_ci,
    fmt_duration,
    fmt_number,
    fmt_usage,
    headline_keys,
    pass_at_keys,
    task_metric_items,
)
from agentbench._runner.store import DB_NAME, Store
from agentbench.types import EpisodeResult, RunSummary

__all__ = ["TranscriptSource", "write_html_report"]

SCREENSHOT_BUDGET = 40_000_000  # bytes of screenshots embedded in one report, at most


def write_html_report(
    summary: RunSummary,
    results: Iterable[EpisodeResult],
    path: Path,
    *,
    store: TranscriptSource | None = None,
    link_files: bool = True,
    comparison: dict[str, Any] | None = None,
) -> Path:
    """Write the run's report as one self-contained HTML file.

    Episodes are read once, in report order; their transcripts are spooled to a temporary
    file while the list rows and counts are gathered, then the page is put together.

    Args:
        summary: The run summary.
        results: Every recorded episode: a list, or the lazy sequence of `load_run`.
        path: The HTML file to write (its directory is created).
        store: The run's store, for transcripts and screenshots. When None, the store in
            `summary.run_dir` is used if there is one.
        link_files: False leaves out transcripts and screenshots (the list only).
        comparison: An `agentbench.compare.compare_runs` report with this run first, shown as
            the Comparison section.

    Returns:
        `path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = Path(summary.run_dir) / DB_NAME if summary.run_dir else None
    if link_files and store is None and db is not None and db.is_file():
        with Store(db.parent, create=False) as own:
            return write_html_report(summary, results, path, store=own, comparison=comparison)
    if not link_files:
        store = None
    rows: list[list[Any]] = []
    tally = Tally()
    slim: list[EpisodeResult] | None = [] if summary.epochs > 1 else None
    with tempfile.TemporaryFile("w+", encoding="utf-8", dir=path.parent) as blobs:
        budget = [SCREENSHOT_BUDGET]
        for i, r in enumerate(_in_report_order(results)):
            rows.append(list_row(r))
            tally.add(r)
            if slim is not None:
                slim.append(_slim(r))
            blob = episode_blob(r, store, budget)
            blobs.write(f'<script type="application/json" id="t{i}">{script_json(blob)}</script>\n')
        blobs.seek(0)
        with path.open("w", encoding="utf-8") as out:
            extra = _variance_section(slim) + comparison_section(comparison)
            _write_page(out, summary, rows, tally, blobs, extra)
    return path


def _slim(r: EpisodeResult) -> EpisodeResult:
    """What the variance figures read of an episode (no usage, no text)."""
    return EpisodeResult.model_construct(
        task=r.task, sample_id=r.sample_id, epoch=r.epoch, status=r.status, score=r.score
    )


def _variance_section(results: list[EpisodeResult] | None) -> str:
    """Per-sample variance over epochs, outcome flips and the two-level bootstrap CI."""
    from agentbench.variance import flip_share, mean_ci, per_sample_variance, scored_episodes

    if not results or not scored_episodes(results):
        return ""
    spread = per_sample_variance(results)["mean_variance"]
    flips = flip_share(results)
    ci = mean_ci(results, resamples=1000)
    share = flips["share"]
    fields = [
        ("Mean per-sample variance over epochs", "-" if spread is None else f"{spread:.4f}"),
        (
            "Samples whose outcome flips between epochs",
            f"{flips['flipping']:,} of {flips['samples']:,}"
            + ("" if share is None else f" ({share:.1%})"),
        ),
        ("Mean (bootstrap over samples and epochs)", f"{ci['mean']:.3f} {fmt_ci(ci['ci'])}"),
    ]
    rows = "".join(f"<tr><th>{escape(k)}</th>{_cell(v)}</tr>" for k, v in fields)
    ids = flips["flipping_ids"]
    shown = ", ".join(ids[:50]) + (f" and {len(ids) - 50:,} more" if len(ids) > 50 else "")
    listing = f'<p class="muted">Flipping: {escape(shown)}</p>' if ids else ""
    return f"<h2>Variance</h2><table><tbody>{rows}</tbody></table>{listing}"


def _write_page(
    out: IO[str],
    summary: RunSummary,
    rows: list[list[Any]],
    tally: Tally,
    blobs: IO[str],
    trust: str,
) -> None:
    title = f"agentbench report: {summary.run_id}"
    out.write(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
    )
    for section in (
        _summary_section(summary),
        _metrics_section(summary),
        trust,
        _charts_section(summary, tally),
        _breakdown_section("Subsets", summary.subsets, "subset"),
        _breakdown_section("Tasks", summary.metrics.get("tasks"), "task"),
        _counts_section("Failure classes", "failure class", tally.failures),
        _counts_section("Errors by stage", "stage (status)", tally.stages),
        _usage_section(summary),
        _task_metrics_section(summary),
        _episodes_section(len(rows)),
    ):
        out.write(section)
    out.write(f'<script type="application/json" id="row-fields">{script_json(ROW_FIELDS)}</script>')
    out.write('<script type="application/json" id="episode-rows">')
    for chunk in _json_array(rows):
        out.write(chunk)
    out.write("</script>\n")
    shutil.copyfileobj(blobs, out)
    out.write(f"<script>{JS}</script></body></html>\n")


def _json_array(rows: list[list[Any]], batch: int = 2000) -> Iterator[str]:
    yield "["
    for start in range(0, len(rows), batch):
        part = script_json(rows[start : start + batch])[1:-1]
        if part:
            yield ("," if start else "") + part
    yield "]"


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
        ("Provider errors (excluded)", fmt_number(s.provider_errors)),
        ("Left out of the metrics", fmt_number(s.left_out)),
        ("Samples x epochs", f"{s.samples:,} x {s.epochs}"),
        ("Sandbox", s.sandbox or "-"),
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
        return "<h2>Metrics</h2><p>No scored episodes.</p>" + _baseline(s)
    table = _table(["metric", "value", "95% CI (bootstrap)"], rows)
    return "<h2>Metrics</h2>" + table + _baseline(s)


def _baseline(s: RunSummary) -> str:
    """The null baseline's pass@1 and CI, with a warning when the model lies within it."""
    b = s.baseline
    if not b:
        return ""
    value = b.get("pass@1")
    text = (
        "nothing scored" if value is None else f"{fmt_number(value)} {fmt_ci(b.get('pass@1_ci'))}"
    )
    line = f"Null baseline ({b.get('model', 'null')}) pass@1: {text}"
    if b.get("within_null_ci"):
        return (
            f'<p class="warn">{escape(line)}. Warning: the model\'s pass@1 lies within the '
            "null baseline's CI.</p>"
        )
    return f'<p class="muted">{escape(line)}</p>'


def _charts_section(s: RunSummary, tally: Tally) -> str:
    points = []
    for key in pass_at_keys(s.metrics):
        value = s.metrics[key]
        if not isinstance(value, int | float):
            continue
        ci = s.metrics.get(key + "_ci")
        bar = (
            (float(ci[0]), float(ci[1])) if isinstance(ci, list | tuple) and len(ci) == 2 else None
        )
        points.append((int(key.split("@")[1]), float(value), bar))
    figures = []
    curve = svg.pass_at_k_curve(points)
    if curve:
        figures.append(f"<figure><figcaption>pass@k (95% CI)</figcaption>{curve}</figure>")
    hist = svg.histogram(tally.scores)
    if hist:
        figures.append(f"<figure><figcaption>Score distribution</figcaption>{hist}</figure>")
    if not figures:
        return ""
    return f'<h2>Charts</h2><div class="charts">{"".join(figures)}</div>'


def _breakdown_section(title: str, groups: Any, label: str) -> str:
    if not isinstance(groups, dict) or not groups:
        return ""
    header, rows = breakdown_table(groups, label)
    html_rows = [
        "<tr>" + _cell(r[0]) + "".join(_cell(c, "num") for c in r[1:]) + "</tr>" for r in rows
    ]
    return f"<h2>{escape(title)}</h2>" + _table(header, html_rows)


def _counts_section(title: str, label: str, counts: Any) -> str:
    if not counts:
        return ""
    total = sum(counts.values())
    rows = [
        f"<tr>{_cell(name)}{_cell(f'{n:,}', 'num')}{_cell(f'{n / total:.1%}', 'num')}</tr>"
        for name, n in counts.most_common()
    ]
    return f"<h2>{escape(title)}</h2>" + _table([label, "episodes", "share"], rows)


def _usage_section(s: RunSummary) -> str:
    by_role = s.usage_by_role or ({"default": s.usage} if s.usage.total_tokens else {})
    if not by_role:
        return ""
    rows = []
    for role, u in by_role.items():
        cost = "unknown" if u.cost is None else f"${u.cost:,.4f}"
        rows.append(
            "<tr>"
            + _cell(role)
            + _cell(s.roles.get(role, s.model if role == "default" else "-"))
            + "".join(
                _cell(f"{n:,}", "num")
                for n in (u.input_tokens, u.output_tokens, u.cached_tokens, u.total_tokens)
            )
            + _cell(cost, "num")
            + "</tr>"
        )
    header = ["role", "model", "input tokens", "output tokens", "cached", "total", "cost"]
    return "<h2>Tokens and cost per role</h2>" + _table(header, rows)


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


def _select(select_id: str, label: str, options: tuple[str, ...] = ()) -> str:
    opts = "".join(f'<option value="{o}">{o}</option>' for o in options)
    return (
        f'<label>{label} <select id="{select_id}"><option value="">any</option>{opts}</select>'
        "</label>"
    )


def _episodes_section(count: int) -> str:
    header = [
        "sample",
        "epoch",
        "subset",
        "status",
        "score",
        "failure",
        "explanation / error",
        "steps",
        "tokens",
        "seconds",
    ]
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    filters = (
        '<div id="filters">'
        + _select("f-status", "status")
        + _select("f-subset", "subset")
        + _select("f-passed", "passed", ("yes", "no"))
        + _select("f-failure", "failure class")
        + '<input id="q" type="search" placeholder="search sample, explanation, error">'
        + '<span id="count" class="muted"></span></div>'
    )
    pager = (
        '<div id="pager"><button id="prev" type="button">previous</button>'
        '<span id="page-info"></span><button id="next" type="button">next</button></div>'
    )
    detail = (
        '<div id="detail" hidden><button id="close" type="button">close (Esc)</button>'
        '<div id="detail-body"></div></div>'
    )
    return (
        f"<h2>Episodes ({count:,})</h2>{filters}{pager}"
        f'<table id="episodes"><thead><tr>{head}</tr></thead><tbody id="episode-body"></tbody>'
        f"</table><noscript>The episode list needs JavaScript.</noscript>{detail}"
    )


def _sort_key(r: EpisodeResult) -> tuple[Any, ...]:
    # Natural order for numeric ids ("2" before "10").
    sid = r.sample_id
    return (r.task, r.model, (0, int(sid), "") if sid.isdigit() else (1, 0, sid), r.epoch)


def _in_report_order(results: Iterable[EpisodeResult]) -> Iterator[EpisodeResult]:
    ordered = getattr(results, "in_report_order", None)
    if ordered is not None:  # a stored run: SQLite sorts, Python streams
        return iter(ordered())
    return iter(sorted(results, key=_sort_key))
