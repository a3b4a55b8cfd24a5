"""Linearising the accessibility tree the way OSWorld's agents do, capped in tokens.

The tree is filtered to visible, showing, enabled (or editable/expandable/checkable) nodes of the
interactive and textual roles that have a name or text and a position on screen; each becomes a
tab-separated line `tag  name  text  class  description  position  size`.
"""

from __future__ import annotations

import ast
import xml.etree.ElementTree as ET

STATE = "https://accessibility.ubuntu.example.org/ns/state"
COMPONENT = "https://accessibility.ubuntu.example.org/ns/component"
ATTRIBUTES = "https://accessibility.ubuntu.example.org/ns/attributes"
HEADER = "tag\tname\ttext\tclass\tdescription\tposition (top-left x&y)\tsize (w&h)"

_SUFFIXES = (
    "item",
    "button",
    "heading",
    "label",
    "scrollbar",
    "searchbox",
    "textbox",
    "link",
    "tabelement",
    "textfield",
    "textarea",
    "menu",
)
_TAGS = {
    "alert",
    "canvas",
    "check-box",
    "combo-box",
    "entry",
    "icon",
    "image",
    "paragraph",
    "scroll-bar",
    "section",
    "slider",
    "static",
    "table-cell",
    "terminal",
    "text",
}


def _pair(text: str | None) -> tuple[int, int]:
    try:
        value = ast.literal_eval(text or "(-1, -1)")
        return int(value[0]), int(value[1])
    except (ValueError, SyntaxError, TypeError, IndexError):
        return -1, -1


def keep(node: ET.Element) -> bool:
    """Whether a node appears in the linearised tree."""
    tag = node.tag
    if not (tag.startswith("document") or tag.endswith(_SUFFIXES) or tag in _TAGS):
        return False

    def state(name: str) -> bool:
        return node.get(f"{{{STATE}}}{name}", "false") == "true"

    if not (state("showing") and state("visible")):
        return False
    if not (state("enabled") or state("editable") or state("expandable") or state("checkable")):
        return False
    if not (node.get("name", "") or (node.text or "")):
        return False
    x, y = _pair(node.get(f"{{{COMPONENT}}}screencoord"))
    w, h = _pair(node.get(f"{{{COMPONENT}}}size"))
    return x >= 0 and y >= 0 and w > 0 and h > 0


def linearize(xml: str) -> str:
    """The tab-separated lines of the kept nodes, under a header line."""
    root = ET.fromstring(xml)
    lines = [HEADER]
    for node in root.iter():
        if not keep(node):
            continue
        text = node.text or ""
        if text and '"' in text:
            text = '"{}"'.format(text.replace('"', '""'))
        elif not text:
            text = '""'
        lines.append(
            "\t".join(
                [
                    node.tag,
                    node.get("name", ""),
                    text,
                    node.get(f"{{{ATTRIBUTES}}}class", ""),
                    node.get(f"{{{ATTRIBUTES}}}description", ""),
                    node.get(f"{{{COMPONENT}}}screencoord", ""),
                    node.get(f"{{{COMPONENT}}}size", ""),
                ]
            )
        )
    return "\n".join(lines)


def estimate_tokens(text: str) -> int:
    """About four characters a token (no tokenizer download needed)."""
    return (len(text) + 3) // 4


def trim(text: str, max_tokens: int) -> str:
    """Cut the text at about `max_tokens` tokens, marking the cut with "[...]"."""
    if max_tokens <= 0 or estimate_tokens(text) <= max_tokens:
        return text
    return text[: max_tokens * 4] + "[...]\n"
