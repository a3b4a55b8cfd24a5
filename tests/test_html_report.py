"""The HTML report of a real (in-process) run: self-contained, escaped, with its tables, charts,
episode data and screenshots. `make_run` is shared with the browser test."""

from __future__ import annotations

import json
import struct
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import runner_fixtures
from click.testing import CliRunner

from agentbench import EpisodeResult, Sample, Score, hookimpl
from agentbench._report import write_html_report
from agentbench._report.episodes import capped_events
from agentbench.api import load_run, run_async
from agentbench.cli import cli
from agentbench.metrics import summarise
from agentbench.plugins import load_plugins

EVIL = "<script>alert(1)</script></script><b>bold</b>"
LONG = "y" * 50_000


def tiny_png(width: int = 40, height: int = 24, rgb: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    """A valid PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


class ReportTask(runner_fixtures.SayTask):
    """Say-task samples with subsets; wrong answers carry a failure class; `shot` samples save
    screenshots; `long` prints a long output."""

    name = "t-report"

    def samples(self) -> list[Sample]:
        out = [
            Sample(id=f"s{i}", input=f"say {i}", target=str(i), subset="even" if i % 2 else "odd")
            for i in range(self.options.n)
        ]
        out.append(Sample(id="evil", input=f"say {EVIL}", target="nice", subset="odd"))
        return out

    async def solve(self, ctx: Any) -> None:
        await super().solve(ctx)
        if ctx.sample.id == "s0":
            for i in range(3):
                ctx.log.artifact(f"step{i}.png", tiny_png(rgb=(40 * i, 120, 200)))
            ctx.log.add(
                "exec", cmd=["python", "-c", "print()"], exit_code=1, stdout=LONG, stderr=""
            )

    async def check(self, ctx: Any) -> Score:
        score = await super().check(ctx)
        if not score.passed:
            kind = "hostile" if ctx.sample.id == "evil" else "wrong_answer"
            return Score.of(False, score.explanation, failure=kind)
        return score


class ReportPlugin:
    @hookimpl
    def register_tasks(self, register: Any) -> None:
        register("t-report", ReportTask)


async def make_run(root: Path, name: str = "r") -> Path:
    """Run t-report: 6 samples + the hostile one; s1 errors in solve, s2 and s4 are wrong."""
    summary = await run_async(
        "t-report",
        model="t-say",
        task_options={"n": 6, "fail_ids": ["s1"], "wrong_ids": ["s2", "s4"], "sandbox": True},
        sandbox="t-fake",
        run_dir=str(root),
        run_name=name,
        registry=load_plugins(extra=[runner_fixtures, ReportPlugin()]),
    )
    return Path(summary.run_dir)


# -- the page, parsed --------------------------------------------------------------------------


class Page(HTMLParser):
    """The parts of the page the tests look at."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []  # every src / href
        self.tags: list[str] = []
        self.scripts: dict[str, str] = {}  # id (or "#n") -> content
        self.text: list[str] = []
        self._script: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]
        if tag == "script":
            self._script = values.get("id") or f"#{len(self.scripts)}"
            self.scripts[self._script] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts[self._script] += data
        else:
            self.text.append(data)

    def json(self, script_id: str) -> Any:
        return json.loads(self.scripts[script_id])


def _report(tmp_path: Path, run_dir: Path) -> tuple[str, Page]:
    out = tmp_path / "out" / "report.html"
    args = ["report", str(run_dir), "--html", "-o", str(out)]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    return text, Page(text)


def _episode(page: Page, sample: str) -> tuple[dict[str, Any], dict[str, Any]]:
    fields = page.json("row-fields")
    rows = page.json("episode-rows")
    i = next(i for i, r in enumerate(rows) if r[fields.index("sample")] == sample)
    return dict(zip(fields, rows[i], strict=True)), page.json(f"t{i}")


async def test_report_is_one_self_contained_file_with_its_tables(tmp_path: Path) -> None:
    run_dir = await make_run(tmp_path / "runs")
    text, page = _report(tmp_path, run_dir)
    assert [u for u in page.urls if not u.startswith("data:")] == []
    assert "http://" not in text and "https://" not in text and "<link" not in text
    body = " ".join(page.text)
    assert "Episodes (7)" in body
    for heading in ("Summary", "Metrics", "Charts", "Subsets", "Failure classes"):
        assert heading in body
    assert "Errors by stage" in body and "solve (error)" in body
    assert "wrong_answer" in body and "hostile" in body
    assert "Tokens and cost per role" in body and "default" in body
    assert "pass@1" in body and "95% CI" in body
    assert text.count("<svg") == 2  # the pass@k curve and the score distribution
    fields, rows = page.json("row-fields"), page.json("episode-rows")
    assert len(rows) == 7 and all(len(r) == len(fields) for r in rows)
    counts = {}
    for r in rows:
        label = r[fields.index("label")]
        counts[label] = counts.get(label, 0) + 1
    assert counts == {"passed": 3, "failed": 3, "error": 1}


