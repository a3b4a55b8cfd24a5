"""`agentbench export RUN --kind KIND`: what a run's episodes emitted, as JSONL, CSV or a task's
own format (e.g. a DPO dataset)."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

import click


def jsonl_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One JSON object per line."""
    for record in records:
        yield json.dumps(record, ensure_ascii=False) + "\n"


def csv_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A header from the first record's keys, then one row per record (nested values as JSON)."""
    columns: list[str] | None = None
    for record in records:
        if columns is None:
            columns = list(record)
            yield _csv_row(columns)
        yield _csv_row(
            [
                v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                for v in (record.get(c) for c in columns)
            ]
        )


def _csv_row(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["" if v is None else v for v in values])
    return buffer.getvalue()


BUILT_IN = {"jsonl": jsonl_lines, "csv": csv_lines}


@click.command()
@click.argument("run_ref", metavar="RUN")
@click.option("--kind", help="The kind of record (see the list printed without --kind).")
@click.option(
    "--format",
    "fmt",
    default="jsonl",
    show_default=True,
    help="jsonl, csv, or a task's own format.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: stdout)."
)
@click.option("--run-dir", default="runs", show_default=True, help="Where runs live.")
def export(run_ref: str, kind: str | None, fmt: str, output: str | None, run_dir: str) -> None:
    """Write out the records RUN's episodes emitted (`ctx.emit`), one kind at a time."""
    from agentbench._runner.store import Store, find_run_dir
    from agentbench.errors import ConfigError

    directory = find_run_dir(run_ref, run_dir)
    with Store(directory, create=False) as store:
        run_id = directory.name if store.get_run(directory.name) else store.run_ids()[-1]
        kinds = store.record_kinds(run_id)
        if kind is None or kind not in kinds:
            listed = ", ".join(f"{k} ({n})" for k, n in kinds.items()) or "none"
            if kind is None:
                click.echo(f"record kinds in {run_id}: {listed}")
                return
            raise ConfigError(f"run {run_id} has no records of kind {kind!r}", f"kinds: {listed}")
        writer = _writer(store, run_id, fmt)
        lines = writer(store.emitted(run_id, kind))
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = _write(lines, out)
            click.echo(f"wrote {count} lines to {output}", err=True)
        else:
            _write(lines, sys.stdout)


def _writer(store: Any, run_id: str, fmt: str) -> Any:
    from agentbench.errors import ConfigError

    if fmt in BUILT_IN:
        return BUILT_IN[fmt]
    row = store.get_run(run_id)
    config = row["config"]
    from agentbench.plugins import load_plugins

    registry = load_plugins(config.plugins)
    task = registry.task(config.task)(config.task_options)
    formats = task.exporters()
    if fmt not in formats:
        known = ", ".join([*BUILT_IN, *formats])
        raise ConfigError(
            f"no export format {fmt!r} for task {config.task!r}", f"use one of {known}"
        )
    return formats[fmt]


def _write(lines: Iterable[str], out: IO[str]) -> int:
    count = 0
    for line in lines:
        out.write(line)
        count += 1
    return count
