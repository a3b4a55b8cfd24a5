"""Evaluator getters: what a `result` / `expected` config (`{"type": ..., ...}`) stands for.

As in OSWorld, file getters return the path of a local copy in the episode's cache folder (None
when the file is missing) and command getters return the command's stdout (or stderr).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .controller import DesktopController


class UnknownGetter(KeyError):
    """A getter type this evaluator does not implement."""


@dataclass
class EvalEnv:
    """What getters and the evaluator see.

    Attributes:
        controller: The desktop.
        cache_dir: Local folder for fetched files.
        action_history: The agent's actions (strings like "FAIL" or action dicts/code).
        assets: Local folders for cloud files.
    """

    controller: DesktopController
    cache_dir: Path
    action_history: list[Any] = field(default_factory=list)
    assets: list[Path] = field(default_factory=list)
    log: Callable[..., Any] | None = None
    task_id: str = ""

    def note(self, kind: str, **data: Any) -> None:
        """Add an event to the episode transcript (when a log is attached)."""
        if self.log is not None:
            self.log(kind, **data)


async def _command_stream(env: EvalEnv, config: dict[str, Any], stream: str) -> str | None:
    """A command's stdout or stderr. As upstream, a non-zero exit still gives its output; the exit
    code and stderr go into the transcript (`getter_command`), so exit 127 (command not found)
    does not pass for an empty answer."""
    result = await env.controller.execute(
        config["command"],
        shell=bool(config.get("shell", False)),
        timeout=float(config.get("timeout", 30)),
    )
    code = result.get("returncode")
    env.note(
        "getter_command",
        command=_brief(config["command"]),
        returncode=code,
        stdout=_brief(result.get("output", "")),
        stderr=_brief(result.get("error", "")),
        status=result.get("status"),
        **({"warning": "command not found (exit 127)"} if code == 127 else {}),
    )
    return result.get(stream) if result.get("status") == "success" else None


def _brief(value: Any, limit: int = 2000) -> Any:
    text = value if isinstance(value, str) else " ".join(map(str, value))
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


async def get_vm_command_line(env: EvalEnv, config: dict[str, Any]) -> str | None:
    return await _command_stream(env, config, "output")


async def get_vm_command_error(env: EvalEnv, config: dict[str, Any]) -> str | None:
    return await _command_stream(env, config, "error")


async def get_vm_terminal_output(env: EvalEnv, config: dict[str, Any]) -> str | None:
    return await env.controller.terminal_output()


async def get_accessibility_tree(env: EvalEnv, config: dict[str, Any]) -> str:
    return await env.controller.accessibility_tree()


async def get_vm_screen_size(env: EvalEnv, config: dict[str, Any]) -> dict[str, int]:
    width, height = await env.controller.screen_size()
    return {"width": width, "height": height}


async def get_list_directory(env: EvalEnv, config: dict[str, Any]) -> dict[str, Any] | None:
    return await env.controller.list_directory(config["path"])


async def get_rule(env: EvalEnv, config: dict[str, Any]) -> Any:
    return config["rules"]


async def get_vm_file(env: EvalEnv, config: dict[str, Any]) -> str | list[str | None] | None:
    """Copy VM files to the cache; `multi`/`gives` select which local paths are returned."""
    multi = bool(config.get("multi", False))
    paths = config["path"] if multi else [config["path"]]
    dests = config["dest"] if multi else [config.get("dest") or os.path.basename(config["path"])]
    gives = set(config.get("gives", [0]))
    env.cache_dir.mkdir(parents=True, exist_ok=True)
    given: list[str | None] = []
    for i, (path, dest) in enumerate(zip(paths, dests, strict=False)):
        data = await env.controller.get_file(path)
        local = env.cache_dir / dest
        if data is not None:
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(data)
        if i in gives:
            given.append(str(local) if data is not None else None)
    return given[0] if len(given) == 1 else given


async def get_cache_file(env: EvalEnv, config: dict[str, Any]) -> str:
    path = env.cache_dir / config["path"]
    if not path.exists():
        raise FileNotFoundError(path)
    return str(path)


async def get_cloud_file(env: EvalEnv, config: dict[str, Any]) -> str | list[str]:
    """A gold file named by URL, looked up in the assets folders (there is no network)."""
    from .setup import find_asset

    multi = bool(config.get("multi", False))
    urls = config["path"] if multi else [config["path"]]
    dests = config["dest"] if multi else [config["dest"]]
    gives = set(config.get("gives", [0]))
    found = [
        str(find_asset(url, dest, env.assets, env.task_id))
        for i, (url, dest) in enumerate(zip(urls, dests, strict=False))
        if i in gives
    ]
    return found[0] if len(found) == 1 else found


async def get_content_from_vm_file(env: EvalEnv, config: dict[str, Any]) -> Any:
    """A piece of a VM file; OSWorld knows `file_type: xlsx` with `file_content: last_row`."""
    local = await get_vm_file(
        env, {"path": config["path"], "dest": os.path.basename(config["path"])}
    )
    if local is None:
        return None
    if config.get("file_type") == "xlsx" and config.get("file_content") == "last_row":
        import openpyxl

        sheet = openpyxl.load_workbook(str(local), data_only=True).active
        rows = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
        return [str(v) for v in rows[-1]] if len(rows) > 1 else []
    raise NotImplementedError(
        f"content_from_vm_file: {config.get('file_type')}/{config.get('file_content')}"
    )


async def _home_file(env: EvalEnv, path: str, dest: str) -> str | None:
    return await get_vm_file(env, {"path": path, "dest": dest})


async def get_vlc_config(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """VLC's settings file (~/.config/vlc/vlcrc on Linux), copied to `dest`."""
    return await _home_file(env, "/home/user/.config/vlc/vlcrc", config["dest"])


