"""Placing a generated class where the ground-truth class was, as upstream does.

Upstream (microsoft/repoclassbench, `python_repo_initializer.py`): the ground-truth class body
(found exactly once in the file) is replaced by `# <MSR CLASS PLACEHOLDER>`, then the imports that
only the removed class used are dropped with `ruff --fix --fix-only --fixable F401`; at
evaluation the placeholder is replaced by the generated class.
"""

from __future__ import annotations

import shutil
import subprocess

from agentbench import DataError

PLACEHOLDER = "# <MSR CLASS PLACEHOLDER>"


def remove_ground_truth(file_text: str, ground_truth: str) -> str:
    """The file with the ground-truth class replaced by the placeholder."""
    count = file_text.count(ground_truth)
    if count != 1:
        raise DataError(
            f"the ground-truth class occurs {count} times in its file (expected once)",
            "check that the repository is at the record's commit_id",
        )
    return file_text.replace(ground_truth, PLACEHOLDER)


def drop_unused_imports(source: str, *, filename: str = "module.py") -> str:
    """`source` without its unused imports (ruff's F401 fix, nothing else).

    `filename` matters: ruff treats `__init__.py` files differently (re-exports).
    """
    ruff = shutil.which("ruff")
    if ruff is None:
        raise DataError("ruff is not installed", "pip install ruff (it drops unused imports)")
    done = subprocess.run(
        [ruff, "check", "--no-cache", "--isolated", "--select", "F401", "--fix-only", "--exit-zero",
         "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise DataError(f"ruff failed: {done.stderr.strip()[-500:]}", "check the file's syntax")
    return done.stdout


def prepared_file(file_text: str, ground_truth: str, *, filename: str = "module.py") -> str:
    """The file as the model's class is placed into: class removed, unused imports dropped."""
    return drop_unused_imports(remove_ground_truth(file_text, ground_truth), filename=filename)


def place_class(prepared: str, generated: str) -> str:
    """The prepared file with the generated class at the placeholder."""
    if PLACEHOLDER not in prepared:
        raise DataError("the prepared file has no class placeholder", "prepare it first")
    return prepared.replace(PLACEHOLDER, generated)


def reference_answer(file_text: str, ground_truth: str) -> str:
    """The ground-truth class as an answer: the file's top-level imports (the placement may have
    dropped those only the class used), then the class."""
    import ast

    tree = ast.parse(file_text)
    imports = [
        ast.get_source_segment(file_text, node) or ""
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    return "\n".join([*imports, ground_truth])
