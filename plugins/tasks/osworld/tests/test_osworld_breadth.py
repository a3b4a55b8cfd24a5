"""The application domains without a desktop: coverage, document/image/settings metrics,
relative dates, per-task assets, online-account steps and missing applications."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from agentbench_osworld.coverage import coverage, missing_names
from agentbench_osworld.data import load_tasks
from agentbench_osworld.getters import EvalEnv, getter
from agentbench_osworld.metrics import METRICS
from agentbench_osworld.relative_time import resolve
from agentbench_osworld.setup import SetupEnv, SetupError, run_steps
from agentbench_osworld.task import OSWorldTask, check_eval_assets

COVERAGE = Path(__file__).parent / "fixtures" / "coverage"


class Desktop:
    """Answers controller calls: `which` from a set of installed programs, windows from a list,
    commands from a dict of (stdout, stderr, exit code)."""

    def __init__(self, installed=(), outputs=None, windows_after_launch=0) -> None:
        self.installed = set(installed)
        self.outputs = outputs or {}
        self.window_lines = ["0x1 0 openbox.Openbox host Desktop"]
        self.new_windows = windows_after_launch
        self.calls: list[Any] = []

    async def call(self, command, args=None, timeout=120):
        self.calls.append((command, args))
        if command == "which":
            found = args["program"] in self.installed
            return {"status": "success", "path": f"/usr/bin/{args['program']}" if found else None}
        return {"status": "error", "message": "not here"}

    async def windows(self):
        return "\n".join(self.window_lines)

    async def launch(self, command, shell=False):
        self.calls.append(("launch", command))
        self.window_lines += ["0x2 0 app.App host App"] * self.new_windows
        return {"status": "success"}

    async def execute(self, command, shell=False, timeout=120, input=None):
        out, err, code = self.outputs.get(
            command if isinstance(command, str) else " ".join(command)
        )
        return {"status": "success", "output": out, "error": err, "returncode": code}


# --- coverage ------------------------------------------------------------------------------


def test_coverage_counts_implemented_tasks_and_names_what_is_missing():
    rows = {r.domain: r for r in coverage(load_tasks(COVERAGE))}
    assert (rows["os"].tasks, rows["os"].covered) == (1, 1)
    assert (rows["chrome"].tasks, rows["chrome"].covered) == (2, 1)
    assert rows["chrome"].missing == {
        "step googledrive": 1,
        "metric made_up_metric": 1,
        "getter made_up_getter": 1,
    }
    # VS Code (code-server) is in the applications image: a task that launches `code` counts
    assert (rows["vs_code"].tasks, rows["vs_code"].covered) == (1, 1)


def test_coverage_command_prints_per_domain_counts_and_reasons():
    result = subprocess.run(
        [sys.executable, "-m", "agentbench", "osworld", "coverage", str(COVERAGE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^chrome +1/2 +tasks fully implemented$", out, re.M)
    assert "missing step googledrive x1  (needs a Google Drive account)" in out
    assert "app code" not in out
    assert re.search(r"^total +3/4 ", out, re.M)


def test_the_issue_list_of_steps_getters_and_metrics_is_implemented():
    task = {
        "config": [{"type": "chrome_open_tabs"}],
        "evaluator": {
            "func": [
                "compare_pptx_files",
                "compare_docx_files",
                "is_expected_url_pattern_match",
                "compare_pdfs",
                "compare_images",
                "check_list",
                "check_json_settings",
                "is_extension_installed",
                "check_thunderbird_prefs",
                "check_config_status",
            ],
            "result": [
                {"type": t}
                for t in (
                    "active_url_from_accessTree",
                    "active_tab_info",
                    "vlc_config",
                    "gimp_config_file",
                    "rule_relativeTime",
                )
            ],
        },
    }
    assert missing_names(task) == []


# --- documents and images ------------------------------------------------------------------


def test_compare_docx_files(tmp_path, docs):
    gold = docs.make_docx(tmp_path / "gold.docx", ["Title", "Body  text"])
    same = docs.make_docx(tmp_path / "same.docx", ["Title", "Body text"])
    other = docs.make_docx(tmp_path / "other.docx", ["Title", "Other text"])
    compare = METRICS["compare_docx_files"]
    assert compare(same, gold) == 1.0  # blanks collapse by default
    assert compare(same, gold, ignore_blanks=False) == 0.0
    assert compare(other, gold) == 0.0
    assert 0.5 < compare(other, gold, fuzzy_match=True) < 1.0
    assert compare(None, gold) == 0.0 and compare(str(tmp_path / "nope.docx"), gold) == 0.0


def test_compare_pptx_files_checks_text_fonts_and_geometry(tmp_path, docs):
    gold = docs.make_pptx(tmp_path / "gold.pptx", ["Plan", "Budget"], size_pt=28)
    compare = METRICS["compare_pptx_files"]
    assert compare(docs.make_pptx(tmp_path / "a.pptx", ["Plan", "Budget"], size_pt=28), gold) == 1.0
    assert (
        compare(docs.make_pptx(tmp_path / "b.pptx", ["Plan", "Budgets"], size_pt=28), gold) == 0.0
    )
    smaller = docs.make_pptx(tmp_path / "c.pptx", ["Plan", "Budget"], size_pt=18)
    assert compare(smaller, gold) == 0.0
    assert compare(smaller, gold, examine_font_size=False) == 1.0
    moved = docs.make_pptx(tmp_path / "d.pptx", ["Plan", "Budget"], size_pt=28, left_cm=5)
    assert compare(moved, gold) == 0.0 and compare(moved, gold, examine_shape=False) == 1.0
    assert compare(docs.make_pptx(tmp_path / "e.pptx", ["Plan"], size_pt=28), gold) == 0.0


def test_compare_pdfs_is_a_text_similarity(tmp_path, docs):
    gold = docs.make_pdf(tmp_path / "gold.pdf", "Quarterly report 2024")
    assert (
        METRICS["compare_pdfs"](docs.make_pdf(tmp_path / "a.pdf", "Quarterly report 2024"), gold)
        == 1
    )
    assert METRICS["compare_pdfs"](docs.make_pdf(tmp_path / "b.pdf", "Something else"), gold) < 0.5
    assert METRICS["compare_pdfs"](None, gold) == 0.0
    assert METRICS["check_pdf_pages"](gold, {"relation": "eq", "ref_value": 1}) == 1.0


def test_compare_images_is_structural_similarity(tmp_path, docs):
    gold = docs.make_png(tmp_path / "gold.png")
    compare = METRICS["compare_images"]
    assert compare(docs.make_png(tmp_path / "same.png"), gold) == pytest.approx(1.0)
    assert compare(docs.make_png(tmp_path / "plain.png", square=False), gold) < 0.9
    assert compare(None, gold) == 0.0


# --- settings files ------------------------------------------------------------------------


def test_settings_metrics(tmp_path):
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"editor.fontSize": 14, "files.autoSave": "afterDelay"}))
    assert METRICS["check_json_settings"](str(settings), {"expected": {"editor.fontSize": 14}})
    assert not METRICS["check_json_settings"](str(settings), {"expected": {"editor.fontSize": 12}})
    prefs = tmp_path / "prefs.js"
    prefs.write_text('user_pref("mail.spam.manualMark", true);\nuser_pref("x.y", 3);\n')
    rule = {"expect": {"mail.spam.manualMark": {"method": "eq", "ref": True}}}
    assert METRICS["check_thunderbird_prefs"](str(prefs), rule) == 1.0
    assert (
        METRICS["check_thunderbird_prefs"](
            str(prefs), {"unexpect": {"x.y": {"method": "eq", "ref": 3}}}
        )
        == 0.0
    )
    listing = tmp_path / "list.txt"
    listing.write_text("alpha 1\nbeta 2\n")
    assert METRICS["check_list"](str(listing), {"expect": ["^alpha", "beta \\d"]}) == 1.0
    assert METRICS["check_list"](str(listing), {"expect": ["alpha"], "unexpect": ["beta"]}) == 0.0
    gimprc = tmp_path / "gimprc"
    gimprc.write_text('# comment\n(theme "Dark")\n(undo-levels 100)\n')
    assert METRICS["check_config_status"](str(gimprc), {"key": "undo-levels", "value": "100"})
    assert METRICS["is_expected_url_pattern_match"](
        {"url": "https://a.org/x/manchester/"}, {"expected": ["/manchester/"]}
    )
    assert METRICS["is_extension_installed"](
        "ms-python.python\n", {"type": "contain", "expected": "ms-python.python"}
    )


def test_relative_times_follow_upstream_day_arithmetic():
    wednesday = datetime(2024, 5, 15, 10, 0)
    rules = {
        "relativeTime": {"from": "next Monday split", "to": "next Friday split"},
        "expected": {
            k: v
            for k, v in [
                ("puDay", "{DayD}"),
                ("puMonth", "{MonthD}"),
                ("puYear", "{Year}"),
                ("doDay", "{DayD}"),
                ("doMonth", "{MonthD}"),
                ("doYear", "{Year}"),
            ]
        },
    }
    filled = resolve(rules, now=wednesday)["expected"]
    assert (filled["puDay"], filled["doDay"], filled["puMonth"]) == ("20", "24", "5")
    month = resolve(
        {"relativeTime": {"from": "this month"}, "expected": {"time": "{month}-weather"}},
        now=wednesday,
    )
    assert month["expected"]["time"] == "may-weather"
    weekend = resolve(
        {
            "relativeTime": {"from": "next Saturday", "to": "next Sunday"},
            "expected": {"from": "{Year}-{Month0D}-{Day0D}", "to": "{DoW} {Month} {DayD}"},
        },
        now=wednesday,
    )["expected"]
    assert (weekend["from"], weekend["to"]) == ("2024-05-18", "Sun May 19")
    assert rules["expected"]["puDay"] == "{DayD}"  # the task's rules are not modified


# --- setup and getters ---------------------------------------------------------------------


async def test_online_account_steps_fail_alone_with_a_clear_message(tmp_path):
    env = SetupEnv(Desktop(), cache_dir=tmp_path)  # type: ignore[arg-type]
    with pytest.raises(SetupError, match="Google Drive account"):
        await run_steps([{"type": "googledrive", "parameters": {"settings_file": "x"}}], env)
    with pytest.raises(SetupError, match="online account login"):
        await run_steps([{"type": "login", "parameters": {"platform": "googledrive"}}], env)


async def test_launch_of_a_missing_application_names_it_and_the_image(tmp_path):
    env = SetupEnv(Desktop(), cache_dir=tmp_path)  # type: ignore[arg-type]
    step = {
        "type": "launch",
        "parameters": {"command": ["google-chrome", "--remote-debugging-port=1337"]},
    }
    with pytest.raises(
        SetupError, match=r"Chromium .* is not installed.*-T image=agentbench/desktop-apps:latest"
    ):
        await run_steps([step], env)
    with pytest.raises(SetupError, match="LibreOffice is not installed"):
        await run_steps([{"type": "open", "parameters": {"path": "/home/user/a.docx"}}], env)
    code = {"type": "launch", "parameters": {"command": "code /home/user/project"}}
    with pytest.raises(
        SetupError, match=r"Visual Studio Code .*not installed.*APPS=vscode installs only"
    ):
        await run_steps([code], env)


async def test_launch_waits_for_a_window_and_fails_without_one(tmp_path):
    step = {"type": "launch", "parameters": {"command": ["gimp", "a.png"]}}
    ok = SetupEnv(Desktop({"gimp"}, windows_after_launch=1), cache_dir=tmp_path, window_wait=5)  # type: ignore[arg-type]
    await run_steps([step], ok)
    none = SetupEnv(Desktop({"gimp"}), cache_dir=tmp_path, window_wait=1)  # type: ignore[arg-type]
    with pytest.raises(SetupError, match=r"no window appeared.*GIMP"):
        await run_steps([step], none)
    socat = {
        "type": "launch",
        "parameters": {"command": "socat tcp-listen:9222,fork tcp:localhost:1337", "shell": True},
    }
    await run_steps([socat], none)  # not a windowed application: no wait


async def test_launch_of_code_waits_for_the_window_titled_like_vs_code(tmp_path):
    """code-server's Chromium window shows before VS Code loads in it (its title is the URL)."""
    step = {"type": "launch", "parameters": {"command": ["code"]}}
    loading = Desktop({"code-server"}, windows_after_launch=1)
    env = SetupEnv(loading, cache_dir=tmp_path, window_wait=1)  # type: ignore[arg-type]
    with pytest.raises(SetupError, match=r"no window appeared.*Visual Studio Code"):
        await run_steps([step], env)

    class Loaded(Desktop):
        async def launch(self, command, shell=False):
            self.window_lines.append("0x3 0 127.0.0.1.Code host Welcome - Visual Studio Code")
            return {"status": "success"}

    env = SetupEnv(Loaded({"code-server"}), cache_dir=tmp_path, window_wait=5)  # type: ignore[arg-type]
    await run_steps([step], env)


