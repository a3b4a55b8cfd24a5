# ruff: noqa: UP031, F821  (concatenated before harness_main.py, which defines describe, plain)
"""The sealed harness's unittest mode: runs a test suite and reports each outcome as it happens.

Not a program on its own: `agentbench.sealed.harness_source` sends this file followed by
`harness_main.py` as one script, so the names used here but not defined (`describe`, `plain`)
come from harness_main.py, and main() there calls `make_result_class` and `run_unittest`.
"""

import signal
import sys


def make_result_class():
    """A TestResult that reports every outcome through the audit hook as it happens."""
    import unittest

    audit = sys.audit

    def report(test, outcome, err=None, message="", parent=None):
        exception = None
        if err is not None:
            exception, message = describe(err[1])
        try:
            name = test.id()
        except BaseException:
            name = "<unknown>"
        audit(
            "agentbench.test",
            {
                "name": plain(name) or "<unknown>",
                "outcome": outcome,
                "exception": plain(exception),
                "message": plain(message),
                "parent": plain(parent),
            },
        )

    class Result(unittest.TestResult):
        def addSuccess(self, test):
            super().addSuccess(test)
            report(test, "passed")

        def addFailure(self, test, err):
            super().addFailure(test, err)
            report(test, "failed", err)

        def addError(self, test, err):
            super().addError(test, err)
            report(test, "error", err)

        def addSkip(self, test, reason):
            super().addSkip(test, reason)
            report(test, "skipped", message=plain(str(reason)) or "")

        def addExpectedFailure(self, test, err):
            super().addExpectedFailure(test, err)
            report(test, "passed", message="expected failure")

        def addUnexpectedSuccess(self, test):
            super().addUnexpectedSuccess(test)
            report(test, "failed", message="unexpected success")

        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None:
                failed = issubclass(err[0], test.failureException)
                report(subtest, "failed" if failed else "error", err, parent=test.id())

    Result.__module__ = "__agentbench_harness__"
    codes = set()
    for fn in (report, *(v for v in vars(Result).values() if callable(v))):
        code = getattr(fn, "__code__", None)
        if code is not None:
            codes.add(code)
    return Result, frozenset(codes)


def test_ids(suite, suite_cls):
    for item in suite:
        if isinstance(item, suite_cls):
            yield from test_ids(item, suite_cls)
        else:
            yield item.id()


def selected(suite, select, suite_cls):
    """The tests of `suite` whose id, class name or class-qualified name is in `select`."""
    keep = suite_cls()
    for test in suite:
        if isinstance(test, suite_cls):
            inner = selected(test, select, suite_cls)
            if inner.countTestCases():
                keep.addTest(inner)
            continue
        ident = test.id()
        parts = ident.split(".")
        names = {ident, parts[-2] if len(parts) > 1 else ident, ".".join(parts[-2:])}
        if names & select:
            keep.addTest(test)
    return keep


class TimeLimit(BaseException):
    """Raised by the harness's timer in the code it limits (not an Exception: tests rarely catch
    it, and a timer that keeps firing ends a test that does)."""


class Timer:
    """SIGALRM after `seconds`, then every 50 ms until disarmed (`fired` says whether it rang)."""

    def __init__(self):
        self.armed = self.fired = False

    def _ring(self, signum, frame):
        if self.armed:
            self.fired = True
            raise TimeLimit()

    def run(self, seconds, function):
        if not seconds:
            return function()
        self.armed, self.fired = True, False
        signal.signal(signal.SIGALRM, self._ring)
        signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
        try:
            return function()
        finally:
            self.armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)


def run_unittest(payload, sentry, result_cls, loader, suite_cls, audit):
    """Import the test module (it imports the program), seal, run the selected tests.

    With `groups` (test class names), each class runs as its own suite under `group_timeout`
    seconds, the module once imported under `import_timeout` (upstream ClassEval's protocol); a
    class that ran out of time is reported as a `group` record with `timed_out`.
    """
    module_name = payload.get("module") or "test_solution"
    timer = Timer()
    try:
        module = timer.run(payload.get("import_timeout"), lambda: __import__(module_name))
    except SystemExit as exc:
        return {
            "ok": False,
            "stage": "import",
            "exception": "SystemExit",
            "message": "SystemExit: exited while importing (%s)" % plain(exc.code),
        }
    except BaseException as exc:
        kind, text = ("Timeout", "the import ran out of time") if timer.fired else describe(exc)
        return {"ok": False, "stage": "import", "exception": kind, "message": text}
    restored = sentry.restore()
    groups = payload.get("groups")
    if groups:
        suites = [(name, group_suite(loader, suite_cls, module, name)) for name in groups]
    else:
        suite = loader.loadTestsFromModule(module)
        if payload.get("select"):
            suite = selected(suite, set(payload["select"]), suite_cls)
        suites = [(None, suite)]
    collected = [t for _name, suite in suites for t in test_ids(suite, suite_cls)]
    audit("agentbench.collected", plain(collected))
    result = result_cls()
    limit = payload.get("group_timeout") if groups else None
    for name, suite in suites:
        try:
            timer.run(limit, lambda suite=suite: suite.run(result))
        except SystemExit as exc:
            return {
                "ok": False,
                "stage": "tests",
                "exception": "SystemExit",
                "collected": collected,
                "message": "SystemExit: exited while the tests ran (%s)" % plain(exc.code),
            }
        except BaseException as exc:
            if not timer.fired:
                kind, text = describe(exc)
                return {
                    "ok": False,
                    "stage": "tests",
                    "exception": kind,
                    "message": text,
                    "collected": collected,
                }
        if name is not None:
            audit("agentbench.group", {"name": name, "timed_out": timer.fired})
    return {"ok": True, "stage": "done", "collected": collected, "restored": restored}


def group_suite(loader, suite_cls, module, name):
    """The tests of the class `name` in `module` (an empty suite when there is none)."""
    case = getattr(module, name, None)
    if isinstance(case, type):
        try:
            return loader.loadTestsFromTestCase(case)
        except TypeError:
            pass
    return suite_cls()
