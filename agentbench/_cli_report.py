"""`agentbench report RUN`: the summary again, the failures, one episode's transcript, the HTML."""

from __future__ import annotations

import json
from typing import Any

import click


def _print_summary(summary: Any, as_json: bool) -> None:
    if as_json:
        click.echo(summary.model_dump_json())
    else:
        from agentbench._report.text import format_summary

        click.echo(format_summary(summary))


def _write_html(
    ref: str, runs_root: str, path: str | None = None, compare: tuple[str, ...] = ()
) -> None:
    from pathlib import Path

    from agentbench._report import write_html_report
    from agentbench.api import load_run

    comparison = None
    if compare:
        from agentbench.compare import compare_runs, load_stored_run

        runs = [load_stored_run(r, runs_root) for r in (ref, *compare)]
        comparison = compare_runs(runs)
    summary, results = load_run(ref, runs_root)
    out = Path(path) if path else Path(summary.run_dir) / "report.html"
    written = write_html_report(summary, results, out, comparison=comparison)
    click.echo(f"report: {written}", err=True)


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--html", is_flag=True, help="Write a self-contained HTML report.")
@click.option(
    "-o", "--output", help="Where to write the HTML report (default RUN_DIR/report.html)."
)
@click.option(
    "--compare",
    "compare_with",
    multiple=True,
    metavar="OTHER_RUN",
    help="With --html: a Comparison section against this run (repeatable).",
)
@click.option("--failed", is_flag=True, help="List failed and errored episodes with the reason.")
@click.option("--sample-id", help="Print one episode's transcript (as `debug` shows it).")
@click.option("--epoch", type=int, default=0, show_default=True, help="With --sample-id.")
@click.option("--episodes", is_flag=True, help="With --json: include every episode's result.")
@click.option("--run-dir", default="runs", show_default=True, help="Where runs live.")
def report(
    run_ref: str,
    as_json: bool,
    html: bool,
    output: str | None,
    compare_with: tuple[str, ...],
    failed: bool,
    sample_id: str | None,
    epoch: int,
    episodes: bool,
    run_dir: str,
) -> None:
    """Print the summary of RUN (a run id, a run name or a run directory)."""
    from agentbench.api import load_summary

    if compare_with and not html:
        from agentbench.errors import ConfigError

        raise ConfigError("--compare goes in the HTML report", "add --html, or use `compare`")
    summary = load_summary(run_ref, run_dir)
    if sample_id is not None:
        _print_transcript(summary, sample_id, epoch)
        return
    if as_json and episodes:
        data = json.loads(summary.model_dump_json())
        data["episodes"] = [json.loads(r.model_dump_json()) for r in _results(summary)]
        click.echo(json.dumps(data))  # asked for every episode: this one holds them all
    elif not failed or as_json:
        _print_summary(summary, as_json)
    if failed:
        _print_failures(summary)
    if html:
        _write_html(run_ref, run_dir, output, compare_with)


def _results(summary: Any, *, failed_only: bool = False) -> list[Any]:
    from pathlib import Path

    from agentbench._runner.store import Store

    with Store(Path(summary.run_dir), create=False) as store:
        return [r for r in store.iter_results(summary.run_id) if not (failed_only and r.passed)]


def _print_failures(summary: Any) -> None:
    """One line per episode that did not pass: status, stage, the reason."""
    shown = 0
    for r in _results(summary, failed_only=True):
        if r.passed:
            continue
        shown += 1
        if r.score is not None and r.status in ("ok", "limit"):
            reason = r.score.explanation or "failed"
            failure = r.score.details.get("failure") if isinstance(r.score.details, dict) else None
            if failure:
                reason = f"{failure}: {reason}"
        else:
            stage = f" in {r.error_stage}" if r.error_stage else ""
            reason = f"{r.status}{stage}: {r.error}"
        click.echo(f"{r.sample_id}/{r.epoch}  {r.status:14}  {_one_line(reason)}")
    if not shown:
        click.echo("every episode passed")


def _print_transcript(summary: Any, sample_id: str, epoch: int) -> None:
    from pathlib import Path

    from agentbench._runner.debug import EventPrinter
    from agentbench._runner.store import Store
    from agentbench.errors import ConfigError

    with Store(Path(summary.run_dir), create=False) as store:
        matches = [r for r in store.iter_results(summary.run_id) if r.sample_id == sample_id]
        chosen = next((r for r in matches if r.epoch == epoch), None)
        if chosen is None:
            epochs = ", ".join(str(r.epoch) for r in matches) or "none"
            raise ConfigError(
                f"run {summary.run_id} has no episode {sample_id!r} epoch {epoch}",
                f"epochs of that sample: {epochs}; see `agentbench report RUN --failed`",
            )
        events = store.transcript(
            chosen.run_id, chosen.task, chosen.sample_id, chosen.epoch, chosen.model
        )
    printer = EventPrinter()
    for event in events:
        printer(event)
    verdict = "passed" if chosen.passed else chosen.status
    click.echo(f"{chosen.sample_id}/{chosen.epoch}: {verdict}  {_one_line(chosen.error or '')}")


def _one_line(text: str, limit: int = 300) -> str:
    from agentbench._runner.debug import visible

    flat = " ".join(str(text).split())
    return visible(flat if len(flat) <= limit else flat[:limit] + "...")