async def test_command_getters_put_exit_code_and_stderr_in_the_transcript(tmp_path):
    events: list[tuple[str, dict]] = []
    desktop = Desktop(outputs={"bc -l": ("", "sh: 1: bc: not found\n", 127)})
    env = EvalEnv(desktop, tmp_path, log=lambda kind, **data: events.append((kind, data)))  # type: ignore[arg-type]
    assert await getter("vm_command_line")(env, {"command": "bc -l", "shell": True}) == ""
    kind, data = events[-1]
    assert kind == "getter_command" and data["returncode"] == 127
    assert "bc: not found" in data["stderr"] and "exit 127" in data["warning"]


def test_evaluation_assets_are_checked_before_the_agent_starts(tmp_path):
    task = {
        "evaluator": {
            "func": "compare_docx_files",
            "postconfig": [
                {
                    "type": "download",
                    "parameters": {
                        "files": [
                            {
                                "url": "https://h.co/resolve/main/x/eval.sh",
                                "path": "/home/user/eval.sh",
                            }
                        ]
                    },
                }
            ],
            "expected": {
                "type": "cloud_file",
                "path": "https://h.co/resolve/main/x/gold.docx",
                "dest": "g.docx",
            },
        }
    }
    env = SetupEnv(Desktop(), cache_dir=tmp_path, assets=[tmp_path], task_id="t1")  # type: ignore[arg-type]
    with pytest.raises(SetupError, match=r"DIR/t1/eval\.sh; DIR/t1/gold\.docx") as caught:
        check_eval_assets(task, env)
    assert "eval.sh" in caught.value.message and "gold.docx" in caught.value.message
    (tmp_path / "t1").mkdir()
    (tmp_path / "t1" / "eval.sh").write_text("echo")
    (tmp_path / "t1" / "gold.docx").write_text("x")
    check_eval_assets(task, env)  # the per-task files are found


