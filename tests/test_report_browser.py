"""The HTML report in a real browser: Debian's chromium driven by Playwright.

Opens the report of an in-process run, filters the episode list, opens an episode and reads
its transcript, and saves a screenshot. Skipped when chromium or playwright is missing, unless
AGENTBENCH_REQUIRE_BROWSER=1 (CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from test_html_report import EVIL, make_run

from agentbench._report import write_html_report
from agentbench.api import load_run

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = pytest.mark.slow


def _playwright() -> Any:
    """playwright's sync API, or a skip (a failure under AGENTBENCH_REQUIRE_BROWSER=1)."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
        missing.append("the playwright package (pip install playwright)")
    if missing:
        reason = "the browser test needs " + " and ".join(missing)
        if os.environ.get("AGENTBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (AGENTBENCH_REQUIRE_BROWSER=1)")
        pytest.skip(reason)
    return sync_playwright


def _report(tmp_path: Path) -> Path:
    run_dir = asyncio.run(make_run(tmp_path / "runs"))
    summary, results = load_run(run_dir)
    with results:
        return write_html_report(summary, results, tmp_path / "report.html")


def test_report_filters_and_opens_a_transcript_in_chromium(tmp_path: Path) -> None:
    sync_playwright = _playwright()
    report = _report(tmp_path)
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: errors.append("dialog: " + d.message))
            page.goto(report.as_uri())
            rows = page.locator("#episode-body tr")
            assert rows.count() == 7
            assert "7 of 7 episodes" in page.locator("#count").inner_text()

            page.select_option("#f-status", "error")
            assert rows.count() == 1 and "boom on s1" in rows.first.inner_text()
            page.select_option("#f-status", "")
            page.select_option("#f-failure", "wrong_answer")
            assert rows.count() == 2
            page.select_option("#f-failure", "")
            page.fill("#q", "alert(1)")  # model output is searchable, as text
            assert rows.count() == 1
            rows.first.click()
            detail = page.locator("#detail")
            assert detail.is_visible()
            assert EVIL in detail.inner_text()  # shown as text, not run or parsed
            assert page.locator("#detail b").count() == 0
            page.locator("#close").click()

            page.fill("#q", "")
            page.select_option("#f-status", "error")
            rows.first.click()
            text = detail.inner_text()
            assert "error in solve: RuntimeError: boom on s1" in text
            assert "Traceback (most recent call last)" in text
            page.screenshot(path=str(tmp_path / "error-episode.png"))
            page.locator("#close").click()

            page.select_option("#f-status", "")
            page.fill("#q", "s0")
            rows.first.click()
            assert page.locator("#detail .film img").count() == 3
            text = detail.inner_text()
            assert "checker verdict: passed" in text and "$ echo hi" in text
            page.screenshot(path=str(tmp_path / "filmstrip-episode.png"))
        finally:
            browser.close()
    assert errors == []
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
