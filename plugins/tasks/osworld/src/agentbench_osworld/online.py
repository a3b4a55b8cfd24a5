"""Setup steps of the application domains: Chrome tabs through the DevTools protocol (port 9222,
as upstream's setup reaches it) and the steps that need online accounts (which fail alone)."""

from __future__ import annotations

from typing import Any

from . import apps
from .setup import SetupEnv, SetupError

CHROME_PORT = 9222


async def cdp(env: SetupEnv, op: str, wait: float = 60, **args: Any) -> dict[str, Any]:
    """One DevTools operation run inside the container (`desktopctl cdp`)."""
    answer = await env.controller.call(
        "cdp", {"op": op, "port": CHROME_PORT, "wait": wait, **args}, timeout=wait + 60
    )
    if answer.get("status") != "success":
        raise SetupError(f"chrome ({op}): {answer.get('message')}", apps.fix_for(apps.CHROME))
    return answer


async def _chrome_open_tabs(env: SetupEnv, urls_to_open: list[str]) -> None:
    # Upstream connects over CDP (retrying for over a minute) and opens each URL in a new page.
    await cdp(env, "open", wait=90, urls=list(urls_to_open))


async def _chrome_close_tabs(env: SetupEnv, urls_to_close: list[str]) -> None:
    await cdp(env, "close", urls=list(urls_to_close))


def _online(what: str):
    async def step(env: SetupEnv, **params: Any) -> None:
        raise SetupError(
            f"this task's setup needs {what}, which a sandbox without network cannot reach",
            "run it with upstream OSWorld, which has the accounts configured",
        )

    return step


STEPS = {
    "chrome_open_tabs": _chrome_open_tabs,
    "chrome_close_tabs": _chrome_close_tabs,
    "googledrive": _online("a Google Drive account (googledrive step)"),
    "login": _online("an online account login (login step)"),
}
