"""Execution helpers that tasks share: run a program or a unittest module in a sandbox.

Every helper takes a `Sandbox`, or an `EpisodeContext` (then the commands go through `ctx.exec`
and appear in the episode's transcript).

    result = await run_python(ctx, program, timeout=10)
    report = await run_unittest(ctx, TEST_SOURCE, timeout=30, files={"solution.py": code})
    Score.of(report.all_passed, report.summary(), failure=report.failure_class)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from agentbench.sealed import (
    Verdict,
    _sandbox_of,
    failure_of,
    run_sealed,
    unfinished_failure,
)
from agentbench.types import ExecResult

if TYPE_CHECKING:
    from agentbench.sandbox import Sandbox
    from agentbench.task import EpisodeContext

Outcome = Literal["passed", "failed", "error", "skipped"]
SYNTAX_ERRORS = frozenset({"SyntaxError", "IndentationError", "TabError"})


class TestOutcome(BaseModel):
    """The outcome of one test (or one failing subtest)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    name: str
    outcome: Outcome
    exception: str | None = None
    message: str = ""
    duration_s: float = 0.0
    parent: str | None = Field(default=None, description="the test a failing subtest belongs to")


class TestReport(BaseModel):
    """Per-test outcomes of a unittest run, with the command's `ExecResult`.

    Tests that were collected but never reported (the run timed out or the process died) are
    listed as errors with the exception `NotRun`.
    """

    __test__: ClassVar[bool] = False

    tests: list[TestOutcome] = Field(default_factory=list)
    collected: int = 0
    import_error: TestOutcome | None = None
    exec: ExecResult
    finished: bool = Field(default=True, description="the harness wrote its signed final record")
    tampered: list[str] = Field(default_factory=list, description="protected state changed")
    notes: list[str] = Field(default_factory=list, description="what the harness denied")
    stdout_tail: str = ""
    stderr_tail: str = ""
    groups: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="groups that finished: name -> {timed_out}"
    )

    def count(self, outcome: Outcome) -> int:
        """How many tests had `outcome`."""
        return sum(t.outcome == outcome for t in self.tests)

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    @property
    def all_passed(self) -> bool:
        """The run finished untampered, at least one test ran, and every test passed."""
        ran = self.passed + self.failed + self.errors
        return (
            self.finished
            and not self.tampered
            and self.import_error is None
            and ran > 0
            and self.passed == ran
            and not self.exec.timed_out
        )

    @property
    def pass_fraction(self) -> float:
        """Passed tests over the tests that were not skipped (0.0 when none ran)."""
        ran = len(self.tests) - self.skipped
        return self.passed / ran if ran else 0.0

    @property
    def failure_class(self) -> str:
        """Why the run failed, in the vocabulary of `classify_failure` ("passed" if it did not).

        The worst cause wins: an import (syntax) error, then a timeout, then the first test that
        raised an unexpected exception, then a failed assertion.
        """
        if self.all_passed:
            return "passed"
        if self.tampered:
            return "tampered"
        if self.exec.timed_out:
            return "timeout"
        if self.import_error is not None:
            if self.import_error.exception == "NotRun":
                return unfinished_failure(self.exec)
            return failure_of(self.import_error.exception)
        for test in self.tests:
            if test.outcome == "error":
                if test.exception != "NotRun":
                    return failure_of(test.exception)
                return "runtime_error:NotRun" if self.finished else unfinished_failure(self.exec)
        if self.failed:
            return "assertion_error"
        return unfinished_failure(self.exec) if not self.finished else "runtime_error:NoTests"

    def summary(self) -> str:
        """A one-line account: "3/4 passed (1 failed)", or the import error."""
        if self.tampered:
            return "the program changed the test harness: " + ", ".join(self.tampered[:5])
        if self.import_error is not None:
            if self.import_error.exception in ("NotRun", "Timeout"):
                return self.import_error.message
            return f"the test module did not import: {self.import_error.exception}"
        extra = ", ".join(
            f"{n} {w}"
            for n, w in (
                (self.failed, "failed"),
                (self.errors, "errors"),
                (self.skipped, "skipped"),
            )
            if n
        )
        text = f"{self.passed}/{len(self.tests)} passed" + (f" ({extra})" if extra else "")
        return text + (" [timed out]" if self.exec.timed_out else "")


_FRAME = re.compile(r'^\s+File "')
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(?::(?:\s.*)?)?$")


def exception_type(output: str) -> str | None:
    """The type name of the last exception in a Python traceback in `output`, or None."""
    lines = output.splitlines()
    last_frame = max((i for i, line in enumerate(lines) if _FRAME.match(line)), default=None)
    if last_frame is None:
        return None
    for line in lines[last_frame + 1 :]:
        if line[:1].isspace() or not line:
            continue
        match = _EXCEPTION_LINE.match(line)
        if match:
            return match.group(1).rsplit(".", 1)[-1]
    return None


def classify_failure(result: ExecResult) -> str:
    """Sort a program's outcome into a failure class.

    Returns:
        "passed", "timeout", "syntax_error", "assertion_error", "runtime_error:<ExceptionType>",
        or "runtime_error:exit_<code>" when the program failed without a traceback.
    """
    if result.timed_out:
        return "timeout"
    if result.exit_code == 0:
        return "passed"
    name = exception_type(result.stderr) or exception_type(result.stdout)
    if name is None:
        return f"runtime_error:exit_{result.exit_code}"
    return failure_of(name)


