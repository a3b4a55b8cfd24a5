"""More Impress metrics (OSWorld's `slides.py` semantics): orientation, transitions, slide
backgrounds, the slide-number colour, the slide panel and the autosave interval.

Unreadable or missing files score 0 where upstream would raise. `check_page_number_colors` reads
the colour as the hex `RRGGBB` that `a:srgbClr/@val` holds (upstream slices it as if it began
with '#', which misreads every colour but a few such as FF0000).
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

_NS = {
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "p": "http://schemas.openxmlformats.org/presentationml/2006/main",
}
_OOR = "{http://openoffice.org/2001/registry}"


def _presentation(path: str | None) -> Any:
    if not path or not Path(path).is_file():
        return None
    from pptx import Presentation

    try:
        return Presentation(path)
    except Exception:  # not a presentation: scores 0
        return None


def _zip_xml(path: str | None, member: str) -> ElementTree.Element | None:
    """The parsed XML member of an Office file; None if the file or member is missing."""
    if not path or not Path(path).is_file():
        return None
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as handle:
            return ElementTree.parse(handle).getroot()
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return None


def check_slide_orientation_Portrait(pptx_path: str | None) -> float:
    """The slides are taller than wide."""
    presentation = _presentation(pptx_path)
    if presentation is None:
        return 0.0
    return float(presentation.slide_width < presentation.slide_height)


def check_transition(pptx_file: str | None, rules: dict[str, Any]) -> float:
    """Slide `slide_idx` (0-based) has a `p:transition` holding a `p:<transition_type>`."""
    root = _zip_xml(pptx_file, f"ppt/slides/slide{int(rules['slide_idx']) + 1}.xml")
    if root is None:
        return 0.0
    transition = root.find(".//p:transition", _NS)
    if transition is None:
        return 0.0
    return float(transition.find(f".//p:{rules['transition_type']}", _NS) is not None)


def _solid_rgb(fill: Any) -> tuple[int, int, int] | None:
    """The RGB of a solid fill; None for other fills and theme colours."""
    if fill.type != 1:
        return None
    try:
        rgb = fill.fore_color.rgb
    except AttributeError:
        return None
    return None if rgb is None else (rgb[0], rgb[1], rgb[2])


def _background_distance(slide: Any, rgb: list[int], original: list[int] | None) -> float:
    """Distance in [0, 1] of the slide's solid background (its own, or the master's when it
    inherits one) to `rgb`; 1 when it is not solid or still the original colour."""
    fill = slide.background.fill
    if fill.type == 5:  # inherited from the master
        fill = slide.slide_layout.slide_master.background.fill
    elif fill.type != 1:
        return 1.0
    colour = _solid_rgb(fill)
    if colour is None or (original is not None and list(colour) == list(original)):
        return 1.0
    return math.dist(colour, rgb) / math.dist((0, 0, 0), (255, 255, 255))


def evaluate_presentation_fill_to_rgb_distance(pptx_file: str | None, rules: dict[str, Any]):
    """1 minus the mean distance of the slides' backgrounds to `rgb` (see above); an unchanged
    `original_rgb` background counts as the largest distance."""
    presentation = _presentation(pptx_file)
    if presentation is None or not len(presentation.slides):
        return 0.0
    original = rules.get("original_rgb")
    distances = [_background_distance(s, rules["rgb"], original) for s in presentation.slides]
    return 1.0 - sum(distances) / len(distances)


def check_left_panel(accessibility_tree: str | None) -> float:
    """The accessibility tree has a `document-frame` named "Slides View" (Impress's slide
    panel is open)."""
    if not accessibility_tree:
        return 0.0
    try:
        root = ElementTree.fromstring(accessibility_tree)
    except ElementTree.ParseError:
        return 0.0
    return float(any(n.get("name") == "Slides View" for n in root.iter("document-frame")))


def _hex_rgb(value: str) -> tuple[int, int, int] | None:
    text = value.lstrip("#")
    try:
        return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
    except ValueError:
        return None


_COLOUR_TESTS = {
    "red": lambda r, g, b: r > g + 50 and r > b + 50,
    "green": lambda r, g, b: g > r + 50 and g > b + 50,
    "blue": lambda r, g, b: b > g + 50 and b > r + 50,
    "black": lambda r, g, b: r < 50 and g < 50 and b < 50,
}


def check_page_number_colors(pptx_file: str | None, rules: dict[str, Any]) -> float:
    """The slide-number colour of the first slide master (as upstream takes it: the
    second-to-last `a:srgbClr` under an `a:solidFill` in slideMaster1.xml) is `color` (red,
    green or blue: that channel over the others by more than 50; black: all under 50)."""
    root = _zip_xml(pptx_file, "ppt/slideMasters/slideMaster1.xml")
    if root is None:
        return 0.0
    colours = root.findall(".//a:solidFill//a:srgbClr", _NS)
    if len(colours) < 2 or not colours[-2].get("val"):
        return 0.0
    rgb = _hex_rgb(colours[-2].get("val", ""))
    if rgb is None:
        return 0.0
    test = _COLOUR_TESTS.get(rules["color"])
    return float(test is None or test(*rgb))


def _registry_value(path: str | None, item_path: str, prop_name: str) -> str | None:
    """The last value of a property under an item of LibreOffice's registrymodifications.xcu."""
    if not path or not Path(path).is_file():
        return None
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError:
        return None
    value = None
    for item in root.iter("item"):
        if item.get(f"{_OOR}path") != item_path:
            continue
        for prop in item.iter("prop"):
            if prop.get(f"{_OOR}name") == prop_name and prop.find("value") is not None:
                value = prop.findtext("value")
    return value


def check_auto_saving_time(pptx_file: str | None, rules: dict[str, Any]) -> float:
    """LibreOffice's AutoSaveTimeIntervall (Common/Save/Document) is `minutes`; `pptx_file` is
    the registrymodifications.xcu, as upstream names it."""
    value = _registry_value(
        pptx_file, "/org.openoffice.Office.Common/Save/Document", "AutoSaveTimeIntervall"
    )
    try:
        return float(value is not None and int(value) == int(rules["minutes"]))
    except ValueError:
        return 0.0
