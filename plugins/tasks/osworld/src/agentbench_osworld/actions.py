"""The two action spaces: `pyautogui` (Python code) and `computer_13` (13 action types), plus the
special actions WAIT, DONE and FAIL. Parsing model responses and turning actions into code.
"""

from __future__ import annotations

import json
import re
from typing import Any

SPECIAL = ("WAIT", "DONE", "FAIL")

# The computer_13 action types and their parameters (name -> (required, optional)).
COMPUTER_13: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "MOVE_TO": (("x", "y"), ()),
    "CLICK": ((), ("button", "x", "y", "num_clicks")),
    "MOUSE_DOWN": ((), ("button",)),
    "MOUSE_UP": ((), ("button",)),
    "RIGHT_CLICK": ((), ("x", "y")),
    "DOUBLE_CLICK": ((), ("x", "y")),
    "DRAG_TO": (("x", "y"), ()),
    "SCROLL": ((), ("dx", "dy")),
    "TYPING": (("text",), ()),
    "PRESS": (("key",), ()),
    "KEY_DOWN": (("key",), ()),
    "KEY_UP": (("key",), ()),
    "HOTKEY": (("keys",), ()),
}
BUTTONS = ("left", "right", "middle")

# pyautogui's key names (pyautogui.KEYBOARD_KEYS).
KEYBOARD_KEYS = frozenset(
    [
        "\t",
        "\n",
        "\r",
        " ",
        "!",
        '"',
        "#",
        "$",
        "%",
        "&",
        "'",
        "(",
        ")",
        "*",
        "+",
        ",",
        "-",
        ".",
        "/",
        *"0123456789",
        ":",
        ";",
        "<",
        "=",
        ">",
        "?",
        "@",
        "[",
        "\\",
        "]",
        "^",
        "_",
        "`",
        *"abcdefghijklmnopqrstuvwxyz",
        "{",
        "|",
        "}",
        "~",
        "accept",
        "add",
        "alt",
        "altleft",
        "altright",
        "apps",
        "backspace",
        "browserback",
        "browserfavorites",
        "browserforward",
        "browserhome",
        "browserrefresh",
        "browsersearch",
        "browserstop",
        "capslock",
        "clear",
        "convert",
        "ctrl",
        "ctrlleft",
        "ctrlright",
        "decimal",
        "del",
        "delete",
        "divide",
        "down",
        "end",
        "enter",
        "esc",
        "escape",
        "execute",
        *[f"f{i}" for i in range(1, 25)],
        "final",
        "fn",
        "hanguel",
        "hangul",
        "hanja",
        "help",
        "home",
        "insert",
        "junja",
        "kana",
        "kanji",
        "launchapp1",
        "launchapp2",
        "launchmail",
        "launchmediaselect",
        "left",
        "modechange",
        "multiply",
        "nexttrack",
        "nonconvert",
        *[f"num{i}" for i in range(10)],
        "numlock",
        "pagedown",
        "pageup",
        "pause",
        "pgdn",
        "pgup",
        "playpause",
        "prevtrack",
        "print",
        "printscreen",
        "prntscrn",
        "prtsc",
        "prtscr",
        "return",
        "right",
        "scrolllock",
        "select",
        "separator",
        "shift",
        "shiftleft",
        "shiftright",
        "sleep",
        "space",
        "stop",
        "subtract",
        "tab",
        "up",
        "volumedown",
        "volumemute",
        "volumeup",
        "win",
        "winleft",
        "winright",
        "yen",
        "command",
        "option",
        "optionleft",
        "optionright",
    ]
)

_BLOCK = re.compile(r"```(?:([A-Za-z0-9_+-]+)[ \t]*\n|\n?)(.*?)```", re.DOTALL)


class ActionError(ValueError):
    """An action the agent asked for that is malformed (told back to the agent)."""


def _blocks(response: str) -> list[str]:
    """The contents of the ``` blocks (a lone language tag such as ```WAIT\n``` is the content)."""
    out = []
    for lang, body in _BLOCK.findall(response):
        out.append(body if body.strip() or not lang else lang)
    return out


def _special(text: str) -> str | None:
    word = text.strip().strip("`").strip().upper()
    return word if word in SPECIAL else None


def parse_pyautogui(response: str) -> list[str]:
    """The actions in a response: code blocks, or WAIT / DONE / FAIL (alone or ending a block)."""
    actions: list[str] = []
    blocks = _blocks(response)
    if not blocks:
        special = _special(response)
        return [special] if special else []
    for block in blocks:
        block = block.strip()
        if not block:
            continue
        special = _special(block)
        if special:
            actions.append(special)
            continue
        lines = block.splitlines()
        last = _special(lines[-1])
        if last and len(lines) > 1:
            actions.extend(["\n".join(lines[:-1]).strip(), last])
        else:
            actions.append(block)
    return actions


