"""OSWorld's setup steps (`config` and `evaluator.postconfig`) run against the container desktop.

A step is `{"type": ..., "parameters": {...}}`. Supported types: execute, command, launch, open,
sleep, activate_window, close_window, download, upload_file, execute_with_verification,
change_wallpaper. `download` URLs are mapped to local files in the assets folder (no network);
a missing asset or an unsupported step type raises `SetupError`, which fails that task only.
"""

from __future__ import annotations

import asyncio
import json
import posixpath
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from . import apps
from .controller import DesktopController

PASSWORD = "password"


class SetupError(RuntimeError):
    """A setup step that cannot run here (unsupported type, missing asset, failed verification).

    Not an `AgentbenchError`: it fails its own task's episode (status "error"), not the run.
    """

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(f"{message} (fix: {fix})" if fix else message)
        self.message, self.fix = message, fix


@dataclass
class SetupEnv:
    """What setup steps need besides the controller.

    Attributes:
        controller: The desktop.
        screen: Screen width and height (for the {SCREEN_*} placeholders).
        cache_dir: The episode's local cache (stdout/stderr of `execute` steps, fetched files).
        assets: Local folders searched for the files of `download` steps.
        task_dir: The task file's folder (relative `upload_file` paths start there).
        password: What {CLIENT_PASSWORD} stands for.
    """

    controller: DesktopController
    screen: tuple[int, int] = (1920, 1080)
    cache_dir: Path = field(default_factory=lambda: Path("."))
    assets: list[Path] = field(default_factory=list)
    task_dir: Path | None = None
    password: str = PASSWORD
    task_id: str = ""
    window_wait: float = 90.0


