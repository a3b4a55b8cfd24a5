"""Shared fixtures of the osworld tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest


@pytest.fixture
def docs() -> ModuleType:
    """The document builders of docs_fixtures.py (python-docx, python-pptx, Pillow, raw PDF)."""
    spec = importlib.util.spec_from_file_location(
        "osworld_docs_fixtures", Path(__file__).with_name("docs_fixtures.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
