"""Getters that load a page in the desktop's Chrome (upstream drives it with Playwright over CDP).

Each one sends `page_driver.py` into the container (`python3 -c`, the job on stdin): it opens a
new tab over the DevTools protocol on port 9222, runs the steps, closes the tab, and answers with
one JSON line. Pages on the internet need the network: without it the step fails with the
browser's own reason (e.g. net::ERR_NAME_NOT_RESOLVED), which goes into the transcript.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .getters import EvalEnv
from .getters_chrome import CHROME_PORT, _profile_json

DRIVER = Path(__file__).with_name("page_driver.py")
FAILED = "__EVALUATION_FAILED__"


class PageError(RuntimeError):
    """The page could not be loaded or a step on it failed."""


def parse_driver_answer(stdout: str) -> dict[str, Any]:
    """The driver's JSON answer (its last stdout line).

    Raises:
        PageError: no JSON answer, or the driver reports an error.
    """
    lines = [line for line in (stdout or "").splitlines() if line.strip()]
    try:
        answer = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise PageError(f"the page driver gave no answer: {(stdout or '')[-300:]!r}") from None
    if answer.get("status") != "success":
        raise PageError(f"step {answer.get('step')}: {answer.get('message')}")
    return answer


async def run_page(
    env: EvalEnv, ops: list[dict[str, Any]], what: str, timeout: float = 60
) -> list[Any]:
    """Run the driver's `ops` in a new tab; their results, in order.

    Raises:
        PageError: the browser, the page or one of the steps failed (noted in the transcript).
    """
    job = {"port": CHROME_PORT, "launch": True, "timeout": timeout, "ops": ops}
    budget = min(timeout * (len(ops) + 1) + 60, 900)
    result = await env.controller.execute(
        ["python3", "-c", DRIVER.read_text()], input=json.dumps(job), timeout=budget
    )
    try:
        return parse_driver_answer(result.get("output", ""))["results"]
    except PageError as exc:
        detail = str(exc) if result.get("output") else f"{exc} {result.get('error', '')[-300:]}"
        env.note("getter_error", getter=what, message=detail)
        raise PageError(f"{what}: {detail}") from None


async def get_page_info(env: EvalEnv, config: dict[str, Any]) -> dict[str, Any]:
    """{"title", "url", "content"} of `url` loaded in a new tab; as upstream, a page that cannot
    be loaded gives {"title": "Connection failed", "url": url, "content": ""}."""
    url = config["url"]
    try:
        _, page = await run_page(env, [{"op": "goto", "url": url}, {"op": "html"}], "page_info")
    except PageError:
        return {"title": "Connection failed", "url": url, "content": ""}
    return {"title": page["title"], "url": page["url"], "content": page["content"]}


def _text_js(selector: str, attribute: str | None) -> str:
    """JavaScript for an element's inner text (or one attribute)."""
    pick = f"el.getAttribute({json.dumps(attribute)})" if attribute else "el.innerText"
    return (
        f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
        f" if (!el) throw new Error('no element matches ' + {json.dumps(selector)});"
        f" return {pick}; }})()"
    )


