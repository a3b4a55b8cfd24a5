"""The host side of the desktop controller: `desktopctl` commands sent through the sandbox.

Every call is one `sandbox.exec(["desktopctl", <command>, <json>])`; the in-container controller
starts the desktop on first use and answers with one JSON object. Files travel through the
sandbox's `read_file` / `write_file`.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable
from typing import Any

from agentbench import InfrastructureError, Sandbox

HOME = "/home/user"
SCREENSHOT_PATH = "/tmp/agentbench-desktop/screenshot.png"


class ControllerError(RuntimeError):
    """The in-container controller failed or answered something that is not JSON."""


def vm_path(path: str) -> str:
    """A path as the desktop user's shell would expand `~` (the VM's home is /home/user)."""
    if path == "~":
        return HOME
    if path.startswith("~/"):
        return posixpath.join(HOME, path[2:])
    return path


class DesktopController:
    """Talks to the desktop inside a sandbox.

    Args:
        sandbox: The sandbox running the `desktop` image.
        log: Called as `log(event_type, **data)` for each command (e.g. `EpisodeLog.add`).
    """

    def __init__(self, sandbox: Sandbox, log: Callable[..., Any] | None = None) -> None:
        self.sandbox = sandbox
        self._log = log

    async def call(
        self, command: str, args: dict[str, Any] | None = None, *, timeout: float = 120
    ) -> dict[str, Any]:
        """Run one controller command and return its JSON answer."""
        payload = json.dumps(args or {})
        if len(payload) > 8000:  # long arguments (code) go through stdin, not the command line
            result = await self.sandbox.exec(
                ["desktopctl", command, "-"], input=payload, timeout=timeout + 15
            )
        else:
            result = await self.sandbox.exec(["desktopctl", command, payload], timeout=timeout + 15)
        if result.timed_out:
            raise ControllerError(f"desktopctl {command} timed out after {timeout + 15:g}s")
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        try:
            answer = json.loads(lines[-1])
        except (IndexError, json.JSONDecodeError):
            detail = (result.stderr or result.stdout).strip()[-800:]
            if (
                "executable file not found" in detail
                or "desktopctl: not found" in detail
                or result.exit_code == 127
            ):
                raise InfrastructureError(
                    f"the sandbox has no desktop controller ({detail})"
                ) from None
            raise ControllerError(
                f"desktopctl {command} failed (exit {result.exit_code}): {detail}"
            ) from None
        if self._log is not None and command not in {"screenshot", "accessibility"}:
            self._log("desktop", command=command, args=_brief(args), status=answer.get("status"))
        return answer

    async def start(self) -> dict[str, Any]:
        """Start the desktop if needed; returns the start timings and the screen size."""
        return await self.call("start", timeout=60)

    async def execute(
        self,
        command: str | list[str],
        shell: bool = False,
        timeout: float = 120,
        input: str | None = None,
    ) -> dict[str, Any]:
        """Run a command on the desktop: {status, output, error, returncode}."""
        args: dict[str, Any] = {"command": command, "shell": shell, "timeout": timeout}
        if input is not None:
            args["input"] = input
        return await self.call("exec", args, timeout=timeout)

    async def run_python(self, code: str, timeout: float = 90) -> dict[str, Any]:
        """Run Python with pyautogui imported (`pyautogui.FAILSAFE` off), as OSWorld does."""
        return await self.call("python", {"code": code, "timeout": timeout}, timeout=timeout)

    async def launch(self, command: str | list[str], shell: bool = False) -> dict[str, Any]:
        return await self.call("launch", {"command": command, "shell": shell})

    async def open_file(self, path: str, wait: float = 15) -> dict[str, Any]:
        return await self.call("open", {"path": path, "wait": wait}, timeout=wait + 10)

    async def activate_window(
        self, window_name: str, strict: bool = False, by_class: bool = False
    ) -> dict[str, Any]:
        return await self.call(
            "activate_window", {"window_name": window_name, "strict": strict, "by_class": by_class}
        )

    async def close_window(
        self, window_name: str, strict: bool = False, by_class: bool = False
    ) -> dict[str, Any]:
        return await self.call(
            "close_window", {"window_name": window_name, "strict": strict, "by_class": by_class}
        )

    async def execute_with_verification(self, **args: Any) -> dict[str, Any]:
        wait = float(args.get("max_wait_time", 10))
        return await self.call("execute_with_verification", args, timeout=wait + 130)

    async def screenshot(self) -> bytes:
        """The screen as PNG bytes, with the mouse cursor drawn in."""
        answer = await self.call("screenshot", {"path": SCREENSHOT_PATH})
        _check(answer, "screenshot")
        data = await self.sandbox.read_file(SCREENSHOT_PATH, binary=True)
        assert isinstance(data, bytes)
        return data

    async def accessibility_tree(self) -> str:
        """The accessibility tree in OSWorld's XML form."""
        answer = await self.call("accessibility", timeout=60)
        _check(answer, "accessibility tree")
        return answer["AT"]

    async def terminal_output(self) -> str | None:
        """The text of the focused terminal of the active gnome-terminal window, or None."""
        answer = await self.call("terminal")
        _check(answer, "terminal output")
        return answer.get("output")

    async def list_directory(self, path: str) -> dict[str, Any] | None:
        answer = await self.call("list_directory", {"path": path})
        return answer.get("directory_tree") if answer.get("status") == "success" else None

    async def screen_size(self) -> tuple[int, int]:
        answer = await self.call("screen_size")
        _check(answer, "screen size")
        return int(answer["width"]), int(answer["height"])

    async def cursor_position(self) -> tuple[int, int]:
        answer = await self.call("cursor_position")
        return int(answer["x"]), int(answer["y"])

    async def windows(self) -> str:
        """`wmctrl -lx`: one line per window (id, desktop, class, host, title)."""
        return (await self.call("windows")).get("output", "")

    async def get_file(self, path: str) -> bytes | None:
        """A file's bytes, or None when it does not exist."""
        try:
            data = await self.sandbox.read_file(vm_path(path), binary=True)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            return None
        return data if isinstance(data, bytes) else data.encode()

    async def write_file(self, path: str, data: bytes) -> None:
        """Write a file as the desktop user (parents created); logged as a "file" event."""
        await self.sandbox.write_file(vm_path(path), data)
        if self._log is not None:
            self._log("file", path=path, bytes=len(data))


def _check(answer: dict[str, Any], what: str) -> None:
    if answer.get("status") != "success":
        raise ControllerError(f"{what} failed: {answer.get('message', answer)}")


def _brief(args: dict[str, Any] | None) -> dict[str, Any]:
    return {k: (v[:300] if isinstance(v, str) else v) for k, v in (args or {}).items()}
