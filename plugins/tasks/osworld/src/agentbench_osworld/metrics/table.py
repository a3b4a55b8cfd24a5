"""`compare_table`: spreadsheet (xlsx) checks, by OSWorld's common rule types.

Rules (`options["rules"]`, all must hold): `sheet_name` (same sheet names), `sheet_data` (same
cell values, numbers rounded to `precision`), `sheet_fuzzy` (per-range cell comparisons:
exact_match, includes, included_by, fuzzy_match), `check_cell` (a cell's value against a rule),
`freeze` (same frozen panes) and `zoom` (a sheet's zoom against a rule). Sheets are named as
OSWorld does: an int or "RI<n>" / "RN<name>" for the result, "EI<n>" / "EN<name>" for the
expected workbook.
"""

from __future__ import annotations

import difflib
import logging
from typing import Any

from .rules import match_value_to_rule

log = logging.getLogger("agentbench.osworld.table")


def _load(path: str | None):
    import openpyxl

    return openpyxl.load_workbook(filename=path, data_only=True)


def _sheet(index: int | str, result, expected):
    if isinstance(index, int):
        book, key = result, index
    elif index[:2] in ("RI", "EI"):
        book, key = (result if index[0] == "R" else expected), int(index[2:])
    elif index[:2] in ("RN", "EN"):
        book, key = (result if index[0] == "R" else expected), index[2:]
    else:
        raise ValueError(f"unrecognised sheet index {index!r}")
    if book is None:
        return None
    try:
        return book.worksheets[key] if isinstance(key, int) else book[key]
    except (IndexError, KeyError):
        return None


def _cell(value: Any, precision: int) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return round(float(value), precision)
    if isinstance(value, str) and value == "":
        return None
    return value


def sheet_values(sheet, precision: int = 4) -> list[list[Any]]:
    """A sheet's values, numbers rounded, trailing empty rows and columns dropped."""
    rows = [[_cell(v, precision) for v in row] for row in sheet.iter_rows(values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    width = max(
        (max((i + 1 for i, v in enumerate(r) if v is not None), default=0) for r in rows), default=0
    )
    return [(r + [None] * width)[:width] for r in rows]


def _fuzzy_ok(rule: dict[str, Any], a: str, b: str) -> bool:
    for old, new in rule.get("normalization", []):
        a, b = a.replace(old, new), b.replace(old, new)
    if "trim_leadings" in rule:
        a, b = a.lstrip(rule["trim_leadings"]), b.lstrip(rule["trim_leadings"])
    if "trim_trailings" in rule:
        a, b = a.rstrip(rule["trim_trailings"]), b.rstrip(rule["trim_trailings"])
    if "ignore_chars" in rule:
        drop = set(rule["ignore_chars"])
        a, b = "".join(c for c in a if c not in drop), "".join(c for c in b if c not in drop)
    if rule.get("ignore_case", False):
        a, b = a.lower(), b.lower()
    kind = rule["type"]
    if kind == "includes":
        return b in a
    if kind == "included_by":
        return a in b
    if kind == "fuzzy_match":
        return difflib.SequenceMatcher(a=a, b=b).ratio() * 100 >= rule.get("threshold", 85.0)
    return a == b


def _cells(range_text: str):
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import MultiCellRange

    for rng in MultiCellRange(range_text):
        for row, col in rng.cells:
            yield f"{get_column_letter(col)}{row}"


def _value(sheet, coordinate: str) -> Any:
    return None if sheet is None else sheet[coordinate].value


def _sheet_pair(rule: dict[str, Any], result, expected):
    return (
        _sheet(rule["sheet_idx0"], result, expected),
        _sheet(rule["sheet_idx1"], result, expected),
    )


def _check(rule: dict[str, Any], result, expected) -> bool:
    kind = rule["type"]
    if kind == "sheet_name":
        return expected is not None and result.sheetnames == expected.sheetnames
    if kind == "sheet_data":
        one, two = _sheet_pair(rule, result, expected)
        precision = int(rule.get("precision", 4))
        return (
            one is not None
            and two is not None
            and sheet_values(one, precision) == sheet_values(two, precision)
        )
    if kind == "sheet_fuzzy":
        one, two = _sheet_pair(rule, result, expected)
        return all(
            _fuzzy_ok(r, str(_value(one, c)), str(_value(two, c)))
            for r in rule["rules"]
            for c in _cells(r["range"])
        )
    if kind == "check_cell":
        sheet = _sheet(rule["sheet_idx"], result, expected)
        if sheet is None:
            return False
        props = rule["props"]
        return all(
            match_value_to_rule(sheet[rule["coordinate"]].value, check)
            for prop, check in props.items()
            if prop == "value"
        )
    if kind == "freeze":
        one, two = _sheet_pair(rule, result, expected)
        return one is not None and two is not None and one.freeze_panes == two.freeze_panes
    if kind == "zoom":
        sheet = _sheet(rule["sheet_idx"], result, expected)
        return sheet is not None and match_value_to_rule(sheet.sheet_view.zoomScale or 100.0, rule)
    raise NotImplementedError(f"compare_table rule type {kind!r} is not supported")


def compare_table(result: str | None, expected: str | None = None, **options: Any) -> float:
    """1 when every rule in `options["rules"]` holds for the result (and expected) workbook."""
    if result is None:
        return 0.0
    try:
        result_book = _load(result)
    except Exception:
        return 0.0
    expected_book = _load(expected) if expected is not None else None
    for rule in options.get("rules", []):
        if not _check(rule, result_book, expected_book):
            log.debug("compare_table: rule %s failed", rule)
            return 0.0
    return 1.0
