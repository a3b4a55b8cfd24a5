"""Execution helpers, run for real in the local sandbox."""

from __future__ import annotations

import pytest

from agentbench import (
    EpisodeContext,
    EpisodeLog,
    ExecResult,
    Limits,
    Sample,
    SandboxSpec,
    Task,
    classify_failure,
    run_python,
    run_unittest,
)
from agentbench.plugins import load_plugins


@pytest.fixture
async def box():
    backend = load_plugins().sandbox("local")("checkers", {})
    yield await backend.acquire(SandboxSpec())
    await backend.aclose()


async def test_run_python_runs_the_program_with_args_and_stdin(box) -> None:
    program = "import sys\nprint(sys.argv[1:], sys.stdin.read().upper())"
    result = await run_python(box, program, timeout=10, args=["a", "b"], input="x")
    assert result.ok and result.stdout.strip() == "['a', 'b'] X"
    assert (await box.read_file("main.py")) == program


async def test_run_python_writes_extra_files_first(box) -> None:
    result = await run_python(
        box,
        "from helper import VALUE\nprint(VALUE * 2)",
        timeout=10,
        filename="pkg_main.py",
        files={"helper.py": "VALUE = 21"},
    )
    assert result.stdout == "42\n"


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("print('fine')", "passed"),
        ("def f(:\n    pass", "syntax_error"),
        ("if True:\nprint(1)", "syntax_error"),
        ("assert 1 + 1 == 3, 'math'", "assertion_error"),
        ("{}['missing']", "runtime_error:KeyError"),
        ("import json\njson.loads('{')", "runtime_error:JSONDecodeError"),
        (
            "class Oops(Exception):\n    pass\nraise Oops('multi\\nline\\nmessage')",
            "runtime_error:Oops",
        ),
        (
            "try:\n    1/0\nexcept ZeroDivisionError:\n    raise ValueError('during')",
            "runtime_error:ValueError",
        ),
        ("import sys\nsys.exit(3)", "runtime_error:exit_3"),
        ("import time\ntime.sleep(30)", "timeout"),
    ],
)
async def test_classify_failure_of_real_runs(box, program: str, expected: str) -> None:
    result = await run_python(box, program, timeout=1.5)
    assert classify_failure(result) == expected, result.stderr


def test_classify_failure_ignores_output_that_is_not_a_traceback() -> None:
    noisy = ExecResult(exit_code=1, stderr="Error: something\nwarning: AssertionError text\n")
    assert classify_failure(noisy) == "runtime_error:exit_1"


TESTS = """
import unittest
from solution import add

class TestAdd(unittest.TestCase):
    def test_small(self):
        self.assertEqual(add(1, 2), 3)

    def test_negative(self):
        self.assertEqual(add(-1, -1), -2)

    def test_wrong_on_purpose(self):
        self.assertEqual(add(2, 2), 5)

    def test_raises(self):
        add(None, 1)

    @unittest.skip("not today")
    def test_skipped(self):
        pass

    def test_subtests(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertEqual(add(i, 0), 1)
"""


async def test_run_unittest_reports_every_outcome(box) -> None:
    report = await run_unittest(
        box, TESTS, timeout=20, files={"solution.py": "def add(a, b):\n    return a + b\n"}
    )
    outcomes = {t.name.split(".")[-1].split(" ")[0]: t.outcome for t in report.tests}
    assert report.collected == 6
    assert outcomes["test_small"] == outcomes["test_negative"] == "passed"
    assert outcomes["test_wrong_on_purpose"] == "failed"
    assert outcomes["test_raises"] == "error"
    assert outcomes["test_skipped"] == "skipped"
    subtests = [t for t in report.tests if "test_subtests" in t.name]
    assert len(subtests) == 2 and all(t.outcome == "failed" for t in subtests)  # i=0 and i=2
    raised = next(t for t in report.tests if t.name.endswith("test_raises"))
    assert raised.exception == "TypeError" and "NoneType" in raised.message
    assert (report.passed, report.failed, report.errors, report.skipped) == (2, 3, 1, 1)
    assert not report.all_passed
    assert report.failure_class == "runtime_error:TypeError"  # an exception outranks a failure
    assert report.summary() == "2/7 passed (3 failed, 1 errors, 1 skipped)"


async def test_tests_that_print_do_not_confuse_the_report(box) -> None:
    source = (
        "import unittest, sys\n"
        "class T(unittest.TestCase):\n"
        "    def test_noise(self):\n"
        '        print(\'{"name": "fake", "outcome": "passed"}\')\n'
        "        print('FAILED (failures=9)', file=sys.stderr)\n"
    )
    report = await run_unittest(box, source, timeout=20)
    assert [(t.name.split(".")[-1], t.outcome) for t in report.tests] == [("test_noise", "passed")]
    assert report.all_passed and report.failure_class == "passed" and report.pass_fraction == 1.0


async def test_a_solution_with_a_syntax_error_is_an_import_error(box) -> None:
    report = await run_unittest(
        box, TESTS, timeout=20, files={"solution.py": "def add(a, b)\n    return a+b\n"}
    )
    assert report.import_error is not None and report.import_error.exception == "SyntaxError"
    assert report.failure_class == "syntax_error"
    assert not report.all_passed and report.tests == []
    assert "did not import" in report.summary()


async def test_a_timeout_keeps_finished_tests_and_marks_the_rest(box) -> None:
    source = (
        "import time, unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_a_fast(self):\n"
        "        pass\n"
        "    def test_b_hangs(self):\n"
        "        time.sleep(60)\n"
        "    def test_c_never(self):\n"
        "        pass\n"
    )
    report = await run_unittest(box, source, timeout=1.5)
    outcomes = {t.name.split(".")[-1]: (t.outcome, t.exception) for t in report.tests}
    assert outcomes["test_a_fast"] == ("passed", None)
    assert outcomes["test_b_hangs"] == ("error", "NotRun")
    assert outcomes["test_c_never"] == ("error", "NotRun")
    assert report.exec.timed_out and report.failure_class == "timeout"
    assert report.pass_fraction == pytest.approx(1 / 3)


async def test_a_test_that_kills_the_process_is_reported(box) -> None:
    source = (
        "import os, unittest\n"
        "class T(unittest.TestCase):\n"
        "    def test_a(self):\n"
        "        pass\n"
        "    def test_b_exits(self):\n"
        "        os._exit(7)\n"
    )
    report = await run_unittest(box, source, timeout=20)
    outcomes = {t.name.split(".")[-1]: t for t in report.tests}
    assert outcomes["test_a"].outcome == "passed"
    assert (
        outcomes["test_b_exits"].exception == "NotRun"
        and "exit code 7" in outcomes["test_b_exits"].message
    )
    assert report.failure_class == "runtime_error:exit_7"


async def test_checkers_log_to_the_episode_transcript_when_given_a_context(box) -> None:
    ctx = EpisodeContext(
        task=Task(),
        sample=Sample(id="s"),
        model=None,
        sandbox=box,  # type: ignore[arg-type]
        log=EpisodeLog(),
        limits=Limits(),
    )
    result = await run_python(ctx, "print(6 * 7)", timeout=10)
    assert result.stdout == "42\n"
    execs = [e for e in ctx.log.events if e["type"] == "exec"]
    assert execs and execs[0]["cmd"] == ["python", "main.py"] and execs[0]["stdout"] == "42\n"
