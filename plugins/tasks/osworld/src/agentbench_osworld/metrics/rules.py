"""Matching a value against a rule `{"method": ..., "ref": ...}`, as OSWorld's metrics do."""

from __future__ import annotations

import operator
import re
from typing import Any

_COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


def match_value_to_rule(value: Any, rule: dict[str, Any]) -> bool:
    """Methods: eq, ne, lt, le, gt, ge, re (search), approx:<tolerance>, str_list_eq."""
    method, ref = rule["method"], rule.get("ref")
    if method.startswith("re"):
        flags = 0
        for name in method.split(".")[1:]:
            flags |= getattr(re, name.upper(), 0)
        return value is not None and re.search(ref, str(value), flags) is not None
    if method in _COMPARE:
        try:
            return bool(_COMPARE[method](value, ref))
        except TypeError:
            return False
    if method.startswith("approx"):
        tolerance = float(method.split(":", 1)[1]) if ":" in method else 1e-6
        try:
            return abs(float(value) - float(ref)) <= tolerance
        except (TypeError, ValueError):
            return False
    if method == "str_list_eq":
        return [str(v) for v in (value or [])] == [str(v) for v in (ref or [])]
    raise NotImplementedError(f"rule method {method!r} is not supported")
