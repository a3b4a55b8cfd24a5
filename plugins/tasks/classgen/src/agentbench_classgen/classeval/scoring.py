"""Running a ClassEval program's test classes, and upstream's verdicts and metrics.

Upstream (FudanSELab/ClassEval, `classeval_evaluation/test_pipeline.py`, read at 6934e932)
imports the program-plus-tests module and runs each test class with
`unittest.TextTestRunner` under a 5 s limit (`func_set_timeout(5)`); any exception (a timeout, an
import error, a missing class) records the class as 0 tests run. A class is `error` when no test
ran or every test errored, `success` when none failed or errored, `partial_success` when some
did, else `fail`. A sample is `class_success` when every test class succeeded,
`class_partial_success` when none failed or errored, else `class_fail`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from agentbench import pass_at_k

#: The runner, placed in the sandbox through `SandboxSpec.files`.
RUNNER_FILE = "_classeval_runner.py"
RESULTS_FILE = "_classeval_results.jsonl"
MODULE_NAME = "classeval_program"

# One process per program: the module is imported once (as upstream's importlib cache does), then
# each test class runs under its own time limit. A SIGALRM timer that keeps firing stops a class
# that runs too long even when the tests catch the first interruption (unittest records
# exceptions raised inside a test); such a class counts as upstream's timeout: 0 tests run.
# Results go to a file, one JSON line per class, flushed at once.
RUNNER_SOURCE = r"""
import importlib, io, json, os, signal, sys, traceback, unittest

module_name, results_path = sys.argv[1], os.path.abspath(sys.argv[2])
limit, import_limit = float(sys.argv[3]), float(sys.argv[4])
classes = json.loads(sys.argv[5])
sys.path.insert(0, os.getcwd())
out = open(results_path, "w", encoding="utf-8")
state = {"fired": False, "armed": False}


class TimeLimit(BaseException):
    pass


def on_alarm(signum, frame):
    if state["armed"]:
        state["fired"] = True
        raise TimeLimit()


def disarm():
    state["armed"] = False
    signal.setitimer(signal.ITIMER_REAL, 0)


def emit(**record):
    out.write(json.dumps(record) + "\n")
    out.flush()


def limited(seconds, function):
    state["fired"], state["armed"] = False, True
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    try:
        return function()
    finally:
        disarm()


def problem(exc):
    if state["fired"]:
        return "timeout"
    return "".join(traceback.format_exception_only(type(exc), exc)).strip()[-500:]


module, import_problem = None, None
try:
    module = limited(import_limit, lambda: importlib.import_module(module_name))
except BaseException as exc:
    disarm()
    import_problem = "import: " + problem(exc)


def run_class(name):
    suite = unittest.TestLoader().loadTestsFromTestCase(getattr(module, name))
    return unittest.TextTestRunner(stream=io.StringIO()).run(suite)


for name in classes:
    if module is None:
        emit(test_class=name, errors=0, failures=0, testsRun=0, note=import_problem)
        continue
    try:
        result = limited(limit, lambda: run_class(name))
        if state["fired"]:
            raise TimeLimit()
    except BaseException as exc:
        disarm()
        emit(test_class=name, errors=0, failures=0, testsRun=0, note=problem(exc))
        continue
    first = (result.errors or result.failures or [(None, "")])[0][1]
    emit(test_class=name, errors=len(result.errors), failures=len(result.failures),
         testsRun=result.testsRun, note=first[-500:])
emit(done=True)
"""


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


def parse_results(raw: str, test_classes: list[str], why_missing: str) -> list[ClassResult]:
    """One result per test class, in order; classes the runner never reported are errors."""
    found: dict[str, ClassResult] = {}
    for line in raw.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the process died mid-line
        if isinstance(record, dict) and record.get("test_class") in test_classes:
            found[record["test_class"]] = ClassResult(
                test_class=record["test_class"],
                errors=int(record.get("errors", 0)),
                failures=int(record.get("failures", 0)),
                testsRun=int(record.get("testsRun", 0)),
                note=str(record.get("note") or ""),
            )
    return [found.get(name) or ClassResult(name, note=why_missing) for name in test_classes]


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
