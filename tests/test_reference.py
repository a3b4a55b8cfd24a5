"""The public API reference is generated from the docstrings and kept current."""

from __future__ import annotations

import inspect
from pathlib import Path

import agentbench
from agentbench._reference import hooks, render

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "reference.md"


def test_every_public_name_and_hook_is_documented() -> None:
    undocumented = [
        name
        for name in agentbench.__all__
        if name != "__version__" and not (inspect.getdoc(getattr(agentbench, name)) or "").strip()
    ]
    undocumented += [name for name, spec in hooks() if not (inspect.getdoc(spec) or "").strip()]
    assert not undocumented, f"no docstring: {undocumented}"


def test_docs_reference_is_what_the_docstrings_say() -> None:
    assert REFERENCE.read_text() == render(), (
        "docs/reference.md is stale: run `python -m agentbench._reference > docs/reference.md`"
    )
