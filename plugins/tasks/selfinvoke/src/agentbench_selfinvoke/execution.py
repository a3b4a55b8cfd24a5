"""Running a program with its test code in the sandbox, sealed, and naming how it failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentbench import EpisodeContext, ScriptReport, run_script

# Upstream scores with `code_eval`, which runs `exec(program + "\n" + test_code, {})`: `__name__`
# is not "__main__" (demo blocks under `if __name__ == "__main__":` do not run), stdin cannot be
# read, and an early `exit()` is a failure. `agentbench.run_script` reproduces all three inside
# the sealed harness (the container replaces code_eval's in-process reliability guard), and only
# its signed verdict says whether the tests ran to their end.


@dataclass
class ProgramRun:
    """The outcome of one program with its tests."""

    passed: bool
    failure: str | None
    exit_code: int
    duration_s: float
    stdout_tail: str
    stderr_tail: str
    explanation: str = ""
    notes: tuple[str, ...] = ()

    def as_details(self, program: str) -> dict[str, Any]:
        """A JSON-able record for `Score.details`."""
        details: dict[str, Any] = {
            "passed": self.passed,
            "failure": self.failure,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 4),
            "stderr_tail": self.stderr_tail,
            "program": program,
        }
        if not self.passed:
            details["why"] = self.explanation
        if self.notes:
            details["harness_notes"] = list(self.notes)
        return details


def test_script(program: str, test_code: str) -> tuple[str, str]:
    """What upstream runs, as (program, tests): the file is program + "\\n" + test code."""
    return program, test_code


async def run_program(
    ctx: EpisodeContext, program: str, tests: str, *, name: str, timeout: float
) -> ProgramRun:
    """Run `program` then `tests` (shown as `name` in tracebacks) in the sandbox, sealed."""
    return program_run(await run_script(ctx, program, tests, timeout=timeout, name=name))


def program_run(report: ScriptReport) -> ProgramRun:
    """A `ProgramRun` from the sealed harness's report."""
    stderr = report.stderr_tail + (report.message if not report.passed else "")
    return ProgramRun(
        passed=report.passed,
        failure=report.failure,
        exit_code=report.exec.exit_code,
        duration_s=report.exec.duration_s,
        stdout_tail=report.stdout_tail[-2000:],
        stderr_tail=stderr[-2000:],
        explanation=report.explanation,
        notes=tuple(report.notes),
    )
