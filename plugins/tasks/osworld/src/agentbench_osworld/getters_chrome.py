"""Chrome getters through the DevTools protocol (inside the container, `desktopctl cdp`).

Upstream reads the active tab's URL from the address bar in the accessibility tree and then
finds that page with Playwright over CDP; here the DevTools target list gives the same URL and
title directly (its first page target is the most recently active tab). Profile files are read
from ~/.config/google-chrome (the image's google-chrome starts Chromium with that profile).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from .getters import EvalEnv, get_vm_file

CHROME_PORT = 9222
PROFILE = "/home/user/.config/google-chrome/Default"


async def _cdp(env: EvalEnv, op: str, **args: Any) -> dict[str, Any] | None:
    answer = await env.controller.call(
        "cdp", {"op": op, "port": CHROME_PORT, "wait": 20, **args}, timeout=90
    )
    if answer.get("status") != "success":
        env.note("getter_error", getter=f"chrome {op}", message=answer.get("message"))
        return None
    return answer


async def _tabs(env: EvalEnv) -> list[dict[str, Any]]:
    answer = await _cdp(env, "tabs")
    return answer["tabs"] if answer else []


async def get_active_url_from_accessTree(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """The active tab's URL (None without a browser)."""
    tabs = await _tabs(env)
    return tabs[0].get("url") if tabs else None


async def get_active_tab_info(env: EvalEnv, config: dict[str, Any]) -> dict[str, Any] | None:
    """{"title", "url", "content"} of the active tab."""
    answer = await _cdp(env, "html")
    tabs = await _tabs(env) if answer else []
    if not answer or not tabs:
        return None
    return {"title": tabs[0].get("title"), "url": answer.get("url"), "content": answer.get("html")}


async def get_open_tabs_info(env: EvalEnv, config: dict[str, Any]) -> list[dict[str, Any]]:
    """[{"title", "url"}] of the open tabs, the active one first."""
    return [{"title": t.get("title"), "url": t.get("url")} for t in await _tabs(env)]


async def get_active_tab_url_parse(env: EvalEnv, config: dict[str, Any]) -> dict[str, Any] | None:
    """The active URL's query values for `parse_keys` (first value each; `replace` renames)."""
    url = await get_active_url_from_accessTree(env, config)
    if not url:
        return None
    query = parse_qs(urlparse(url).query)
    values: dict[str, Any] = {key: query.get(key, [""])[0] for key in config["parse_keys"]}
    for old, new in (config.get("replace") or {}).items():
        if old in values:
            values[new] = values.pop(old)
    if config.get("split_list", False):
        values = {key: str(value).split(",") for key, value in values.items()}
    return values


async def get_url_dashPart(env: EvalEnv, config: dict[str, Any]) -> Any:
    """One '/'-separated part of the active URL (`partIndex`; `needDeleteId` drops its query), as
    a string (`returnType` "string") or {key: part} ("json")."""
    url = await get_active_url_from_accessTree(env, config)
    if not url:
        return None
    try:
        part = url.split("/")[int(config["partIndex"])]
    except IndexError:
        return None
    if config.get("needDeleteId"):
        part = part.split("?")[0]
    return {config["key"]: part} if config.get("returnType") == "json" else part


_HTML_PARSE_JS = """(() => {
  const cfg = %s, out = {};
  const text = (el) => (el && el.textContent || '').trim();
  const first = (xpath) => document.evaluate(xpath, document, null,
      XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
  if (cfg.category === 'class') {
    for (const [cls, ranks] of Object.entries(cfg.class_multiObject || {})) {
      const texts = Array.from(document.getElementsByClassName(cls)).map(text);
      for (const [rank, key] of Object.entries(ranks))
        if (texts.length > Number(rank)) out[key] = texts[Number(rank)];
    }
    for (const [cls, key] of Object.entries(cfg.class_singleObject || {})) {
      const els = document.getElementsByClassName(cls);
      if (els.length) out[key] = text(els[0]);
    }
  } else if (cfg.category === 'label') {
    const norm = (s) => s.replace(/\\s+/g, ' ').trim().toLowerCase();
    for (const [label, key] of Object.entries(cfg.labelObject || {})) {
      const want = norm(label);
      const hits = Array.from(document.body.querySelectorAll('*'))
        .filter((el) => norm(el.textContent || '').includes(want));
      const deepest = hits.filter((el) => !hits.some((o) => o !== el && el.contains(o)));
      if (deepest.length && text(deepest[0])) out[key] = text(deepest[0]);
    }
  } else if (cfg.category === 'xpath') {
    for (const [xpath, key] of Object.entries(cfg.xpathObject || {})) {
      const node = first(xpath);
      if (node) out[key] = text(node);
    }
  } else if (cfg.category === 'input') {
    for (const [xpath, key] of Object.entries(cfg.inputObject || {})) {
      const node = first(xpath);
      if (node) out[key] = String(node.value || '').trim();
    }
  }
  return out;
})()"""