async def get_vlc_playing_info(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """VLC's HTTP interface status (localhost:8080/requests/status.xml, password 'password', as
    upstream's VM), saved to `dest`; None when VLC's HTTP interface does not answer."""
    result = await env.controller.execute(
        ["curl", "-sf", "-u", ":password", "http://127.0.0.1:8080/requests/status.xml"],
        timeout=30,
    )
    if result.get("returncode") != 0 or not result.get("output"):
        env.note("getter_error", getter="vlc_playing_info", message=result.get("error", ""))
        return None
    local = env.cache_dir / config.get("dest", "status.xml")
    local.write_text(result["output"])
    return str(local)


async def get_gimp_config_file(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """A GIMP 2.10 settings file (~/.config/GIMP/2.10/<file_name>), copied to `dest`."""
    name = config["file_name"]
    return await _home_file(env, f"/home/user/.config/GIMP/2.10/{name}", config["dest"])


#: Keys typed in VS Code's window (class `Code`) before get_vscode_config reads its file, as
#: upstream's getter does on Linux: enable all extensions (the task's own evaluation extension,
#: installed from its .vsix in setup, among them), then run the command that writes the file.
_VSCODE_COMMAND_SCRIPT = r"""
wmctrl -x -a Code || exit 3
sleep 1
palette() {
  xdotool key --clearmodifiers ctrl+shift+p; sleep 1.5; xdotool type --delay 30 "$1"; sleep 1.5
}
palette "Extensions: Enable All Extensions"
xdotool key Return; sleep 1.5; xdotool key Return; sleep 1.5
palette "$VSCODE_COMMAND"
xdotool key Return
"""


async def get_vscode_config(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """The file at `path` after VS Code's command `vscode_extension_command` ran (upstream's
    evaluation extension writes it; see README), copied to `dest`."""
    command = config.get("vscode_extension_command")
    if command:
        await env.controller.execute(
            ["env", f"VSCODE_COMMAND={command}", "bash", "-c", _VSCODE_COMMAND_SCRIPT], timeout=60
        )
        for _ in range(20):  # the extension writes the file a moment later
            probe = await env.controller.execute(["test", "-e", config["path"]], timeout=30)
            if probe.get("returncode") == 0:
                break
            await asyncio.sleep(0.5)
    return await get_vm_file(env, {"path": config["path"], "dest": config["dest"]})


async def get_vm_window_size(env: EvalEnv, config: dict[str, Any]) -> dict[str, int] | None:
    """Size of the window whose class matches `app_class_name`."""
    answer = await env.controller.call("window_size", {"app_class_name": config["app_class_name"]})
    if answer.get("status") != "success":
        return None
    return {"width": int(answer["width"]), "height": int(answer["height"])}


async def get_vm_wallpaper(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """The desktop background picture (GNOME's picture-uri), copied to `dest`."""
    result = await env.controller.execute(
        ["gsettings", "get", "org.gnome.desktop.background", "picture-uri"]
    )
    uri = (result.get("output") or "").strip().strip("'")
    path = uri.removeprefix("file://")
    if not path:
        return None
    return await get_vm_file(env, {"path": path, "dest": config.get("dest", "wallpaper.png")})


async def get_rule_relativeTime(env: EvalEnv, config: dict[str, Any]) -> Any:
    from .relative_time import resolve

    return resolve(config["rules"])


Getter = Callable[[EvalEnv, dict[str, Any]], Awaitable[Any]]

GETTERS: dict[str, Getter] = {
    name[4:]: fn for name, fn in dict(globals()).items() if name.startswith("get_") and callable(fn)
}


def _register_app_getters() -> None:
    from .getters_chrome import GETTERS as CHROME_GETTERS
    from .getters_chrome_more import GETTERS as CHROME_MORE_GETTERS
    from .getters_web import GETTERS as WEB_GETTERS

    GETTERS.update(CHROME_GETTERS)
    GETTERS.update(CHROME_MORE_GETTERS)
    GETTERS.update(WEB_GETTERS)
    from .getters_impress import GETTERS as IMPRESS_GETTERS

    GETTERS.update(IMPRESS_GETTERS)


def getter(kind: str) -> Getter:
    """The getter for a config `type`."""
    if "bookmarks" not in GETTERS:
        _register_app_getters()
    try:
        return GETTERS[kind]
    except KeyError:
        raise UnknownGetter(kind) from None
