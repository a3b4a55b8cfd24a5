"""Scoring a RepoClassBench episode from pytest's JSON report, with upstream's feedback.

Upstream (microsoft/repoclassbench, `python_evaluator.py` `contextually_evaluate`,
`evaluator_utils.PytestResults`, `python_repo_initializer.fetch_linter_errors`):

- the test directives run with `pytest ... --json-report --tb=auto
  --continue-on-collection-errors`; a test counts as passed when it is one of the record's
  `test_directives` (the tests expected to pass) and its report outcome is `passed` (only nodes
  the collectors list as `Function` or `TestCaseFunction` are counted);
- feedback: pylint errors (`--errors-only`) of five message ids, unless the ground-truth file
  had such errors too, then every failed collector's text and every failed expected test's
  setup/call/teardown text, each group sorted by length, the whole truncated to 2,500 tokens,
  lines with "Ignoring invalid distribution" removed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: pylint message ids upstream keeps (function-redefined, not-in-loop, return-outside-function,
#: no-value-for-parameter, undefined-variable).
LINT_MESSAGE_IDS = frozenset({"E0102", "E0103", "E0104", "E1120", "E0602"})
MAX_FEEDBACK_TOKENS = 2500
_FUNCTION_TYPES = ("Function", "TestCaseFunction")
_LINT_PREAMBLE = (
    "Linter errors detected. Please fix them first. These are linter errors on the whole file "
    "and not just the class. Some errors such as symbol not found may either be due to missing "
    "imports or missing members in the class."
)


@dataclass
class Outcome:
    """The scored result of one evaluation."""

    expected: list[str]
    passed: list[str]
    failed: list[str]
    missing: list[str]  # expected tests neither passed nor failed (not run, not collected)
    feedback: str
    lint_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def all_passed(self) -> bool:
        """Every expected test passed (upstream's `final_judgement_outcome`)."""
        return len(self.passed) == len(self.expected)

    @property
    def test_rate(self) -> float:
        """Passed expected tests over expected tests."""
        return len(self.passed) / len(self.expected) if self.expected else 0.0


def worst_case_report(stderr: str) -> dict[str, Any]:
    """Upstream's stand-in when pytest wrote no JSON report: one failed collector."""
    return {
        "summary": {},
        "comments": "Artificially constructed json",
        "collectors": [
            {"result": [], "outcome": "failed", "nodeid": "Repository", "longrepr": stderr}
        ],
    }


def outcomes_by_node(report: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """({outcome: [nodeid]}, {nodeid: test record}) for the function nodes of the report."""
    node_types = {
        child["nodeid"]: child.get("type")
        for collector in report.get("collectors", [])
        for child in collector.get("result", [])
    }
    by_outcome: dict[str, list[str]] = {"passed": [], "failed": []}
    details = {test["nodeid"]: test for test in report.get("tests", [])}
    for test in report.get("tests", []):
        if node_types.get(test["nodeid"]) not in _FUNCTION_TYPES:
            continue
        by_outcome.setdefault(test["outcome"], []).append(test["nodeid"])
    return by_outcome, details


def lint_hints(pylint_json: str | list[dict[str, Any]], file_text: str) -> tuple[list, str]:
    """The kept pylint errors and upstream's hint text ("Line N | code | Errors: ...")."""
    items = json.loads(pylint_json) if isinstance(pylint_json, str) else pylint_json
    kept = [
        x for x in items if x.get("type") == "error" and x.get("message-id") in LINT_MESSAGE_IDS
    ]
    lines = file_text.split("\n")
    by_line: dict[int, list[str]] = {}
    for err in kept:
        by_line.setdefault(int(err["line"]) - 1, []).append(
            f"[{err['message-id']}]  {err['message']}"
        )
    hint = "".join(
        f"Line {line + 1} | {lines[line] if 0 <= line < len(lines) else ''} | "
        f"Errors: {' ; '.join(errors)}\n"
        for line, errors in by_line.items()
    )
    return kept, hint


def evaluate(
    report: dict[str, Any] | None,
    expected: list[str],
    *,
    lint: tuple[list, str] = ([], ""),
    ground_truth_has_lint_errors: bool = False,
    truncate: Callable[[str, int], str] | None = None,
) -> Outcome:
    """Score a pytest JSON report against the expected-to-pass tests and build the feedback."""
    report = report if report is not None else worst_case_report("")
    by_outcome, details = outcomes_by_node(report)
    passed = [t for t in expected if t in by_outcome["passed"]]
    failed = [t for t in expected if t in by_outcome["failed"]]
    missing = [t for t in expected if t not in passed and t not in failed]
    collectors: dict[str, str] = {}
    for collector in report.get("collectors", []):
        if collector.get("outcome") == "failed":
            collectors.setdefault(collector["nodeid"], str(collector.get("longrepr", "")))
    per_test: dict[str, str] = {}
    for test_id in failed + missing:
        if test_id not in details or details[test_id].get("outcome") == "passed":
            continue  # not in the report; or a passing node that is no test function
        text = ""
        for phase in ("setup", "call", "teardown"):
            part = details[test_id].get(phase)
            if part and part.get("outcome") != "passed":
                text += str(part.get("longrepr", "")) + "\n"
        per_test[test_id] = text
    errors, hint = ([], "") if ground_truth_has_lint_errors else lint
    feedback = ""
    if errors:
        feedback = f"<Linter Errors>\n{_LINT_PREAMBLE}\n{hint}</Linter Errors>\n"
    for node, text in sorted(collectors.items(), key=lambda kv: len(kv[1])):
        feedback += f"<Feedback for collector `{node}`>\n{text}\n</End of feedback for collector>\n"
    for test_id, text in sorted(per_test.items(), key=lambda kv: len(kv[1])):
        feedback += (
            f"<Feedback for test case `{test_id}`>\n{text}\n</End of feedback for test case>\n"
        )
    feedback = (truncate or truncate_tokens)(feedback, MAX_FEEDBACK_TOKENS)
    feedback = "\n".join(
        line for line in feedback.split("\n") if "Ignoring invalid distribution" not in line
    )
    return Outcome(expected, passed, failed, missing, feedback, list(errors))


def truncate_tokens(text: str, tokens: int) -> str:
    """The first `tokens` tokens of `text` in gpt-3.5-turbo's encoding (cl100k_base), as upstream
    counts them; when tiktoken or its encoding file is unavailable offline, ~4 characters a
    token."""
    encoding = _encoding()
    if encoding is None:
        return text[: tokens * 4]
    return str(encoding.decode(encoding.encode(text)[:tokens]))


#: tiktoken's cache file name for cl100k_base (the SHA-1 of its download URL).
_CL100K_CACHE_NAME = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"


def _encoding() -> Any:
    # Only a cached encoding file is used: fetching it needs the network, which may hang.
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    cache = cache or os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not os.path.isfile(os.path.join(cache, _CL100K_CACHE_NAME)):
        return None
    try:
        import tiktoken

        return tiktoken.get_encoding("cl100k_base")
    except Exception:  # not installed, or a broken cache
        return None
