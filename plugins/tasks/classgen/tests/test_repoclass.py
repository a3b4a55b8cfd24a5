"""RepoClassBench's pure parts on the fixture repository (upstream's layout): data, placement,
scoring from a real pytest JSON report, feedback, the repository tools and the image context."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from agentbench_classgen.repoclass import repo_tools
from agentbench_classgen.repoclass.data import (
    description,
    load_records,
    relative_file,
    repository_dir,
)
from agentbench_classgen.repoclass.image import build_context, upstream_test_extras
from agentbench_classgen.repoclass.placement import (
    PLACEHOLDER,
    place_class,
    prepared_file,
    reference_answer,
)
from agentbench_classgen.repoclass.scoring import evaluate, lint_hints

from agentbench import ConfigError, DataError

HERE = Path(__file__).parent / "fixtures" / "repoclass"
RECORD = json.loads((HERE / "python_data.json").read_text())[0]
INSTALL = {"python": "3.11", "packages": "requirements.txt", "install": "pip install -e ."}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the fixture repository with the ground-truth class replaced by the placeholder."""
    target = tmp_path / RECORD["repo_metadata"]["issue_id"]
    shutil.copytree(repository_dir(HERE / "repos", RECORD), target)
    module = target / relative_file(RECORD)
    module.write_text(prepared_file(module.read_text(), RECORD["ground_truth_class_body"]))
    return target


