"""More Writer, Calc and PDF metrics (OSWorld's `docs.py`, `pdf` and `table.py` semantics).

Differences from upstream:

- `check_highlighted_words` reads the .odt with lxml (upstream: odfpy): paragraph texts are the
  `text:p` of content.xml with their direct text and that of their direct `text:span` children,
  as odfpy's reading gives them; the texts are compared as `compare_docx_files` does by default.
- `evaluate_colored_words_in_tables` computes CIEDE2000 in numpy (upstream: scikit-image); a run
  without an explicit RGB colour fails the check (upstream raises).
- `compare_pdf_images` extracts embedded images with pypdf (upstream: PyMuPDF) and hashes them
  with a numpy port of imagehash's perceptual hash.
- `compare_image_text` reads text with the tesseract program (upstream: easyocr, whose model
  downloads are not possible here); without tesseract it raises `ToolMissing`.
- `compare_conference_city_in_order` matches as upstream's current version: case, accents and
  punctuation are ignored, and an expected name must occur within the cell.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .docs import _document, _ratio, compare_docx_files
from .slides_more import _registry_value
from .tools import ToolMissing, hash_distance, phash

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
_FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"


def _odt_xml(path: str, member: str) -> Any:
    from lxml import etree

    with zipfile.ZipFile(path) as archive:
        if member not in archive.namelist():
            return None
        return etree.fromstring(archive.read(member))


def _odt_paragraph_text(paragraph: Any) -> str:
    """A paragraph's direct text plus the direct text of its direct `text:span` children."""
    parts = [paragraph.text or ""]
    for child in paragraph:
        if child.tag == f"{{{_TEXT}}}span":
            parts.append(child.text or "")
            parts.extend(grandchild.tail or "" for grandchild in child)
        parts.append(child.tail or "")
    return "".join(parts)


def _odt_paragraphs(root: Any) -> list[str]:
    return [_odt_paragraph_text(p) for p in root.iter(f"{{{_TEXT}}}p")]


def _same_text(paragraphs1: list[str], paragraphs2: list[str]) -> bool:
    """Equal once whitespace runs are collapsed (compare_docx_files' default)."""

    def squash(paragraphs: list[str]) -> str:
        return re.sub(r"\s+", " ", "\n".join(paragraphs)).strip()

    return squash(paragraphs1) == squash(paragraphs2)


def _highlight_styles(roots: list[Any]) -> set[str]:
    """Names of automatic styles with a yellow (#ffff00) background in any properties."""
    names = set()
    for root in roots:
        for style in root.iter(f"{{{_STYLE}}}style"):
            colours = [c.get(f"{{{_FO}}}background-color", "").lower() for c in style]
            if "#ffff00" in colours:
                names.add(style.get(f"{{{_STYLE}}}name"))
    return names


def check_highlighted_words(file_path1: str | None, file_path2: str | None) -> float:
    """The .odt has the gold document's text and no span styled with a yellow background."""
    if not file_path1 or not file_path2:
        return 0.0
    try:
        content1, content2 = (
            _odt_xml(file_path1, "content.xml"),
            _odt_xml(file_path2, "content.xml"),
        )
        styles1 = _odt_xml(file_path1, "styles.xml")
    except (OSError, zipfile.BadZipFile, ValueError):
        return 0.0
    if content1 is None or content2 is None:
        return 0.0
    if not _same_text(_odt_paragraphs(content1), _odt_paragraphs(content2)):
        return 0.0
    yellow = _highlight_styles([r for r in (content1, styles1) if r is not None])
    spans = content1.iter(f"{{{_TEXT}}}span")
    return float(not any(s.get(f"{{{_TEXT}}}style-name") in yellow for s in spans))


