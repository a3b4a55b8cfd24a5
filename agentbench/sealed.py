"""Sealed runs: untrusted code and its tests, with a verdict the code cannot forge.

A verdict never comes from the program's exit status, from a fixed string on its output, or from
a file it can reach. The harness (`agentbench/_sealed/harness_main.py`) travels on stdin, runs in
a fresh directory of its own, and writes its records to a private copy of stdout, each signed
with a random token that only this process and the harness's audit hook hold. No record with
the token means no verdict, and no verdict is a failure, whatever the program printed.

    report = await run_script(ctx, program, test_code, timeout=3)
    report.passed, report.failure, report.explanation

`run_unittest` (agentbench.checkers) runs a unittest module through the same harness. What the
seal does and what it cannot do is described in README.md ("Scoring that a program cannot
forge").
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from agentbench.types import ExecResult

if TYPE_CHECKING:
    from agentbench.sandbox import Sandbox
    from agentbench.task import EpisodeContext

MARK = "@@agentbench-verdict "
#: The command line: read the harness from stdin and run it (isolated mode: no env, no cwd path).
BOOT = (
    "import sys;b=sys.stdin.buffer;"
    "exec(compile(b.read(int(b.readline())),'<agentbench-harness>','exec'))"
)
SYNTAX_ERRORS = frozenset({"SyntaxError", "IndentationError", "TabError"})


@cache
def harness_source() -> bytes:
    """The harness program, as sent to the sandbox: unittest mode first, main (which runs) last."""
    parts = resources.files("agentbench._sealed")
    pieces = ("harness_unittest.py", "harness_main.py")
    return b"\n".join(parts.joinpath(name).read_bytes() for name in pieces)


@dataclass
class Verdict:
    """The signed records of one sealed run.

    Attributes:
        tests: Per-test records (unittest mode), in the order they finished.
        collected: The ids of the tests selected to run (unittest mode).
        groups: Test classes run as groups under their own time limit, by name, in the order
            they finished: {"timed_out": bool}. A group missing here never finished.
        done: The final record, or None when the harness never got to write it (the process was
            killed, timed out, or ended early: no verdict).
        forged: Lines that looked like verdict lines but did not carry this run's token.
    """

    tests: list[dict[str, Any]] = field(default_factory=list)
    collected: list[str] = field(default_factory=list)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    done: dict[str, Any] | None = None
    forged: int = 0

    @property
    def finished(self) -> bool:
        return self.done is not None

    @property
    def tampered(self) -> list[str]:
        """Protected state the program changed while its tests ran (then nothing counts)."""
        return list((self.done or {}).get("tampered") or [])

    @property
    def notes(self) -> list[str]:
        """What the harness denied or restored (attempts that did not get through)."""
        done = self.done or {}
        denied = [f"denied {d}" for d in done.get("denied") or []]
        restored = [f"restored {r}" for r in done.get("restored") or []]
        forged = [f"{self.forged} forged verdict lines ignored"] if self.forged else []
        return denied + restored + forged


def parse_verdict(stdout: str, token: str) -> Verdict:
    """The records of `stdout` signed with `token` (anything else is ignored and counted)."""
    verdict = Verdict()
    signed = MARK + token + " "
    for line in stdout.splitlines():
        at = line.find(MARK)
        if at < 0:
            continue
        if not line.startswith(signed, at):
            verdict.forged += 1
            continue
        try:
            record = json.loads(line[at + len(signed) :])
        except json.JSONDecodeError:
            continue  # cut off (a timeout mid-write, or flooded): not evidence of anything
        if not isinstance(record, dict):
            continue
        if record.get("kind") == "test":
            verdict.tests.append(record)
        elif record.get("kind") == "group" and isinstance(record.get("name"), str):
            verdict.groups.setdefault(record["name"], {"timed_out": bool(record.get("timed_out"))})
        elif record.get("kind") == "collected" and not verdict.collected:
            verdict.collected = [str(i) for i in record.get("ids") or []]
        elif record.get("kind") == "done" and verdict.done is None:
            verdict.done = record
    return verdict


def _sandbox_of(target: Sandbox | EpisodeContext) -> Sandbox:
    from agentbench.task import EpisodeContext

    sandbox = target.sandbox if isinstance(target, EpisodeContext) else target
    if sandbox is None:
        raise RuntimeError("this episode has no sandbox; the task's sandbox_spec() returned None")
    return sandbox


async def run_sealed(
    target: Sandbox | EpisodeContext,
    payload: Mapping[str, Any],
    *,
    timeout: float,
    python: str = "python",
    reap: bool = True,
) -> tuple[ExecResult, Verdict]:
    """Run the harness on `payload` and return the command's result and its signed records.

    Args:
        target: The sandbox, or the episode context (the command then appears in the transcript).
        payload: {"mode": "script"|"unittest", "files", "program", "tests", "module", "select"}.
        timeout: Seconds before everything the run started is killed.
        python: The interpreter (3.8 or newer) in the sandbox.
        reap: Kill what earlier runs of the sandbox user left running before this one starts
            (only in isolated sandboxes; never with the `local` backend).
    """
    token = secrets.token_hex(16)
    sandbox = _sandbox_of(target)
    header = {"token": token, "reap": bool(reap and sandbox.isolated)}
    source = harness_source()
    stdin = b"".join(
        [
            f"{len(source)}\n".encode(),
            source,
            json.dumps(header).encode(),
            b"\n",
            json.dumps(dict(payload)).encode(),
        ]
    )
    result = await target.exec([python, "-I", "-c", BOOT], timeout=timeout, input=stdin)
    return result, parse_verdict(result.stdout, token)


def failure_of(exception: str | None) -> str:
    """The failure class of an exception type name."""
    if exception in SYNTAX_ERRORS:
        return "syntax_error"
    if exception == "AssertionError":
        return "assertion_error"
    return f"runtime_error:{exception or 'unknown'}"


def unfinished_failure(result: ExecResult) -> str:
    """Why a run that wrote no verdict failed: it timed out, ended early, or was killed."""
    if result.timed_out:
        return "timeout"
    if result.exit_code == 0:
        return "runtime_error:SystemExit"  # it ended the process before its tests finished
    return f"runtime_error:exit_{result.exit_code}"


class ScriptReport(BaseModel):
    """The outcome of a program run with its test code (`run_script`).

    `passed` is true only when the harness's signed final record says the tests ran to the end
    and nothing protected was changed; the exit status and the output never count.
    """

    passed: bool
    failure: str | None = None
    stage: str = ""
    exception: str | None = None
    message: str = ""
    stdout_tail: str = ""
    stderr_tail: str = ""
    tampered: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    exec: ExecResult

    @property
    def explanation(self) -> str:
        """One line on why the run passed or failed."""
        if self.passed:
            return "passed"
        if self.tampered:
            return "failed: the program changed " + ", ".join(self.tampered[:5])
        if not self.stage:
            if self.exec.timed_out:
                return "failed: timed out"
            return (
                "failed: no verdict (the program ended the harness before its tests finished, "
                f"exit code {self.exec.exit_code})"
            )
        return f"failed at {self.stage}: {self.failure}"


async def run_script(
    target: Sandbox | EpisodeContext,
    program: str,
    tests: str,
    *,
    timeout: float,
    name: str = "main.py",
    files: Mapping[str, str] | None = None,
    python: str = "python",
) -> ScriptReport:
    """Run `program + "\\n" + tests` as one script (as `exec(script, {})`), sealed.

    The harness regains control between the program and the tests (it restores builtins,
    modules and signal handlers the program changed) and reports a pass only when the tests ran
    to their end.

    Args:
        target: The sandbox, or the episode context (to log the command in the transcript).
        program: The code under test.
        tests: The test code (asserts that call the program).
        timeout: Seconds for the whole run.
        name: The file name tracebacks show.
        files: Other files to place in the run's fresh directory.
        python: The interpreter command.
    """
    payload = {
        "mode": "script",
        "program": program,
        "tests": tests,
        "name": name,
        "files": dict(files or {}),
    }
    result, verdict = await run_sealed(target, payload, timeout=timeout, python=python)
    done = verdict.done
    if done is None:
        return ScriptReport(
            passed=False,
            failure=unfinished_failure(result),
            message=result.stderr[-2000:],
            notes=verdict.notes,
            exec=result,
        )
    tampered = verdict.tampered
    ok = bool(done.get("ok")) and not tampered and not result.timed_out
    failure = None if ok else ("tampered" if tampered else failure_of(done.get("exception")))
    return ScriptReport(
        passed=ok,
        failure=failure,
        stage=str(done.get("stage") or ""),
        exception=done.get("exception"),
        message=str(done.get("message") or "")[-4000:],
        stdout_tail=str(done.get("stdout_tail") or ""),
        stderr_tail=str(done.get("stderr_tail") or ""),
        tampered=tampered,
        notes=verdict.notes,
        exec=result,
    )
