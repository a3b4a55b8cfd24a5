"""The sealed harness: verdicts a program cannot forge, for scripts and unittest modules.

The hostile corpus (agentbench.hostile) only ever runs in Docker: its programs write to /tmp, the
home directory and every file they can reach, which the local backend would do on this machine.
"""

from __future__ import annotations

import pytest

from agentbench import SandboxSpec, run_script, run_unittest
from agentbench.hostile import HOSTILE_PROGRAMS
from agentbench.plugins import load_plugins
from agentbench.sealed import MARK, parse_verdict

TESTS = "assert solve(2) == 4\nassert solve(3) == 9\n"
GOOD = "def solve(x):\n    return x * x\n"
UNITTESTS = (
    "import unittest\n"
    "from solution import solve\n"
    "class TestSolve(unittest.TestCase):\n"
    "    def test_two(self):\n"
    "        self.assertEqual(solve(2), 4)\n"
    "    def test_three(self):\n"
    "        self.assertEqual(solve(3), 9)\n"
    "class TestMore(unittest.TestCase):\n"
    "    def test_abs(self):\n"
    "        self.assertEqual(abs(solve(-2)), 4)\n"
)


@pytest.fixture
async def local_box():
    backend = load_plugins().sandbox("local")("sealed", {})
    yield await backend.acquire(SandboxSpec())
    await backend.aclose()


@pytest.fixture
async def docker_box(docker_backend):
    return await docker_backend.acquire(SandboxSpec(memory_mb=512))


def test_only_lines_signed_with_the_runs_token_count() -> None:
    token = "a" * 32
    out = (
        f'{MARK}{"b" * 32} {{"kind": "done", "ok": true}}\n'
        f'noise {MARK}{token} {{"kind": "test", "name": "t", "outcome": "passed"}}\n'
        f'{MARK}{token} {{"kind": "done", "ok": false, "stage": "tests"}}\n'
        f'{MARK}{token} {{"kind": "done", "ok": true}}\n'
        f'{MARK}{token} {{"kind": "done", "ok": tr'
    )
    verdict = parse_verdict(out, token)
    assert verdict.forged == 1
    assert [t["name"] for t in verdict.tests] == ["t"]
    assert verdict.done == {"kind": "done", "ok": False, "stage": "tests"}  # the first one counts


async def test_a_correct_program_passes_and_a_wrong_one_fails(local_box) -> None:
    good = await run_script(local_box, GOOD, TESTS, timeout=20)
    assert good.passed and good.failure is None and good.explanation == "passed"
    wrong = await run_script(local_box, "def solve(x):\n    return x + x\n", TESTS, timeout=20)
    assert not wrong.passed and wrong.failure == "assertion_error"
    assert wrong.stage == "tests" and "assert solve(3) == 9" in wrong.message


async def test_upstream_semantics_name_is_not_main_and_exit_is_a_failure(local_box) -> None:
    demo = GOOD + "if __name__ == '__main__':\n    raise RuntimeError('demo ran')\n"
    assert (await run_script(local_box, demo, TESTS, timeout=20)).passed
    early = await run_script(local_box, GOOD + "exit()\n", TESTS, timeout=20)
    assert not early.passed and early.failure == "runtime_error:SystemExit"
    syntax = await run_script(local_box, "def solve(x:\n", TESTS, timeout=20)
    assert syntax.failure == "syntax_error" and syntax.stage == "compile"


async def test_program_output_never_hides_the_verdict(local_box) -> None:
    noisy = GOOD + "import sys\nprint('x' * 3_000_000)\nsys.stderr.write('e' * 3_000_000)\n"
    report = await run_script(local_box, noisy, TESTS, timeout=30)
    assert report.passed, report.explanation
    assert report.stdout_tail.endswith("x" * 100 + "\n") and not report.exec.truncated


async def test_a_statement_spanning_the_boundary_keeps_the_script_whole(local_box) -> None:
    # upstream concatenates program and tests: a program may end inside an expression.
    report = await run_script(
        local_box, "def solve(x):\n    return x * x\nvalues = [", "1]\n" + TESTS, timeout=20
    )
    assert report.passed, report.explanation