def substitute(command: Any, env: SetupEnv) -> Any:
    """Replace {CLIENT_PASSWORD}, {SCREEN_WIDTH}, {SCREEN_HEIGHT} and their _HALF forms."""
    width, height = env.screen
    values = {
        "{CLIENT_PASSWORD}": env.password,
        "{SCREEN_WIDTH_HALF}": str(width // 2),
        "{SCREEN_HEIGHT_HALF}": str(height // 2),
        "{SCREEN_WIDTH}": str(width),
        "{SCREEN_HEIGHT}": str(height),
    }

    def one(text: str) -> str:
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    return one(command) if isinstance(command, str) else [one(str(c)) for c in command]


async def run_steps(steps: list[dict[str, Any]], env: SetupEnv) -> None:
    """Run setup steps in order.

    Raises:
        SetupError: a step is malformed, unsupported, or cannot find its asset.
    """
    for index, step in enumerate(steps or []):
        kind = step.get("type") if isinstance(step, dict) else None
        handler = STEPS.get(str(kind))
        if handler is None:
            raise SetupError(
                f"setup step #{index + 1} has unsupported type {kind!r}",
                f"supported step types: {', '.join(sorted(STEPS))}",
            )
        params = step.get("parameters") or {}
        try:
            await handler(env, **params)
        except TypeError as exc:
            raise SetupError(
                f"setup step #{index + 1} ({kind}) has bad parameters: {exc}",
                "fix the step's parameters",
            ) from None


async def _execute(
    env: SetupEnv,
    command: Any,
    shell: bool = False,
    stdout: str = "",
    stderr: str = "",
    until: dict[str, Any] | None = None,
    timeout: float = 120,
) -> None:
    if not command:
        raise SetupError("an execute step has an empty command", "give the step a command")
    command = substitute(command, env)
    until = until or {}
    for _attempt in range(60 if until else 1):
        result = await env.controller.execute(command, shell=shell, timeout=timeout)
        if stdout:
            (env.cache_dir / stdout).write_text(result.get("output", ""))
        if stderr:
            (env.cache_dir / stderr).write_text(result.get("error", ""))
        if not until or _until_met(until, result):
            return
        await asyncio.sleep(0.3)


def _until_met(until: dict[str, Any], result: dict[str, Any]) -> bool:
    return (
        ("returncode" in until and result.get("returncode") == until["returncode"])
        or ("stdout" in until and until["stdout"] in result.get("output", ""))
        or ("stderr" in until and until["stderr"] in result.get("error", ""))
    )


async def _launch(env: SetupEnv, command: Any, shell: bool = False) -> None:
    if not command:
        raise SetupError("a launch step has an empty command", "give the step a command")
    if isinstance(command, str) and not shell:
        command = command.split()
    command = substitute(command, env)
    program = apps.program_of(command)
    app = apps.application(program)
    if app is not None:
        await _require_program(env, app)
    before = await _window_count(env)
    answer = await env.controller.launch(command, shell=shell)
    if answer.get("status") != "success":
        raise SetupError(f"launch step: {answer.get('message')}", apps.fix_for(app or program))
    if app is not None and app.gui:
        await _wait_for_window(env, before, f"launch of {program}", app)


async def _require_program(env: SetupEnv, app: apps.App) -> None:
    answer = await env.controller.call("which", {"program": app.binary})
    if not answer.get("path"):
        raise SetupError(f"{app.name} is not installed in this image", apps.fix_for(app))


async def _window_count(env: SetupEnv) -> int:
    return len([line for line in (await env.controller.windows()).splitlines() if line.strip()])


async def _wait_for_window(env: SetupEnv, before: int, what: str, app: apps.App | None) -> None:
    """Poll the window list until a new window appears (generous: apps start slowly on a busy
    machine)."""
    deadline = asyncio.get_running_loop().time() + env.window_wait
    while asyncio.get_running_loop().time() < deadline:
        if await _window_count(env) > before and (
            app is None or app.ready_title in await env.controller.windows()
        ):
            return
        await asyncio.sleep(1.0)
    name = app.name if app else "the application"
    raise SetupError(
        f"{what}: no window appeared within {env.window_wait:g}s ({name} did not start)",
        apps.fix_for(app) if app else "check the step's command",
    )


async def _open(env: SetupEnv, path: str) -> None:
    app = apps.application_for_file(path)
    if app is not None:
        await _require_program(env, app)
    answer = await env.controller.open_file(path, wait=env.window_wait)
    if answer.get("status") != "success":
        raise SetupError(
            f"open step: {answer.get('message')}", "create the file in an earlier step"
        )
    if not answer.get("window", True):
        name = app.name if app else "no application"
        raise SetupError(
            f"open step: no window appeared for {path} within {env.window_wait:g}s "
            f"({name} should open it)",
            apps.fix_for(app) if app else "install an application for this file type",
        )


async def _sleep(env: SetupEnv, seconds: float) -> None:
    await asyncio.sleep(float(seconds))


async def _activate_window(
    env: SetupEnv, window_name: str, strict: bool = False, by_class: bool = False
) -> None:
    await env.controller.activate_window(window_name, strict=strict, by_class=by_class)


async def _close_window(
    env: SetupEnv, window_name: str, strict: bool = False, by_class: bool = False
) -> None:
    await env.controller.close_window(window_name, strict=strict, by_class=by_class)


async def _execute_with_verification(
    env: SetupEnv,
    command: Any,
    verification: dict | None = None,
    max_wait_time: float = 10,
    check_interval: float = 1.0,
    shell: bool = False,
) -> None:
    answer = await env.controller.execute_with_verification(
        command=substitute(command, env),
        shell=shell,
        verification=verification or {},
        max_wait_time=max_wait_time,
        check_interval=check_interval,
    )
    if answer.get("verification") == "failed":
        raise SetupError(
            f"execute_with_verification: {verification} not met after {max_wait_time}s",
            "check the command and its verification",
        )


async def _download(env: SetupEnv, files: list[dict[str, str]]) -> None:
    for item in files:
        url, path = item.get("url"), item.get("path")
        if not url or not path:
            raise SetupError(
                f"download step: bad file entry {item}", "give each file a url and a path"
            )
        try:
            local = find_asset(url, path, env.assets, env.task_id)
        except SetupError as exc:
            raise SetupError(exc.message, asset_fix(url, env.task_id)) from None
        await env.controller.write_file(path, local.read_bytes())


async def _upload_file(env: SetupEnv, files: list[dict[str, str]]) -> None:
    for item in files:
        local = Path(item["local_path"])
        candidates = (
            [local]
            if local.is_absolute()
            else [
                *(d / local for d in ([env.task_dir] if env.task_dir else [])),
                *(a / local for a in env.assets),
                local,
            ]
        )
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            raise SetupError(
                f"upload_file: {item['local_path']} not found",
                "put it beside the task file or in the assets folder (-T assets=DIR)",
            )
        await env.controller.write_file(item["path"], found.read_bytes())


async def _change_wallpaper(env: SetupEnv, path: str) -> None:
    await env.controller.execute(
        ["gsettings", "set", "org.gnome.desktop.background", "picture-uri", f"file://{path}"]
    )


def asset_candidates(url: str, path: str, task_id: str = "") -> list[str]:
    """Where a downloaded file may sit in an assets folder, most specific first.

    The task's own folder (`<task id>/<file name>`: several tasks share names like setup.sh),
    OSWorld's own cache name (`<uuid5 of the URL>_<file name>`), the URL's host and path, the part
    after `resolve/main/` (Hugging Face file caches), and the URL's file name.
    """
    parsed = urlparse(url)
    url_path = parsed.path.lstrip("/")
    names = [f"{task_id}/{posixpath.basename(url_path)}"] if task_id else []
    names += [
        f"{uuid.uuid5(uuid.NAMESPACE_URL, url)}_{posixpath.basename(path)}",
        f"{parsed.netloc}/{url_path}",
    ]
    if "/resolve/main/" in url_path:
        names.append(url_path.split("/resolve/main/", 1)[1])
    names.append(posixpath.basename(url_path))
    return names


def find_asset(url: str, path: str, assets: list[Path], task_id: str = "") -> Path:
    """The local file standing for `url`.

    An `urls.json` in an assets folder may map URLs to files (relative to that folder).

    Raises:
        SetupError: no assets folder has it.
    """
    for folder in assets:
        mapping = folder / "urls.json"
        if mapping.is_file():
            target = json.loads(mapping.read_text()).get(url)
            if target and (folder / target).is_file():
                return folder / target
        for name in asset_candidates(url, path, task_id):
            if (folder / name).is_file():
                return folder / name
    where = ", ".join(str(a) for a in assets) or "no assets folder given"
    raise SetupError(f"the task needs {url}, which is not in the assets ({where})", asset_fix(url))


def asset_fix(url: str, task_id: str = "") -> str:
    """Where to put a missing file: in the task's own folder of an assets folder."""
    name = posixpath.basename(urlparse(url).path)
    where = f"DIR/{task_id}/{name}" if task_id else f"DIR/{name}"
    return f"download it and pass -T assets=DIR with it as {where}"


def missing_assets(files: list[tuple[str, str]], env: SetupEnv) -> list[str]:
    """The URLs of (url, path) pairs that no assets folder holds."""
    missing = []
    for url, path in files:
        try:
            find_asset(url, path, env.assets, env.task_id)
        except SetupError:
            missing.append(url)
    return missing


STEPS = {
    "execute": _execute,
    "command": _execute,
    "launch": _launch,
    "open": _open,
    "sleep": _sleep,
    "activate_window": _activate_window,
    "close_window": _close_window,
    "download": _download,
    "upload_file": _upload_file,
    "execute_with_verification": _execute_with_verification,
    "change_wallpaper": _change_wallpaper,
}


def _register_app_steps() -> None:
    from .online import STEPS as APP_STEPS
    from .setup_chrome import STEPS as CHROME_STEPS

    STEPS.update(APP_STEPS)
    STEPS.update(CHROME_STEPS)


_register_app_steps()
