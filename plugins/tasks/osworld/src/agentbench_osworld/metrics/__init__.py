"""The evaluator's metrics by name (`evaluator.func`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import basic_os, general, table

METRICS: dict[str, Callable[..., Any]] = {
    name: fn
    for module in (general, basic_os, table)
    for name, fn in vars(module).items()
    if callable(fn)
    and not name.startswith("_")
    and getattr(fn, "__module__", "") == module.__name__
    and name not in {"sheet_values", "match_value_to_rule"}
}

__all__ = ["METRICS"]
