"""File metrics (OSWorld's `general.py` and `others.py` semantics): result files, zip archives,
EPUB books and a Python test suite.

Differences from upstream:

- `check_python_file_by_test_suite` runs the test function in a separate Python process (the
  evaluator's interpreter, in isolated mode, with the test file's folder as working directory and
  first on sys.path) under a timeout (`timeout` option, 120 s), instead of importing the agent's
  code into the evaluator's own process. It still runs on the evaluating machine, as upstream's
  does; the test's imports (pygame, ...) must be installed there.
- `compare_epub` compares in memory what upstream writes to a side folder; an EPUB without a
  root `toc.ncx` or `content.opf` scores 0 (upstream raises).
- `compare_zip_files` extracts PDF text with pypdf (upstream: PyPDF2).
"""

from __future__ import annotations

import difflib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

# Runs in the child interpreter: import the test file, call the test, print the result last.
_RUNNER = """
import importlib.util, json, sys
path, name = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
spec = importlib.util.spec_from_file_location("osworld_test_suite", path)
module = importlib.util.module_from_spec(spec)
sys.modules["osworld_test_suite"] = module
spec.loader.exec_module(module)
result = getattr(module, name)()
if isinstance(result, bool) or not isinstance(result, (int, float)):
    result = bool(result)
sys.stdout.write("\\n@@osworld-test-result@@" + json.dumps(result) + "\\n")
"""
_MARKER = "@@osworld-test-result@@"


def _test_outcome(stdout: str) -> float:
    """The score from the runner's last marker line: a bool as 0/1, a number clamped to [0, 1]."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(_MARKER):
            value = json.loads(line[len(_MARKER) :])
            if isinstance(value, bool):
                return float(value)
            return max(0.0, min(1.0, float(value)))
    return 0.0


def check_python_file_by_test_suite(actual_files: Any, test_file: str | None, **options: Any):
    """The result of the test file's `test_function_name` function (default `test`): 1 for
    True, 0 for False, an exception, a timeout or a missing test file."""
    if not test_file or not Path(test_file).is_file():
        return 0.0
    test_path = Path(test_file).resolve()
    name = str(options.get("test_function_name", "test"))
    command = [sys.executable, "-I", "-c", _RUNNER, str(test_path), name, str(test_path.parent)]
    try:
        done = subprocess.run(
            command,
            cwd=test_path.parent,
            capture_output=True,
            text=True,
            timeout=float(options.get("timeout", 120)),
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return 0.0
    return _test_outcome(done.stdout) if done.returncode == 0 else 0.0


def _read_stripped(path: str) -> str | None:
    if not Path(path).is_file():
        return None
    return Path(path).read_text(errors="replace").strip()


def compare_result_files(src_path: str | None, tgt_path: str | None) -> float:
    """The result file holds the expected one's content. When the expected content is a number,
    the result passes if it contains that text or is a number within 1e-4 of it; otherwise the
    two (stripped) texts must be equal."""
    if not src_path or not tgt_path:
        return 0.0
    source, target = _read_stripped(src_path), _read_stripped(tgt_path)
    if source is None or target is None:
        return 0.0
    try:
        target_number = float(target)
    except ValueError:
        return float(source == target)
    if target in source:
        return 1.0
    try:
        return float(abs(float(source) - target_number) < 1e-4)
    except ValueError:
        return float(source == target)


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "".join(page.extract_text() or "" for page in reader.pages)


def _pdfs_alike(content1: bytes, content2: bytes, threshold: float = 0.95) -> bool:
    try:
        text1, text2 = _pdf_text(content1), _pdf_text(content2)
    except Exception:  # an unreadable PDF is unlike anything
        return False
    return difflib.SequenceMatcher(None, text1, text2).ratio() >= threshold


def compare_zip_files(actual: str | None, expected: str | None, **options: Any) -> float:
    """The same member names; PDFs with texts at least 95% alike, every other member identical."""
    if not actual or not expected or not Path(actual).is_file():
        return 0.0
    try:
        with zipfile.ZipFile(actual) as zip1, zipfile.ZipFile(expected) as zip2:
            names = set(zip1.namelist())
            if names != set(zip2.namelist()):
                return 0.0
            for name in names:
                content1, content2 = zip1.read(name), zip2.read(name)
                if name.lower().endswith(".pdf"):
                    if not _pdfs_alike(content1, content2):
                        return 0.0
                elif content1 != content2:
                    return 0.0
    except zipfile.BadZipFile:
        return 0.0
    return 1.0


def _drop_lines(text: str, marker: str) -> str:
    return "".join(line + "\n" for line in text.splitlines() if marker not in line)


def _pretty_html(text: str) -> str:
    """The page with its line breaks removed, re-serialised by lxml with indentation."""
    import lxml.html

    flat = text.replace("\n", "").replace("\r", "")
    return lxml.html.tostring(
        lxml.html.fromstring(flat.encode()), pretty_print=True, encoding="unicode"
    )


def _epub_parts(path: str) -> list[tuple[str, str]] | None:
    """(name, normalised text) of the root toc.ncx (no navPoint lines), the root content.opf (no
    dc:identifier lines) and every .html member, sorted by name; None if not such an EPUB."""
    try:
        with zipfile.ZipFile(path) as book:
            names = set(book.namelist())
            if not {"toc.ncx", "content.opf"} <= names:
                return None
            parts = [
                ("toc.ncx", _drop_lines(book.read("toc.ncx").decode(), "navPoint")),
                ("content.opf", _drop_lines(book.read("content.opf").decode(), "dc:identifier")),
            ]
            parts += [
                (name, _pretty_html(book.read(name).decode()))
                for name in names
                if name.endswith(".html")
            ]
    except (zipfile.BadZipFile, UnicodeDecodeError, ValueError):
        return None
    return sorted(parts)


def _lines_ratio(text1: str, text2: str) -> float:
    """difflib's similarity of the two texts' lines (as `diff_text_file` computes it)."""
    return difflib.SequenceMatcher(a=text1.splitlines(), b=text2.splitlines()).ratio()


def compare_epub(result: str | None, expected: str | None) -> float:
    """Mean line similarity of the books' normalised parts, paired in name order."""
    if not result or not expected or not Path(result).is_file():
        return 0.0
    parts1, parts2 = _epub_parts(result), _epub_parts(expected)
    if not parts1 or parts2 is None:
        return 0.0
    total = sum(_lines_ratio(a[1], b[1]) for a, b in zip(parts1, parts2, strict=False))
    return total / len(parts1)