def website_info_ops(url: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    """Driver steps for one `infos` entry of info_from_website; the last step's result is the
    value (actions inner_text, attribute, click_and_inner_text, click_and_attribute)."""
    action = info.get("action", "inner_text")
    selectors = info["selector"] if action.startswith("click_and_") else [info["selector"]]
    if action not in {"inner_text", "attribute", "click_and_inner_text", "click_and_attribute"}:
        raise NotImplementedError(f"info_from_website: action {action!r} is not supported")
    attribute = info.get("attribute") if action.endswith("attribute") else None
    ops: list[dict[str, Any]] = [{"op": "goto", "url": url}]
    ops += [{"op": "click", "selector": s} for s in selectors[:-1]]
    ops += [{"op": "wait_for", "selector": selectors[-1], "timeout": 10}]
    return [*ops, {"op": "eval", "expression": _text_js(selectors[-1], attribute)}]


async def get_info_from_website(env: EvalEnv, config: dict[str, Any]) -> Any:
    """Texts or attributes read from `url` (one per `infos` entry, each from the page freshly
    loaded); upstream's `backups` when anything fails, e.g. without network."""
    ops: list[dict[str, Any]] = []
    picks = []
    for info in config.get("infos", []):
        ops += website_info_ops(config["url"], info)
        picks.append(len(ops) - 1)
    try:
        results = await run_page(env, ops, "info_from_website")
    except PageError:
        return config.get("backups")
    return [results[i] for i in picks]


async def get_pdf_from_url(env: EvalEnv, config: dict[str, Any]) -> str:
    """`path` (a URL) printed to PDF by Chrome, copied to `dest` in the cache. As upstream, a
    page that cannot be printed leaves an empty PDF there (so the comparison fails)."""
    local = env.cache_dir / config["dest"]
    local.parent.mkdir(parents=True, exist_ok=True)
    remote = f"/tmp/agentbench-pdf/{os.path.basename(config['dest']) or 'page.pdf'}"
    ops = [
        {"op": "goto", "url": config["path"]},
        {"op": "sleep", "seconds": 3},
        {"op": "pdf", "path": remote},
    ]
    try:
        await run_page(env, ops, "pdf_from_url")
        data = await env.controller.get_file(remote)
    except PageError:
        data = None
    local.write_bytes(data if data else b"%PDF-1.4\n%EOF\n")
    return str(local)


_CLASS_TEXT_JS = """(() => {
  const els = document.getElementsByClassName(%s), order = %s;
  const el = order === null ? els[0] : els[order];
  return el ? (el.textContent || '').trim() : null;
})()"""

_NEXT_AVAILABLE = "button.next-available"


def recreation_ops(config: dict[str, Any]) -> list[dict[str, Any]]:
    """recreation.gov: search "Diamond", open the first highlighted result (a new tab), press
    "Next Available", then read the configured class's text."""
    order = int(config["order"]) if "order" in config else None
    read = _CLASS_TEXT_JS % (json.dumps(config["class"]), json.dumps(order))
    return [
        {"op": "goto", "url": "https://www.recreation.gov/"},
        {"op": "fill", "selector": "input#hero-search-input", "value": "Diamond"},
        {"op": "click", "selector": "button.nav-search-button"},
        {"op": "sleep", "seconds": 10},
        {"op": "click", "selector": ".search-result-highlight--success", "timeout": 25},
        {"op": "adopt_new_tab", "timeout": 30},
        {"op": "sleep", "seconds": 2},
        {"op": "eval", "expression": _click_if_present_js(_NEXT_AVAILABLE)},
        {"op": "sleep", "seconds": 2},
        {"op": "eval", "expression": read},
    ]


def _click_if_present_js(selector: str) -> str:
    return (
        f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
        " if (el) el.click(); return Boolean(el); })()"
    )


async def get_gotoRecreationPage_and_get_html_content(
    env: EvalEnv, config: dict[str, Any]
) -> dict[str, Any]:
    """{"expected": {class: text}} read from recreation.gov's "Diamond" campground page (only
    `selector: class`); upstream's failure marker "__EVALUATION_FAILED__" when it cannot be read,
    with the reason beside it."""
    if config.get("selector") != "class":
        raise NotImplementedError("gotoRecreationPage_and_get_html_content: only selector 'class'")
    try:
        results = await run_page(env, recreation_ops(config), "gotoRecreationPage", timeout=60)
    except PageError as exc:
        return {"expected": {"error": FAILED, "error_message": str(exc)}}
    text = results[-1]
    return {"expected": {config["class"]: text if text is not None else FAILED}}


_APPEARANCE_JS = """(() => {
  const roots = [document];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*'))
      if (el.shadowRoot) { roots.push(el.shadowRoot); walk(el.shadowRoot); }
  };
  walk(document);
  const modes = {'0': 'system', '1': 'light', '2': 'dark'};
  for (const root of roots) {
    const select = root.querySelector('select#colorSchemeModeSelect');
    if (select && modes[select.value]) return modes[select.value];
  }
  return null;
})()"""

COLOR_SCHEMES = {0: "system", 1: "light", 2: "dark"}


def color_scheme_from_preferences(preferences: Any) -> str:
    """Chrome's mode in Preferences (browser.theme.color_scheme2, else color_scheme: 0 system,
    1 light, 2 dark); "system" when unset."""
    theme = (preferences or {}).get("browser", {}).get("theme", {})
    value = theme.get("color_scheme2", theme.get("color_scheme"))
    try:
        return COLOR_SCHEMES.get(int(value), "system")
    except (TypeError, ValueError):
        return "system"


async def get_chrome_appearance_mode_ui(env: EvalEnv, config: dict[str, Any]) -> str:
    """The mode chrome://settings/appearance shows in its Mode menu: "light", "dark" or
    "system"; from the Preferences file when the page cannot be read, as upstream falls back."""
    ops: list[dict[str, Any]] = [
        {"op": "goto", "url": "chrome://settings/appearance"},
        {"op": "sleep", "seconds": 2.5},
        {"op": "eval", "expression": _APPEARANCE_JS},
    ]
    try:
        mode = (await run_page(env, ops, "chrome_appearance_mode_ui", timeout=30))[-1]
    except PageError:
        mode = None
    if mode in {"light", "dark", "system"}:
        return str(mode)
    return color_scheme_from_preferences(await _profile_json(env, "Preferences"))


GETTERS = {
    name[4:]: fn for name, fn in dict(globals()).items() if name.startswith("get_") and callable(fn)
}
