"""Running a ClassEval program's test classes, and upstream's verdicts and metrics.

Upstream (FudanSELab/ClassEval, `classeval_evaluation/test_pipeline.py`, read at 6934e932)
imports the program-plus-tests module and runs each test class with
`unittest.TextTestRunner` under a 5 s limit (`func_set_timeout(5)`); any exception (a timeout, an
import error, a missing class) records the class as 0 tests run. Here the module runs through
agentbench's sealed harness (`run_unittest(groups=...)`): one import, each class its own suite
under its own limit, every outcome a signed record the program cannot forge.

A class is `error` when no test ran or every test errored, `success` when none failed or
errored, `partial_success` when some did, else `fail`. A sample is `class_success` when every
test class succeeded, `class_partial_success` when none failed or errored, else `class_fail`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentbench import TestReport, pass_at_k

#: The module name the program and its tests are imported as.
MODULE_NAME = "classeval_program"


@dataclass
class ClassResult:
    """unittest's counts for one test class, as upstream records them."""

    test_class: str
    errors: int = 0
    failures: int = 0
    testsRun: int = 0  # upstream's key
    note: str = ""

    @property
    def verdict(self) -> str:
        """Upstream's `get_test_answer`."""
        return verdict_of_counts(self.errors, self.failures, self.testsRun)

    def as_details(self) -> dict[str, Any]:
        """A JSON-able record for `Score.details`."""
        return {
            "errors": self.errors,
            "failures": self.failures,
            "testsRun": self.testsRun,
            "verdict": self.verdict,
            "note": self.note,
        }


def verdict_of_counts(errors: int, failures: int, tests_run: int) -> str:
    """success, partial_success, fail or error, by upstream's rules."""
    if tests_run == 0 or errors == tests_run:
        return "error"
    if errors + failures == 0:
        return "success"
    if errors + failures < tests_run:
        return "partial_success"
    return "fail"


def class_verdict(verdicts: Iterable[str]) -> str:
    """class_success, class_partial_success or class_fail for one sample."""
    verdicts = list(verdicts)
    if all(v == "success" for v in verdicts):
        return "class_success"
    if not any(v in ("fail", "error") for v in verdicts):
        return "class_partial_success"
    return "class_fail"


def class_results(report: TestReport, test_classes: list[str]) -> list[ClassResult]:
    """One result per test class, in order, from the sealed run's per-test records.

    As upstream's runner counts them: `testsRun` the tests started, `errors` and `failures` the
    error and failure records (failing subtests included). A class that ran out of time, never
    finished, or could not run because the import failed counts 0 tests run (upstream's
    `func_set_timeout` / exception path).
    """
    if report.import_error is not None:
        why = f"import: {report.import_error.exception}: {report.import_error.message[-300:]}"
        return [ClassResult(name, note=why) for name in test_classes]
    if report.tampered:
        why = "the program changed the test harness: " + ", ".join(report.tampered[:3])
        return [ClassResult(name, note=why) for name in test_classes]
    out = []
    for name in test_classes:
        group = report.groups.get(name)
        if group is None:
            out.append(ClassResult(name, note=_unfinished(report)))
            continue
        if group.get("timed_out"):
            out.append(ClassResult(name, note="timeout"))
            continue
        tests = [t for t in report.tests if f".{name}." in t.name and t.exception != "NotRun"]
        started = {t.parent or t.name for t in tests}
        errors = [t for t in tests if t.outcome == "error"]
        failures = [t for t in tests if t.outcome == "failed"]
        first = (errors or failures or [None])[0]
        out.append(
            ClassResult(
                name,
                errors=len(errors),
                failures=len(failures),
                testsRun=len(started),
                note=(first.message[-500:] if first is not None else ""),
            )
        )
    return out


def _unfinished(report: TestReport) -> str:
    if report.exec.timed_out:
        return "not run: the run timed out"
    return f"not run: the test process died (exit code {report.exec.exit_code})"


def classeval_metrics(per_sample: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """Upstream's `cal_metrics_pass_at_k` for every k up to the fewest epochs of a sample.

    Args:
        per_sample: For each task, one {test class: verdict} mapping per scored episode.

    Returns:
        {"pass@k": {fun_success, fun_partial_success, class_success, class_partial_success}},
        plus counts of the verdicts. fun_* average over every test class of every task (the
        class-level test classes included), class_* over tasks, each as unbiased pass@k.
    """
    samples = {sid: runs for sid, runs in per_sample.items() if runs}
    if not samples:
        return {}
    max_k = min(len(runs) for runs in samples.values())
    figures: dict[str, Any] = {}
    for k in range(1, max_k + 1):
        figures[f"pass@{k}"] = _figures_at(samples, k)
    counts: dict[str, int] = defaultdict(int)
    for runs in samples.values():
        for run in runs:
            for verdict in run.values():
                counts[verdict] += 1
            counts[class_verdict(run.values())] += 1
    figures["verdicts"] = dict(sorted(counts.items()))
    return figures


def _figures_at(samples: dict[str, list[dict[str, str]]], k: int) -> dict[str, float]:
    fun = fun_partial = cls = cls_partial = 0.0
    test_classes = 0
    for runs in samples.values():
        n = len(runs)
        names = list(dict.fromkeys(name for run in runs for name in run))
        for name in names:
            verdicts = [run.get(name, "error") for run in runs]
            ok = verdicts.count("success")
            fun += pass_at_k(n, ok, k)
            fun_partial += pass_at_k(n, ok + verdicts.count("partial_success"), k)
            test_classes += 1
        whole = [class_verdict(run.values()) for run in runs]
        ok = whole.count("class_success")
        cls += pass_at_k(n, ok, k)
        cls_partial += pass_at_k(n, ok + whole.count("class_partial_success"), k)
    return {
        "fun_success": fun / test_classes if test_classes else 0.0,
        "fun_partial_success": fun_partial / test_classes if test_classes else 0.0,
        "class_success": cls / len(samples),
        "class_partial_success": cls_partial / len(samples),
    }