async def test_hostile_model_output_stays_text(tmp_path: Path) -> None:
    run_dir = await make_run(tmp_path / "runs")
    text, page = _report(tmp_path, run_dir)
    assert EVIL not in text and "</script><b>" not in text and "<b>bold" not in text
    assert "b" not in page.tags  # no element came from model output
    row, blob = _episode(page, "evil")
    assert EVIL in row["text"]  # the explanation, in the list data, as text
    model = next(e for e in blob["events"] if e["type"] == "model")
    assert model["output"]["text"] == EVIL
    # One script for the code; every other one is a JSON blob that parses.
    code = [k for k in page.scripts if k.startswith("#")]
    assert len(code) == 1 and "alert" not in page.scripts[code[0]]


async def test_error_transcript_and_long_output_are_embedded_capped(tmp_path: Path) -> None:
    run_dir = await make_run(tmp_path / "runs")
    _, page = _report(tmp_path, run_dir)
    row, blob = _episode(page, "s1")
    assert row["status"] == "error" and blob["result"]["error_stage"] == "solve"
    error = next(e for e in blob["events"] if e["type"] == "error")
    assert "RuntimeError: boom on s1" in error["traceback"]
    _, blob = _episode(page, "s0")
    long = next(e for e in blob["events"] if e["type"] == "exec" and e["exit_code"] == 1)
    assert len(long["stdout"]) < 10_000 and "chars cut" in long["stdout"]
    score = next(e for e in blob["events"] if e["type"] == "score")
    assert score["passed"] is True


async def test_screenshots_become_a_filmstrip_of_data_urls(tmp_path: Path) -> None:
    run_dir = await make_run(tmp_path / "runs")
    _, page = _report(tmp_path, run_dir)
    _, blob = _episode(page, "s0")
    assert [s["name"] for s in blob["shots"]] == ["step0.png", "step1.png", "step2.png"]
    assert all(s["src"].startswith("data:image/png;base64,iVBORw0KGgo") for s in blob["shots"])
    _, other = _episode(page, "s3")
    assert "shots" not in other


async def test_report_streamed_from_load_run_equals_one_from_a_list(tmp_path: Path) -> None:
    run_dir = await make_run(tmp_path / "runs")
    summary, results = load_run(run_dir)
    with results:
        listed = list(results)
        a = write_html_report(summary, results, tmp_path / "a.html")
    b = write_html_report(summary, listed[::-1], tmp_path / "b.html")
    assert a.read_text() == b.read_text()
    bare = write_html_report(summary, listed, tmp_path / "c.html", link_files=False)
    assert "step0.png" not in bare.read_text() and "Episodes (7)" in bare.read_text()


def test_variance_and_a_null_baseline_warning(tmp_path: Path) -> None:
    def ep(sample: str, epoch: int, passed: bool) -> EpisodeResult:
        return EpisodeResult(
            run_id="v",
            task="demo",
            sample_id=sample,
            epoch=epoch,
            model="m",
            score=Score.of(passed),
        )

    # a passes twice, b flips, c fails twice: 1 of 3 samples flips.
    results = [ep("a", 0, True), ep("a", 1, True), ep("b", 0, True), ep("b", 1, False)]
    results += [ep("c", 0, False), ep("c", 1, False)]
    summary = summarise("v", "demo", "m", results, epochs=2, expected=6)
    baseline = {"model": "baseline", "pass@1": 0.4, "pass@1_ci": [0.1, 0.9], "within_null_ci": True}
    summary = summary.model_copy(update={"baseline": baseline})
    text = write_html_report(summary, results, tmp_path / "v.html").read_text()
    body = " ".join(Page(text).text)
    assert "Variance" in body and "1 of 3 (33.3%)" in body and "Flipping: demo/b" in body
    assert "Null baseline (baseline) pass@1: 0.400 [0.100, 0.900]" in body
    assert "lies within the null baseline" in body


def test_a_huge_transcript_is_cut_to_a_bounded_size() -> None:
    events = [
        {"type": "exec", "t": i, "cmd": "x", "exit_code": 0, "stdout": LONG} for i in range(900)
    ]
    capped, note = capped_events(events)
    assert len(json.dumps(capped)) < 200_000
    assert capped[0]["t"] == 0 and capped[-1]["t"] == 899  # first and last events kept
    assert "820 events in the middle left out" in note and "cut to 800 chars" in note
