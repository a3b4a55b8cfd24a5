"""The HTML report's comparison section: this run against others (`report --html --compare`)."""

from __future__ import annotations

from html import escape
from typing import Any


def comparison_section(report: dict[str, Any] | None) -> str:
    """One table row per compared pair and breakdown, then the series' order flips."""
    if not report:
        return ""
    pct = round(report["confidence"] * 100)
    header = [
        "Pair",
        "Scope",
        "Mean A",
        "Mean B",
        "Difference",
        f"{pct}% CI (paired bootstrap)",
        "McNemar p",
        "Only A / only B passed",
        "Samples",
    ]
    rows = [row for pair in report["pairs"] for row in _pair_rows(pair)]
    notes = [
        f"{pair['a']} vs {pair['b']}: {note}"
        for pair in report["pairs"]
        for note in _pair_notes(pair)
    ]
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    table = f'<table id="comparison"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
    listing = "".join(f'<p class="muted">{escape(n)}</p>' for n in notes)
    return f"<h2>Comparison</h2>{table}</tbody></table>{listing}{_series(report.get('series'))}"


def _pair_rows(pair: dict[str, Any]) -> list[str]:
    label = f"{pair['a']} vs {pair['b']}"
    scopes = [("overall", pair["overall"])]
    for title, blocks in (("subset", pair["subsets"]), ("task", pair["tasks"])):
        if len(blocks) > 1:  # a single subset repeats the overall line
            scopes += [(f"{title} {name}", block) for name, block in blocks.items()]
    return [_row(label, scope, block) for scope, block in scopes]


def _row(label: str, scope: str, block: dict[str, Any]) -> str:
    lo, hi = block["ci"]
    m = block["mcnemar"]
    cells = [
        label,
        scope,
        f"{block['mean_a']:.4f}",
        f"{block['mean_b']:.4f}",
        f"{block['difference']:+.4f}",
        f"[{lo:+.4f}, {hi:+.4f}]",
        f"{m['p_value']:.4g}",
        f"{m['a_only_passed']} / {m['b_only_passed']}",
        f"{block['samples']:,} ({block['episodes']:,} episodes)",
    ]
    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"


def _pair_notes(pair: dict[str, Any]) -> list[str]:
    notes = list(pair["notes"])
    if pair["only_a"] or pair["only_b"]:
        notes.append(
            f"not compared: {pair['only_a']} episode(s) only in A, {pair['only_b']} only in B"
        )
    return notes


def _series(series: dict[str, Any] | None) -> str:
    if not series:
        return ""
    items = []
    for p in series["adjacent"]:
        rate = "tied" if p["flip_rate"] is None else f"{p['flip_rate']:.1%}"
        items.append(f"{p['a']} → {p['b']}: difference {p['difference']:+.4f}, order flips {rate}")
    kept = f"whole ranking kept in {series['ranking_stability']:.1%} of resamples"
    body = "".join(f"<li>{escape(i)}</li>" for i in items)
    return (
        f"<h3>Series over {series['samples']:,} shared samples</h3>"
        f'<ul>{body}</ul><p class="muted">{escape(kept)}</p>'
    )
