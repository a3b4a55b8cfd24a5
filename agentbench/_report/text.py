"""The run summary as plain text for the terminal (and the helpers the HTML report shares)."""

from __future__ import annotations

import re
from typing import Any

from agentbench.types import RunSummary, Usage

_PASS_AT = re.compile(r"^pass@(\d+)$")
_MAX_VALUE_CHARS = 160
# Figures every summary has; anything else in `metrics` came from the task.
CORE_METRICS = ("mean", "passed", "tasks", "flip_share", "sample_variance")
SUBSET_COUNTS = ("samples", "episodes", "errors", "infra_errors")


def pass_at_keys(metrics: dict[str, Any]) -> list[str]:
    """The `pass@k` keys of `metrics`, by k."""
    keys = [k for k in metrics if _PASS_AT.match(k)]
    return sorted(keys, key=lambda k: int(k.split("@")[1]))


def headline_keys(metrics: dict[str, Any]) -> list[str]:
    """pass@k (by k), then mean: the figures shown with their intervals."""
    return [*pass_at_keys(metrics), *(["mean"] if "mean" in metrics else [])]


def task_metric_items(metrics: dict[str, Any]) -> list[tuple[str, Any]]:
    """The task's own figures: every metric that is not a core one or an interval."""
    return [
        (k, v)
        for k, v in metrics.items()
        if k not in CORE_METRICS and not k.endswith("_ci") and not _PASS_AT.match(k)
    ]


def fmt_number(value: Any) -> str:
    """A figure for display: floats to 3 decimals, ints with thousands separators."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def fmt_ci(ci: Any) -> str:
    """An interval [lo, hi] as "[lo, hi]", or "" when there is none."""
    if isinstance(ci, list | tuple) and len(ci) == 2:
        return f"[{fmt_number(float(ci[0]))}, {fmt_number(float(ci[1]))}]"
    return ""


def fmt_value(value: Any) -> str:
    """Any metric value on one line: dicts as "k=v, ...", lists comma-joined, cut if long."""
    if isinstance(value, dict):
        text = ", ".join(f"{k}={fmt_value(v)}" for k, v in value.items())
        text = "{" + text + "}" if any(isinstance(v, dict) for v in value.values()) else text
    elif isinstance(value, list | tuple):
        text = ", ".join(fmt_value(v) for v in value)
    else:
        text = fmt_number(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."


def fmt_usage(usage: Usage) -> str:
    """Tokens and cost on one line."""
    text = f"{usage.input_tokens:,} input + {usage.output_tokens:,} output tokens"
    if usage.cached_tokens:
        text += f" ({usage.cached_tokens:,} cached)"
    cost = "unknown" if usage.cost is None else f"${usage.cost:,.4f}"
    return f"{text}, cost {cost}"


def fmt_duration(seconds: float) -> str:
    """Seconds as "12.3 s", "4m 05s" or "2h 03m"."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """Aligned columns: `align` has "l" or "r" per column (default: first left, rest right)."""
    align = align or "l" + "r" * (len(header) - 1)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(row, widths, align, strict=True)
        ]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def breakdown_table(
    groups: dict[str, dict[str, Any]], label: str
) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a per-subset (or per-task) table."""
    figures = []
    for group in groups.values():
        for key in headline_keys(group):
            if key not in figures:
                figures.append(key)
    header = [label, "samples", "episodes", "errors", "infra", *figures]
    rows = [
        [
            name,
            *(fmt_number(group.get(k, 0)) for k in SUBSET_COUNTS),
            *(fmt_number(group[k]) if k in group else "-" for k in figures),
        ]
        for name, group in groups.items()
    ]
    return header, rows


def format_summary(summary: RunSummary) -> str:
    """The run summary as plain text: counts, pass@k and mean with CIs, usage, breakdowns."""
    s, m = summary, summary.metrics
    lines = [
        f"Run {s.run_id}   task {s.task}   model {s.model}"
        + (f"   sandbox {s.sandbox}" if s.sandbox else ""),
        f"Episodes  {s.completed:,}/{s.episodes:,} completed, {s.errors:,} errors, "
        f"{s.infra_errors:,} infra errors; {s.samples:,} samples x {s.epochs} epochs "
        f"in {fmt_duration(s.duration_s)}",
    ]
    if "passed" in m:
        lines[-1] += f"; {m['passed']:,} passed"
    if s.provider_errors:
        lines[-1] += f"; {s.provider_errors:,} provider errors"
    if s.left_out:
        lines.append(
            f"Left out  {s.left_out:,} episodes are in no metric (infrastructure or provider "
            "faults, or cancelled); `--resume` runs them again"
        )
    headline = headline_keys(m)
    if headline:
        rows = [[k, fmt_number(m[k]), fmt_ci(m.get(f"{k}_ci"))] for k in headline]
        lines += _table(["metric", "value", "95% CI"], rows, "lrl")
    else:
        lines.append("  no scored episodes")
    if "flip_share" in m:
        lines.append(
            f"Variance  {m['flip_share']:.1%} of samples both passed and failed across epochs; "
            f"mean per-sample variance {m['sample_variance']:.3f}"
        )
    if s.baseline is not None:
        from agentbench.baseline import describe

        lines.append(describe(s.baseline))
    lines.append(f"Usage     {fmt_usage(s.usage)}")
    if s.subsets:
        lines.append("Subsets")
        lines += _table(*breakdown_table(s.subsets, "subset"))
    if isinstance(m.get("tasks"), dict):
        lines.append("Tasks")
        lines += _table(*breakdown_table(m["tasks"], "task"))
    extra = task_metric_items(m)
    if extra:
        lines.append("Task metrics")
        lines += _table(["name", "value"], [[k, fmt_value(v)] for k, v in extra], "ll")
    if s.run_dir:
        lines.append(f"Run dir   {s.run_dir}")
    return "\n".join(lines)
