"""Impress metrics: `compare_pptx_files` (OSWorld's `slides.py` semantics) with python-pptx.

The generic checks and their `examine_*` options (all on by default, as upstream): number of
slides, background colour, notes, shape count, shape geometry (relative tolerance
`approximately_tolerance`, 0.005), tables, text, paragraph alignment and level, run count and run
fonts (name, size, bold, italic, colour, underline, strike-through). Upstream's checks written for
single tasks (`examine_title_bottom_position` and the like, off by default) are not reproduced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

_FONT_CHECKS = ("name", "size", "bold", "italic", "color", "underline", "strike")


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    a, b = a or 0, b or 0
    if a == b:
        return True
    if a == 0 or b == 0:
        return False
    return abs(a - b) / max(abs(a), abs(b)) <= tolerance


def _background(slide: Any) -> Any:
    fill = slide.background.fill
    if fill.type == 1:  # solid
        return fill.fore_color.rgb
    if fill.type == 5:  # inherited from the master
        master = slide.slide_layout.slide_master.background.fill
        return master.fore_color.rgb if master.type == 1 else None
    return None


def _notes(slide: Any) -> str:
    return slide.notes_slide.notes_text_frame.text.strip() if slide.has_notes_slide else ""


def _falsy_same(a: Any, b: Any) -> bool:
    return a == b or (not a and not b)


def _color(font: Any) -> Any:
    try:
        return font.color.rgb
    except AttributeError:  # no colour set, or a theme colour
        return None


def _runs_match(runs1: list[Any], runs2: list[Any], opts: dict[str, bool]) -> bool:
    if len(runs1) != len(runs2) and opts["run_count"]:
        return False
    for r1, r2 in zip(runs1, runs2, strict=False):
        f1, f2 = r1.font, r2.font
        checks = {
            "name": f1.name == f2.name,
            "size": f1.size == f2.size,
            "bold": _falsy_same(f1.bold, f2.bold),
            "italic": _falsy_same(f1.italic, f2.italic),
            "color": _color(f1) == _color(f2),
            "underline": f1.underline == f2.underline
            or (f1.underline is None and f2.underline is False)
            or (f1.underline is False and f2.underline is None),
            "strike": f1._element.attrib.get("strike", "noStrike")
            == f2._element.attrib.get("strike", "noStrike"),
        }
        if any(not ok and opts[name] for name, ok in checks.items()):
            return False
    return True


def _nonempty_runs(paragraph: Any) -> list[Any]:
    return [r for r in paragraph.runs if (r.text or "").strip()]


def _paragraph_runs(p1: Any, p2: Any) -> tuple[list[Any], list[Any]]:
    if not (p1.text or "").strip() and not (p2.text or "").strip():
        return _nonempty_runs(p1), _nonempty_runs(p2)
    return list(p1.runs), list(p2.runs)


def _text_frames_match(s1: Any, s2: Any, opts: dict[str, bool]) -> bool:
    from pptx.enum.text import PP_ALIGN

    if s1.text.strip() != s2.text.strip() and opts["text"]:
        return False
    paragraphs1, paragraphs2 = s1.text_frame.paragraphs, s2.text_frame.paragraphs
    if len(paragraphs1) != len(paragraphs2):
        return False
    for p1, p2 in zip(paragraphs1, paragraphs2, strict=True):
        if opts["alignment"] and (p1.alignment or PP_ALIGN.LEFT) != (p2.alignment or PP_ALIGN.LEFT):
            return False
        if p1.text != p2.text and opts["text"]:
            return False
        if p1.level != p2.level and opts["indent"] and not {p1.level, p2.level} <= {0, 1}:
            return False
        if not _runs_match(*_paragraph_runs(p1, p2), opts):
            return False
    return True


def _tables_match(t1: Any, t2: Any, opts: dict[str, bool]) -> bool:
    if len(t1.rows) != len(t2.rows) or len(t1.columns) != len(t2.columns):
        return False
    table_opts = {**opts, "name": False, "size": False, "strike": False}
    for i in range(len(t1.rows)):
        for j in range(len(t1.columns)):
            paragraphs1 = t1.cell(i, j).text_frame.paragraphs
            paragraphs2 = t2.cell(i, j).text_frame.paragraphs
            if len(paragraphs1) != len(paragraphs2):
                return False
            for p1, p2 in zip(paragraphs1, paragraphs2, strict=True):
                if not _runs_match(*_paragraph_runs(p1, p2), table_opts):
                    return False
    return True


def _shapes_match(s1: Any, s2: Any, opts: dict[str, bool], tolerance: float) -> bool:
    empty = (
        not (getattr(s1, "text", "") or "").strip() and not (getattr(s2, "text", "") or "").strip()
    )
    geometry = all(
        _close(getattr(s1, k), getattr(s2, k), tolerance)
        for k in ("left", "top", "width", "height")
    )
    if opts["shape"] and not geometry and not empty:
        return False
    if s1.has_table and not (s2.has_table and _tables_match(s1.table, s2.table, opts)):
        return False
    if s1.has_text_frame and s2.has_text_frame:
        return _text_frames_match(s1, s2, opts)
    return True


def compare_pptx_files(file1: str | None, file2: str | None, **options: Any) -> float:
    """1 when the presentation matches the gold one under the `examine_*` options."""
    from pptx import Presentation

    if not file1 or not file2 or not Path(file1).is_file() or not Path(file2).is_file():
        return 0.0
    try:
        prs1, prs2 = Presentation(file1), Presentation(file2)
    except Exception:  # not a .pptx: 0, like upstream
        return 0.0
    opts = {
        key: bool(options.get(f"examine_{key}", True))
        for key in (
            "number_of_slides",
            "shape",
            "text",
            "indent",
            "alignment",
            "run_count",
            "background_color",
            "note",
        )
    }
    opts |= {name: bool(options.get(f"examine_font_{name}", True)) for name in _FONT_CHECKS}
    opts["color"] = bool(options.get("examine_color_rgb", True))
    opts["strike"] = bool(options.get("examine_strike_through", True))
    tolerance = float(options.get("approximately_tolerance", 0.005))
    if len(prs1.slides) != len(prs2.slides) and opts["number_of_slides"]:
        return 0.0
    for slide1, slide2 in zip(prs1.slides, prs2.slides, strict=False):
        if opts["background_color"] and _background(slide1) != _background(slide2):
            return 0.0
        if opts["note"] and _notes(slide1) != _notes(slide2):
            return 0.0
        if len(slide1.shapes) != len(slide2.shapes):
            return 0.0
        for s1, s2 in zip(slide1.shapes, slide2.shapes, strict=True):
            if not _shapes_match(s1, s2, opts, tolerance):
                return 0.0
    return 1.0


def check_presenter_console_disable(config_file_path: str | None) -> float:
    """LibreOffice's registrymodifications.xcu sets Impress's EnablePresenterScreen to false."""
    from xml.etree import ElementTree

    if not config_file_path or not Path(config_file_path).is_file():
        return 0.0
    try:
        root = ElementTree.parse(config_file_path).getroot()
    except ElementTree.ParseError:
        return 0.0
    ns = {"oor": "http://openoffice.org/2001/registry"}
    path = ".//item[@oor:path='/org.openoffice.Office.Impress/Misc/Start']"
    for item in root.findall(f"{path}/prop[@oor:name='EnablePresenterScreen']", ns):
        return float((item.findtext("value") or "").lower() == "false")
    return 0.0


def check_image_stretch_and_center(modified_ppt: str | None, original_ppt: str | None) -> float:
    """The first picture of the original's first slide is, in the modified file, stretched to
    the slide's size and centred (each within half an inch)."""
    from pptx import Presentation
    from pptx.util import Inches

    if not modified_ppt or not original_ppt or not Path(modified_ppt).is_file():
        return 0.0
    original, modified = Presentation(original_ppt), Presentation(modified_ppt)
    pictures = [s for s in original.slides[0].shapes if s.shape_type == 13]
    if not pictures:
        return 0.0
    blob = pictures[0].image.blob
    moved = [s for s in modified.slides[0].shapes if s.shape_type == 13 and s.image.blob == blob]
    if not moved:
        return 0.0
    image, width, height = moved[-1], original.slide_width, original.slide_height
    tolerance = Inches(0.5)
    return float(
        abs(image.width - width) <= tolerance
        and abs(image.height - height) <= tolerance
        and abs(image.left - (width - image.width) / 2) <= tolerance
        and abs(image.top - (height - image.height) / 2) <= tolerance
    )