def test_sandbox_uses_the_session_bus_address_upstream_exports():
    task = OSWorldTask()
    spec = task.sandbox_spec(task.samples()[0])
    assert spec.env["DBUS_SESSION_BUS_ADDRESS"] == "unix:path=/run/user/1000/bus"


class Browser:
    """Answers `desktopctl cdp` like a browser whose active tab is at `url`."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def call(self, command, args=None, timeout=120):
        assert command == "cdp"
        return {"status": "success", "tabs": [{"type": "page", "url": self.url, "title": "T"}]}


async def test_chrome_url_getters_parse_the_active_tab(tmp_path):
    url = "https://www.example.com/weather/manchester/may-weather?id=7&a=1"
    env = EvalEnv(Browser(url), tmp_path)  # type: ignore[arg-type]
    dash = {"partIndex": -1, "needDeleteId": True, "returnType": "json", "key": "time"}
    assert await getter("url_dashPart")(env, dash) == {"time": "may-weather"}
    parsed = await getter("active_tab_url_parse")(
        env, {"parse_keys": ["id", "a"], "replace": {"a": "b"}}
    )
    assert parsed == {"id": "7", "b": "1"}
    assert await getter("active_url_from_accessTree")(env, {"goto_prefix": "https://www."}) == url
    assert await getter("open_tabs_info")(env, {}) == [{"title": "T", "url": url}]


def test_chrome_metrics_and_archives(tmp_path, docs):
    bookmarks = {
        "bookmark_bar": {
            "children": [
                {
                    "type": "folder",
                    "name": "Liked Authors",
                    "children": [
                        {"type": "url", "url": "https://a.org/1"},
                        {"type": "url", "url": "https://b.org/2"},
                    ],
                },
                {"type": "url", "url": "https://c.org/"},
            ]
        }
    }
    liked = {
        "type": "liked_authors_websites_urls",
        "urls": [["https://x.org", "https://a.org/1"], "https://b.org/2"],
    }
    assert METRICS["is_expected_bookmarks"](bookmarks, liked) == 1.0
    assert (
        METRICS["is_expected_bookmarks"](
            bookmarks, {"type": "bookmark_bar_folders_names", "names": ["Other"]}
        )
        == 0.0
    )
    tabs = [{"url": "https://www.Example.org/"}, {"url": "https://b.org/x"}]
    assert METRICS["is_expected_tabs"](
        tabs, {"type": "url", "urls": ["https://example.org", "https://b.org/x"]}
    )
    assert METRICS["check_font_size"](
        {"default_font_size": 20}, {"type": "range", "min": 16, "max": 24}
    )
    shortcut = {"/home/user/Desktop/a.desktop": "[Desktop Entry]\nName=Gmail\n"}
    assert METRICS["is_shortcut_on_desktop"](shortcut, {"type": "name", "name": "Gmail"}) == 1.0
    import shutil

    for name, texts in (
        ("pred", ["Alpha", "Beta"]),
        ("gold", ["Alpha", "Beta"]),
        ("bad", ["Alpha"]),
    ):
        folder = tmp_path / name / "docs"
        folder.mkdir(parents=True)
        docs.make_docx(folder / "a.docx", texts)
        shutil.make_archive(str(tmp_path / name), "zip", tmp_path / name)
    archive = METRICS["compare_archive"]
    gold = str(tmp_path / "gold.zip")
    assert archive(str(tmp_path / "pred.zip"), gold, file_path="docs", file_type="docx") == 1.0
    assert archive(str(tmp_path / "bad.zip"), gold, file_path="docs", file_type="docx") == 0.0
    rows = tmp_path / "rows.csv"
    rows.write_text("name,city\nAnn,Oslo\n")
    assert METRICS["check_csv"](str(rows), {"expect": [{"name": "Ann", "city": "Oslo"}]}) == 1.0
    keys = tmp_path / "keybindings.json"
    keys.write_text('// comment\n[{"key": "ctrl+j", "command": "x"}]')
    assert METRICS["check_json_keybindings"](
        str(keys), {"expected": {"key": "ctrl+j", "command": "x"}}
    )


def test_vlc_settings_follow_upstream_line_rules(tmp_path):
    rc = tmp_path / "vlcrc"
    rc.write_text("# Minimal view (bool)\n#qt-minimal-view=0\n[core]\n#input-record-path=\n")
    assert METRICS["check_qt_minimal_view"](str(rc), {"expected_qt_minimal_view": 0}) == 1.0
    assert METRICS["check_qt_max_volume"](str(rc), {"expected_qt_max_volume": 125}) == 1.0
    rc.write_text("qt-minimal-view=1\ninput-record-path=/home/user/Desktop\n")
    assert METRICS["check_qt_minimal_view"](str(rc), {"expected_qt_minimal_view": 1}) == 1.0
    rule = {"recording_file_path": "/home/user/Desktop"}
    assert METRICS["is_vlc_recordings_folder"](str(rc), rule) == 1.0
    status = tmp_path / "status.xml"
    status.write_text(
        '<root><state>playing</state><information><category name="meta">'
        '<info name="filename">song.mp3</info></category></information></root>'
    )
    assert METRICS["is_vlc_playing"](str(status), {"type": "file_name", "file_name": "song.mp3"})
    assert METRICS["is_vlc_fullscreen"]({"width": 5, "height": 4}, {"width": 5, "height": 4})


def test_gimp_image_metrics(tmp_path):
    from PIL import Image, ImageDraw, ImageEnhance

    base = Image.new("RGB", (80, 60), (30, 120, 200))
    ImageDraw.Draw(base).rectangle([10, 10, 40, 30], fill=(240, 200, 20))
    base.save(tmp_path / "gold.png")
    ImageEnhance.Brightness(base).enhance(0.6).save(tmp_path / "dark.png")
    base.transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(tmp_path / "mirror.png")
    base.resize((40, 30)).save(tmp_path / "small.png")
    gold, dark = str(tmp_path / "gold.png"), str(tmp_path / "dark.png")
    assert METRICS["check_structure_sim"](gold, gold) == 1.0
    assert METRICS["check_brightness_decrease_and_structure_sim"](dark, gold) == 1.0
    assert METRICS["check_brightness_decrease_and_structure_sim"](gold, dark) == 0.0
    assert METRICS["check_image_mirror"](str(tmp_path / "mirror.png"), gold) == 1.0
    assert METRICS["check_image_mirror"](gold, gold) == 0.0
    assert METRICS["check_structure_sim_resized"](str(tmp_path / "small.png"), gold) == 1.0
    assert METRICS["check_image_size"](str(tmp_path / "small.png"), {"width": 40}) == 1.0
    assert METRICS["compare_image_list"]([gold], [gold]) == 1.0
    assert METRICS["compare_image_list"]([dark], [gold]) == 0.0


def test_more_writer_metrics(tmp_path, docs):
    from docx import Document
    from docx.shared import Inches

    def tabbed(path, position):
        document = Document()
        paragraph = document.add_paragraph("Name\tValue")
        paragraph.paragraph_format.tab_stops.add_tab_stop(Inches(position))
        document.add_paragraph("x").add_run("2").font.subscript = True
        document.save(path)
        return str(path)

    gold = tabbed(tmp_path / "gold.docx", 3)
    assert METRICS["check_tabstops"](tabbed(tmp_path / "same.docx", 3), gold) == 1.0
    assert 0 < METRICS["check_tabstops"](tabbed(tmp_path / "off.docx", 3.5), gold) < 1.0
    assert METRICS["compare_subscript_contains"](gold, gold) == 1.0
    plain = docs.make_docx(tmp_path / "plain.docx", ["Name\tValue", "x2"])
    assert METRICS["compare_subscript_contains"](plain, gold) == 0.0
    three = docs.make_docx(tmp_path / "three.docx", ["1 +", "2"])
    assert METRICS["fuzzy_place_math"](three, {"expected": ["1", "+", "2"]}) == pytest.approx(1.0)
    assert METRICS["compare_docx_images"](plain, gold) == 1.0  # neither has images


def test_accessibility_tree_sqlite_and_json_object_metrics(tmp_path):
    attr = "https://accessibility.ubuntu.example.org/ns/attributes"
    tree = (
        f'<desktop-frame xmlns:attr="{attr}"><application name="Thunderbird">'
        '<tool-bar attr:id="MsgHeadersToolbar"><label name="To">To</label>'
        '<label name="fox@uni.edu" attr:class="pill-label">fox@uni.edu</label></tool-bar>'
        "</application></desktop-frame>"
    )
    check = METRICS["check_accessibility_tree"]
    assert check(tree, [{"selectors": ['tool-bar[attr|id=MsgHeadersToolbar] label[name*="fox@"]']}])
    assert check(tree, [{"xpath": "//application[@name='Thunderbird']//*[contains(@name, 'fox')]"}])
    assert check(tree, [{"xpath": "//label[@name='To']", "text": "To", "exact": True}]) == 1.0
    assert check(tree, [{"xpath": "//label[@name='Cc']"}]) == 0.0
    import sqlite3

    db = tmp_path / "a.sqlite"
    with sqlite3.connect(db) as connection:
        connection.execute("create table t (x)")
        connection.execute("insert into t values (3)")
    assert METRICS["run_sqlite3"](str(db), {"sql": "select count(*) from t where x = 3"}) == 1.0
    direct = METRICS["check_direct_json_object"]
    assert direct("{'a': 'b'}", {"expected": {"a": "b"}}) == 1.0
    rules = {"expected": {"city": "Zur", "tags": ["x", "y"]}, "expect_in_result": True}
    assert direct({"city": "Zurich", "tags": ["y"]}, rules) == 1.0
    assert direct({"city": "Bern", "tags": ["y"]}, rules) == 0.0


def test_thunderbird_filter_rules(tmp_path):
    rules_file = tmp_path / "msgFilterRules.dat"
    rules_file.write_text(
        'version="9"\nlogging="no"\nname="Promos"\nenabled="yes"\ntype="17"\n'
        'action="Move to folder"\nactionValue="mailbox://nobody@Local%20Folders/Promotions"\n'
        'condition="AND (subject,contains,discount)"\n'
    )
    expect = {
        "enabled": "yes",
        "action": "Move to folder",
        "actionValue": "mailbox://nobody@Local%20Folders/Promotions",
        "condition": ["AND (subject,contains,discount)"],
    }
    assert METRICS["check_thunderbird_filter"](str(rules_file), {"expect": [expect]}) == 1.0
    other = {**expect, "condition": ["AND (subject,contains,sale)"]}
    assert METRICS["check_thunderbird_filter"](str(rules_file), {"expect": [other]}) == 0.0


def test_impress_picture_and_presenter_metrics(tmp_path, docs):
    from pptx import Presentation
    from pptx.util import Inches

    picture = docs.make_png(tmp_path / "p.png")

    def deck(path, stretched):
        prs = Presentation()
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        if stretched:
            slide.shapes.add_picture(picture, 0, 0, prs.slide_width, prs.slide_height)
        else:
            slide.shapes.add_picture(picture, Inches(1), Inches(1), Inches(2), Inches(2))
        prs.save(path)
        return str(path)

    original = deck(tmp_path / "orig.pptx", False)
    check = METRICS["check_image_stretch_and_center"]
    assert check(deck(tmp_path / "full.pptx", True), original) == 1.0
    assert check(original, original) == 0.0
    xcu = tmp_path / "registrymodifications.xcu"
    xcu.write_text(
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry">'
        '<item oor:path="/org.openoffice.Office.Impress/Misc/Start">'
        '<prop oor:name="EnablePresenterScreen" oor:op="fuse"><value>false</value></prop>'
        "</item></oor:items>"
    )
    assert METRICS["check_presenter_console_disable"](str(xcu)) == 1.0


async def test_vscode_config_runs_the_extension_command_in_the_window_then_reads_the_file(
    tmp_path,
):
    """As upstream on Linux: enable all extensions, then the command that writes the file."""

    class Code:
        def __init__(self) -> None:
            self.commands: list[Any] = []
            self.written = False

        async def execute(self, command, shell=False, timeout=120, input=None):
            self.commands.append(command)
            if command[0] == "env":  # the keys typed into VS Code's window write the file
                self.written = True
            ok = command[0] != "test" or self.written
            return {"status": "success", "output": "", "error": "", "returncode": 0 if ok else 1}

        async def get_file(self, path):
            return b"project" if self.written and path == "/home/user/OpenProject.txt" else None

    code = Code()
    config = {
        "type": "vscode_config",
        "vscode_extension_command": "OpenProject",
        "path": "/home/user/OpenProject.txt",
        "dest": "OpenProject.txt",
    }
    local = await getter("vscode_config")(EvalEnv(code, tmp_path), config)  # type: ignore[arg-type]
    assert Path(local).read_text() == "project"
    keys = code.commands[0]
    assert keys[:2] == ["env", "VSCODE_COMMAND=OpenProject"]
    script = keys[-1]
    assert "wmctrl -x -a Code" in script
    assert script.index("Enable All Extensions") < script.index('palette "$VSCODE_COMMAND"')
