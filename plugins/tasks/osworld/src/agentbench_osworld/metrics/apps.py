"""Metrics of the application domains (OSWorld's chrome, vscode, thunderbird, gimp and general
metrics): settings files, URL patterns, extension lists, line patterns.

Each follows the upstream metric of the same name; all return 1.0 or 0.0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .rules import match_value_to_rule


def _text(path: str | None) -> str | None:
    if not path or not Path(path).is_file():
        return None
    return Path(path).read_text(errors="replace")


def check_list(result: str | None, rules: dict[str, list[str]]) -> float:
    """Every `expect` regex matches some line of the file and no `unexpect` regex any line."""
    text = _text(result)
    if text is None:
        return 0.0
    expect = [re.compile(p) for p in rules.get("expect", [])]
    unexpect = [re.compile(p) for p in rules.get("unexpect", [])]
    lines = text.splitlines()
    found = all(any(p.search(line) for line in lines) for p in expect)
    clean = not any(p.search(line) for p in unexpect for line in lines)
    return float(found and clean)


def check_json_settings(actual: str | None, expected: dict[str, Any], **options: Any) -> float:
    """The JSON settings file holds every key/value of `expected["expected"]`."""
    text = _text(actual)
    if text is None:
        return 0.0
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return 0.0
    wanted = expected["expected"]
    return float(
        isinstance(data, dict) and all(k in data and data[k] == v for k, v in wanted.items())
    )


def check_json_keybindings(actual: str | None, expected: dict[str, Any], **options: Any) -> float:
    """`expected["expected"]` is one of the keybindings of a JSON list file (VS Code's
    keybindings.json may start with a comment line, which is skipped)."""
    text = _text(actual)
    if text is None:
        return 0.0
    for candidate in (text, text.split("\n", 1)[-1]):
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(data, list):
            return float(expected["expected"] in data)
    return 0.0


def check_csv(result: str | None, rules: dict[str, list[dict[str, str]]]) -> float:
    """Every `expect` record (a dict of column values) matches some row, no `unexpect` any."""
    import csv
    import io

    text = _text(result)
    if text is None:
        return 0.0
    rows = list(csv.DictReader(io.StringIO(text)))

    def matches(rule: dict[str, str], row: dict[str, str]) -> bool:
        return all(k in row and row[k] == v for k, v in rule.items())

    found = all(any(matches(r, row) for row in rows) for r in rules.get("expect", []))
    clean = not any(matches(r, row) for r in rules.get("unexpect", []) for row in rows)
    return float(found and clean)


def check_json(result: str | None, rules: dict[str, Any], **options: Any) -> float:
    """Values at key paths of a JSON file: each `expect` rule must match (a missing key is 0),
    no `unexpect` rule may (a missing key counts as None)."""
    text = _text(result)
    if text is None:
        return 0.0
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return 0.0
    missing = object()

    def value_at(keys: list[Any]) -> Any:
        value = data
        for key in keys:
            try:
                value = value[key]
            except (KeyError, IndexError, TypeError):
                return missing
        return value

    for rule in rules.get("expect", []):
        value = value_at(rule["key"])
        if value is missing or not match_value_to_rule(value, rule):
            return 0.0
    for rule in rules.get("unexpect", []):
        value = value_at(rule["key"])
        if match_value_to_rule(None if value is missing else value, rule):
            return 0.0
    return 1.0


def is_extension_installed(actual: str | None, rules: dict[str, Any]) -> float:
    """`rules["type"]` contain / not_contain: whether `rules["expected"]` is in the output."""
    if actual is None:
        return 0.0
    if rules["type"] == "contain":
        return float(rules["expected"] in actual)
    if rules["type"] == "not_contain":
        return float(rules["expected"] not in actual)
    return 0.0


def is_expected_url_pattern_match(result: Any, rules: dict[str, Any]) -> float:
    """Every regex of `rules["expected"]` is found in the URL (a string or {"url": ...})."""
    if not result:
        return 0.0
    url = result["url"] if isinstance(result, dict) else str(result)
    return float(all(re.search(p, url) for p in rules["expected"]))


def is_expected_tabs(open_tabs: list[dict[str, Any]] | None, rule: dict[str, Any]) -> float:
    """The open tabs' URLs are `rule["urls"]` (type "url"), in order, as normalised URLs."""
    from .chrome import same_url

    if not open_tabs or rule.get("type") != "url":
        return 0.0
    urls = [t.get("url") for t in open_tabs]
    return float(
        len(urls) == len(rule["urls"])
        and all(same_url(a, b) for a, b in zip(urls, rule["urls"], strict=True))
    )


def is_expected_active_tab(active_tab_info: Any, rule: dict[str, Any]) -> float:
    """The active tab's URL (a tab info dict or a URL) equals `rule["url"]` (type "url")."""
    from .chrome import same_url

    if not active_tab_info or rule.get("type") != "url":
        return 0.0
    url = active_tab_info.get("url") if isinstance(active_tab_info, dict) else active_tab_info
    return float(same_url(url, rule["url"]))


_PREF = re.compile(r'^user_pref\("(?P<key>(?:[^"]|\\")+)", (?P<val>.+)\);$')


