"""General metrics: text, command output and plain files (OSWorld's semantics, 1.0 or 0.0)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any


def exact_match(result: Any, rules: dict[str, Any]) -> float:
    """1 when the result equals `rules["expected"]`."""
    return float(result == rules["expected"])


def check_include_exclude(result: str | None, rules: dict[str, list[str]]) -> float:
    """1 when every `include` string is in the result and no `exclude` string is."""
    if result is None:
        return 0.0
    include, exclude = rules.get("include", []), rules.get("exclude", [])
    return float(all(r in result for r in include) and all(r not in result for r in exclude))


def is_in_list(result: Any, rules: dict[str, Any]) -> float:
    return float(result is not None and rules["expected"] in result)


def literal_match(result: Any, expected: Any, **options: Any) -> float:
    """String or list equality, optionally ignoring case."""
    ignore_case = options.get("ignore_case", False)
    if options.get("type", "str") == "list":
        if (
            not isinstance(result, list | tuple)
            or not isinstance(expected, list | tuple)
            or len(result) != len(expected)
        ):
            return 0.0
        a, b = [str(s) for s in result], [str(s) for s in expected]
        if ignore_case:
            a, b = [s.lower() for s in a], [s.lower() for s in b]
        return float(a == b)
    a, b = str(result), str(expected)
    return float(a.lower() == b.lower() if ignore_case else a == b)


def _read(path: str | None) -> str | None:
    if not path or not Path(path).is_file():
        return None
    return Path(path).read_text(errors="replace")


def file_contains(file_path: str | None, config: dict[str, Any]) -> float:
    """1 when the file holds every expected string."""
    text = _read(file_path)
    if text is None:
        return 0.0
    expected = config["expected"]
    expected = [expected] if isinstance(expected, str) else expected
    return float(all(e in text for e in expected))


TIME_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)")


def check_line_number(file_path: str | None, line_number: dict[str, Any]) -> float:
    """1 when the number of lines holding an HH:MM:SS time equals `expected`."""
    text = _read(file_path)
    if text is None:
        return 0.0
    count = sum(1 for line in text.splitlines() if TIME_RE.search(line))
    try:
        return float(count == int(line_number["expected"]))
    except (KeyError, TypeError, ValueError):
        return 0.0


def _normalise(text: str, options: dict[str, Any]) -> str:
    if options.get("ignore_blanks", False):
        text = re.sub(r"\s+", " ", re.sub(r"[\t\n]", " ", text).strip())
    if options.get("ignore_case", False):
        text = text.lower()
    return text


def compare_text_file(actual: str | None, expected: str | None, **options: Any) -> float:
    """1 when the two text files are equal (optionally ignoring blanks and case)."""
    a, b = _read(actual), _read(expected)
    if a is None or b is None:
        return 0.0
    return float(_normalise(a, options) == _normalise(b, options))


def diff_text_file(result: str | None, expect: str | None) -> float:
    """The similarity ratio of two files' lines."""
    a, b = _read(result), _read(expect)
    if a is None or b is None:
        return 0.0
    return difflib.SequenceMatcher(a=a.splitlines(), b=b.splitlines()).ratio()


def compare_csv(result: str | None, expected: str | list[str] | None, **options: Any) -> float:
    """1 when the CSV's lines equal the expected file's (any of them, if a list is given).

    Options: `strict` (default true; false strips each line), `ignore_case`.
    """
    a = _read(result)
    if a is None or expected is None:
        return 0.0
    candidates = [expected] if isinstance(expected, str) else expected
    for candidate in candidates:
        b = _read(candidate)
        if b is None:
            continue
        lines_a, lines_b = a.splitlines(), b.splitlines()
        if not options.get("strict", True):
            lines_a, lines_b = [s.strip() for s in lines_a], [s.strip() for s in lines_b]
        if options.get("ignore_case", False):
            lines_a, lines_b = [s.lower() for s in lines_a], [s.lower() for s in lines_b]
        if lines_a == lines_b:
            return 1.0
    return 0.0


def check_direct_json_object(result: Any, rules: dict[str, Any]) -> float:
    """Every expected key has the expected value in the result object (a JSON string has its '
    turned into " first, as upstream). With `expect_in_result`, an expected string must be a
    substring of the result's value and an expected list must share an item with it."""
    import json

    if isinstance(result, str):
        try:
            result = json.loads(result.strip().replace("'", '"'))
        except ValueError:
            return 0.0
    if not isinstance(result, dict):
        return 0.0
    expected = rules["expected"]
    if not rules.get("expect_in_result", False):
        return float(all(result.get(k) == v for k, v in expected.items()))
    for key, want in expected.items():
        got = result.get(key)
        if isinstance(want, list):
            if not (isinstance(got, list) and any(w in got for w in want)):
                return 0.0
        elif isinstance(want, str):
            if not isinstance(got, str | list) or want not in got:
                return 0.0
        else:
            return 0.0
    return 1.0
