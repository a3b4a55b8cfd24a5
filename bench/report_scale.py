"""HTML report at scale: a synthetic 20,000-episode run, its report built and opened in chromium.

The store is written directly through `Store.record` (small transcripts: a command, a model
call, the verdict; some errors with a traceback; failure classes; subsets). Then the report is
built from `load_run` (timed), and opened in Debian's chromium through Playwright: time to
first paint, then the episode list is filtered (status = error) and one episode opened.
Goal: build < 10 s.

    uv run python bench/report_scale.py [--episodes 20000] [--no-browser]

The last line is JSON: {"build_s": ..., "html_mb": ..., "first_paint_s": ...} (first_paint_s is
null without a browser), with the filter and open timings beside them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentbench._report import write_html_report
from agentbench._runner.store import Store
from agentbench.api import load_run
from agentbench.metrics import summarise_store
from agentbench.types import EpisodeResult, RunConfig, Score, Usage

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
FAILURES = ("wrong_answer", "timeout", "syntax_error", "runtime_error")


def _episode(i: int) -> tuple[EpisodeResult, list[dict[str, Any]]]:
    """Episode i of the synthetic run: 1 in 20 errors, 2 in 5 fail with a class."""
    sample = f"p{i // 4}"
    usage = Usage(input_tokens=300 + i % 97, output_tokens=40 + i % 13, cost=0.0004)
    events: list[dict[str, Any]] = [
        {"type": "exec", "t": 0.01, "cmd": "python -m pytest -q", "exit_code": i % 2},
        {
            "type": "model",
            "t": 0.2,
            "model": "synthetic",
            "input": [{"count": 1, "last": {"role": "user", "text": f"solve problem {sample}"}}],
            "output": {"role": "assistant", "text": f"def f(x):\n    return x + {i % 7}\n"},
            "usage": usage.model_dump(),
        },
    ]
    common = {"run_id": "scale", "task": "synthetic", "model": "synthetic", "usage": usage}
    base = {"sample_id": sample, "epoch": i % 4, "subset": ("easy", "medium", "hard")[i % 3]}
    if i % 20 == 7:
        tb = 'Traceback (most recent call last):\n  File "x.py", line 1\nOSError: sandbox gone\n'
        events.append(
            {"type": "error", "t": 0.3, "stage": "check", "error": "OSError", "traceback": tb}
        )
        result = EpisodeResult(
            **common, **base, status="error", error="OSError: sandbox gone", error_stage="check"
        )
        return result, events
    passed = i % 5 < 3
    failure = {} if passed else {"failure": FAILURES[i % len(FAILURES)]}
    score = Score.of(passed, "all tests passed" if passed else "1 of 3 tests failed", **failure)
    events.append({"type": "score", "t": 0.4, "value": score.value, "passed": passed})
    return EpisodeResult(**common, **base, score=score, steps=2, duration_s=0.5), events


def build_store(run_dir: Path, episodes: int) -> None:
    """The synthetic run, recorded and finished with its summary."""
    with Store(run_dir) as store:
        store.create_run("scale", RunConfig(task="synthetic", model="synthetic", epochs=4))
        for i in range(episodes):
            store.record(*_episode(i))
        summary = summarise_store(
            store,
            "scale",
            "synthetic",
            "synthetic",
            epochs=4,
            expected=episodes,
            run_dir=str(run_dir),
        )
        store.finish_run("scale", summary)


def open_in_chromium(report: Path) -> dict[str, Any]:
    """First paint, then filter to errors and open one episode; the timings."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t0 = time.perf_counter()
            page.goto(report.as_uri(), wait_until="load", timeout=120_000)
            load_s = time.perf_counter() - t0
            paint = page.evaluate(
                "() => performance.getEntriesByType('paint').map(e => [e.name, e.startTime])"
            )
            first_paint = dict(paint).get("first-paint") or dict(paint).get(
                "first-contentful-paint"
            )
            rows = page.locator("#episode-body tr")
            assert rows.count() == 100, rows.count()  # one page of the list
            t1 = time.perf_counter()
            page.select_option("#f-status", "error")
            errors = page.locator("#count").inner_text()
            filter_s = time.perf_counter() - t1
            t2 = time.perf_counter()
            rows.first.click()
            text = page.locator("#detail").inner_text()
            open_s = time.perf_counter() - t2
            assert "OSError: sandbox gone" in text and "Traceback" in text, text[:500]
        finally:
            browser.close()
    return {
        "first_paint_s": round(first_paint / 1000, 3) if first_paint else None,
        "load_s": round(load_s, 3),
        "filter_s": round(filter_s, 3),
        "filtered": errors,
        "open_s": round(open_s, 3),
    }


def main(episodes: int, browser: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "scale"
        t0 = time.perf_counter()
        build_store(run_dir, episodes)
        print(f"store of {episodes:,} episodes: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        t1 = time.perf_counter()
        summary, results = load_run(run_dir)
        with results:
            report = write_html_report(summary, results, Path(tmp) / "report.html")
        build_s = time.perf_counter() - t1
        figures: dict[str, Any] = {
            "build_s": round(build_s, 3),
            "html_mb": round(report.stat().st_size / 1e6, 2),
            "first_paint_s": None,
        }
        if browser:
            figures.update(open_in_chromium(report))
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--no-browser", action="store_true", help="build only")
    args = parser.parse_args()
    result = main(args.episodes, not args.no_browser)
    print(json.dumps(result))