def _rgb_to_lab(rgb: tuple[int, int, int]) -> np.ndarray:
    """CIE Lab (D65, 2 degree observer) of an sRGB colour, as scikit-image's rgb2lab."""
    c = np.asarray(rgb, float) / 255.0
    linear = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = (
        np.array(
            [
                [0.412453, 0.357580, 0.180423],
                [0.212671, 0.715160, 0.072169],
                [0.019334, 0.119193, 0.950227],
            ]
        )
        @ linear
    )
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > 0.008856, np.cbrt(t), 7.787 * t + 16.0 / 116.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def _ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """The CIEDE2000 colour difference (kL = kC = kH = 1)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = a1 * (1 + g), a2 * (1 + g)
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = np.arctan2(b1, a1p) % (2 * np.pi), np.arctan2(b2, a2p) % (2 * np.pi)
    dh = h2p - h1p
    if c1p * c2p == 0:
        dh = 0.0
    elif dh > np.pi:
        dh -= 2 * np.pi
    elif dh < -np.pi:
        dh += 2 * np.pi
    d_hue = 2 * np.sqrt(c1p * c2p) * np.sin(dh / 2)
    l_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= np.pi:
        h_mean = (h1p + h2p) / 2
    else:
        h_mean = (h1p + h2p + (2 * np.pi if h1p + h2p < 2 * np.pi else -2 * np.pi)) / 2
    t = (
        1
        - 0.17 * np.cos(h_mean - np.radians(30))
        + 0.24 * np.cos(2 * h_mean)
        + 0.32 * np.cos(3 * h_mean + np.radians(6))
        - 0.20 * np.cos(4 * h_mean - np.radians(63))
    )
    theta = np.radians(30) * np.exp(-(((np.degrees(h_mean) - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / np.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * cp_mean, 1 + 0.015 * cp_mean * t
    dl, dc, dhh = (l2 - l1) / s_l, (c2p - c1p) / s_c, d_hue / s_h
    return float(np.sqrt(dl**2 + dc**2 + dhh**2 - np.sin(2 * theta) * r_c * dc * dhh))


def _colour_close(rgb: Any, target: tuple[int, int, int], threshold: float) -> bool:
    if rgb is None:
        return False
    return _ciede2000(_rgb_to_lab(tuple(rgb)), _rgb_to_lab(target)) <= threshold


def evaluate_colored_words_in_tables(file_path1: str | None, file_path2: str | None, **kwargs):
    """The .docx has the gold's text, and in its tables every run starting with a vowel is red
    and every other run blue (CIEDE2000 distance at most `threshold`, 3.5)."""
    if not file_path1 or not file_path2 or not compare_docx_files(file_path1, file_path2):
        return 0.0
    document = _document(file_path1)
    if document is None:
        return 0.0
    threshold = float(kwargs.get("threshold", 3.5))
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        if not run.text:
                            continue
                        vowel = run.text[0].lower() in "aeiou"
                        target = (255, 0, 0) if vowel else (0, 0, 255)
                        if not _colour_close(run.font.color.rgb, target, threshold):
                            return 0.0
    return 1.0


def find_default_font(config_file_path: str | None, rules: dict[str, Any]) -> float:
    """Writer's default font (registrymodifications.xcu, Writer/DefaultFont, Standard) is
    `font_name`."""
    value = _registry_value(
        config_file_path, "/org.openoffice.Office.Writer/DefaultFont", "Standard"
    )
    return float(value == rules["font_name"])


def compare_references(file1: str | None, file2: str | None, **options: Any) -> float:
    """Fuzzy similarity of the non-empty paragraphs after the first `reference_indicator`
    paragraph ("References"), rescaled above `reference_base_result` (0.5): (s - b) / (1 - b)
    when s >= b + 0.01, else 0. Neither document with references: 1; one of them: 0."""
    if not file1 or not file2 or not (file1.endswith(".docx") and file2.endswith(".docx")):
        return 0.0
    doc1, doc2 = _document(file1), _document(file2)
    if doc1 is None or doc2 is None:
        return 0.0
    indicator = options.get("reference_indicator", "References")
    base = float(options.get("reference_base_result", 0.5))
    paragraphs1 = [p.text for p in doc1.paragraphs]
    paragraphs2 = [p.text for p in doc2.paragraphs]
    if indicator not in paragraphs1 and indicator not in paragraphs2:
        return 1.0
    if indicator not in paragraphs1 or indicator not in paragraphs2:
        return 0.0
    refs1 = [p for p in paragraphs1[paragraphs1.index(indicator) + 1 :] if p.strip()]
    refs2 = [p for p in paragraphs2[paragraphs2.index(indicator) + 1 :] if p.strip()]
    if len(refs1) != len(refs2):
        return 0.0
    if not refs1:
        return 1.0
    similarity = sum(_ratio(a, b) for a, b in zip(refs1, refs2, strict=True)) / len(refs1)
    return (similarity - base) / (1 - base) if similarity >= base + 0.01 else 0.0


def _ocr_text(image_path: str) -> str:
    tesseract = shutil.which("tesseract")
    if tesseract is None:
        raise ToolMissing(
            "compare_image_text needs an OCR engine, and tesseract is not on PATH",
            "install tesseract on the machine that runs the evaluator (apt-get install "
            "tesseract-ocr)",
        )
    done = subprocess.run(
        [tesseract, image_path, "stdout"], capture_output=True, text=True, timeout=120, check=False
    )
    return " ".join(done.stdout.split()) if done.returncode == 0 else ""


def compare_image_text(image_path: str | None, rule: dict[str, Any]) -> float:
    """The image's text (by OCR) contains `rule["text"]` (rule type "text")."""
    if not image_path or not Path(image_path).is_file() or rule.get("type") != "text":
        return 0.0
    return float(rule["text"] in _ocr_text(image_path))


