"""Action parsing, computer_13 translation and accessibility-tree linearisation (no Docker)."""

from __future__ import annotations

import pytest
from agentbench_osworld import a11y
from agentbench_osworld.actions import (
    ActionError,
    computer_13_to_code,
    parse_computer_13,
    parse_pyautogui,
)


def test_pyautogui_code_blocks_and_special_codes_are_parsed():
    response = (
        "I will click.\n```python\npyautogui.click(10, 20)\n```\n"
        "then\n```\npyautogui.press('enter')\n```"
    )
    assert parse_pyautogui(response) == ["pyautogui.click(10, 20)", "pyautogui.press('enter')"]
    assert parse_pyautogui("Everything is set.\n```DONE```") == ["DONE"]
    assert parse_pyautogui("FAIL") == ["FAIL"]
    assert parse_pyautogui("```python\npyautogui.write('x')\nWAIT\n```") == [
        "pyautogui.write('x')",
        "WAIT",
    ]
    assert parse_pyautogui("no code here") == []


def test_computer_13_actions_are_parsed_from_json_blocks():
    response = (
        '```json\n{"action_type": "CLICK", "x": 5, "y": 6}\n```\n'
        '```json\n{"action_type": "TYPING", "text": "hi"}\n```'
    )
    assert parse_computer_13(response) == [
        {"action_type": "CLICK", "x": 5, "y": 6},
        {"action_type": "TYPING", "text": "hi"},
    ]
    assert parse_computer_13('{"action_type": "DONE"}') == ["DONE"]
    assert parse_computer_13("```FAIL```") == ["FAIL"]


@pytest.mark.parametrize(
    ("action", "code"),
    [
        ({"action_type": "MOVE_TO", "x": 1, "y": 2}, "pyautogui.moveTo(1, 2, duration=0.2)"),
        (
            {"action_type": "CLICK", "x": 3, "y": 4, "button": "right", "num_clicks": 2},
            "pyautogui.click(x=3, y=4, button='right', clicks=2)",
        ),
        ({"action_type": "CLICK"}, "pyautogui.click(button='left', clicks=1)"),
        ({"action_type": "DOUBLE_CLICK", "x": 7, "y": 8}, "pyautogui.doubleClick(x=7, y=8)"),
        ({"action_type": "SCROLL", "dy": -3}, "pyautogui.vscroll(-3)"),
        ({"action_type": "TYPING", "text": "it's"}, 'pyautogui.typewrite("it\'s", interval=0.01)'),
        ({"action_type": "PRESS", "key": "Enter"}, "pyautogui.press('enter')"),
        (
            {"action_type": "HOTKEY", "keys": ["ctrl", "alt", "t"]},
            "pyautogui.hotkey('ctrl', 'alt', 't')",
        ),
        ({"action_type": "KEY_DOWN", "key": "shift"}, "pyautogui.keyDown('shift')"),
        (
            {"action_type": "DRAG_TO", "x": 9, "y": 9},
            "pyautogui.dragTo(9, 9, duration=0.5, button='left', mouseDownUp=True)",
        ),
    ],
)
def test_computer_13_actions_become_pyautogui_code(action, code):
    assert computer_13_to_code(action, (100, 100)) == code


@pytest.mark.parametrize(
    "action",
    [
        {"action_type": "TELEPORT"},
        {"action_type": "CLICK", "x": 500, "y": 5},
        {"action_type": "PRESS", "key": "notakey"},
        {"action_type": "TYPING"},
        {"action_type": "CLICK", "x": 1, "y": 1, "button": "side"},
    ],
)
def test_bad_computer_13_actions_are_refused(action):
    with pytest.raises(ActionError):
        computer_13_to_code(action, (100, 100))


ST = "https://accessibility.ubuntu.example.org/ns/state"
CP = "https://accessibility.ubuntu.example.org/ns/component"
ON = 'st:visible="true" st:showing="true" st:enabled="true"'
TREE = f"""<desktop-frame xmlns:st="{ST}" xmlns:cp="{CP}">
<application name="mousepad"><frame name="todo.txt - Mousepad" {ON}>
  <push-button name="Save" {ON} cp:screencoord="(10, 20)" cp:size="(30, 40)"/>
  <push-button name="Hidden" st:visible="true" st:enabled="true"
    cp:screencoord="(10, 20)" cp:size="(30, 40)"/>
  <text name="" st:visible="true" st:showing="true" st:editable="true"
    cp:screencoord="(0, 60)" cp:size="(400, 300)">say "hi"</text>
  <filler name="box" {ON} cp:screencoord="(0, 0)" cp:size="(5, 5)"/>
  <label name="offscreen" {ON} cp:screencoord="(-5, 0)" cp:size="(5, 5)"/>
</frame></application></desktop-frame>"""


def test_linearised_tree_keeps_visible_interactive_nodes_only():
    lines = a11y.linearize(TREE).splitlines()
    assert lines[0].startswith("tag\tname\ttext")
    assert lines[1] == 'push-button\tSave\t""\t\t\t(10, 20)\t(30, 40)'
    assert lines[2] == 'text\t\t"say ""hi"""\t\t\t(0, 60)\t(400, 300)'
    assert len(lines) == 3  # hidden button, filler and off-screen label left out


def test_tree_is_trimmed_to_the_token_budget():
    text = "x" * 4000
    assert a11y.trim(text, 2000) == text
    cut = a11y.trim(text, 100)
    assert cut.endswith("[...]\n") and len(cut) < 500
