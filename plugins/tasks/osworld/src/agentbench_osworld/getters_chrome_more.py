"""More Chrome getters: the profile's SQLite stores (Cookies, History), Preferences settings
(profile name, startup page, auto-delete, extensions), Macy's URL filters, and the desktop's
default video player.

The profile is ~/.config/google-chrome/Default, as for the other Chrome getters (the image's
google-chrome starts Chromium with that profile). SQLite stores are copied to the cache and read
there, so a running browser's lock does not matter.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from itertools import pairwise
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from .getters import EvalEnv, get_vm_file
from .getters_chrome import PROFILE, _profile_json, get_active_url_from_accessTree


def read_sqlite_rows(path: str | Path, query: str) -> list[tuple[Any, ...]] | None:
    """The rows of `query` on a copied SQLite file; None when it is not a readable database."""
    try:
        with closing(sqlite3.connect(str(path))) as connection:
            return connection.execute(query).fetchall()
    except sqlite3.Error:
        return None


async def _profile_rows(env: EvalEnv, name: str, dest: str, query: str) -> list[Any] | None:
    local = await get_vm_file(env, {"path": f"{PROFILE}/{name}", "dest": dest})
    if not isinstance(local, str):
        env.note("getter_error", getter=name, message=f"{PROFILE}/{name} does not exist")
        return None
    rows = read_sqlite_rows(local, query)
    if rows is None:
        env.note("getter_error", getter=name, message=f"{name} is not a readable SQLite file")
    return rows


async def get_cookie_data(env: EvalEnv, config: dict[str, Any]) -> list[Any] | None:
    """Every row of the profile's `cookies` table (host_key is the second column), the file
    copied to `dest`; None when there is no cookie store."""
    return await _profile_rows(env, "Cookies", config["dest"], "SELECT * FROM cookies")


async def get_history(env: EvalEnv, config: dict[str, Any]) -> list[Any] | None:
    """(url, title, last_visit_time) of every row of the profile's `urls` table, the History file
    copied to `dest`; None when there is no history store."""
    query = "SELECT url, title, last_visit_time FROM urls"
    return await _profile_rows(env, "History", config["dest"], query)


async def get_profile_name(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """The profile's name (Preferences profile.name)."""
    data = await _profile_json(env, "Preferences")
    return data.get("profile", {}).get("name") if isinstance(data, dict) else None


def startup_is_new_tab_page(preferences: dict[str, Any]) -> str:
    """Whether Chrome starts on the New Tab page ("true"/"false"): no `session` settings at all
    (a fresh profile), or session.restore_on_startup 5."""
    if "session" not in preferences:
        return "true"
    return "true" if preferences["session"].get("restore_on_startup") == 5 else "false"


