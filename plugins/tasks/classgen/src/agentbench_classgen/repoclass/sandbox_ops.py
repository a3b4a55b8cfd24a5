"""What a RepoClassBench episode does in its sandbox: lint, test and the repository tools.

The repository is at `REPO` (relative to the sandbox's work directory); the tools script at
`TOOLS_FILE`. Commands run with the sandbox's `python`, which must have pytest,
pytest-json-report, pylint and rank_bm25 (the repository image has them; so does this plugin's
environment, for the `local` sandbox).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from agentbench import EpisodeContext

from .placement import place_class
from .scoring import Outcome, evaluate, lint_hints, worst_case_report

REPO = "repo"
TOOLS_FILE = "_repoclass_tools.py"
REPORT_FILE = "_repoclass_report.json"


@dataclass
class EpisodeFiles:
    """The paths and texts an episode works with."""

    file: str  # the file to modify, relative to the repository
    prepared: str  # its text with the placeholder
    class_name: str
    directives: list[str]  # the tests expected to pass
    run_all: bool = False  # upstream runs litestar's whole suite (no directives)


async def lint(ctx: EpisodeContext, files: EpisodeFiles, text: str) -> tuple[list, str]:
    """pylint's kept errors and upstream's hint text for the file as it is now."""
    result = await ctx.exec(
        ["python", "-m", "pylint", "--errors-only", "--output-format=json", files.file],
        timeout=300,
        cwd=REPO,
    )
    try:
        return lint_hints(result.stdout or "[]", text)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        return [], ""


async def evaluate_answer(
    ctx: EpisodeContext,
    files: EpisodeFiles,
    code: str,
    *,
    timeout: float,
    gt_lint: bool,
    with_lint: bool = True,
) -> Outcome:
    """Place `code` at the placeholder, run the test directives and lint the file."""
    assert ctx.sandbox is not None
    text = place_class(files.prepared, code)
    await ctx.write_file(f"{REPO}/{files.file}", text)
    await ctx.write_file(REPORT_FILE, "")
    selected = [] if files.run_all else files.directives
    result = await ctx.exec(
        ["python", "-m", "pytest", *selected, "-p", "no:cacheprovider", "--json-report",
         f"--json-report-file=../{REPORT_FILE}", "--tb=auto", "--continue-on-collection-errors",
         "-q"],
        timeout=timeout,
        cwd=REPO,
        env={"PYTHONPATH": "."},
    )  # fmt: skip
    report = await _report(ctx, result.stderr)
    hints = await lint(ctx, files, text) if with_lint else ([], "")
    return evaluate(report, files.directives, lint=hints, ground_truth_has_lint_errors=gt_lint)


async def _report(ctx: EpisodeContext, stderr: str) -> dict[str, Any]:
    assert ctx.sandbox is not None
    try:
        raw = str(await ctx.sandbox.read_file(REPORT_FILE))
        return dict(json.loads(raw))
    except (FileNotFoundError, json.JSONDecodeError, TypeError, ValueError):
        return worst_case_report(stderr)


async def run_tool(ctx: EpisodeContext, files: EpisodeFiles, tool: str, args: list[str]) -> str:
    """One repository tool's output, run in the sandbox."""
    cmd = ["python", f"../{TOOLS_FILE}", "--repo", ".", "--file", files.file]
    cmd += ["--class-name", files.class_name, tool, *args]
    result = await ctx.exec(cmd, timeout=300, cwd=REPO)
    if result.exit_code != 0:
        return f"Error: the tool failed: {result.stderr.strip()[-1000:]}"
    ctx.log.add("tool", name=tool, args=args, command=shlex.join(cmd))
    return result.stdout.rstrip("\n")
