"""The accessibility tree (AT-SPI) in OSWorld's XML form, and the text of the active terminal.

The XML root is `desktop-frame`; each node's tag is its role name (spaces made dashes) and it
carries `name`, states (`st:<state>="true"`), object attributes (`attr:`), screen position and
size (`cp:screencoord`, `cp:size`, only for visible and showing nodes), values (`val:`), actions
(`act:`), `image`/`selection` flags and its text as element text.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET

NS = {
    "st": "https://accessibility.ubuntu.example.org/ns/state",
    "attr": "https://accessibility.ubuntu.example.org/ns/attributes",
    "cp": "https://accessibility.ubuntu.example.org/ns/component",
    "doc": "https://accessibility.ubuntu.example.org/ns/document",
    "docattr": "https://accessibility.ubuntu.example.org/ns/document/attributes",
    "txt": "https://accessibility.ubuntu.example.org/ns/text",
    "val": "https://accessibility.ubuntu.example.org/ns/value",
    "act": "https://accessibility.ubuntu.example.org/ns/action",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

MAX_DEPTH = 50
MAX_WIDTH = 1024
MAX_TABLE_SCAN = 5000  # cells of a huge table (a spreadsheet) looked at for showing ones


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


def _state_names(node) -> list[str]:
    import pyatspi

    names = []
    for state in node.getState().getStates():
        try:
            text = pyatspi.stateToString(state)
        except Exception:
            text = str(state)
        text = text.lower().removeprefix("state_").replace(" ", "_").replace("-", "_")
        if text:
            names.append(text)
    return names


def _attributes(node, role: str) -> tuple[dict[str, str], str]:
    attrs: dict[str, str] = {"name": node.name or ""}
    for state in _state_names(node):
        attrs[_q("st", state)] = "true"
    try:
        for key, value in node.get_attributes().items():
            if key:
                attrs[_q("attr", key)] = str(value)
    except Exception:
        pass
    if attrs.get(_q("st", "visible")) == "true" and attrs.get(_q("st", "showing")) == "true":
        try:
            import pyatspi

            x, y, w, h = node.queryComponent().getExtents(pyatspi.XY_SCREEN)
            attrs[_q("cp", "screencoord")] = f"({x}, {y})"
            attrs[_q("cp", "size")] = f"({w}, {h})"
        except (NotImplementedError, Exception):
            pass
    text = ""
    try:
        text_obj = node.queryText()
        text = (
            text_obj.getText(0, text_obj.characterCount).replace("\ufffc", "").replace("\ufffd", "")
        )
    except (NotImplementedError, Exception):
        pass
    for flag, query in (("image", "queryImage"), ("selection", "querySelection")):
        try:
            getattr(node, query)()
            attrs[flag] = "true"
        except (NotImplementedError, Exception):
            pass
    try:
        value = node.queryValue()
        for key, attr in (
            ("value", "currentValue"),
            ("min", "minimumValue"),
            ("max", "maximumValue"),
            ("step", "minimumIncrement"),
        ):
            try:
                attrs[_q("val", key)] = str(getattr(value, attr))
            except Exception:
                pass
    except (NotImplementedError, Exception):
        pass
    try:
        action = node.queryAction()
        for i in range(action.nActions):
            act = action.getName(i).replace(" ", "-")
            attrs[_q("act", f"{act}_desc")] = action.getDescription(i) or ""
            attrs[_q("act", f"{act}_kb")] = action.getKeyBinding(i) or ""
    except (NotImplementedError, Exception):
        pass
    return attrs, text


def _role(node) -> str:
    try:
        role = node.getRoleName().strip()
    except Exception:
        role = ""
    return (role or "unknown").replace(" ", "-")


def _build(node, depth: int, deadline: float) -> ET.Element:
    role = _role(node)
    attrs, text = _attributes(node, role)
    element = ET.Element(role, attrs)
    if text:
        element.text = text
    if depth >= MAX_DEPTH or time.monotonic() > deadline:
        return element
    try:
        count = node.childCount
    except Exception:
        return element
    if role == "table" and count > MAX_WIDTH:
        children = _showing_children(node, count)
    else:
        children = (node.getChildAtIndex(i) for i in range(min(count, MAX_WIDTH)))
    for child in children:
        if child is None:
            continue
        try:
            element.append(_build(child, depth + 1, deadline))
        except Exception:
            continue
    return element


def _showing_children(node, count: int):
    """The showing cells of a huge table, stopping after the visible block."""
    import pyatspi

    seen_showing = False
    for i in range(min(count, MAX_TABLE_SCAN)):
        child = node.getChildAtIndex(i)
        showing = child is not None and child.getState().contains(pyatspi.STATE_SHOWING)
        if showing:
            seen_showing = True
            yield child
        elif seen_showing and i > MAX_WIDTH:
            break


def tree(timeout: float = 20.0) -> str:
    """The whole desktop's accessibility tree as an XML string."""
    import pyatspi

    deadline = time.monotonic() + timeout
    root = ET.Element("desktop-frame")
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is None:
            continue
        try:
            root.append(_build(app, 1, deadline))
        except Exception:
            continue
    return ET.tostring(root, encoding="unicode")


def terminal_output() -> str | None:
    """The text of the focused terminal in the active gnome-terminal window, as OSWorld reads it."""
    import pyatspi

    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is None or app.name != "gnome-terminal-server":
            continue
        for j in range(app.childCount):
            frame = app.getChildAtIndex(j)
            if frame is None or not frame.getState().contains(pyatspi.STATE_ACTIVE):
                continue
            terminals = []
            _find_focused_terminals(frame, terminals, 0)
            if len(terminals) == 1:
                text = terminals[0].queryText()
                return text.getText(0, text.characterCount).rstrip()
    return None


def _find_focused_terminals(node, found: list, depth: int) -> None:
    import pyatspi

    if depth > MAX_DEPTH:
        return
    for i in range(node.childCount):
        child = node.getChildAtIndex(i)
        if child is None:
            continue
        if child.getRoleName() == "terminal" and child.getState().contains(pyatspi.STATE_FOCUSED):
            found.append(child)
        _find_focused_terminals(child, found, depth + 1)