async def get_new_startup_page(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """Whether Chrome opens the New Tab page at startup, "true" or "false" (see
    startup_is_new_tab_page); None without a Preferences file."""
    data = await _profile_json(env, "Preferences")
    return startup_is_new_tab_page(data) if isinstance(data, dict) else None


def content_settings_changed(preferences: dict[str, Any]) -> str:
    """Whether profile.default_content_setting_values holds a setting ("true"), as upstream checks
    (turning on "delete data when all windows close" writes `cookies: 4` there). Chromium's own
    bookkeeping flags (`has_migrated_*`, present in a fresh profile of recent versions) do not
    count, or the check would pass without the agent doing anything."""
    values = preferences.get("profile", {}).get("default_content_setting_values")
    if not isinstance(values, dict):
        return "false"
    settings = [key for key in values if not key.startswith("has_migrated")]
    return "true" if settings else "false"


async def get_data_delete_automacally(env: EvalEnv, config: dict[str, Any]) -> str | None:
    """Whether site data are deleted automatically, "true" or "false" (see
    content_settings_changed); the misspelt name is upstream's."""
    data = await _profile_json(env, "Preferences")
    return content_settings_changed(data) if isinstance(data, dict) else None


def extension_settings(*preferences: Any) -> dict[str, dict[str, Any]]:
    """extensions.settings merged from Preferences and Secure Preferences (Chrome keeps some
    extensions' entries in the latter)."""
    merged: dict[str, dict[str, Any]] = {}
    for data in preferences:
        if isinstance(data, dict):
            for ext_id, entry in data.get("extensions", {}).get("settings", {}).items():
                if isinstance(entry, dict):
                    merged.setdefault(ext_id, {}).update(entry)
    return merged


async def _extension_settings(env: EvalEnv) -> dict[str, dict[str, Any]]:
    preferences = await _profile_json(env, "Preferences")
    secure = await _profile_json(env, "Secure Preferences")
    return extension_settings(preferences, secure)


async def get_find_unpacked_extension_path(env: EvalEnv, config: dict[str, Any]) -> list[str]:
    """The folders of all extensions known to the profile (an unpacked one is loaded from its own
    folder, e.g. /home/user/Desktop/helloExtension)."""
    settings = await _extension_settings(env)
    return [entry["path"] for entry in settings.values() if entry.get("path")]


def _manifest_path(path: str) -> str:
    """Where an extension's manifest.json is: store-installed paths are relative to the
    profile's Extensions folder, unpacked ones absolute."""
    folder = path if path.startswith("/") else f"{PROFILE}/Extensions/{path}"
    return f"{folder}/manifest.json"


async def _manifest_name(env: EvalEnv, entry: dict[str, Any]) -> str | None:
    manifest = entry.get("manifest")
    if isinstance(manifest, dict) and manifest.get("name"):
        return str(manifest["name"])
    if not entry.get("path"):
        return None
    data = await env.controller.get_file(_manifest_path(entry["path"]))
    try:
        name = json.loads(data.decode("utf-8-sig")).get("name") if data else None
    except (ValueError, AttributeError):
        return None
    return str(name) if name else None


async def get_find_installed_extension_name(env: EvalEnv, config: dict[str, Any]) -> list[str]:
    """The manifest names of the profile's extensions (from Preferences, or the extension's
    manifest.json when Preferences does not carry it)."""
    names = []
    for entry in (await _extension_settings(env)).values():
        name = await _manifest_name(env, entry)
        if name:
            names.append(name)
    return names


def _comma_pair(parts: list[str]) -> dict[str, Any]:
    """Macy's filters: the first two neighbouring path parts that both hold commas are filter
    names and their values; discount ranges are '|'-separated lists."""
    filters: dict[str, Any] = {}
    for names, values in pairwise(parts):
        if "," in names and "," in values:
            for key, value in zip(names.split(","), values.split(","), strict=False):
                key, value = key.strip(), value.strip()
                if key == "Price_discount_range":
                    filters[key] = [v.strip() for v in value.split("|")] if value else None
                else:
                    filters[key] = value or None
            break
    return filters


FIFTY = "50_PERCENT_ off & more"


def _discount(ranges: list[str] | None) -> str:
    lower = {"30_PERCENT_ off & more", "20_PERCENT_ off & more"}
    if ranges and FIFTY in ranges and not lower & set(ranges):
        return FIFTY
    return f"not_{FIFTY}"


def parse_macys_url(url: str, parse_keys: Iterable[str]) -> dict[str, Any]:
    """Macy's product-listing URL as upstream reads it: `mens_clothing`, `shirts` and
    `short_sleeve` flags (True or None), and each of `parse_keys` found among the filters
    (Price_discount_range as FIFTY or "not_" + FIFTY)."""
    path = unquote(urlparse(url).path)
    filters = _comma_pair(path.strip("/").split("/"))
    shirts = "shirts" in path or filters.get("Product_department") in {"shirts", "Shirts", "Shirt"}
    short = "short-sleeve" in path or filters.get("Sleeve_length") in {
        "short-sleeve",
        "Short Sleeve",
    }
    for key in ("Men_regular_size_t", "Price_discount_range"):
        filters.setdefault(key, None)
    result: dict[str, Any] = {
        "mens_clothing": True if "mens-clothing" in path else None,
        "shirts": True if shirts else None,
        "short_sleeve": True if short else None,
    }
    for key in parse_keys:
        if key in filters:
            value = filters[key]
            result[key] = _discount(value) if key == "Price_discount_range" else value
    return result


async def get_url_path_parse(env: EvalEnv, config: dict[str, Any]) -> dict[str, Any] | None:
    """The active tab's Macy's URL parsed by parse_macys_url (None without a browser)."""
    url = await get_active_url_from_accessTree(env, config)
    return parse_macys_url(url, config.get("parse_keys", [])) if url else None


VIDEO_TYPES = (
    "3gp 3gpp 3gpp2 avi divx dv fli flv mp2t mp4 mp4v-es mpeg mpeg-system msvideo ogg quicktime "
    "vnd.divx vnd.mpegurl vnd.rn-realvideo webm x-anim x-avi x-flc x-fli x-flv x-m4v x-matroska "
    "x-mpeg x-mpeg-system x-mpeg2 x-ms-asf x-ms-asf-plugin x-ms-asx x-ms-wm x-ms-wmv x-ms-wmx "
    "x-ms-wvx x-msvideo x-nsv x-ogm x-ogm+ogg x-theora x-theora+ogg"
).split()


def most_common_app(lines: Iterable[str]) -> str:
    """The desktop file named most often (first named wins a tie); 'unknown' for none."""
    apps = [line.strip() for line in lines if line.strip()]
    return Counter(apps).most_common(1)[0][0] if apps else "unknown"


async def get_default_video_player(env: EvalEnv, config: dict[str, Any]) -> str:
    """The default application of the video/* types (`xdg-mime query default`), the most common
    answer, e.g. 'vlc.desktop'; 'unknown' when none is set."""
    script = 'for t in "$@"; do xdg-mime query default "video/$t"; echo; done'
    result = await env.controller.execute(["sh", "-c", script, "sh", *VIDEO_TYPES], timeout=60)
    return most_common_app((result.get("output") or "").splitlines())


GETTERS = {
    name[4:]: fn for name, fn in dict(globals()).items() if name.startswith("get_") and callable(fn)
}
GETTERS.pop("vm_file", None)
GETTERS.pop("active_url_from_accessTree", None)
