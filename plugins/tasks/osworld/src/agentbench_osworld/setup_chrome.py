"""The `update_browse_history` setup step: Chrome's History replaced by an empty one holding the
task's visits.

Upstream downloads an empty History database (OSWorld's file cache), adds a `urls` row and a
`visits` row per item, visited `visit_time_from_now_in_seconds` ago, and uploads it as
~/.config/google-chrome/Default/History. Here that empty database comes from the assets folders
when they hold it; otherwise Chromium makes one: the profile's History (created by a short
headless start when the profile has none) with every table emptied.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import apps

if TYPE_CHECKING:
    from .setup import SetupEnv

# setup.py registers these steps when it loads, so its names are imported where they are used.

PROFILE = "/home/user/.config/google-chrome/Default"
HISTORY = f"{PROFILE}/History"
EMPTY_HISTORY_URL = (
    "https://huggingface.co/datasets/xlangai/ubuntu_osworld_file_cache/resolve/main/chrome/"
    "44ee5668-ecd5-4366-a6ce-c1c9b8d4e938/history_empty.sqlite?download=true"
)
#: Seconds from Chrome's epoch (1601-01-01 UTC) to the Unix epoch.
WINDOWS_EPOCH_OFFSET = 11_644_473_600
#: A link visit that starts a chain and ends it (PAGE_TRANSITION_LINK | CHAIN_START | CHAIN_END),
#: the transition upstream records.
TRANSITION = 805_306_368

# Creates the profile's History with a short headless Chromium start when there is none yet;
# SIGTERM lets Chromium shut down cleanly (no "restore pages" prompt on the next start).
_BOOTSTRAP = """H="$1"
if [ ! -s "$H" ]; then
  google-chrome --headless=new --disable-gpu about:blank >/dev/null 2>&1 &
  pid=$!
  for i in $(seq 60); do [ -s "$H" ] && break; sleep 0.5; done
  sleep 2; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
fi
test -s "$H"
"""


def chrome_time(seconds_ago: float, now: float | None = None) -> int:
    """Chrome's timestamp (microseconds since 1601-01-01 UTC) of `seconds_ago` before `now`."""
    moment = (time.time() if now is None else now) - float(seconds_ago)
    return int((moment + WINDOWS_EPOCH_OFFSET) * 1_000_000)


def empty_history_tables(path: Path) -> None:
    """Delete every row of a History database except its schema version (`meta`)."""
    with closing(sqlite3.connect(str(path))) as db:
        tables = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name != "meta"
        ]
        for table in tables:
            db.execute(f'DELETE FROM "{table}"')
        db.commit()


def add_history(path: Path, history: list[dict[str, Any]], now: float | None = None) -> None:
    """Add one `urls` row and one `visits` row per item ({url, title,
    visit_time_from_now_in_seconds}), as upstream does."""
    with closing(sqlite3.connect(str(path))) as db:
        for item in history:
            stamp = chrome_time(item["visit_time_from_now_in_seconds"], now)
            cursor = db.execute(
                "INSERT INTO urls (url, title, visit_count, typed_count, last_visit_time, hidden)"
                " VALUES (?, ?, 1, 0, ?, 0)",
                (item["url"], item["title"], stamp),
            )
            db.execute(
                "INSERT INTO visits (url, visit_time, from_visit, transition, segment_id,"
                " visit_duration) VALUES (?, ?, 0, ?, 0, 0)",
                (cursor.lastrowid, stamp, TRANSITION),
            )
        db.commit()


async def _history_from_chromium(env: SetupEnv, local: Path) -> None:
    from .setup import SetupError

    result = await env.controller.execute(["sh", "-c", _BOOTSTRAP, "sh", HISTORY], timeout=90)
    data = await env.controller.get_file(HISTORY) if result.get("returncode") == 0 else None
    if not data:
        raise SetupError(
            "update_browse_history: no empty History database in the assets, and Chromium "
            f"could not create one ({(result.get('error') or result.get('output') or '')[-200:]})",
            f"put history_empty.sqlite in the assets folder, or {apps.fix_for(apps.CHROME)}",
        )
    local.write_bytes(data)
    empty_history_tables(local)


async def _empty_history(env: SetupEnv) -> Path:
    """A local empty History database: the assets' copy of upstream's, else Chromium's own."""
    from .setup import SetupError, find_asset

    local = env.cache_dir / "history_new.sqlite"
    local.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(
            find_asset(EMPTY_HISTORY_URL, "history_empty.sqlite", env.assets, env.task_id), local
        )
    except SetupError:
        await _history_from_chromium(env, local)
    return local


async def _update_browse_history(env: SetupEnv, history: list[dict[str, Any]]) -> None:
    from .setup import SetupError

    local = await _empty_history(env)
    try:
        add_history(local, history)
    except (sqlite3.Error, KeyError) as exc:
        raise SetupError(
            f"update_browse_history: cannot add the visits ({exc})",
            "give each item url, title and visit_time_from_now_in_seconds",
        ) from None
    await env.controller.write_file(HISTORY, local.read_bytes())


STEPS = {"update_browse_history": _update_browse_history}
