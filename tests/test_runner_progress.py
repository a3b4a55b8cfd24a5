"""The live progress display: what it counts and what it prints."""

from __future__ import annotations

import io
from pathlib import Path

from agentbench import EpisodeResult, Score, Usage
from agentbench._runner.progress import (
    NullProgress,
    PlainProgress,
    RichProgress,
    choose_progress,
)
from agentbench._runner.runner import RunInfo
from agentbench.types import RunConfig

INFO = RunInfo("run-1", RunConfig(task="t"), Path("runs/run-1"), expected=5, todo=4)


def result(
    sample: str, *, passed: bool = True, status: str = "ok", cost: float | None = 0.01
) -> EpisodeResult:
    return EpisodeResult(
        run_id="run-1",
        task="t",
        sample_id=sample,
        epoch=0,
        model="m",
        status=status,  # type: ignore[arg-type]
        score=Score.of(passed) if status == "ok" else None,
        error="boom" if status != "ok" else None,
        usage=Usage(input_tokens=1000, output_tokens=500, cost=cost),
    )


def test_counts_and_the_status_line() -> None:
    progress = NullProgress()
    progress.start(INFO)
    progress.update(result("a"))
    progress.update(result("b", passed=False))
    progress.update(result("c", status="error"))
    line = progress.line()
    assert (progress.done, progress.total, progress.already_done) == (3, 4, 1)
    assert "3/4 episodes" in line and "passed 1 (33.3%)" in line and "errors 1" in line
    assert "tokens 4.5k" in line and "cost $0.0300" in line and "ETA" in line and "/s" in line


def test_cost_is_left_out_when_no_provider_knows_it() -> None:
    progress = NullProgress()
    progress.start(INFO)
    progress.update(result("a", cost=None))
    assert "cost" not in progress.line()


def test_plain_progress_prints_a_header_errors_and_a_final_line() -> None:
    out = io.StringIO()
    progress = PlainProgress(out, interval=3600)
    progress.start(INFO)
    progress.update(result("a"))
    progress.update(result("b", status="infra_error"))
    progress.close()
    progress.close()  # idempotent: the CLI closes again after Ctrl-C
    lines = out.getvalue().splitlines()
    assert lines[0] == "[agentbench] run run-1 (runs/run-1): 4 episodes to run, 1 already done"
    assert lines[1] == "[agentbench] infra_error: b epoch 0: boom"
    assert lines[2].startswith("[agentbench] 2/4 episodes") and len(lines) == 3


def test_rich_progress_draws_the_bar_and_the_line() -> None:
    out = io.StringIO()
    progress = RichProgress(out)
    progress.start(INFO)
    for sample in "abcd":
        progress.update(result(sample))
    progress.close()
    text = out.getvalue()
    assert "run run-1" in text and "4/4 episodes" in text and "passed 4 (100.0%)" in text


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_rich_on_a_terminal_plain_elsewhere_nothing_when_asked() -> None:
    assert type(choose_progress("auto", Tty())) is RichProgress
    assert type(choose_progress("auto", io.StringIO())) is PlainProgress
    assert type(choose_progress("none", Tty())) is NullProgress
    assert type(choose_progress("plain", Tty())) is PlainProgress
