"""Running a program with its test code in the sandbox, and naming how it failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import agentbench
from agentbench import EpisodeContext, ExecResult

#: Printed by the runner after the program and its tests ran to the end.
DONE_MARKER = "__agentbench_selfinvoke_done__"
#: Where the runner is placed in the sandbox (through `SandboxSpec.files`).
RUNNER_FILE = "_selfinvoke_runner.py"

# Upstream scores with `code_eval`, which runs `exec(program, {})`: `__name__` is not "__main__"
# (demo blocks under `if __name__ == "__main__":` do not run), stdin cannot be read, and an early
# `exit()` is a failure. The runner reproduces all three (the script comes on stdin, so the
# program finds it at its end); the container replaces code_eval's in-process reliability guard.
RUNNER_SOURCE = (
    "import linecache, os, sys\n"
    "name = sys.argv[1]\n"
    "source = sys.stdin.read()\n"
    "linecache.cache[name] = (len(source), None, source.splitlines(True), name)\n"
    "try:\n"
    "    exec(compile(source, name, 'exec'), {})\n"
    "except SystemExit as exc:\n"
    "    sys.stderr.write(f'SystemExit: the program exited early ({exc.code!r})\\n')\n"
    "    sys.stderr.flush()\n"
    "    os._exit(1)\n"
    "sys.stdout.flush()\n"
    f"os.write(1, b'\\n{DONE_MARKER}\\n')\n"
)


@dataclass
class ProgramRun:
    """The outcome of one program with its tests."""

    passed: bool
    failure: str | None
    exit_code: int
    duration_s: float
    stdout_tail: str
    stderr_tail: str

    def as_details(self, program: str) -> dict[str, Any]:
        """A JSON-able record for `Score.details`."""
        return {
            "passed": self.passed,
            "failure": self.failure,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 4),
            "stderr_tail": self.stderr_tail,
            "program": program,
        }


def test_script(program: str, test_code: str) -> str:
    """The file upstream runs: the program, a newline, then the test code."""
    return program + "\n" + test_code


async def run_program(
    ctx: EpisodeContext, script: str, *, name: str, timeout: float, python: str = "python"
) -> ProgramRun:
    """Run `script` (shown as `name` in tracebacks) in the episode's sandbox under `timeout` s.

    The sandbox must hold the runner (`RUNNER_FILE` with `RUNNER_SOURCE`, see `sandbox_spec`).
    """
    result = await ctx.exec([python, RUNNER_FILE, name], timeout=timeout, input=script)
    return _outcome(result)


def _outcome(result: ExecResult) -> ProgramRun:
    finished = (
        result.exit_code == 0
        and not result.timed_out
        and (DONE_MARKER in result.stdout or result.truncated)
    )
    return ProgramRun(
        passed=finished,
        failure=None if finished else classify_failure(result),
        exit_code=result.exit_code,
        duration_s=result.duration_s,
        stdout_tail=result.stdout.replace(DONE_MARKER, "")[-2000:],
        stderr_tail=result.stderr[-2000:],
    )


def classify_failure(result: ExecResult) -> str:
    """Name a failed run: "timeout", "syntax_error", "assertion_error" or "runtime_error:<Type>".

    `agentbench.classify_failure`, plus the runner's own cases: a program that exits early
    (`exit()`, `sys.exit()`, `os._exit(0)`) is "runtime_error:SystemExit".
    """
    if not result.timed_out and (result.exit_code == 0 or _exited_early(result.stderr)):
        return "runtime_error:SystemExit"  # exit 0 here means it ended before the done marker
    return agentbench.classify_failure(result)


def _exited_early(stderr: str) -> bool:
    # The runner reports an early exit with this line and no traceback.
    return "Traceback (" not in stderr and any(
        line.startswith("SystemExit: ") for line in stderr.splitlines()
    )
