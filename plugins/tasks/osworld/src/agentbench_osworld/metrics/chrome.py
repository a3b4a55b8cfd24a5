"""Chrome metrics (OSWorld's `chrome.py` semantics): bookmarks, tabs, search queries, font size,
desktop shortcuts, cookies and history, and archives compared file by file."""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse


def _normal_url(url: str) -> str:
    parts = urlparse(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return urlunparse(
        parts._replace(scheme=parts.scheme.lower(), netloc=host, path=parts.path.rstrip("/"))
    )


def same_url(a: str | None, b: str | None) -> bool:
    """URLs equal up to scheme/host case, a leading www. and a trailing slash (upstream's
    compare_urls normalises the same way)."""
    return a is not None and b is not None and _normal_url(a) == _normal_url(b)


def is_expected_active_tab_approximate(active_tab_info: Any, rule: dict[str, Any]) -> float:
    """The active tab's URL equals `rule["url"]` ignoring its query string."""
    if not active_tab_info or rule.get("type") != "url":
        return 0.0
    url = active_tab_info.get("url") if isinstance(active_tab_info, dict) else active_tab_info
    strip = lambda u: urlparse(u)._replace(query="").geturl()  # noqa: E731
    return float(same_url(strip(str(url)), strip(rule["url"])))


def _bar(bookmarks: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in bookmarks["bookmark_bar"]["children"] if b["type"] == kind]


def is_expected_bookmarks(bookmarks: dict[str, Any] | None, rule: dict[str, Any]) -> float:
    """Bookmark-bar folders (`bookmark_bar_folders_names`), bar URLs
    (`bookmark_bar_websites_urls`) or the URLs in a 'Liked Authors' folder
    (`liked_authors_websites_urls`, each entry a URL or a list of acceptable URLs)."""
    if not bookmarks:
        return 0.0
    kind = rule["type"]
    if kind == "bookmark_bar_folders_names":
        return float({b["name"] for b in _bar(bookmarks, "folder")} == set(rule["names"]))
    if kind == "bookmark_bar_websites_urls":
        return float({b["url"] for b in _bar(bookmarks, "url")} == set(rule["urls"]))
    if kind == "liked_authors_websites_urls":
        folder = next((b for b in _bar(bookmarks, "folder") if b["name"] == "Liked Authors"), None)
        if folder is None:
            return 0.0
        have = {b["url"] for b in folder["children"] if b["type"] == "url"}
        options = [[u] if isinstance(u, str) else list(u) for u in rule["urls"]]
        return float(any(set(combo) == have for combo in itertools.product(*options)))
    raise ValueError(f"is_expected_bookmarks: rule type {kind!r} is not supported")


def is_expected_search_query(active_tab_info: dict[str, Any] | None, rules: dict[str, Any]):
    """The active tab's URL matches `rules["expect"]["pattern"]`."""
    import re

    if not active_tab_info:
        return 0.0
    return float(re.search(rules["expect"]["pattern"], active_tab_info["url"]) is not None)


def is_added_to_steam_cart(active_tab_info: dict[str, Any] | None, rule: dict[str, Any]) -> float:
    """Every item name of the rule appears in the active tab's HTML."""
    if not active_tab_info:
        return 0.0
    content = active_tab_info.get("content") or ""
    return float(all(item in content for item in rule["items"]))


def is_shortcut_on_desktop(shortcuts: dict[str, str] | None, rule: dict[str, Any]) -> float:
    """A .desktop file on the Desktop has the line `Name=<rule name>`."""
    if rule["type"] != "name":
        raise ValueError(f"is_shortcut_on_desktop: rule type {rule['type']!r} is not supported")
    return float(any(f"Name={rule['name']}\n" in text for text in (shortcuts or {}).values()))


def check_font_size(font_size: dict[str, Any] | None, rule: dict[str, Any]) -> float:
    """Chrome's default font size equals `value`, or lies strictly between `min` and `max`."""
    if not font_size:
        return 0.0
    size = font_size["default_font_size"]
    if rule["type"] == "value":
        return float(size == rule["value"])
    if rule["type"] == "range":
        return float(rule["min"] < size < rule["max"])
    raise ValueError(f"check_font_size: rule type {rule['type']!r} is not supported")


def is_expected_installed_extensions(installed: list[str] | None, expected: dict[str, Any]):
    """Every expected extension is installed."""
    return float(set(expected["expected"]) <= set(installed or []))


def compare_archive(pred_path: str | None, gold_path: str | None, **options: Any) -> float:
    """Unpack both archives; the same file names (under `file_path`), each pair scored by the
    metric for `file_type` (text, pdf, docx, ppt, image, csv, table), averaged."""
    from . import METRICS

    if not pred_path or not gold_path or not Path(pred_path).is_file():
        return 0.0
    names = {
        "text": "compare_text_file",
        "pdf": "compare_pdfs",
        "docx": "compare_docx_files",
        "ppt": "compare_pptx_files",
        "image": "compare_images",
        "csv": "compare_csv",
        "table": "compare_table",
    }
    options = dict(options)
    inner = options.pop("file_path", "")
    kind = options.pop("file_type", "text")
    if kind not in names:
        raise ValueError(f"compare_archive: file type {kind!r} is not supported")
    with tempfile.TemporaryDirectory() as tmp:
        pred, gold = Path(tmp, "pred"), Path(tmp, "gold")
        try:
            shutil.unpack_archive(pred_path, pred)
        except (shutil.ReadError, ValueError, OSError):
            return 0.0
        shutil.unpack_archive(gold_path, gold)
        pred_files = sorted(p.name for p in (pred / inner).iterdir())
        gold_files = sorted(p.name for p in (gold / inner).iterdir())
        if pred_files != gold_files:
            return 0.0
        if not pred_files:
            return 0.0
        metric = METRICS[names[kind]]
        scores = [
            float(metric(str(pred / inner / a), str(gold / inner / b), **options))
            for a, b in zip(pred_files, gold_files, strict=True)
        ]
    return sum(scores) / len(scores)
