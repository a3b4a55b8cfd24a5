"""`agentbench osworld ...`: commands of the osworld plugin."""

from __future__ import annotations

import click


@click.group("osworld")
def osworld() -> None:
    """OSWorld task files: what this plugin can run."""


@osworld.command("coverage")
@click.argument("path", type=click.Path(exists=True, file_okay=False))
@click.option("--index", default=None, help="Index file (default: test_all.json if present).")
@click.option("--domains", default=None, help="Comma-separated domains (default: all).")
@click.option("--top", default=12, show_default=True, help="Missing names shown per domain.")
def coverage_command(path: str, index: str | None, domains: str | None, top: int) -> None:
    """Per domain, how many tasks of PATH have every step, getter and metric implemented."""
    from .coverage import coverage, render
    from .data import load_tasks

    chosen = [d.strip() for d in domains.split(",") if d.strip()] if domains else None
    click.echo(render(coverage(load_tasks(path, index, chosen)), top=top))
