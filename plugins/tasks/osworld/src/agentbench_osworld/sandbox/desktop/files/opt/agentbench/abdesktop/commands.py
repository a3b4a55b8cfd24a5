"""The controller's commands. Each takes a dict of arguments and returns a JSON-able dict."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from pathlib import Path
from typing import Any

from . import a11y, screen, services

# OSWorld runs agent code after `import pyautogui; import time`. pyautogui types "<" as shift plus
# the "<>" key, which X turns into ">": map "<" to the comma key (shift+comma is "<").
PYAUTOGUI_PREFIX = """import pyautogui
import time
pyautogui.FAILSAFE = False
try:
    import Xlib.XK
    from pyautogui import _pyautogui_x11 as _x11
    _x11.keyboardMapping["<"] = _x11._display.keysym_to_keycode(Xlib.XK.string_to_keysym("comma"))
except Exception:
    pass
"""


def _expand(path: str) -> str:
    return os.path.expandvars(os.path.expanduser(path))


def _argv(command: Any, shell: bool) -> Any:
    if shell:
        return command if isinstance(command, str) else " ".join(command)
    argv = shlex.split(command) if isinstance(command, str) else list(command)
    return [os.path.expanduser(a) if a.startswith("~/") else a for a in argv]


def _run(command: Any, shell: bool, timeout: float, input: str | None = None) -> dict[str, Any]:
    try:
        proc = subprocess.run(
            _argv(command, shell),
            shell=shell,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            env=services.desktop_env(),
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        out = (
            exc.stdout.decode(errors="replace")
            if isinstance(exc.stdout, bytes)
            else exc.stdout or ""
        )
        return {
            "status": "error",
            "message": f"timed out after {timeout:g}s",
            "output": out,
            "error": "",
            "returncode": 124,
        }
    except OSError as exc:
        return {
            "status": "error",
            "message": str(exc),
            "output": "",
            "error": str(exc),
            "returncode": 127,
        }
    return {
        "status": "success",
        "output": proc.stdout,
        "error": proc.stderr,
        "returncode": proc.returncode,
    }


def _sudo_possible() -> bool:
    """False when the container forbids gaining privileges (sudo then cannot work)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("NoNewPrivs:"):
                return line.split()[1] == "0"
    except OSError:
        pass
    return True


def cmd_start(args: dict) -> dict:
    return {
        "status": "success",
        "started": services.ensure(),
        "screen": screen.size(),
        "sudo": _sudo_possible(),
    }


def cmd_vnc(args: dict) -> dict:
    return {"status": "success", "pid": services.start_vnc(), "port": 5900}


def cmd_exec(args: dict) -> dict:
    return _run(
        args["command"],
        bool(args.get("shell", False)),
        float(args.get("timeout", 120)),
        args.get("input"),
    )


def cmd_python(args: dict) -> dict:
    code = args["code"]
    if args.get("pyautogui", True):
        code = PYAUTOGUI_PREFIX + code
    return _run(["python3", "-c", code], False, float(args.get("timeout", 90)))


def cmd_launch(args: dict) -> dict:
    shell = bool(args.get("shell", False))
    log = open(services.STATE / "launched.log", "ab")
    try:
        proc = subprocess.Popen(
            _argv(args["command"], shell),
            shell=shell,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=services.desktop_env(),
            start_new_session=True,
            cwd=os.path.expanduser("~"),
        )
    except OSError as exc:
        return {"status": "error", "message": str(exc)}
    return {"status": "success", "pid": proc.pid}


def _window_titles() -> list[str]:
    out = subprocess.run(
        ["wmctrl", "-l"], capture_output=True, text=True, env=services.desktop_env()
    )
    return [
        line.split(None, 3)[3] if len(line.split(None, 3)) > 3 else ""
        for line in out.stdout.splitlines()
    ]


def cmd_windows(args: dict) -> dict:
    out = subprocess.run(
        ["wmctrl", "-lx"], capture_output=True, text=True, env=services.desktop_env()
    )
    return {"status": "success", "output": out.stdout}


def cmd_open(args: dict) -> dict:
    path = Path(_expand(args["path"]))
    if not path.exists():
        return {"status": "error", "message": f"File not found: {path}"}
    before = len(_window_titles())
    launched = cmd_launch({"command": ["xdg-open", str(path)]})
    if launched["status"] != "success":
        return launched
    deadline = time.monotonic() + float(args.get("wait", 15))
    while time.monotonic() < deadline:
        titles = _window_titles()
        if any(path.name in t for t in titles) or len(titles) > before:
            return {"status": "success", "window": True}
        time.sleep(0.1)
    return {"status": "success", "window": False}


