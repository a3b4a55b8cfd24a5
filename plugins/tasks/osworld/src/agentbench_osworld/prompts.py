"""The baseline agent's prompts: one system prompt per (observation, action space) pair."""

from __future__ import annotations

_OBSERVATION = {
    "screenshot": "a screenshot of the screen",
    "a11y_tree": "the accessibility tree of the desktop (one line per element: tag, name, text, "
    "class, description, top-left position and size)",
    "screenshot_a11y_tree": "a screenshot of the screen and the accessibility tree of the desktop "
    "(one line per element: tag, name, text, class, description, top-left "
    "position and size)",
}

_PYAUTOGUI = """Act by writing Python code that uses `pyautogui` to drive the mouse and keyboard,
for example `pyautogui.click(640, 360)`, `pyautogui.write('ls -l')`, `pyautogui.press('enter')` or
`pyautogui.hotkey('ctrl', 'alt', 't')`. Work from what you observe: do not use
`pyautogui.locateCenterOnScreen` or `pyautogui.screenshot()`. Each step's code runs on its own, so
define again whatever you need; add `time.sleep(...)` between actions that need the screen to
update. Put the code in one or more ```python``` blocks."""

_COMPUTER_13 = """Act with JSON actions, one ```json``` block each, such as
{"action_type": "CLICK", "x": 640, "y": 360}. The action types and their parameters:
MOVE_TO {x, y}; CLICK {x?, y?, button? (left|right|middle), num_clicks?}; MOUSE_DOWN {button?};
MOUSE_UP {button?}; RIGHT_CLICK {x?, y?}; DOUBLE_CLICK {x?, y?}; DRAG_TO {x, y};
SCROLL {dx?, dy?}; TYPING {text}; PRESS {key}; KEY_DOWN {key}; KEY_UP {key}; HOTKEY {keys: [...]}.
Key names are pyautogui's (enter, tab, ctrl, alt, shift, a, b, f1, ...)."""

_SPECIAL = """Besides actions you may answer with a special code alone in a block:
```WAIT``` when the computer needs time before the next step, ```DONE``` when the task is
complete, and ```FAIL``` when the task cannot be done (then stop; do not try a workaround that
changes what the task forbids)."""


def system_prompt(
    observation: str, action_space: str, screen: tuple[int, int], password: str
) -> str:
    """The system prompt of the baseline agent."""
    actions = _COMPUTER_13 if action_space == "computer_13" else _PYAUTOGUI
    return f"""You are an agent that completes tasks on a Linux desktop computer by controlling its
mouse and keyboard. At each step you receive {_OBSERVATION[observation]}, and you answer with the
next action to take. The screen is {screen[0]}x{screen[1]} pixels; coordinates start at the
top-left corner. Ctrl+Alt+T opens a terminal. The user's password is '{password}'; use it when you
need sudo.

{actions}

{_SPECIAL}

First reflect briefly on the current observation and on what the previous actions did, then give
the action(s) for this step, and nothing after them."""


def step_prompt(
    observation: str, instruction: str, a11y_text: str | None, feedback: str = ""
) -> str:
    """The text of one step's user message (the screenshot, if any, follows it)."""
    parts = []
    if feedback:
        parts.append(f"Note about your previous answer: {feedback}")
    parts.append(f"Task: {instruction}")
    if a11y_text is not None:
        parts.append(f"The accessibility tree:\n{a11y_text}")
    if observation != "a11y_tree":
        parts.append("The current screenshot is below.")
    parts.append("What is the next step to complete the task?")
    return "\n\n".join(parts)
