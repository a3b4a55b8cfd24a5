"""Metrics of OSWorld's `os` domain: GNOME settings, time zones, moved files."""

from __future__ import annotations

import ast
from typing import Any


def _parse_list(text: str) -> list[Any] | None:
    text = (text or "").strip()
    if text.startswith("@as "):  # gsettings prints an empty list as "@as []"
        text = text[4:]
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return list(value) if isinstance(value, list | tuple) else None


def check_gnome_favorite_apps(apps_str: str | None, rule: dict[str, Any]) -> float:
    """1 when the favourite apps (a gsettings list) are exactly the expected set."""
    apps = _parse_list(apps_str or "")
    if apps is None:
        return 0.0
    expected = rule["expected"]
    return float(len(apps) == len(expected) and set(apps) == set(expected))


def is_utc_0(timedatectl_output: str | None) -> float:
    """1 when `timedatectl` says the time zone's offset is +0000 (its fourth line)."""
    lines = (timedatectl_output or "").split("\n")
    return float(len(lines) > 3 and lines[3].rstrip().endswith("+0000)"))


def check_text_enlarged(scaling_factor_str: str | None) -> float:
    try:
        return float(float(scaling_factor_str or "") > 1.0)
    except ValueError:
        return 0.0


def check_moved_jpgs(directory_list: dict[str, Any] | None, rule: dict[str, Any]) -> float:
    """1 when the directory holds exactly the expected files (by name)."""
    if not directory_list or "children" not in directory_list:
        return 0.0
    moved = [node["name"] for node in directory_list["children"]]
    expected = rule["expected"]
    return float(len(moved) == len(expected) and set(moved) == set(expected))


def is_in_vm_clickboard(terminal_output: str | None, rule: dict[str, Any]) -> float:
    expected = rule["expected"]
    text = terminal_output or ""
    if isinstance(expected, list):
        return float(all(e in text for e in expected))
    return float(expected in text)
