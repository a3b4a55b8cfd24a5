"""Upstream's verdicts and metrics (test_pipeline.py: get_test_answer, evaluate,
cal_metrics_pass_at_k), with figures worked out by hand."""

from __future__ import annotations

import pytest
from agentbench_classgen.classeval.scoring import (
    class_results,
    class_verdict,
    classeval_metrics,
    verdict_of_counts,
)

from agentbench import ExecResult, TestOutcome, TestReport


@pytest.mark.parametrize(
    ("errors", "failures", "run", "verdict"),
    [
        (0, 0, 0, "error"),  # nothing ran (timeout, import error)
        (3, 0, 3, "error"),  # every test errored
        (0, 0, 4, "success"),
        (1, 1, 4, "partial_success"),
        (2, 0, 3, "partial_success"),
        (0, 3, 3, "fail"),
        (1, 2, 3, "fail"),
    ],
)
def test_test_class_verdicts(errors: int, failures: int, run: int, verdict: str) -> None:
    assert verdict_of_counts(errors, failures, run) == verdict


def test_class_verdicts() -> None:
    assert class_verdict(["success", "success"]) == "class_success"
    assert class_verdict(["success", "partial_success"]) == "class_partial_success"
    assert class_verdict(["success", "partial_success", "fail"]) == "class_fail"
    assert class_verdict(["success", "error"]) == "class_fail"


def test_class_results_count_as_upstream_and_unfinished_classes_are_errors() -> None:
    def outcome(name: str, result: str, parent: str | None = None) -> TestOutcome:
        return TestOutcome(name=f"m.{name}", outcome=result, parent=parent)  # type: ignore[arg-type]

    report = TestReport(
        exec=ExecResult(exit_code=124, timed_out=True),
        finished=False,
        tests=[
            outcome("A.test_1", "passed"),
            outcome("A.test_2 (i=0)", "failed", parent="m.A.test_2"),
            outcome("A.test_2 (i=1)", "failed", parent="m.A.test_2"),
            outcome("B.test_1", "error"),
        ],
        groups={"A": {"timed_out": False}, "B": {"timed_out": True}},
    )
    results = class_results(report, ["A", "B", "C"])
    assert [(r.test_class, r.testsRun, r.failures, r.verdict) for r in results] == [
        ("A", 2, 2, "fail"),  # subtest failures count (2 of 2 started), the test once
        ("B", 0, 0, "error"),  # ran out of its time: 0 tests run, as upstream's timeout
        ("C", 0, 0, "error"),  # never finished
    ]
    assert results[2].note == "not run: the run timed out"


def test_metrics_average_over_every_test_class_and_every_task() -> None:
    s, p, f = "success", "partial_success", "fail"
    per_sample = {
        # task 1, two samples: class_success, then class_partial_success
        "T1": [{"A": s, "B": s}, {"A": s, "B": p}],
        # task 2, two samples: class_fail twice
        "T2": [{"C": f, "D": s, "E": "error"}, {"C": p, "D": f, "E": "error"}],
    }
    figures = classeval_metrics(per_sample)
    one, two = figures["pass@1"], figures["pass@2"]
    # pass@1 of c successes out of 2 is c/2. Test classes: A 2/2, B 1/2, C 0/2, D 1/2, E 0/2.
    assert one["fun_success"] == pytest.approx((1 + 0.5 + 0 + 0.5 + 0) / 5)
    # success or partial: A 2, B 2, C 1, D 1, E 0
    assert one["fun_partial_success"] == pytest.approx((1 + 1 + 0.5 + 0.5 + 0) / 5)
    assert one["class_success"] == pytest.approx((0.5 + 0) / 2)
    assert one["class_partial_success"] == pytest.approx((1 + 0) / 2)
    # pass@2 with 2 samples: 1 when any sample counts
    assert two == {
        "fun_success": pytest.approx(3 / 5),
        "fun_partial_success": pytest.approx(4 / 5),
        "class_success": 0.5,
        "class_partial_success": 0.5,
    }
    assert "pass@3" not in figures
    assert figures["verdicts"]["class_fail"] == 2
    assert figures["verdicts"]["error"] == 2