def _pdf_images(path: str) -> list[Any]:
    """The images embedded in the PDF's pages, in page order (undecodable ones left out)."""
    from pypdf import PdfReader

    images = []
    for page in PdfReader(path).pages:
        try:
            files = list(page.images)
        except Exception:  # a page whose resources pypdf cannot read
            continue
        for image_file in files:
            try:
                images.append(image_file.image)
            except Exception:  # an image format Pillow cannot decode
                continue
    return [image for image in images if image is not None]


def compare_pdf_images(pdf1_path: str | None, pdf2_path: str | None, **kwargs: Any) -> float:
    """Share of embedded images, paired in order, whose perceptual hashes differ by at most 5
    bits; 0 for different image counts, 1 when neither PDF has images."""
    if not pdf1_path or not pdf2_path:
        return 0.0
    if not Path(pdf1_path).is_file() or not Path(pdf2_path).is_file():
        return 0.0
    try:
        images1, images2 = _pdf_images(pdf1_path), _pdf_images(pdf2_path)
    except Exception:  # not a PDF
        return 0.0
    if len(images1) != len(images2):
        return 0.0
    if not images1:
        return 1.0
    close = sum(
        hash_distance(phash(a), phash(b)) <= 5 for a, b in zip(images1, images2, strict=True)
    )
    return close / len(images1)


def _city_key(value: Any) -> str:
    """Lower case, accents removed, every run of other characters a single space."""
    text = unicodedata.normalize("NFKD", "" if value is None else str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def compare_conference_city_in_order(actual_city_list_path: str | None, expected_city: Any):
    """Cells C2:C22 of the active sheet name, in order, the expected cities (a string or a list
    of accepted names each)."""
    import openpyxl

    if not actual_city_list_path or not Path(actual_city_list_path).is_file():
        return 0.0
    try:
        sheet = openpyxl.load_workbook(actual_city_list_path).active
    except Exception:  # not a workbook
        return 0.0
    expected = expected_city["expected"]
    actual = [cell.value for row in sheet["C2:C22"] for cell in row]
    if len(expected) < len(actual):
        return 0.0
    for value, entry in zip(actual, expected, strict=False):
        names = [entry] if isinstance(entry, str) else list(entry)
        key = _city_key(value)
        if not any(_city_key(name) and _city_key(name) in key for name in names):
            return 0.0
    return 1.0
