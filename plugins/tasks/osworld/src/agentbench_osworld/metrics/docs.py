"""Writer and PDF metrics (OSWorld's `docs.py` / `pdf` semantics), read with python-docx and pypdf.

Every metric returns 0 for a missing or unreadable file, as upstream's do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _document(path: str | None) -> Any:
    if not path or not Path(path).is_file():
        return None
    from docx import Document

    try:
        return Document(path)
    except Exception:  # a file that is not a .docx scores 0, like upstream
        return None


def _ratio(a: str, b: str) -> float:
    from rapidfuzz import fuzz

    return fuzz.ratio(a, b) / 100.0


def _squash(paragraphs: list[str], lower: bool) -> str:
    text = re.sub(r"\s+", " ", "\n".join(paragraphs)).strip()
    return text.lower() if lower else text


def compare_docx_files(file1: str | None, file2: str | None, **options: Any) -> float:
    """Paragraph texts of two .docx files. Options (upstream's defaults): ignore_blanks (True:
    whitespace runs collapse and the whole text is compared), ignore_case, ignore_order,
    content_only and fuzzy_match (a rapidfuzz ratio), delete_empty_lines."""
    if not file1 or not file2:
        return 0.0
    if not (str(file1).endswith(".docx") and str(file2).endswith(".docx")):
        return 0.0  # upstream also reads .odt with odfpy; not supported here
    doc1, doc2 = _document(file1), _document(file2)
    if doc1 is None or doc2 is None:
        return 0.0
    ignore_case = options.get("ignore_case", False)
    p1 = [p.text for p in doc1.paragraphs]
    p2 = [p.text for p in doc2.paragraphs]
    if options.get("ignore_order", False):
        p1, p2 = sorted(p1), sorted(p2)
    if options.get("delete_empty_lines", False):
        p1, p2 = [p for p in p1 if p.strip()], [p for p in p2 if p.strip()]
    if options.get("content_only", False):
        return _ratio(_squash(p1, ignore_case), _squash(p2, ignore_case))
    if options.get("ignore_blanks", True):
        a, b = _squash(p1, ignore_case), _squash(p2, ignore_case)
        return _ratio(a, b) if options.get("fuzzy_match", False) else float(a == b)
    if len(p1) != len(p2):
        return 0.0
    if ignore_case:
        p1, p2 = [p.lower() for p in p1], [p.lower() for p in p2]
    if options.get("fuzzy_match", False):
        return sum(_ratio(a, b) for a, b in zip(p1, p2, strict=True)) / len(p1) if p1 else 1.0
    return float(p1 == p2)


def compare_docx_files_and_ignore_new_lines(file1: str | None, file2: str | None, **options: Any):
    """Paragraph texts with empty paragraphs dropped (whitespace collapsed unless ignore_blanks
    is False)."""
    return compare_docx_files(file1, file2, **{**options, "delete_empty_lines": True})


def compare_docx_tables(file1: str | None, file2: str | None) -> float:
    """The same tables (shape and stripped cell texts) in both documents."""
    doc1, doc2 = _document(file1), _document(file2)
    if doc1 is None or doc2 is None or len(doc1.tables) != len(doc2.tables):
        return 0.0
    for t1, t2 in zip(doc1.tables, doc2.tables, strict=True):
        if len(t1.rows) != len(t2.rows) or len(t1.columns) != len(t2.columns):
            return 0.0
        for i in range(len(t1.rows)):
            for j in range(len(t1.columns)):
                if t1.cell(i, j).text.strip() != t2.cell(i, j).text.strip():
                    return 0.0
    return 1.0


def compare_line_spacing(file1: str | None, file2: str | None) -> float:
    """Same text and the same line spacing paragraph by paragraph."""
    if not compare_docx_files(file1, file2):
        return 0.0
    doc1, doc2 = _document(file1), _document(file2)
    if len(doc1.paragraphs) != len(doc2.paragraphs):
        return 0.0
    return float(
        all(
            a.paragraph_format.line_spacing == b.paragraph_format.line_spacing
            for a, b in zip(doc1.paragraphs, doc2.paragraphs, strict=True)
        )
    )


def compare_font_names(file: str | None, rules: dict[str, Any]) -> float:
    """Every run of every paragraph uses `rules["font_name"]`."""
    doc = _document(file)
    if doc is None:
        return 0.0
    return float(all(r.font.name == rules["font_name"] for p in doc.paragraphs for r in p.runs))


def is_first_line_centered(file: str | None) -> float:
    from docx.enum.text import WD_PARAGRAPH_ALIGNMENT

    doc = _document(file)
    if doc is None or not doc.paragraphs:
        return 0.0
    return float(doc.paragraphs[0].paragraph_format.alignment == WD_PARAGRAPH_ALIGNMENT.CENTER)


def has_page_numbers_in_footers(file: str | None) -> float:
    """Each section's footer's first paragraph holds a digit."""
    doc = _document(file)
    if doc is None:
        return 0.0
    for section in doc.sections:
        paragraphs = section.footer.paragraphs
        if not any(c.isdigit() for c in (paragraphs[0].text if paragraphs else "")):
            return 0.0
    return 1.0


def contains_page_break(file: str | None, rules: dict[str, Any] | None = None) -> float:
    """At least one page break (`w:br w:type="page"`), exactly `page_break_count` if given."""
    doc = _document(file)
    if doc is None:
        return 0.0
    count = sum(
        1
        for p in doc.paragraphs
        for r in p.runs
        for br in r.element.iter(f"{_W}br")
        if br.get(f"{_W}type") == "page"
    )
    expected = (rules or {}).get("page_break_count")
    if expected is not None and count != expected:
        return 0.0
    return float(count > 0)


def evaluate_strike_through_last_paragraph(file1: str | None, file2: str | None) -> float:
    if not compare_docx_files(file1, file2):
        return 0.0
    last = _document(file1).paragraphs[-1]
    return float(all(r.font.strike for r in last.runs))


def check_italic_font_size_14(file1: str | None, file2: str | None) -> float:
    if not compare_docx_files(file1, file2):
        return 0.0
    runs = [r for p in _document(file1).paragraphs for r in p.runs if r.italic]
    return float(all(r.font.size is not None and r.font.size.pt == 14 for r in runs))


def _pdf_text(path: str) -> str:
    from pypdf import PdfReader

    return "".join(page.extract_text() or "" for page in PdfReader(path).pages).strip()


def compare_pdfs(pdf1: Any, pdf2: Any) -> float:
    """Mean rapidfuzz ratio of the PDFs' texts (lists compared pairwise). Upstream extracts text
    with PyMuPDF; pypdf is used here, so spacing may differ slightly."""
    if not isinstance(pdf2, list):
        pdf1, pdf2 = [pdf1], [pdf2]
    total = 0.0
    for a, b in zip(pdf1 or [], pdf2, strict=False):
        try:
            total += _ratio(_pdf_text(a), _pdf_text(b))
        except Exception:  # an unreadable or missing PDF adds 0, like upstream
            continue
    return total / len(pdf2) if pdf2 else 0.0


def check_pdf_pages(file: str | None, rules: dict[str, Any]) -> float:
    """The PDF has `rules["relation"]` (eq by default) `rules["ref_value"]` pages."""
    from pypdf import PdfReader

    if not file or not Path(file).is_file():
        return 0.0
    try:
        pages = len(PdfReader(file).pages)
    except Exception:
        return 0.0
    ref, relation = rules.get("ref_value"), rules.get("relation", "eq")
    return float(pages == ref if relation == "eq" else pages >= ref)


def compare_docx_images(file1: str | None, file2: str | None) -> float:
    """The same embedded images (decoded pixels), in the same order."""
    import io

    from PIL import Image

    doc1, doc2 = _document(file1), _document(file2)
    if doc1 is None or doc2 is None:
        return 0.0

    def images(doc: Any) -> list[bytes]:
        blobs = [r.target_part.blob for r in doc.part.rels.values() if "image" in r.reltype]
        out = []
        for blob in blobs:
            with Image.open(io.BytesIO(blob)) as image:
                out.append(image.tobytes())
        return out

    one, two = images(doc1), images(doc2)
    return float(len(one) == len(two) and one == two)


def compare_subscript_contains(file1: str | None, file2: str | None) -> float:
    """Some run is subscript in both documents at the same paragraph and run position."""
    doc1, doc2 = _document(file1), _document(file2)
    if doc1 is None or doc2 is None:
        return 0.0
    for p1, p2 in zip(doc1.paragraphs, doc2.paragraphs, strict=False):
        for r1, r2 in zip(p1.runs, p2.runs, strict=False):
            if r1.font.subscript and r2.font.subscript:
                return 1.0
    return 0.0


def check_tabstops(file1: str | None, file2: str | None, **options: Any) -> float:
    """Tab stops of the non-empty paragraphs: same count and alignments, scored down by their
    position differences relative to the text width (upstream's formula). With
    `word_number_split_by_tabstop` n, the `index`-th tab-separated part of each paragraph must
    have n words."""
    from docx.enum.text import WD_TAB_ALIGNMENT

    doc1, doc2 = _document(file1), _document(file2)
    if doc1 is None or doc2 is None:
        return 0.0
    para1 = [p for p in doc1.paragraphs if p.text.strip()]
    para2 = [p for p in doc2.paragraphs if p.text.strip()]
    if len(para1) != len(para2) or not para1:
        return 0.0
    words = options.get("word_number_split_by_tabstop")
    if words is not None:
        index = options.get("index", 0)
        for p in para1:
            parts = p.text.split("\t")
            if (
                len(parts) <= index
                or len([w for w in re.split(r"\s", parts[index]) if w.strip()]) != words
            ):
                return 0.0
    section = doc2.sections[0]
    width = section.page_width - section.left_margin - section.right_margin

    def kept(tab: Any) -> bool:
        return not (
            tab.alignment == WD_TAB_ALIGNMENT.CLEAR
            or (tab.alignment == WD_TAB_ALIGNMENT.LEFT and tab.position == 0)
        )

    minus = 0.0
    for p1, p2 in zip(para1, para2, strict=True):
        tabs1 = [t for t in p1.paragraph_format.tab_stops if kept(t)]
        tabs2 = [t for t in p2.paragraph_format.tab_stops if kept(t)]
        if len(tabs1) != len(tabs2):
            return 0.0
        if any(t1.alignment != t2.alignment for t1, t2 in zip(tabs1, tabs2, strict=True)):
            return 0.0
        pairs = zip(tabs1, tabs2, strict=True)
        minus += sum(abs(t1.position - t2.position) for t1, t2 in pairs) / width
    return 1 - minus / len(para1)


def compare_unique_train_records(processed: str | None, expected: Any, **options: Any) -> float:
    """Lines of `name, id, ...` (4 comma-separated fields): the processed lines all come from the
    initial file (expected[1]); their ids are unique and those of the gold file (expected[0])."""
    if not processed or not isinstance(expected, list) or len(expected) < 2:
        return 0.0

    def lines_and_ids(path: str | None) -> tuple[list[str], list[str]] | None:
        doc = _document(path)
        if doc is None:
            return None
        lines = [p.text.strip() for p in doc.paragraphs if p.text.strip()]
        ids = [line.split(",")[1].strip() for line in lines if len(line.split(",")) == 4]
        return lines, ids

    got, gold, initial = (lines_and_ids(p) for p in (processed, expected[0], expected[1]))
    if got is None or gold is None or initial is None:
        return 0.0
    return float(
        set(got[0]) <= set(initial[0])
        and len(got[1]) == len(set(got[1]))
        and set(got[1]) == set(gold[1])
    )


def fuzzy_place_math(file: str | None, rules: dict[str, Any]) -> float:
    """Exactly three words in the document, each scored by its best rapidfuzz ratio against the
    accepted answers; the mean."""
    doc = _document(file)
    if doc is None:
        return 0.0
    words = [w for p in doc.paragraphs for w in p.text.split()]
    if len(words) != 3:
        return 0.0
    return sum(max(_ratio(w, a) for a in rules["expected"]) for w in words) / 3
