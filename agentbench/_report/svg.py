"""Inline SVG charts for the HTML report: the pass@k curve and the score distribution."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_W, _H = 360, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 12, 34


def _frame(body: str, label: str) -> str:
    return (
        f'<svg width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(label)}">{body}</svg>'
    )


def _y_axis(lo: float, hi: float, y_of: object) -> str:
    parts = []
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        y = y_of(v)  # type: ignore[operator]
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4ea"/>'
            f'<text x="{_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{_tick(v)}</text>'
        )
    return "".join(parts)


def _tick(v: float) -> str:
    return f"{v:.2f}" if abs(v) < 10 else f"{v:,.0f}"


def pass_at_k_curve(points: Sequence[tuple[int, float, tuple[float, float] | None]]) -> str:
    """pass@k against k (log-spaced when k spans a wide range), with CI bars where known.

    Args:
        points: (k, value, (lo, hi) or None), by k.
    """
    if not points:
        return ""
    inner_w, inner_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    n = len(points)

    def x_of(i: int) -> float:
        return _LEFT + (inner_w * (i + 0.5) / n)

    def y_of(v: float) -> float:
        return _TOP + inner_h * (1 - max(0.0, min(1.0, v)))

    parts = [_y_axis(0.0, 1.0, y_of)]
    line = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, (_, v, _) in enumerate(points))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#3b6fd8" stroke-width="2"/>')
    for i, (k, v, ci) in enumerate(points):
        x = x_of(i)
        if ci is not None:
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y_of(ci[0]):.1f}" y2="{y_of(ci[1]):.1f}" '
                'stroke="#3b6fd8" stroke-opacity=".45" stroke-width="6"/>'
            )
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y_of(v):.1f}" r="3.5" fill="#3b6fd8">'
            f"<title>pass@{k} = {v:.3f}</title></circle>"
            f'<text x="{x:.1f}" y="{_H - _BOTTOM + 14}" text-anchor="middle">{k}</text>'
        )
    parts.append(f'<text x="{_LEFT + inner_w / 2:.1f}" y="{_H - 4}" text-anchor="middle">k</text>')
    return _frame("".join(parts), "pass@k curve")


def histogram(values: Sequence[float], bins: int = 10) -> str:
    """The distribution of episode scores: bins over [0, 1] when every score lies there."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if lo >= 0.0 and hi <= 1.0:
        lo, hi = 0.0, 1.0
    elif hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    counts = [0] * bins
    width = (hi - lo) / bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    top = -(-max(max(counts), 1) // 4) * 4  # a multiple of 4: whole-number ticks
    inner_w, inner_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def y_of(c: float) -> float:
        return _TOP + inner_h * (1 - c / top)

    parts = [_y_axis(0.0, float(top), y_of)]
    bar_w = inner_w / bins
    for i, c in enumerate(counts):
        x = _LEFT + i * bar_w
        a, b = lo + i * width, lo + (i + 1) * width
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y_of(c):.1f}" width="{bar_w - 2:.1f}" '
            f'height="{_TOP + inner_h - y_of(c):.1f}" fill="#49a86a">'
            f"<title>[{_tick(a)}, {_tick(b)}): {c:,} episodes</title></rect>"
        )
    for v, anchor in ((lo, "start"), (hi, "end")):
        x = _LEFT if anchor == "start" else _W - _RIGHT
        parts.append(
            f'<text x="{x}" y="{_H - _BOTTOM + 14}" text-anchor="{anchor}">{_tick(v)}</text>'
        )
    parts.append(
        f'<text x="{_LEFT + inner_w / 2:.1f}" y="{_H - 4}" text-anchor="middle">score</text>'
    )
    return _frame("".join(parts), "score distribution")
