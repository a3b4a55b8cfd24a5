"""The `compare` and `audit` commands (added to the root group by `agentbench.cli`).

Kept out of cli.py so start-up stays fast: everything but click is imported inside the commands.
"""

from __future__ import annotations

import json
from typing import Any

import click


@click.command()
@click.argument("runs", nargs=-1, required=True, metavar="RUN_A RUN_B [RUN_C ...]")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--run-dir", default="runs", show_default=True, help="Where runs live.")
@click.option(
    "--confidence",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
    help="Coverage of the intervals.",
)
@click.option("--resamples", type=click.IntRange(min=100), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
def compare(
    runs: tuple[str, ...], as_json: bool, run_dir: str, confidence: float, resamples: int, seed: int
) -> None:
    """Compare runs of one task on their shared (sample, epoch) episodes.

    \b
    agentbench compare RUN_A RUN_B            paired difference, bootstrap CI, McNemar
    agentbench compare CKPT_1 CKPT_2 CKPT_3   matrix, and order flips of the series
    """
    from agentbench.compare import compare_runs, format_comparison, load_stored_run
    from agentbench.errors import ConfigError

    if len(runs) < 2:
        raise ConfigError(
            "compare needs two runs or more", "write `agentbench compare RUN_A RUN_B`"
        )
    loaded = [load_stored_run(ref, run_dir) for ref in runs]
    report = compare_runs(loaded, confidence=confidence, resamples=resamples, seed=seed)
    click.echo(json.dumps(report) if as_json else format_comparison(report))


@click.command()
@click.argument("task")
@click.option("-T", "task_options", multiple=True, metavar="KEY=VALUE", help="Task option.")
@click.option("--sandbox", default=None, help="Sandbox backend (docker, local).")
@click.option("--limit", type=click.IntRange(min=1), help="Only the first N samples.")
@click.option(
    "--max-mutants",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Mutants per sample (spread over the operators).",
)
@click.option("--max-episodes", type=click.IntRange(min=1), help="Episodes in flight at once.")
@click.option("--resume", metavar="AUDIT", help="Continue an audit: skip its finished mutants.")
@click.option("--run-dir", default="runs", show_default=True, help="Where runs live.")
@click.option("--json", "as_json", is_flag=True, help="Print the audit report as JSON.")
@click.option("--html", "html_path", metavar="FILE", help="Also write the audit as an HTML page.")
@click.option(
    "--show",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Surviving mutants to print as diffs.",
)
def audit(task: str, **params: Any) -> None:
    """Mutate each sample's reference solution and count the mutants the task's checker passes.

    \b
    agentbench audit humaneval-pro -T data=demo --sandbox docker
    agentbench audit mbpp-pro --limit 20 --max-mutants 10
    """
    import asyncio

    from agentbench.audit import format_audit, run_audit
    from agentbench.cli import parse_kv

    report = asyncio.run(
        run_audit(
            task,
            task_options=parse_kv(params["task_options"], "-T"),
            sandbox=params["sandbox"],
            limit=params["limit"],
            max_mutants=params["max_mutants"],
            max_episodes=params["max_episodes"],
            resume=params["resume"],
            run_dir=params["run_dir"],
        )
    )
    click.echo(
        json.dumps(report) if params["as_json"] else format_audit(report, show=params["show"])
    )
    if params["html_path"]:
        from agentbench._report.audit_page import write_audit_html

        click.echo(f"audit page: {write_audit_html(report, params['html_path'])}", err=True)