def _wmctrl_window(args: dict, verb: str) -> dict:
    flags = ("x" if args.get("by_class") else "") + ("F" if args.get("strict") else "") + verb
    result = _run(["wmctrl", f"-{flags}", args["window_name"]], False, 10)
    found = result.get("returncode") == 0
    return {
        "status": "success" if found else "error",
        "found": found,
        "message": "" if found else f"window {args['window_name']!r} not found",
    }


def cmd_activate_window(args: dict) -> dict:
    return _wmctrl_window(args, "a")


def cmd_close_window(args: dict) -> dict:
    return _wmctrl_window(args, "c")


def cmd_wait_window(args: dict) -> dict:
    deadline = time.monotonic() + float(args.get("timeout", 10))
    name = args["window_name"].lower()
    while time.monotonic() < deadline:
        if any(name in t.lower() for t in _window_titles()):
            return {"status": "success", "found": True}
        time.sleep(0.1)
    return {"status": "error", "found": False, "message": f"no window {args['window_name']!r}"}


def cmd_execute_with_verification(args: dict) -> dict:
    result = cmd_exec(args)
    verification = args.get("verification") or {}
    deadline = time.monotonic() + float(args.get("max_wait_time", 10))
    interval = float(args.get("check_interval", 1))
    while True:
        passed = True
        if "window_exists" in verification:
            name = verification["window_exists"].lower()
            passed = any(name in t.lower() for t in _window_titles())
        if passed and "command_success" in verification:
            passed = _run(verification["command_success"], True, 5).get("returncode") == 0
        if passed:
            return {**result, "verification": "passed"}
        if time.monotonic() >= deadline:
            return {**result, "status": "verification_failed", "verification": "failed"}
        time.sleep(interval)


def _tree(directory: Path) -> dict:
    node: dict[str, Any] = {"type": "directory", "name": directory.name, "children": []}
    try:
        for entry in sorted(os.listdir(directory)):
            full = directory / entry
            if full.is_dir():
                node["children"].append(_tree(full))
            else:
                node["children"].append({"type": "file", "name": entry})
    except OSError as exc:
        return {"error": str(exc)}
    return node


def cmd_list_directory(args: dict) -> dict:
    path = Path(_expand(args["path"]))
    if not path.is_dir():
        return {"status": "error", "message": "The provided path is not a directory"}
    return {"status": "success", "directory_tree": _tree(path)}


def cmd_screenshot(args: dict) -> dict:
    path = args.get("path") or str(services.STATE / "screenshot.png")
    return {"status": "success", **screen.screenshot(path, bool(args.get("cursor", True)))}


def cmd_screen_size(args: dict) -> dict:
    return {"status": "success", **screen.size()}


def cmd_cursor_position(args: dict) -> dict:
    x, y = screen.cursor_position()
    return {"status": "success", "x": x, "y": y}


def cmd_accessibility(args: dict) -> dict:
    return {"status": "success", "AT": a11y.tree(float(args.get("timeout", 20)))}


def cmd_terminal(args: dict) -> dict:
    return {"status": "success", "output": a11y.terminal_output()}


def cmd_window_size(args: dict) -> dict:
    wanted = args["app_class_name"].lower()
    out = subprocess.run(
        ["wmctrl", "-lxG"], capture_output=True, text=True, env=services.desktop_env()
    )
    for line in out.stdout.splitlines():
        parts = line.split(None, 7)
        if len(parts) >= 7 and wanted in parts[6].lower().split("."):
            return {"status": "success", "width": int(parts[4]), "height": int(parts[5])}
    return {"status": "error", "message": f"no window of class {args['app_class_name']!r}"}


def cmd_cdp(args: dict) -> dict:
    from . import cdp

    return cdp.command(args)


def cmd_which(args: dict) -> dict:
    """Whether a program is on the desktop's PATH: {status, path}."""
    import shutil

    found = shutil.which(args["program"], path=services.desktop_env().get("PATH"))
    return {"status": "success", "path": found}


COMMANDS = {name[4:]: fn for name, fn in globals().items() if name.startswith("cmd_")}