def parse_computer_13(response: str) -> list[dict[str, Any] | str]:
    """The actions in a response: JSON objects (in code blocks or bare), or WAIT / DONE / FAIL."""
    texts = _blocks(response) or [response]
    actions: list[dict[str, Any] | str] = []
    for text in texts:
        text = text.strip()
        special = _special(text)
        if special:
            actions.append(special)
            continue
        for obj in _json_objects(text):
            kind = str(obj.get("action_type", "")).upper()
            actions.append(kind if kind in SPECIAL else obj)
    return actions


def _json_objects(text: str) -> list[dict[str, Any]]:
    decoder = json.JSONDecoder()
    found, i = [], 0
    while True:
        start = text.find("{", i)
        if start < 0:
            return found
        try:
            obj, end = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            i = start + 1
            continue
        if isinstance(obj, dict):
            found.append(obj)
        i = end


def _key(value: Any) -> str:
    key = str(value).lower() if len(str(value)) > 1 else str(value)
    if key not in KEYBOARD_KEYS:
        raise ActionError(f"unknown key {value!r}")
    return key


def _xy(params: dict[str, Any], screen: tuple[int, int], required: bool) -> tuple[int, int] | None:
    if "x" not in params and "y" not in params and not required:
        return None
    try:
        x, y = int(params["x"]), int(params["y"])
    except (KeyError, TypeError, ValueError):
        raise ActionError("x and y must both be integers") from None
    if not (0 <= x < screen[0] and 0 <= y < screen[1]):
        raise ActionError(f"({x}, {y}) is off the {screen[0]}x{screen[1]} screen")
    return x, y


def computer_13_to_code(action: dict[str, Any], screen: tuple[int, int] = (1920, 1080)) -> str:
    """pyautogui code for one computer_13 action.

    Raises:
        ActionError: unknown action type, missing or bad parameters.
    """
    kind = str(action.get("action_type", "")).upper()
    if kind not in COMPUTER_13:
        raise ActionError(f"unknown action_type {action.get('action_type')!r}")
    params = action.get("parameters") if isinstance(action.get("parameters"), dict) else action
    required, _optional = COMPUTER_13[kind]
    for name in required:
        if name not in params:
            raise ActionError(f"{kind} needs {name!r}")
    button = str(params.get("button", "left")).lower()
    if button not in BUTTONS:
        raise ActionError(f"unknown button {button!r}")
    at = _xy(params, screen, required=kind in {"MOVE_TO", "DRAG_TO"})
    where = f"x={at[0]}, y={at[1]}, " if at else ""
    if kind == "MOVE_TO":
        return f"pyautogui.moveTo({at[0]}, {at[1]}, duration=0.2)"  # type: ignore[index]
    if kind == "CLICK":
        clicks = int(params.get("num_clicks", 1))
        return f"pyautogui.click({where}button={button!r}, clicks={clicks})"
    if kind in {"MOUSE_DOWN", "MOUSE_UP"}:
        return f"pyautogui.{'mouseDown' if kind == 'MOUSE_DOWN' else 'mouseUp'}(button={button!r})"
    if kind == "RIGHT_CLICK":
        return f"pyautogui.rightClick({where.rstrip(', ')})"
    if kind == "DOUBLE_CLICK":
        return f"pyautogui.doubleClick({where.rstrip(', ')})"
    if kind == "DRAG_TO":
        return f"pyautogui.dragTo({at[0]}, {at[1]}, duration=0.5, button='left', mouseDownUp=True)"  # type: ignore[index]
    if kind == "SCROLL":
        dx, dy = int(params.get("dx", 0)), int(params.get("dy", 0))
        return (
            "; ".join(
                c
                for c in (
                    f"pyautogui.vscroll({dy})" if dy else "",
                    f"pyautogui.hscroll({dx})" if dx else "",
                )
                if c
            )
            or "pass"
        )
    if kind == "TYPING":
        return f"pyautogui.typewrite({str(params['text'])!r}, interval=0.01)"
    if kind in {"PRESS", "KEY_DOWN", "KEY_UP"}:
        fn = {"PRESS": "press", "KEY_DOWN": "keyDown", "KEY_UP": "keyUp"}[kind]
        return f"pyautogui.{fn}({_key(params['key'])!r})"
    keys = params["keys"]
    if not isinstance(keys, list) or not keys:
        raise ActionError("HOTKEY needs a non-empty list of keys")
    return f"pyautogui.hotkey({', '.join(repr(_key(k)) for k in keys)})"


def describe(action: Any) -> str:
    """A one-line form of an action for logs."""
    return action if isinstance(action, str) else json.dumps(action, sort_keys=True)