async def get_active_tab_html_parse(env: EvalEnv, config: dict[str, Any]) -> dict[str, Any] | None:
    """Texts of elements of the active tab picked by class name, label text, XPath or input
    XPath (`category` with its `*Object` mapping to result keys), evaluated in the page. Upstream
    uses Playwright selectors; the label lookup here takes the innermost element whose text
    contains the label (Playwright's `text=` matching, case-insensitive)."""
    keys = ("category", "class_multiObject", "class_singleObject", "labelObject")
    keys += ("xpathObject", "inputObject")
    wanted = {k: config[k] for k in keys if k in config}
    answer = await _cdp(env, "eval", expression=_HTML_PARSE_JS % json.dumps(wanted))
    if answer is None:
        return None
    value = answer.get("value")
    return value if isinstance(value, dict) else {}


async def _profile_json(env: EvalEnv, name: str) -> Any:
    local = await get_vm_file(env, {"path": f"{PROFILE}/{name}", "dest": f"chrome-{name}.json"})
    if not isinstance(local, str):
        return None
    try:
        with open(local, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, json.JSONDecodeError):
        return None


async def get_bookmarks(env: EvalEnv, config: dict[str, Any]) -> Any:
    """The profile's bookmark roots (Bookmarks["roots"])."""
    data = await _profile_json(env, "Bookmarks")
    return data.get("roots") if isinstance(data, dict) else None


async def get_default_search_engine(env: EvalEnv, config: dict[str, Any]) -> str:
    """The default search engine's name from Preferences ("Google" when unset, as upstream)."""
    data = await _profile_json(env, "Preferences") or {}
    provider = data.get("default_search_provider_data", {}).get("template_url_data", {})
    return provider.get("short_name", "Google")


async def get_enable_do_not_track(env: EvalEnv, config: dict[str, Any]) -> str:
    data = await _profile_json(env, "Preferences") or {}
    return "true" if data.get("enable_do_not_track", False) else "false"


async def get_enable_safe_browsing(env: EvalEnv, config: dict[str, Any]) -> str:
    data = await _profile_json(env, "Preferences") or {}
    return "true" if data.get("safebrowsing", {}).get("enabled", False) else "false"


async def get_chrome_font_size(env: EvalEnv, config: dict[str, Any]) -> dict[str, Any]:
    """Preferences' webkit.webprefs (Chrome's defaults when unset: 16, fixed 13, minimum 13)."""
    data = await _profile_json(env, "Preferences") or {}
    defaults = {"default_fixed_font_size": 13, "default_font_size": 16, "minimum_font_size": 13}
    return data.get("webkit", {}).get("webprefs", defaults)


async def get_shortcuts_on_desktop(env: EvalEnv, config: dict[str, Any]) -> dict[str, str]:
    """{path: text} of the .desktop files on the Desktop."""
    listing = await env.controller.execute(
        ["sh", "-c", "ls -1 /home/user/Desktop/*.desktop 2>/dev/null"]
    )
    shortcuts = {}
    for path in (listing.get("output") or "").split():
        data = await env.controller.get_file(path)
        if data is not None:
            shortcuts[path] = data.decode(errors="replace")
    return shortcuts


GETTERS = {
    name[4:]: fn for name, fn in dict(globals()).items() if name.startswith("get_") and callable(fn)
}
GETTERS.pop("vm_file", None)