def _run_tests(repo: Path, answer: str) -> dict:
    module = repo / relative_file(RECORD)
    module.write_text(place_class(module.read_text(), answer))
    report = repo / "report.json"
    directives = RECORD["evaluation_metadata"]["test_directives"]
    subprocess.run(
        [sys.executable, "-m", "pytest", *directives, "-p", "no:cacheprovider", "--json-report",
         f"--json-report-file={report}", "--tb=auto", "--continue-on-collection-errors", "-q"],
        cwd=repo, capture_output=True, text=True, timeout=120, check=False,
        env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    return json.loads(report.read_text())


def test_records_layout_and_languages(tmp_path: Path) -> None:
    records = load_records(HERE / "python_data.json")
    assert [r["task_id"] for r in records] == ["geo__shapes-0001_Polygon"]
    assert relative_file(RECORD) == "shapes/polygon.py"
    assert description(RECORD, "sketchy").startswith("The 'Polygon' class")
    litestar = {**RECORD, "file": "/home/x/repos/litestar/litestar/connection/websocket.py"}
    assert relative_file(litestar) == "litestar/connection/websocket.py"
    with pytest.raises(ConfigError, match="Java tasks are not supported yet"):
        load_records(HERE / "mixed_languages.json")
    with pytest.raises(DataError, match="not found under"):
        repository_dir(tmp_path, RECORD)


def test_placement_drops_imports_only_the_class_used(repo: Path) -> None:
    text = (repo / "shapes/polygon.py").read_text()
    assert PLACEHOLDER in text and "class Polygon" not in text
    # math, distance and to_cm were used only by the class; Point... too (triangle uses Polygon)
    assert "import math" not in text and "to_cm" not in text
    assert "def triangle(a, b, c):" in text
    with pytest.raises(DataError, match="occurs 0 times"):
        prepared_file(text, RECORD["ground_truth_class_body"])


def test_oracle_passes_every_directive_and_null_none(repo: Path, tmp_path: Path) -> None:
    original = (HERE / "repos" / "geo__shapes-0001" / "shapes" / "polygon.py").read_text()
    answer = reference_answer(original, RECORD["ground_truth_class_body"])
    expected = RECORD["evaluation_metadata"]["test_directives"]
    outcome = evaluate(_run_tests(repo, answer), expected)
    assert outcome.all_passed and outcome.test_rate == 1.0, outcome.feedback
    assert outcome.feedback == ""

    null_repo = tmp_path / "null"
    shutil.copytree(repo, null_repo)
    (null_repo / "shapes/polygon.py").write_text(
        prepared_file(original, RECORD["ground_truth_class_body"])
    )
    outcome = evaluate(_run_tests(null_repo, ""), expected)
    assert outcome.passed == [] and not outcome.all_passed
    assert outcome.feedback.startswith("<Feedback for collector `tests/test_polygon.py`>")
    assert "ImportError" in outcome.feedback


def test_feedback_lists_lint_errors_then_failures_sorted_by_length(repo: Path) -> None:
    broken = (
        "from shapes.geometry import distance\n"
        "class Polygon:\n"
        "    def __init__(self, corners):\n"
        "        self.corners = list(corners)\n"
        "    def perimeter(self):\n"
        "        return undefined_total\n"
        "    def area(self):\n"
        "        return 0\n"
    )
    report = _run_tests(repo, broken)
    module = repo / "shapes/polygon.py"
    pylint = subprocess.run(
        [sys.executable, "-m", "pylint", "--errors-only", "--output-format=json", str(module)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    lint = lint_hints(pylint.stdout, module.read_text())
    expected = RECORD["evaluation_metadata"]["test_directives"]
    outcome = evaluate(report, expected, lint=lint)
    assert [e["message-id"] for e in outcome.lint_errors] == ["E0602"]
    assert outcome.feedback.startswith("<Linter Errors>\nLinter errors detected.")
    assert "| Errors: [E0602]  Undefined variable 'undefined_total'" in outcome.feedback
    assert outcome.passed == ["tests/test_polygon.py::test_too_few_corners"] or not outcome.passed
    blocks = outcome.feedback.split("<Feedback for test case ")[1:]
    assert len(blocks) == len(outcome.failed) and blocks == sorted(blocks, key=len)
    # a ground truth with lint errors of its own silences them
    quiet = evaluate(report, expected, lint=lint, ground_truth_has_lint_errors=True)
    assert "<Linter Errors>" not in quiet.feedback
    cut = evaluate(report, expected, truncate=lambda text, n: text[:100])
    assert len(cut.feedback) <= 100


def test_scoring_of_a_hand_made_report() -> None:
    report = {
        "collectors": [
            {"nodeid": "t.py", "outcome": "passed", "result": [
                {"nodeid": "t.py::a", "type": "Function"},
                {"nodeid": "t.py::b", "type": "Function"},
                {"nodeid": "t.py::C", "type": "Class"}]},
            {"nodeid": "u.py", "outcome": "failed", "longrepr": "boom", "result": []},
        ],
        "tests": [
            {"nodeid": "t.py::a", "outcome": "passed"},
            {"nodeid": "t.py::b", "outcome": "failed",
             "setup": {"outcome": "passed"}, "call": {"outcome": "failed", "longrepr": "assert 1"}},
            {"nodeid": "t.py::C", "outcome": "passed"},
        ],
    }  # fmt: skip
    outcome = evaluate(report, ["t.py::a", "t.py::b", "t.py::C", "u.py::d"])
    assert (outcome.passed, outcome.failed) == (["t.py::a"], ["t.py::b"])
    assert outcome.missing == ["t.py::C", "u.py::d"]  # a Class node is not a test
    assert outcome.test_rate == 0.25
    assert outcome.feedback == (
        "<Feedback for collector `u.py`>\nboom\n</End of feedback for collector>\n"
        "<Feedback for test case `t.py::b`>\nassert 1\n\n</End of feedback for test case>\n"
    )


def test_repository_tools(repo: Path) -> None:
    def tool(*args: str) -> str:
        base = ["--repo", str(repo), "--file", "shapes/polygon.py", "--class-name", "Polygon"]
        return repo_tools.run([*base, *args])

    assert "* `from shapes.geometry import distance` (represents a function in the module " in (
        tool("get_imports", "distance")
    )
    assert "No suggestions found" in tool("get_imports", "nothing_like_this")
    info = tool("get_class_info", "Point")
    assert info.startswith("<Total 1 result(s) found:>\n## Details about shortlisted result ID 0:")
    assert "Class `shapes.geometry.Point`. Defined in `./shapes/geometry.py`" in info
    assert "    def shifted(self, dx, dy):" in info
    assert "def distance(a, b):" in tool("get_signature", "distance")
    assert tool("get_signature", "Point", "distance") == "No matching results found!"
    body = tool("get_method_body", "Point", "shifted")
    assert "return Point(self.x + dx, self.y + dy)" in body and "```python" in body
    snippets = tool("get_related_snippets", "inches to centimetres conversion")
    assert snippets.startswith("#### Beginning of snippets ####\n<Snippet 1, derived from ")
    assert "shapes/units.py and lines ([0, 7])" in snippets.split("<End of snippet 1>")[0]
    assert "tests/" not in snippets
    code = tool("get_relevant_code", "euclidean distance between two points")
    assert "def distance(a, b):" in code.split("<End of snippet 1>")[0]
    assert "class Polygon" not in tool("get_relevant_code", "polygon corners perimeter area")


def test_image_build_context() -> None:
    repo = HERE / "repos" / "geo__shapes-0001"
    context = build_context(RECORD, repo, INSTALL)
    assert context.dockerfile == (
        "FROM python:3.11-slim\n"
        "USER root\n"
        "ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1\n"
        "COPY repo_tools.py extra-ca.cr[t] /opt/agentbench/\n"
        "RUN if [ -s /opt/agentbench/extra-ca.crt ]; then cat /etc/ssl/certs/ca-certificates.crt "
        "/opt/agentbench/extra-ca.crt > /opt/agentbench/ca.crt; else cp "
        "/etc/ssl/certs/ca-certificates.crt /opt/agentbench/ca.crt; fi\n"
        "ENV PIP_CERT=/opt/agentbench/ca.crt\n"
        "COPY repo/ /repo/\n"
        "WORKDIR /repo\n"
        "RUN pip install -r requirements.txt\n"
        "RUN pip install -e .\n"
        'RUN pip install "pytest<=7.4.4"\n'
        "RUN pip install pytest-json-report rank-bm25 pylint\n"
    )
    assert "repo/shapes/polygon.py" in context.files and "repo_tools.py" in context.files
    same = build_context(RECORD, repo, INSTALL)
    assert same.digest == context.digest
    changed = build_context(RECORD, repo, {**INSTALL, "python": "3.10"})
    assert changed.digest != context.digest and changed.dockerfile.startswith("FROM python:3.10")
    assert upstream_test_extras("pydicom/pydicom") == [
        'pip install "pytest<=7.4.4"',
        "pip install pyvista psutil",
    ]
    assert upstream_test_extras("pytest-dev/pytest")[0] == (
        "pip install urllib3 idna certifi six coverage attrs tomli requests"
    )
