"""Execution helpers that tasks share: run a program or a unittest module in a sandbox.

Every helper takes a `Sandbox`, or an `EpisodeContext` (then the commands go through `ctx.exec`
and appear in the episode's transcript).

    result = await run_python(ctx, program, timeout=10)
    report = await run_unittest(ctx, TEST_SOURCE, timeout=30, files={"solution.py": code})
    Score.of(report.all_passed, report.summary(), failure=report.failure_class)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel, Field

from agentbench.types import ExecResult

if TYPE_CHECKING:
    from agentbench.sandbox import Sandbox
    from agentbench.task import EpisodeContext

Outcome = Literal["passed", "failed", "error", "skipped"]
RESULTS_FILE = ".agentbench_unittest.jsonl"
RUNNER_FILE = "_agentbench_unittest_runner.py"
SYNTAX_ERRORS = frozenset({"SyntaxError", "IndentationError", "TabError"})

# The runner writes one JSON line per event to a file (not stdout, which the tests may print
# to), flushed at once, so results of tests that finished survive a timeout or a crash.
_RUNNER = r"""
import importlib, json, os, sys, time, traceback, unittest

module_name, results_path = sys.argv[1], os.path.abspath(sys.argv[2])
sys.path.insert(0, os.getcwd())
out = open(results_path, "w", encoding="utf-8")


def emit(**record):
    out.write(json.dumps(record) + "\n")
    out.flush()


def describe(err, result, test):
    return err[0].__name__, result._exc_info_to_string(err, test)[-4000:]


class Result(unittest.TestResult):
    def startTest(self, test):
        super().startTest(test)
        self._t0 = time.monotonic()

    def _emit(self, test, outcome, err=None, message="", parent=None):
        exception = None
        if err is not None:
            exception, message = describe(err, self, test)
        emit(name=test.id(), outcome=outcome, exception=exception, message=message, parent=parent,
             duration_s=round(time.monotonic() - getattr(self, "_t0", time.monotonic()), 4))

    def addSuccess(self, test):
        super().addSuccess(test)
        self._emit(test, "passed")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._emit(test, "failed", err)

    def addError(self, test, err):
        super().addError(test, err)
        self._emit(test, "error", err)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._emit(test, "skipped", message=str(reason))

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._emit(test, "passed", message="expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._emit(test, "failed", message="unexpected success")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            failed = issubclass(err[0], test.failureException)
            self._emit(subtest, "failed" if failed else "error", err, parent=test.id())


def ids(suite):
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from ids(item)
        else:
            yield item.id()


try:
    module = importlib.import_module(module_name)
except BaseException as exc:
    emit(name="<import>", outcome="error", exception=type(exc).__name__,
         message=traceback.format_exc()[-4000:])
    sys.exit(2)
suite = unittest.TestLoader().loadTestsFromModule(module)
emit(collected=list(ids(suite)))
result = Result()
suite.run(result)
emit(done=True)
sys.exit(0 if result.wasSuccessful() else 1)
"""


class TestOutcome(BaseModel):
    """The outcome of one test (or one failing subtest)."""

    __test__: ClassVar[bool] = False  # not a pytest test class

    name: str
    outcome: Outcome
    exception: str | None = None
    message: str = ""
    duration_s: float = 0.0


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
        """At least one test ran, and every test passed (or was skipped)."""
        ran = self.passed + self.failed + self.errors
        return (
            self.import_error is None and ran > 0 and self.passed == ran and not self.exec.timed_out
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
        if self.import_error is not None:
            return _class_of(self.import_error.exception)
        if self.exec.timed_out:
            return "timeout"
        for test in self.tests:
            if test.outcome == "error":
                return (
                    _class_of(test.exception)
                    if test.exception != "NotRun"
                    else classify_failure(self.exec)
                )
        if self.failed:
            return "assertion_error"
        return classify_failure(self.exec) if not self.exec.ok else "runtime_error:NoTests"

    def summary(self) -> str:
        """A one-line account: "3/4 passed (1 failed)", or the import error."""
        if self.import_error is not None:
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


def _class_of(exception: str | None) -> str:
    if exception in SYNTAX_ERRORS:
        return "syntax_error"
    if exception == "AssertionError":
        return "assertion_error"
    return f"runtime_error:{exception or 'unknown'}"


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
    return _class_of(name)


async def _exec(target: Sandbox | EpisodeContext, cmd: list[str], **kwargs: Any) -> ExecResult:
    # Both have an `exec` with this signature; the context's also logs the command.
    return await target.exec(cmd, **kwargs)


def _sandbox_of(target: Sandbox | EpisodeContext) -> Sandbox:
    from agentbench.task import EpisodeContext

    sandbox = target.sandbox if isinstance(target, EpisodeContext) else target
    if sandbox is None:
        raise RuntimeError("this episode has no sandbox; the task's sandbox_spec() returned None")
    return sandbox


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
    files: Mapping[str, str | bytes] | None = None,
    python: str = "python",
) -> TestReport:
    """Run a unittest module in the sandbox and report every test's outcome.

    Args:
        target: The sandbox, or the episode context (to log the command in the transcript).
        test_module_source: The source of the test module (unittest.TestCase classes).
        timeout: Seconds for the whole run; tests that had not finished are reported `NotRun`.
        module_name: The module name the tests are written as (`<module_name>.py`).
        files: Other files to write first, e.g. {"solution.py": code} that the tests import.
        python: The interpreter command.
    """
    await write_files(target, files)
    await _write(target, f"{module_name}.py", test_module_source)
    await _write(target, RUNNER_FILE, _RUNNER)
    await _write(target, RESULTS_FILE, "")
    result = await _exec(target, [python, RUNNER_FILE, module_name, RESULTS_FILE], timeout=timeout)
    try:
        raw = await _sandbox_of(target).read_file(RESULTS_FILE)
    except FileNotFoundError:
        raw = ""
    return parse_results(str(raw), result)


def parse_results(raw: str, result: ExecResult) -> TestReport:
    """Build a `TestReport` from the runner's JSON lines (tolerating a cut-off last line)."""
    report = TestReport(exec=result)
    collected: list[str] = []
    seen: set[str] = set()
    done = False
    for line in raw.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the process died mid-line
        if "collected" in record:
            collected = list(record["collected"])
            report.collected = len(collected)
        elif record.get("name") == "<import>":
            report.import_error = TestOutcome(**record)
        elif record.get("done"):
            done = True
        elif "name" in record and "outcome" in record:
            seen.add(record.pop("parent", None) or record["name"])
            report.tests.append(TestOutcome(**record))
    if done:
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
    if not raw.strip() and not result.ok:
        report.import_error = TestOutcome(
            name="<import>",
            outcome="error",
            exception=exception_type(result.stderr) or "NotRun",
            message=(result.stderr or result.stdout)[-4000:],
        )
    return report