def check_thunderbird_prefs(result: str | None, rule: dict[str, dict[str, dict[str, Any]]]):
    """Thunderbird's prefs.js: each `expect` pref matches its rule, no `unexpect` pref does."""
    text = _text(result)
    if text is None:
        return 0.0
    expect, unexpect = rule.get("expect", {}), rule.get("unexpect", {})
    met = dict.fromkeys(expect, False)
    clean = True
    for line in text.splitlines():
        match = _PREF.match(line.strip())
        if not match:
            continue
        key = match.group("key")
        try:
            value = json.loads(match.group("val"))
        except json.JSONDecodeError:
            continue
        if key in expect:
            met[key] = match_value_to_rule(value, expect[key])
        elif key in unexpect:
            clean = clean and not match_value_to_rule(value, unexpect[key])
    return float(all(met.values()) and clean)


def check_config_status(actual_config_path: str | None, rule: dict[str, Any]) -> float:
    """A GIMP settings line `(key [subkey] ... value)` with the rule's key(s) and value."""
    text = _text(actual_config_path)
    if text is None:
        return 0.0
    key = rule["key"]
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        items = line.strip().lstrip("(").rstrip(")").split()
        if not items:
            continue
        if isinstance(key, str) and items[0] == key and items[-1] == rule["value"]:
            return 1.0
        if (
            isinstance(key, list)
            and len(key) == 2
            and items[:2] == key
            and items[-1] == rule["value"]
        ):
            return 1.0
    return 0.0


ACCESSIBILITY_NS = {
    "st": "https://accessibility.ubuntu.example.org/ns/state",
    "attr": "https://accessibility.ubuntu.example.org/ns/attributes",
    "cp": "https://accessibility.ubuntu.example.org/ns/component",
    "doc": "https://accessibility.ubuntu.example.org/ns/document",
    "docattr": "https://accessibility.ubuntu.example.org/ns/document/attributes",
    "txt": "https://accessibility.ubuntu.example.org/ns/text",
    "val": "https://accessibility.ubuntu.example.org/ns/value",
    "act": "https://accessibility.ubuntu.example.org/ns/action",
}


def check_accessibility_tree(result: str | None, rules: list[dict[str, Any]]) -> float:
    """Each rule selects elements of the accessibility tree XML (`xpath`, else `selectors` joined
    into one CSS selector) and must find some; with `text`, the best match of an element's text
    (exact, or a rapidfuzz ratio when `exact` is false) multiplies the score."""
    import lxml.etree
    from lxml.cssselect import CSSSelector
    from rapidfuzz import fuzz

    if not result:
        return 0.0
    tree = lxml.etree.fromstring(result.encode() if isinstance(result, str) else result)
    total = 1.0
    for rule in rules:
        if "xpath" in rule:
            elements = tree.xpath(rule["xpath"], namespaces=ACCESSIBILITY_NS)
        elif "selectors" in rule:
            elements = CSSSelector(", ".join(rule["selectors"]), namespaces=ACCESSIBILITY_NS)(tree)
        else:
            raise ValueError("check_accessibility_tree: a rule needs xpath or selectors")
        if not elements:
            return 0.0
        if "text" in rule:
            exact = rule.get("exact", True)
            scores = [
                float(e.text == rule["text"])
                if exact
                else fuzz.ratio(e.text or "", rule["text"]) / 100.0
                for e in elements
            ]
            total *= max(scores)
    return total


def run_sqlite3(result: str | None, rules: dict[str, Any]) -> float:
    """The first column of the first row of `rules["sql"]` on the SQLite file (0 when empty).
    The query comes from the task file, never from the model."""
    import sqlite3

    if not result or not Path(result).is_file():
        return 0.0
    connection = sqlite3.connect(result)
    try:
        row = connection.execute(rules["sql"]).fetchone()
    finally:
        connection.close()
    return float((row[0] if row else 0) or 0)


def compare_python_pure_text(py_file: str | None, gold_file: str | None) -> float:
    """The two files are equal once all whitespace is removed."""
    one, two = _text(py_file), _text(gold_file)
    if one is None or two is None:
        return 0.0
    return float("".join(one.split()) == "".join(two.split()))


_FILTER_FIELDS = {"name": 6, "enabled": 9, "type": 6, "action": 8, "actionValue": 13}
_CONDITION = re.compile(
    r"\b(?:AND|OR) \((?:[\w ]+),(?:[\w ']+),(?:\"(?:(?:[^\"]|\\\")+)\"|(?:[^)]+))\)|\bALL\b"
)


def _unescape(value: str) -> str:
    return value.replace('\\"', '"').replace("\\\\", "\\")


def check_thunderbird_filter(result: str | None, rules: dict[str, list[dict[str, Any]]]):
    """Thunderbird's msgFilterRules.dat: each `expect` record (name, enabled, type, action,
    actionValue, condition: the list of `AND (...)`/`OR (...)`/`ALL` terms) matches some filter,
    no `unexpect` record any. Lines are cut as upstream does (`key="value"` + newline)."""
    text = _text(result)
    if text is None:
        return 0.0
    filters: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in text.splitlines(keepends=True):
        key = line.split("=", 1)[0]
        if key == "name":
            current = {}
        if key in _FILTER_FIELDS:
            current[key] = _unescape(line[_FILTER_FIELDS[key] : -2])
        elif key == "condition":
            current["condition"] = _CONDITION.findall(_unescape(line[11:-2]))
            filters.append(current)

    def matches(rule: dict[str, Any], record: dict[str, Any]) -> bool:
        return all(k in record and record[k] == v for k, v in rule.items())

    found = all(any(matches(r, f) for f in filters) for r in rules.get("expect", []))
    clean = not any(matches(r, f) for r in rules.get("unexpect", []) for f in filters)
    return float(found and clean)
