"""ClassEval in the `python` Docker image: oracle and null per strategy, the libraries the tasks
import, and the NLTK data installed at build time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agentbench_classgen.classeval.task import ClassEval

from agentbench.testing import run_episode

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_ready")]

TINY = Path(__file__).parent / "fixtures" / "classeval_tiny.json"

# Every third-party library ClassEval's 100 tasks import, and the NLTK data the image carries.
LIBRARY_CHECK = """\
import unittest


class ImageHasTheLibraries(unittest.TestCase):
    def test_imports(self):
        import bs4, docx, gensim, nltk, numpy, openpyxl, pandas, PIL, PyPDF2, reportlab

    def test_wordnet_without_network(self):
        from nltk.stem import WordNetLemmatizer

        self.assertEqual(WordNetLemmatizer().lemmatize("running", pos="v"), "run")
        self.assertEqual(WordNetLemmatizer().lemmatize("geese"), "goose")
"""


@pytest.mark.parametrize("strategy", ["holistic", "incremental", "compositional"])
async def test_oracle_and_null_in_docker(run_task, strategy: str) -> None:
    options = {"strategy": strategy}
    summary, results = await run_task("oracle", sandbox="docker", task_options=options)
    assert len(results) == 2 and all(r.passed for r in results.values()), {
        k: r.score.details["test_classes"] if r.score else r.error for k, r in results.items()
    }
    summary, results = await run_task("null", sandbox="docker", task_options=options)
    assert summary.metrics["task:pass@1"]["fun_partial_success"] == 0.0


async def test_the_image_has_every_library_and_the_wordnet_data(tmp_path: Path) -> None:
    record = json.loads(TINY.read_text())[1]
    record["test"] = LIBRARY_CHECK
    record["test_classes"] = ["ImageHasTheLibraries"]
    data = tmp_path / "libs.json"
    data.write_text(json.dumps([record]))
    task = ClassEval({"data": str(data), "timeout": 60})  # a loaded machine imports slowly
    run = await run_episode(task, sample_id="Fixture_1", model="oracle", sandbox="docker")
    details = run.score.details["test_classes"]["ImageHasTheLibraries"]
    assert details["verdict"] == "success", details
