"""More metrics of Chrome, web and multi-app tasks (OSWorld's semantics): deleted history and
cookies, a value among accepted ones, HTML files element by element, Thunderbird mail folders and
VS Code-style config files."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse


def match_in_list(result: Any, rules: dict[str, Any]) -> float:
    """The result is one of `rules["expected"]`."""
    return float(result in rules["expected"])


def check_history_deleted(history: list[Any] | None, rule: dict[str, Any]) -> float:
    """No history row's URL (its first column) contains any of the rule's `keywords`."""
    if rule["type"] != "keywords":
        raise ValueError(f"check_history_deleted: rule type {rule['type']!r} is not supported")
    if history is None:
        return 0.0
    urls = [str(row[0]) for row in history]
    return float(not any(word in url for word in rule["keywords"] for url in urls))


def _upstream_url(url: str) -> str:
    """A URL normalised as upstream's compare_urls does: scheme defaults to http, host lowercased
    without 'www.', a lone '/' path dropped. A cookie domain like '.amazon.com' parses as a path,
    so it is compared as it stands."""
    parts = urlparse(url)
    return urlunparse(
        parts._replace(
            scheme=(parts.scheme or "http").lower(),
            netloc=parts.netloc.lower().replace("www.", ""),
            path="" if parts.path == "/" else parts.path,
        )
    )


def is_cookie_deleted(cookies: list[Any] | None, rule: dict[str, Any]) -> float:
    """No cookie's host (the cookies table's second column, host_key) is one of the rule's
    `domains`."""
    if rule["type"] != "domains":
        raise ValueError(f"is_cookie_deleted: rule type {rule['type']!r} is not supported")
    if cookies is None:
        return 0.0
    hosts = {_upstream_url(str(row[1])) for row in cookies}
    return float(not any(_upstream_url(domain) in hosts for domain in rule["domains"]))


# --- HTML -------------------------------------------------------------------------------------

_LIST_ATTRIBUTES = {"class", "rel", "rev", "accept-charset", "headers", "accesskey", "dropzone"}


def _attributes(element: Any, ignore_sdnum: bool) -> dict[str, Any]:
    """An element's attributes, whitespace lists (class, rel, ...) as lists as BeautifulSoup
    gives them; without `sdnum` (LibreOffice's number formats) when asked."""
    attributes: dict[str, Any] = {
        key: value.split() if key in _LIST_ATTRIBUTES else value
        for key, value in element.attrib.items()
    }
    if ignore_sdnum:
        attributes.pop("sdnum", None)
    return attributes


def _html_nodes(root: Any) -> Iterator[Any]:
    """Every element and text piece below and including `root`, in document order (the order of
    BeautifulSoup's recursiveChildGenerator); comments count as text."""
    if not isinstance(root.tag, str):
        yield root.text or ""
    else:
        yield root
        if root.text:
            yield root.text
    for child in root:
        yield from _html_nodes(child)
        if child.tail:
            yield child.tail


def _same_node(a: Any, b: Any, ignore_sdnum: bool) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return (
        a.tag == b.tag
        and a.text_content().strip() == b.text_content().strip()
        and _attributes(a, ignore_sdnum) == _attributes(b, ignore_sdnum)
    )


def _parse_html(path: str) -> Any:
    import lxml.html

    return lxml.html.document_fromstring(Path(path).read_bytes())


def compare_htmls(result: str | None, expected: str | None, **options: Any) -> float:
    """Two HTML files whose nodes, walked in document order, agree one by one: elements in tag
    name, stripped text and attributes (`ignore_sdnum`: LibreOffice's sdnum attribute aside),
    text pieces exactly. As upstream, the walk stops at the shorter document."""
    if not result or not expected or not Path(result).is_file():
        return 0.0
    ignore_sdnum = bool(options.get("ignore_sdnum"))
    pairs = zip(_html_nodes(_parse_html(result)), _html_nodes(_parse_html(expected)), strict=False)
    return float(all(_same_node(a, b, ignore_sdnum) for a, b in pairs))


# --- Thunderbird mail folders -----------------------------------------------------------------

_MESSAGE_START = re.compile(r"^From - ", re.MULTILINE | re.IGNORECASE)
_DELETED = re.compile(r"X-Mozilla-Status: 000[89]")


def _normal_message(message: str, options: dict[str, Any]) -> str:
    if options.get("ignore_status", False):
        message = re.sub(r"X-Mozilla-Status\d?:[\s\d]+", "", message)
    if options.get("ignore_keys", False):
        message = re.sub(r"(X-Mozilla-Keys:[^\n]*?)\n(MIME-Version)", r"\2", message)
    return message.strip()


def mail_folder_messages(path: str, options: dict[str, Any]) -> list[str]:
    """The messages of a Thunderbird (mbox) folder file, each starting at a 'From - ' line,
    normalised and sorted; deleted ones (status 0008/0009) left out unless `remove_deleted` is
    false, duplicates once unless `remove_duplicate` is false."""
    text = Path(path).read_text(encoding="utf-8", errors="replace").strip()
    starts = [m.start() for m in _MESSAGE_START.finditer(text)] or [0]
    chunks = [text[a:b] for a, b in zip([0, *starts], [*starts, len(text)], strict=False)]
    messages = [
        _normal_message(chunk, options)
        for chunk in chunks
        if chunk.strip() and not (options.get("remove_deleted", True) and _DELETED.search(chunk))
    ]
    if options.get("remove_duplicate", True):
        messages = list(set(messages))
    return sorted(messages)


def check_thunderbird_folder(
    result: str | list[str | None] | None, reference: str | list[str], **options: Any
) -> float:
    """Each result folder file holds the same messages as its reference (see
    mail_folder_messages; options ignore_status, ignore_keys, remove_deleted,
    remove_duplicate).

    Upstream splits at an upper-case 'FROM - ', which Thunderbird never writes, so its comparison
    covers whole files; here messages are split at mbox's 'From - ' lines as its docstring says.
    """
    pairs: list[tuple[Any, str]]
    if isinstance(reference, list):
        if not isinstance(result, list):
            return 0.0
        pairs = list(zip(result, reference, strict=False))
    else:
        pairs = [(result, reference)]
    for pred, gold in pairs:
        if not isinstance(pred, str) or not Path(pred).is_file():
            return 0.0
        if mail_folder_messages(pred, options) != mail_folder_messages(gold, options):
            return 0.0
    return 1.0


# --- config files -----------------------------------------------------------------------------


def _contains(actual: Any, expected: Any) -> bool:
    """`expected` is part of `actual`: every key of an expected dict present with a contained
    value; anything else equal."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _contains(actual[key], value) for key, value in expected.items()
        )
    return bool(actual == expected)


def compare_config(actual: str | None, rules: dict[str, Any], **options: Any) -> float:
    """The file's text equals `rules["expected"]`. With `containment_ok`, a JSON file also passes
    when the expected JSON's settings are all in it (an editor may write other settings and its
    own layout)."""
    if not actual or not Path(actual).is_file():
        return 0.0
    text = Path(actual).read_text(encoding="utf-8", errors="replace")
    if text == rules["expected"]:
        return 1.0
    if not options.get("containment_ok"):
        return 0.0
    try:
        return float(_contains(json.loads(text), json.loads(rules["expected"])))
    except (TypeError, ValueError):
        return 0.0