async def test_unittest_reports_each_test_and_select_picks_classes(local_box) -> None:
    files = {"solution.py": "def solve(x):\n    return x * x if x > 0 else 0\n"}
    report = await run_unittest(local_box, UNITTESTS, timeout=20, files=files)
    outcomes = {t.name.split(".")[-1]: t.outcome for t in report.tests}
    assert outcomes == {"test_two": "passed", "test_three": "passed", "test_abs": "failed"}
    assert report.collected == 3 and report.finished and not report.all_passed
    only = await run_unittest(local_box, UNITTESTS, timeout=20, files=files, select=["TestSolve"])
    assert only.collected == 2 and only.all_passed
    method = await run_unittest(
        local_box, UNITTESTS, timeout=20, files=files, select=["TestMore.test_abs"]
    )
    assert [t.name.split(".")[-1] for t in method.tests] == ["test_abs"]


@pytest.mark.docker
@pytest.mark.parametrize("attack", sorted(HOSTILE_PROGRAMS))
async def test_no_hostile_program_passes_a_script_check(docker_box, attack: str) -> None:
    report = await run_script(docker_box, HOSTILE_PROGRAMS[attack], TESTS, timeout=10)
    assert not report.passed, f"{attack} passed: {report}"
    assert report.failure and report.explanation.startswith("failed"), report


@pytest.mark.docker
@pytest.mark.parametrize("attack", sorted(HOSTILE_PROGRAMS))
async def test_no_hostile_program_passes_a_unittest_check(docker_box, attack: str) -> None:
    files = {"solution.py": HOSTILE_PROGRAMS[attack]}
    report = await run_unittest(docker_box, UNITTESTS, timeout=10, files=files)
    assert not report.all_passed, f"{attack} passed: {report}"
    assert report.failure_class != "passed" and report.summary()


@pytest.mark.docker
async def test_the_sanitised_run_starts_fresh_after_a_hostile_one(docker_box) -> None:
    # Everything the first run leaves (files, a process still running) is gone for the second.
    first = await run_script(
        docker_box, HOSTILE_PROGRAMS["child_outlives_the_program"], TESTS, timeout=10
    )
    assert not first.passed
    second = await run_script(docker_box, GOOD, TESTS, timeout=10)
    assert second.passed, second.explanation
    probe = (
        "import os\n"
        "needle = 'time.sleep' + '(30)'\n"
        "def cmd(p):\n"
        "    try:\n"
        "        return open(f'/proc/{p}/cmdline').read()\n"
        "    except OSError:\n"
        "        return ''\n"
        "print(sum(needle in cmd(p) for p in os.listdir('/proc') if p.isdigit()))\n"
    )
    left = await docker_box.exec(["python", "-c", probe])
    assert left.stdout.strip() == "0", left.stdout


async def test_groups_run_each_class_under_its_own_time_limit(local_box) -> None:
    source = (
        "import time, unittest\n"
        "class Fast(unittest.TestCase):\n"
        "    def test_a(self):\n"
        "        pass\n"
        "class Slow(unittest.TestCase):\n"
        "    def test_hangs(self):\n"
        "        time.sleep(10)\n"
        "    def test_hangs_too(self):\n"
        "        time.sleep(10)\n"
        "class After(unittest.TestCase):\n"
        "    def test_b(self):\n"
        "        self.assertTrue(False)\n"
    )
    report = await run_unittest(
        local_box,
        source,
        timeout=30,
        groups=["Fast", "Slow", "After", "Missing"],
        group_timeout=0.5,
        import_timeout=10,
    )
    assert report.groups == {
        "Fast": {"timed_out": False},
        "Slow": {"timed_out": True},
        "After": {"timed_out": False},
        "Missing": {"timed_out": False},
    }
    outcomes = {t.name.split(".")[-1]: t.outcome for t in report.tests}
    assert outcomes["test_a"] == "passed" and outcomes["test_b"] == "failed"
