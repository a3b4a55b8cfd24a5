"""The terminal summary and the self-contained, escaped HTML report."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from agentbench._report import format_summary
from agentbench.metrics import summarise
from agentbench.types import EpisodeResult, Score, Usage

EVIL = '<script>alert("x")</script>'


def results() -> list[EpisodeResult]:
    def ep(sample: str, epoch: int, status: str = "ok", passed: bool = True, **kw) -> EpisodeResult:
        score = Score.of(passed, kw.pop("why", ""))
        return EpisodeResult(
            run_id="run1",
            task="demo",
            sample_id=sample,
            epoch=epoch,
            model="scripted",
            status=status,
            score=score,
            **kw,
        )

    return [
        ep(
            "HumanEval/1",
            1,
            subset="easy",
            usage=Usage(input_tokens=1200, output_tokens=30, cost=0.02),
        ),
        ep("HumanEval/1", 2, passed=False, subset="easy", why=f"assert failed {EVIL}"),
        ep("HumanEval/2", 1, status="error", passed=False, subset="hard", error="boom & <bang>"),
        ep("HumanEval/2", 2, status="infra_error", passed=False, subset="hard", error="died"),
        ep(EVIL, 1, subset=EVIL),
    ]


@pytest.fixture
def summary():
    return summarise(
        "run1",
        "demo",
        "scripted",
        results(),
        epochs=2,
        expected=6,
        duration_s=12.5,
        run_dir="runs/run1",
        task_metrics={"failure_classes": {"assertion": 1, EVIL: 2}, "avg_steps": 2.5},
    )


def test_format_summary_shows_counts_rates_usage_and_breakdowns(summary) -> None:
    text = format_summary(summary)
    m = summary.metrics
    assert f"{m['pass@1']:.3f}" in text
    lo, hi = m["pass@1_ci"]
    assert f"[{lo:.3f}, {hi:.3f}]" in text
    assert "pass@2" in text and "mean" in text
    assert "4/6 completed, 1 errors, 1 infra errors" in text
    assert "1,200 input + 30 output tokens, cost $0.0200" in text
    subset_lines = [line.split() for line in text.splitlines() if line.strip().startswith("hard")]
    assert subset_lines and subset_lines[0][1:5] == ["1", "2", "1", "1"]  # samples..infra
    assert "failure_classes" in text and "assertion=1" in text and "avg_steps" in text
    assert "runs/run1" in text


def test_format_summary_without_scored_episodes(summary) -> None:
    empty = summarise("r", "demo", "m", [], epochs=1, expected=3)
    text = format_summary(empty)
    assert "0/3 completed" in text and "no scored episodes" in text
    assert "cost unknown" in text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[str] = []
        self.external: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self._in_script = True
            if values.get("src"):
                self.external.append(values["src"])
        if tag == "link" and values.get("href"):
            self.external.append(values["href"])
        if tag == "a" and values.get("href"):
            self.links.append(values["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