async def _exec(target: Sandbox | EpisodeContext, cmd: list[str], **kwargs: Any) -> ExecResult:
    # Both have an `exec` with this signature; the context's also logs the command.
    return await target.exec(cmd, **kwargs)


async def _write(target: Sandbox | EpisodeContext, path: str, content: str | bytes) -> None:
    await _sandbox_of(target).write_file(path, content)


async def write_files(
    target: Sandbox | EpisodeContext, files: Mapping[str, str | bytes] | None
) -> None:
    """Write several files into the sandbox (paths relative to its workdir)."""
    for path, content in (files or {}).items():
        await _write(target, path, content)


async def run_python(
    target: Sandbox | EpisodeContext,
    program: str,
    *,
    timeout: float,
    filename: str = "main.py",
    args: Sequence[str] = (),
    input: str | bytes | None = None,
    files: Mapping[str, str | bytes] | None = None,
    python: str = "python",
) -> ExecResult:
    """Write `program` to `filename` in the sandbox and run it with `python`.

    Args:
        target: The sandbox, or the episode context (to log the command in the transcript).
        program: The Python source.
        timeout: Seconds before the program (and everything it started) is killed.
        filename: Where to write the program, relative to the workdir.
        args: Command-line arguments for the program.
        input: Data for its stdin.
        files: Other files to write first (e.g. the module under test).
        python: The interpreter command.
    """
    await write_files(target, files)
    await _write(target, filename, program)
    return await _exec(target, [python, filename, *args], timeout=timeout, input=input)


async def run_unittest(
    target: Sandbox | EpisodeContext,
    test_module_source: str,
    *,
    timeout: float,
    module_name: str = "test_solution",
    files: Mapping[str, str] | None = None,
    python: str = "python",
    select: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    group_timeout: float | None = None,
    import_timeout: float | None = None,
) -> TestReport:
    """Run a unittest module in the sandbox, sealed, and report every test's outcome.

    The module runs in a fresh directory through the sealed harness (see `agentbench.sealed`):
    outcomes are signed records a tested program cannot forge, and a run that wrote no final
    record (killed, timed out, ended early) never counts as passed.

    Args:
        target: The sandbox, or the episode context (to log the command in the transcript).
        test_module_source: The source of the test module (unittest.TestCase classes).
        timeout: Seconds for the whole run; tests that had not finished are reported `NotRun`.
        module_name: The module name the tests are written as (`<module_name>.py`).
        files: Other files placed beside it, e.g. {"solution.py": code} that the tests import.
        python: The interpreter command (Python 3.8 or newer).
        select: Run only these tests: test ids, class names, or "Class.test_method" names.
        groups: Run these test classes one after another, each as its own suite under
            `group_timeout` seconds, after one import of the module (ClassEval's protocol);
            `TestReport.groups` says which ran out of time.
        group_timeout: Seconds per group.
        import_timeout: Seconds for importing the test module (with the program).
    """
    payload = {
        "mode": "unittest",
        "module": module_name,
        "files": {**dict(files or {}), f"{module_name}.py": test_module_source},
        "select": list(select) if select else None,
        "groups": list(groups) if groups else None,
        "group_timeout": group_timeout,
        "import_timeout": import_timeout,
    }
    result, verdict = await run_sealed(target, payload, timeout=timeout, python=python)
    return report_of(verdict, result)


def report_of(verdict: Verdict, result: ExecResult) -> TestReport:
    """Build a `TestReport` from a sealed run's signed records."""
    done = verdict.done or {}
    report = TestReport(
        exec=result,
        finished=verdict.finished,
        tampered=verdict.tampered,
        notes=verdict.notes,
        stdout_tail=str(done.get("stdout_tail") or ""),
        stderr_tail=str(done.get("stderr_tail") or ""),
        groups=dict(verdict.groups),
    )
    if done.get("stage") == "import":
        report.import_error = TestOutcome(
            name="<import>",
            outcome="error",
            exception=done.get("exception"),
            message=str(done.get("message") or "")[-4000:],
        )
        return report
    seen: set[str] = set()
    for record in verdict.tests:
        name = str(record.get("name") or "?")
        seen.add(str(record.get("parent") or name))
        report.tests.append(
            TestOutcome(
                name=name,
                outcome=record.get("outcome") if record.get("outcome") in _OUTCOMES else "error",
                exception=record.get("exception"),
                message=str(record.get("message") or "")[-4000:],
                parent=record.get("parent") if isinstance(record.get("parent"), str) else None,
            )
        )
    collected = [str(c) for c in verdict.collected]
    report.collected = len(collected)
    if done.get("stage") == "tests" and not done.get("ok"):
        why = f"not run: the test run stopped ({done.get('exception')})"
    elif verdict.finished:
        why = "not run: a setUpClass or setUpModule failed"
    elif result.timed_out:
        why = "not run: the test run timed out"
    else:
        why = f"not run: the test process died (exit code {result.exit_code})"
    for name in collected:
        if name not in seen:
            report.tests.append(
                TestOutcome(name=name, outcome="error", exception="NotRun", message=why)
            )
    if not verdict.finished and not report.tests:
        report.import_error = TestOutcome(
            name="<import>",
            outcome="error",
            exception="NotRun" if not result.timed_out else "Timeout",
            message=why,
        )
    return report


_OUTCOMES = ("passed", "failed", "error", "skipped")
