"""Chrome profile and web-page getters, update_browse_history, and the web/multi-app metrics.

The desktop is a small stand-in that serves files from a dict and answers commands from a
function; the page driver and the History bootstrap also run against a real local Chromium when
one is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from agentbench_osworld import getters_web, setup_chrome
from agentbench_osworld.getters import EvalEnv, getter
from agentbench_osworld.getters_chrome import PROFILE
from agentbench_osworld.metrics import METRICS
from agentbench_osworld.setup import SetupEnv, SetupError, run_steps

UPSTREAM = Path("/work/shared/upstream/osworld/all")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no local Chromium")


class Desktop:
    """Files from `files` (path -> bytes), command answers from `answer(command, input)`,
    `cdp` calls from a fixed tab list; written files kept in `written`."""

    def __init__(self, files=None, answer=None, tabs=()) -> None:
        self.files: dict[str, bytes] = dict(files or {})
        self.answer = answer or (lambda command, input: ("", "", 0))
        self.tabs = list(tabs)
        self.written: dict[str, bytes] = {}
        self.commands: list[Any] = []

    async def get_file(self, path):
        return self.files.get(path)

    async def write_file(self, path, data):
        self.written[path] = data

    async def execute(self, command, shell=False, timeout=120, input=None):
        self.commands.append(command)
        out, err, code = self.answer(command, input)
        return {"status": "success", "output": out, "error": err, "returncode": code}

    async def call(self, command, args=None, timeout=120):
        assert command == "cdp"
        return {"status": "success", "tabs": self.tabs}


def sqlite_bytes(path: Path, script: str) -> bytes:
    with closing(sqlite3.connect(str(path))) as db:
        db.executescript(script)
        db.commit()
    return path.read_bytes()


HISTORY_SCHEMA = """
CREATE TABLE meta(key LONGVARCHAR NOT NULL UNIQUE PRIMARY KEY, value LONGVARCHAR);
CREATE TABLE urls(id INTEGER PRIMARY KEY AUTOINCREMENT, url LONGVARCHAR, title LONGVARCHAR,
  visit_count INTEGER DEFAULT 0 NOT NULL, typed_count INTEGER DEFAULT 0 NOT NULL,
  last_visit_time INTEGER NOT NULL, hidden INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE visits(id INTEGER PRIMARY KEY AUTOINCREMENT, url INTEGER NOT NULL,
  visit_time INTEGER NOT NULL, from_visit INTEGER, transition INTEGER DEFAULT 0 NOT NULL,
  segment_id INTEGER, visit_duration INTEGER DEFAULT 0 NOT NULL);
CREATE TABLE segments(id INTEGER PRIMARY KEY, name VARCHAR, url_id INTEGER NON NULL);
INSERT INTO meta VALUES ('version', '70');
"""


def history_db(tmp_path: Path, urls: list[str], name: str = "History") -> bytes:
    rows = "".join(
        f"INSERT INTO urls (url, title, last_visit_time) VALUES ('{u}', 't', 1);" for u in urls
    )
    return sqlite_bytes(tmp_path / name, HISTORY_SCHEMA + rows)


def cookies_db(tmp_path: Path, hosts: list[str]) -> bytes:
    script = "CREATE TABLE cookies(creation_utc INTEGER, host_key TEXT, name TEXT, value TEXT);"
    script += "".join(f"INSERT INTO cookies VALUES (1, '{h}', 'session', 'x');" for h in hosts)
    return sqlite_bytes(tmp_path / "Cookies-src", script)


def prefs(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()


# --- metrics ----------------------------------------------------------------------------------


def test_match_in_list():
    rule = {"expected": ["Microsoft Bing", "Bing"]}
    assert METRICS["match_in_list"]("Bing", rule) == 1.0
    assert METRICS["match_in_list"]("Google", rule) == 0.0


async def test_history_getter_and_check_history_deleted(tmp_path):
    rule = {"type": "keywords", "keywords": ["youtube"]}
    desktop = Desktop(
        {f"{PROFILE}/History": history_db(tmp_path, ["https://www.youtube.com/watch?v=1"])}
    )
    rows = await getter("history")(EvalEnv(desktop, tmp_path), {"dest": "history.sqlite"})  # type: ignore[arg-type]
    assert rows == [("https://www.youtube.com/watch?v=1", "t", 1)]
    assert (tmp_path / "history.sqlite").is_file()
    assert METRICS["check_history_deleted"](rows, rule) == 0.0
    kept = [("https://www.nytimes.com/", "t", 1), ("https://www.bbc.co.uk/", "t", 2)]
    assert METRICS["check_history_deleted"](kept, rule) == 1.0
    assert METRICS["check_history_deleted"](None, rule) == 0.0
    with pytest.raises(ValueError, match="not supported"):
        METRICS["check_history_deleted"](kept, {"type": "urls"})


async def test_cookie_data_and_is_cookie_deleted(tmp_path):
    rule = {"type": "domains", "domains": [".amazon.com"]}
    desktop = Desktop({f"{PROFILE}/Cookies": cookies_db(tmp_path, [".amazon.com", ".bbc.com"])})
    env = EvalEnv(desktop, tmp_path)  # type: ignore[arg-type]
    cookies = await getter("cookie_data")(env, {"dest": "Cookies"})
    assert [row[1] for row in cookies] == [".amazon.com", ".bbc.com"]
    assert METRICS["is_cookie_deleted"](cookies, rule) == 0.0
    assert METRICS["is_cookie_deleted"]([row for row in cookies if "bbc" in row[1]], rule) == 1.0
    assert METRICS["is_cookie_deleted"](None, rule) == 0.0
    assert await getter("cookie_data")(EvalEnv(Desktop(), tmp_path), {"dest": "C"}) is None  # type: ignore[arg-type]


def test_compare_htmls(tmp_path):
    page = (
        "<html><body><table><tr><td sdnum='1033;0;0.00' class='a  b'>1.50</td>"
        "<td>x</td></tr></table><!-- made by Calc --></body></html>"
    )
    gold = tmp_path / "gold.html"
    gold.write_text(page)
    same = tmp_path / "same.html"
    same.write_text(page.replace("class='a  b'", "class='a b'"))
    changed = tmp_path / "changed.html"
    changed.write_text(page.replace("1.50", "1.5"))
    sdnum = tmp_path / "sdnum.html"
    sdnum.write_text(page.replace("1033;0;0.00", "1033;0;0.0"))
    compare = METRICS["compare_htmls"]
    assert compare(str(same), str(gold)) == 1.0
    assert compare(str(changed), str(gold)) == 0.0
    assert compare(str(sdnum), str(gold)) == 0.0
    assert compare(str(sdnum), str(gold), ignore_sdnum=True) == 1.0
    assert compare(None, str(gold)) == 0.0


MESSAGE = (
    "From - Mon Jan 01 00:00:00 2024\nX-Mozilla-Status: {status}\nX-Mozilla-Keys: \n"
    "MIME-Version: 1.0\nSubject: {subject}\n\nbody of {subject}\n"
)


def mbox(path: Path, *messages: tuple[str, str]) -> str:
    path.write_text("".join(MESSAGE.format(subject=s, status=st) for s, st in messages))
    return str(path)


def test_check_thunderbird_folder(tmp_path):
    check = METRICS["check_thunderbird_folder"]
    gold = mbox(tmp_path / "gold", ("Invoice", "0001"), ("Receipt", "0001"))
    reordered = mbox(tmp_path / "a", ("Receipt", "0001"), ("Invoice", "0001"), ("Old", "0009"))
    missing = mbox(tmp_path / "b", ("Invoice", "0001"))
    status = mbox(tmp_path / "c", ("Invoice", "0000"), ("Receipt", "0001"))
    options = {"remove_deleted": True, "remove_duplicate": True}
    assert check(reordered, gold, **options) == 1.0
    assert check(reordered, gold, remove_deleted=False) == 0.0
    assert check(missing, gold, **options) == 0.0
    assert check(status, gold) == 0.0
    assert check(status, gold, ignore_status=True) == 1.0
    assert check([reordered, gold], [gold, gold], **options) == 1.0
    assert check([reordered, None], [gold, gold], **options) == 0.0


def test_compare_config(tmp_path):
    compare = METRICS["compare_config"]
    text = tmp_path / "OpenProject.txt"
    text.write_text("project")
    assert compare(str(text), {"expected": "project"}) == 1.0
    assert compare(str(text), {"expected": "other"}) == 0.0
    settings = tmp_path / "settings.json"
    settings.write_text(
        '{\n    "editor.fontSize": 14,\n    "workbench.colorTheme": "Visual Studio Dark"\n}'
    )
    rule = {"expected": '{"workbench.colorTheme": "Visual Studio Dark"}\n'}
    assert compare(str(settings), rule) == 0.0
    assert compare(str(settings), rule, containment_ok=True) == 1.0
    light = {"expected": '{"workbench.colorTheme": "Default Light Modern"}\n'}
    assert compare(str(settings), light, containment_ok=True) == 0.0
    assert compare(None, rule) == 0.0


# --- profile getters --------------------------------------------------------------------------


async def run_getter(name: str, files: dict[str, bytes], tmp_path: Path, config=None) -> Any:
    env = EvalEnv(Desktop(files), tmp_path)  # type: ignore[arg-type]
    return await getter(name)(env, config or {})


async def test_preferences_getters(tmp_path):
    path = f"{PROFILE}/Preferences"
    fresh = {"profile": {"name": "Your Chromium", "default_content_setting_values": {}}}
    fresh["profile"]["default_content_setting_values"]["has_migrated_local_network_access"] = True
    assert await run_getter("profile_name", {path: prefs(fresh)}, tmp_path) == "Your Chromium"
    assert await run_getter("new_startup_page", {path: prefs(fresh)}, tmp_path) == "true"
    assert await run_getter("data_delete_automacally", {path: prefs(fresh)}, tmp_path) == "false"
    changed = {
        "profile": {"name": "Thomas", "default_content_setting_values": {"cookies": 4}},
        "session": {"restore_on_startup": 4, "startup_urls": ["http://funbrain.com/"]},
    }
    assert await run_getter("profile_name", {path: prefs(changed)}, tmp_path) == "Thomas"
    assert await run_getter("new_startup_page", {path: prefs(changed)}, tmp_path) == "false"
    assert await run_getter("data_delete_automacally", {path: prefs(changed)}, tmp_path) == "true"
    changed["session"]["restore_on_startup"] = 5
    assert await run_getter("new_startup_page", {path: prefs(changed)}, tmp_path) == "true"
    assert await run_getter("profile_name", {}, tmp_path) is None


async def test_extension_getters_read_both_preference_files(tmp_path):
    store_id, unpacked_id = "a" * 32, "b" * 32
    files = {
        f"{PROFILE}/Preferences": prefs(
            {
                "extensions": {
                    "settings": {
                        "pdf": {
                            "path": "/usr/lib/chromium/resources/pdf",
                            "manifest": {"name": "Chromium PDF Viewer"},
                        }
                    }
                }
            }
        ),
        f"{PROFILE}/Secure Preferences": prefs(
            {
                "extensions": {
                    "settings": {
                        store_id: {"path": f"{store_id}/1.0_0"},
                        unpacked_id: {
                            "path": "/home/user/Desktop/helloExtension",
                            "manifest": {"name": "Hello Extensions"},
                        },
                    }
                }
            }
        ),
        f"{PROFILE}/Extensions/{store_id}/1.0_0/manifest.json": b'{"name": "Momentum"}',
    }
    paths = await run_getter("find_unpacked_extension_path", files, tmp_path)
    assert "/home/user/Desktop/helloExtension" in paths
    rule = {"expected": "/home/user/Desktop/helloExtension"}
    assert METRICS["is_in_list"](paths, rule) == 1.0
    names = await run_getter("find_installed_extension_name", files, tmp_path)
    assert sorted(names) == ["Chromium PDF Viewer", "Hello Extensions", "Momentum"]
    expected = {"expected": ["Momentum", "Hello Extensions"]}
    assert METRICS["is_expected_installed_extensions"](names, expected) == 1.0
    assert METRICS["is_expected_installed_extensions"](names[:1], expected) == 0.0


MACYS = (
    "https://www.macys.com/shop/mens-clothing/mens-shirts/"
    "Men_regular_size_t,Price_discount_range,Sleeve_length/"
    "L,50_PERCENT_%20off%20%26%20more,Short%20Sleeve?id=20627"
)


async def test_url_path_parse_reads_macys_filters(tmp_path):
    task = json.loads((UPSTREAM / "chrome/2888b4e6-5b47-4b57-8bf5-c73827890774.json").read_text())
    config, rule = task["evaluator"]["result"], task["evaluator"]["expected"]["rules"]
    env = EvalEnv(Desktop(tabs=[{"type": "page", "url": MACYS}]), tmp_path)  # type: ignore[arg-type]
    parsed = await getter("url_path_parse")(env, config)
    assert parsed["Price_discount_range"] == "50_PERCENT_ off & more"
    assert METRICS["check_direct_json_object"](parsed, rule) == 1.0
    wider = MACYS.replace("50_PERCENT_", "30_PERCENT_%20off%20%26%20more|50_PERCENT_")
    env = EvalEnv(Desktop(tabs=[{"type": "page", "url": wider}]), tmp_path)  # type: ignore[arg-type]
    parsed = await getter("url_path_parse")(env, config)
    assert parsed["Price_discount_range"] == "not_50_PERCENT_ off & more"
    assert METRICS["check_direct_json_object"](parsed, rule) == 0.0


async def test_default_video_player_is_the_most_common_answer(tmp_path):
    answers = "vlc.desktop\n\nvlc.desktop\ntotem.desktop\n\n"
    env = EvalEnv(Desktop(answer=lambda c, i: (answers, "", 0)), tmp_path)  # type: ignore[arg-type]
    assert await getter("default_video_player")(env, {}) == "vlc.desktop"
    assert "video/$t" in env.controller.commands[0][2]  # type: ignore[attr-defined]
    env = EvalEnv(Desktop(answer=lambda c, i: ("\n\n", "", 0)), tmp_path)  # type: ignore[arg-type]
    assert await getter("default_video_player")(env, {}) == "unknown"


# --- web-page getters (the driver's answers) --------------------------------------------------


def driver_answering(results=None, message=None):
    """A desktop whose page driver answers with `results`, or fails with `message`."""
    jobs: list[dict[str, Any]] = []

    def answer(command, input):
        assert command[:2] == ["python3", "-c"] and "def run(job" in command[2]
        jobs.append(json.loads(input))
        if message is not None:
            return json.dumps({"status": "error", "message": message, "step": 0}), "", 0
        return json.dumps({"status": "success", "results": results}), "", 0

    desktop = Desktop(answer=answer)
    desktop.jobs = jobs  # type: ignore[attr-defined]
    return desktop


def test_driver_answers_are_parsed_and_errors_raised():
    answer = getters_web.parse_driver_answer('noise\n{"status": "success", "results": [1]}\n')
    assert answer["results"] == [1]
    with pytest.raises(getters_web.PageError, match="ERR_NAME_NOT_RESOLVED"):
        getters_web.parse_driver_answer(
            '{"status": "error", "step": 0, "message": "net::ERR_NAME_NOT_RESOLVED"}'
        )
    with pytest.raises(getters_web.PageError, match="no answer"):
        getters_web.parse_driver_answer("Traceback ...")


async def test_page_info(tmp_path):
    page = {"url": "https://store.steampowered.com/cart/", "title": "Cart", "content": "<p>x"}
    env = EvalEnv(driver_answering([{"url": page["url"], "title": "Cart"}, page]), tmp_path)  # type: ignore[arg-type]
    info = await getter("page_info")(env, {"url": page["url"]})
    assert info == page
    assert env.controller.jobs[0]["ops"][0] == {"op": "goto", "url": page["url"]}  # type: ignore[attr-defined]
    events: list[Any] = []
    env = EvalEnv(driver_answering(message="net::ERR_NAME_NOT_RESOLVED"), tmp_path)  # type: ignore[arg-type]
    env.log = lambda kind, **data: events.append((kind, data))
    info = await getter("page_info")(env, {"url": page["url"]})
    assert info == {"title": "Connection failed", "url": page["url"], "content": ""}
    assert "ERR_NAME_NOT_RESOLVED" in events[0][1]["message"]


async def test_info_from_website_reads_each_entry_or_gives_the_backups(tmp_path):
    task = json.loads(
        (UPSTREAM / "multi_apps/5990457f-2adb-467b-a4af-5c857c92d762.json").read_text()
    )
    config = task["evaluator"]["expected"]
    ops = [op for info in config["infos"] for op in getters_web.website_info_ops("u", info)]
    last = {
        i
        for i, op in enumerate(ops)
        if op["op"] == "eval" and (i + 1 == len(ops) or ops[i + 1]["op"] == "goto")
    }
    results = [f"value {i}" if i in last else None for i in range(len(ops))]
    env = EvalEnv(driver_answering(results), tmp_path)  # type: ignore[arg-type]
    values = await getter("info_from_website")(env, config)
    assert values == [f"value {i}" for i in sorted(last)]
    assert len(values) == len(config["infos"])
    clicks = [op for op in env.controller.jobs[0]["ops"] if op["op"] == "click"]  # type: ignore[attr-defined]
    assert clicks == [{"op": "click", "selector": "#gsc_a_b > tr:nth-child(1) > td.gsc_a_t > a"}]
    env = EvalEnv(driver_answering(message="net::ERR_NAME_NOT_RESOLVED"), tmp_path)  # type: ignore[arg-type]
    assert await getter("info_from_website")(env, config) == config["backups"]


async def test_pdf_from_url_copies_the_printed_file_or_leaves_an_empty_pdf(tmp_path):
    config = {"path": "https://lilianweng.github.io/posts/2023-06-23-agent/", "dest": "gold.pdf"}
    desktop = driver_answering([{}, None, {"path": "/tmp/agentbench-pdf/gold.pdf"}])
    desktop.files["/tmp/agentbench-pdf/gold.pdf"] = b"%PDF-1.7 printed"
    local = await getter("pdf_from_url")(EvalEnv(desktop, tmp_path), config)  # type: ignore[arg-type]
    assert Path(local).read_bytes() == b"%PDF-1.7 printed"
    pdf_op = desktop.jobs[0]["ops"][-1]  # type: ignore[attr-defined]
    assert pdf_op == {"op": "pdf", "path": "/tmp/agentbench-pdf/gold.pdf"}
    desktop = driver_answering(message="net::ERR_NAME_NOT_RESOLVED")
    local = await getter("pdf_from_url")(EvalEnv(desktop, tmp_path), config)  # type: ignore[arg-type]
    assert Path(local).read_bytes() == b"%PDF-1.4\n%EOF\n"


async def test_recreation_page_gives_the_class_text_or_the_failure_marker(tmp_path):
    config = {"selector": "class", "class": "camp-sortable-column-header", "order": "2"}
    steps = len(getters_web.recreation_ops(config))
    env = EvalEnv(driver_answering([None] * (steps - 1) + ["Next Available"]), tmp_path)  # type: ignore[arg-type]
    got = await getter("gotoRecreationPage_and_get_html_content")(env, config)
    assert got == {"expected": {"camp-sortable-column-header": "Next Available"}}
    rule = {"expected": {"camp-sortable-column-header": "Next Available"}}
    assert METRICS["check_direct_json_object"](got["expected"], rule) == 1.0
    env = EvalEnv(driver_answering(message="net::ERR_NAME_NOT_RESOLVED"), tmp_path)  # type: ignore[arg-type]
    got = await getter("gotoRecreationPage_and_get_html_content")(env, config)
    assert got["expected"]["error"] == "__EVALUATION_FAILED__"
    assert "ERR_NAME_NOT_RESOLVED" in got["expected"]["error_message"]


async def test_appearance_mode_from_the_settings_page_or_preferences(tmp_path):
    env = EvalEnv(driver_answering([{}, None, "light"]), tmp_path)  # type: ignore[arg-type]
    assert await getter("chrome_appearance_mode_ui")(env, {}) == "light"
    assert env.controller.jobs[0]["ops"][0]["url"] == "chrome://settings/appearance"  # type: ignore[attr-defined]
    desktop = driver_answering(message="Chrome's remote debugging does not answer")
    dark = {"browser": {"theme": {"color_scheme": 2, "color_scheme2": 2}}}
    desktop.files[f"{PROFILE}/Preferences"] = prefs(dark)
    assert await getter("chrome_appearance_mode_ui")(EvalEnv(desktop, tmp_path), {}) == "dark"  # type: ignore[arg-type]
    assert getters_web.color_scheme_from_preferences({}) == "system"


# --- update_browse_history --------------------------------------------------------------------

TASK_HISTORY = [
    {
        "url": "https://www.youtube.com/watch?v=1",
        "title": "A",
        "visit_time_from_now_in_seconds": 60,
    },
    {"url": "https://www.cnn.com/", "title": "CNN", "visit_time_from_now_in_seconds": 3600},
]


def written_history(desktop: Desktop, tmp_path: Path) -> sqlite3.Connection:
    out = tmp_path / "written.sqlite"
    out.write_bytes(desktop.written[setup_chrome.HISTORY])
    return sqlite3.connect(str(out))


async def test_update_browse_history_empties_chromiums_history_and_adds_the_visits(tmp_path):
    old = history_db(tmp_path, ["https://old.example/"], "profile-History")
    desktop = Desktop({setup_chrome.HISTORY: old}, answer=lambda c, i: ("", "", 0))
    env = SetupEnv(desktop, cache_dir=tmp_path)  # type: ignore[arg-type]
    before = time.time()
    await run_steps(
        [{"type": "update_browse_history", "parameters": {"history": TASK_HISTORY}}], env
    )
    assert desktop.commands[0][:2] == ["sh", "-c"]
    with closing(written_history(desktop, tmp_path)) as db:
        rows = db.execute("SELECT id, url, title, last_visit_time FROM urls").fetchall()
        visits = db.execute("SELECT url, visit_time, transition FROM visits").fetchall()
        assert db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == ("70",)
    assert [r[1:3] for r in rows] == [
        ("https://www.youtube.com/watch?v=1", "A"),
        ("https://www.cnn.com/", "CNN"),
    ]
    assert visits == [(rows[0][0], rows[0][3], 805306368), (rows[1][0], rows[1][3], 805306368)]
    expected = setup_chrome.chrome_time(60, before)
    assert abs(rows[0][3] - expected) < 5_000_000
    assert rows[0][3] - rows[1][3] == pytest.approx(3540 * 1_000_000, abs=5_000_000)


async def test_update_browse_history_prefers_the_assets_copy(tmp_path):
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "history_empty.sqlite").write_bytes(history_db(tmp_path, [], "empty"))
    desktop = Desktop()
    env = SetupEnv(desktop, cache_dir=tmp_path, assets=[assets])  # type: ignore[arg-type]
    await run_steps(
        [{"type": "update_browse_history", "parameters": {"history": TASK_HISTORY}}], env
    )
    assert desktop.commands == []
    with closing(written_history(desktop, tmp_path)) as db:
        assert db.execute("SELECT count(*) FROM urls").fetchone() == (2,)


async def test_update_browse_history_without_chromium_says_how_to_fix_it(tmp_path):
    desktop = Desktop(answer=lambda c, i: ("", "google-chrome: Chromium is not installed", 127))
    env = SetupEnv(desktop, cache_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(SetupError, match=r"history_empty\.sqlite") as error:
        await run_steps([{"type": "update_browse_history", "parameters": {"history": []}}], env)
    assert "Chromium is not installed" in str(error.value)
    assert desktop.written == {}


# --- against a real Chromium ------------------------------------------------------------------


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def chromium(tmp_path):
    """A headless Chromium with remote debugging whose profile asks for the dark mode."""
    assert CHROMIUM is not None
    port, profile = free_port(), tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    dark = {"browser": {"theme": {"color_scheme": 2, "color_scheme2": 2}}}
    (profile / "Default" / "Preferences").write_text(json.dumps(dark))
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    argv += [f"--user-data-dir={profile}", f"--remote-debugging-port={port}", "about:blank"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "Chromium did not start"
            time.sleep(0.3)
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def drive(port: int, ops: list[dict[str, Any]]) -> dict[str, Any]:
    job = {"port": port, "launch": False, "timeout": 20, "ops": ops}
    done = subprocess.run(
        [sys.executable, "-c", getters_web.DRIVER.read_text()],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        timeout=180,
    )
    return json.loads(done.stdout.splitlines()[-1])


@needs_chromium
def test_page_driver_on_a_real_chromium(chromium, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "a.html").write_text(
        "<title>A</title><h1 id='n'>Yann LeCun</h1><input id='q'>"
        "<a id='l' href='b.html'>next</a><a id='p' href='b.html' target='_blank'>pop</a>"
    )
    (site / "b.html").write_text("<title>B</title><div class='x'>one</div><div class='x'>two</div>")
    page = (site / "a.html").as_uri()
    answer = drive(
        chromium,
        [
            {"op": "goto", "url": page},
            {"op": "eval", "expression": getters_web._text_js("#n", None)},
            {"op": "fill", "selector": "#q", "value": "Diamond"},
            {"op": "eval", "expression": "document.querySelector('#q').value"},
            {"op": "click", "selector": "#l"},
            {"op": "html"},
            {"op": "goto", "url": page},
            {"op": "click", "selector": "#p"},
            {"op": "adopt_new_tab"},
            {"op": "eval", "expression": getters_web._CLASS_TEXT_JS % ('"x"', "1")},
            {"op": "pdf", "path": str(tmp_path / "page.pdf")},
            {"op": "goto", "url": "chrome://settings/appearance"},
            {"op": "sleep", "seconds": 2.5},
            {"op": "eval", "expression": getters_web._APPEARANCE_JS},
        ],
    )
    assert answer["status"] == "success", answer
    results = answer["results"]
    assert results[0] == {"url": page, "title": "A"}
    assert results[1] == "Yann LeCun" and results[3] == "Diamond"
    assert results[5]["title"] == "B" and "two" in results[5]["content"]
    assert results[8]["title"] == "B" and results[9] == "two"
    assert (tmp_path / "page.pdf").read_bytes().startswith(b"%PDF")
    assert results[13] == "dark"
    # A click that loads nothing times the wait for a navigation out; the tab stays usable.
    still = [{"op": "goto", "url": page}, {"op": "click", "selector": "#q"}]
    answer = drive(chromium, [*still, {"op": "eval", "expression": "document.title"}])
    assert answer == {"status": "success", "results": [{"url": page, "title": "A"}, True, "A"]}
    failed = drive(chromium, [{"op": "goto", "url": "http://agentbench.invalid/"}])
    assert failed["status"] == "error" and "ERR_NAME_NOT_RESOLVED" in failed["message"]
    with urllib.request.urlopen(f"http://127.0.0.1:{chromium}/json/list") as response:
        tabs = json.load(response)
    assert not any(t["url"].startswith(("file:", "chrome://settings")) for t in tabs)


@needs_chromium
def test_history_bootstrap_and_visits_survive_a_real_chromium(tmp_path):
    profile = tmp_path / "profile"
    shim = tmp_path / "bin" / "google-chrome"
    shim.parent.mkdir()
    shim.write_text(
        f'#!/bin/sh\nexec {CHROMIUM} --user-data-dir={profile} --no-sandbox --no-first-run "$@"\n'
    )
    shim.chmod(0o755)
    history = profile / "Default" / "History"
    env = {**os.environ, "PATH": f"{shim.parent}:{os.environ['PATH']}"}
    subprocess.run(
        ["sh", "-c", setup_chrome._BOOTSTRAP, "sh", str(history)], env=env, check=True, timeout=90
    )
    local = tmp_path / "new.sqlite"
    shutil.copyfile(history, local)
    setup_chrome.empty_history_tables(local)
    setup_chrome.add_history(local, TASK_HISTORY)
    shutil.copyfile(local, history)
    history.with_name("History-journal").unlink(missing_ok=True)
    # Chromium opens the database (migrating nothing, razing nothing) and keeps the visits.
    subprocess.run(
        [
            "sh",
            "-c",
            "google-chrome --headless --disable-gpu about:blank & p=$!; sleep 4; kill $p; wait $p",
        ],
        env=env,
        timeout=60,
    )
    with closing(sqlite3.connect(str(history))) as db:
        urls = [u for (u,) in db.execute("SELECT url FROM urls ORDER BY id")]
    assert urls == [item["url"] for item in TASK_HISTORY]
