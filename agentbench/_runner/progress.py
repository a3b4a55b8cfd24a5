"""Live progress: a rich line on a terminal, plain periodic lines elsewhere (CI logs).

Shows done/total, episodes per second, passed so far, errors, tokens, cost and ETA. rich is
imported only when the rich display is chosen.
"""

from __future__ import annotations

import sys
import time
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentbench._runner.runner import RunInfo
    from agentbench.types import EpisodeResult


class Progress:
    """What the runner calls; the base shows nothing but keeps the counts."""

    def __init__(self) -> None:
        self.total = 0
        self.already_done = 0
        self.done = 0
        self.passed = 0
        self.errors = 0
        self.tokens = 0
        self.cost = 0.0
        self.has_cost = False
        self.t0 = self.t_last = time.monotonic()

    def start(self, info: RunInfo) -> None:
        """The run is about to run `info.todo` episodes."""
        self.total = info.todo
        self.already_done = info.expected - info.todo
        self.t0 = time.monotonic()

    def update(self, result: EpisodeResult) -> None:
        """One episode was recorded."""
        self.done += 1
        self.t_last = time.monotonic()
        self.passed += result.passed
        self.errors += result.status in ("error", "infra_error", "provider_error")
        self.tokens += result.usage.total_tokens
        if result.usage.cost is not None:
            self.cost += result.usage.cost
            self.has_cost = True

    def close(self) -> None:
        """The run ended (finished, failed or cancelled)."""

    @property
    def rate(self) -> float:
        end = self.t_last if self.done >= self.total else time.monotonic()
        elapsed = end - self.t0
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta_s(self) -> float | None:
        rate = self.rate
        return (self.total - self.done) / rate if rate > 0 else None

    def line(self) -> str:
        """The status as one line of text."""
        pct = f" ({100 * self.passed / self.done:.1f}%)" if self.done else ""
        parts = [
            f"{self.done}/{self.total} episodes",
            f"{self.rate:.1f}/s",
            f"passed {self.passed}{pct}",
            f"errors {self.errors}",
            f"tokens {_compact(self.tokens)}",
        ]
        if self.has_cost:
            parts.append(f"cost ${self.cost:.4f}")
        eta = self.eta_s()
        parts.append(f"ETA {_duration(eta)}" if eta is not None and self.done < self.total else "")
        return "  ".join(p for p in parts if p)


class NullProgress(Progress):
    """Shows nothing (the API default, `--no-progress`)."""


def _header(info: RunInfo) -> str:
    done = info.expected - info.todo
    resumed = f", {done} already done" if done else ""
    return f"run {info.run_id} ({info.run_dir}): {info.todo} episodes to run{resumed}"


class PlainProgress(Progress):
    """Plain lines for logs: a header, a status line every `interval` s, errors, a final line."""

    max_error_lines = 20

    def __init__(self, stream: IO[str] | None = None, interval: float = 10.0) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self.interval = interval
        self._last = 0.0
        self._closed = False

    def _print(self, text: str) -> None:
        print(f"[agentbench] {text}", file=self.stream, flush=True)

    def start(self, info: RunInfo) -> None:
        super().start(info)
        self._last = time.monotonic()
        self._print(_header(info))

    def update(self, result: EpisodeResult) -> None:
        super().update(result)
        if (
            result.status in ("error", "infra_error", "provider_error")
            and self.errors <= self.max_error_lines
        ):
            self._print(f"{result.status}: {result.sample_id} epoch {result.epoch}: {result.error}")
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._print(self.line())

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._print(self.line())


class RichProgress(Progress):
    """A live bar and status line on the terminal (stderr), refreshed a few times a second."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__()
        self.stream = stream or sys.stderr
        self._live: Any = None

    def start(self, info: RunInfo) -> None:
        from rich.console import Console
        from rich.live import Live

        super().start(info)
        console = Console(file=self.stream)
        console.print(f"[bold]agentbench[/] {_header(info)}", highlight=False)
        self._live = Live(
            console=console, refresh_per_second=4, transient=False, get_renderable=self._render
        )
        self._live.start()

    def _render(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        grid = Table.grid(padding=(0, 1))
        from rich.text import Text

        grid.add_row(
            ProgressBar(total=max(self.total, 1), completed=self.done, width=24),
            Text(self.line(), no_wrap=True, overflow="ellipsis"),
        )
        return grid

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None


def choose_progress(mode: str = "auto", stream: IO[str] | None = None) -> Progress:
    """The display for `mode` ("auto", "rich", "plain", "none"); auto = rich on a terminal."""
    stream = stream or sys.stderr
    if mode == "none":
        return NullProgress()
    if mode == "rich" or (mode == "auto" and stream.isatty()):
        return RichProgress(stream)
    return PlainProgress(stream)


def _compact(n: float) -> str:
    for unit, size in (("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}"
    return str(int(n))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
