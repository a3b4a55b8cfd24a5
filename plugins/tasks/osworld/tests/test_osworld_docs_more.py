"""The LibreOffice and file metrics of docs_more, slides_more and files, and the Impress
getters, on small documents made here: each metric passes one case and fails another."""

from __future__ import annotations

import os
import stat
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from agentbench_osworld.getters import EvalEnv, getter
from agentbench_osworld.metrics import METRICS
from agentbench_osworld.metrics.tools import ToolMissing

P_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OOR = "http://openoffice.org/2001/registry"


# --- builders -------------------------------------------------------------------------------


def rewrite_zip(path: Path, changes: dict[str, bytes]) -> None:
    """Replace (or add) members of a zip file."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(changes)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def make_pptx(path: Path, slides: int = 1, portrait: bool = False, rgb: Any = None) -> Path:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Cm

    presentation = Presentation()
    if portrait:
        presentation.slide_width, presentation.slide_height = Cm(19), Cm(25)
    for _ in range(slides):
        slide = presentation.slides.add_slide(presentation.slide_layouts[6])
        if rgb is not None:
            slide.background.fill.solid()
            slide.background.fill.fore_color.rgb = RGBColor(*rgb)
    presentation.save(str(path))
    return path


def slide_xml(path: Path, index: int = 1) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(f"ppt/slides/slide{index}.xml").decode()


def add_transition(path: Path, kind: str) -> None:
    xml = slide_xml(path)
    xml = xml.replace("</p:sld>", f"<p:transition><p:{kind}/></p:transition></p:sld>")
    rewrite_zip(path, {"ppt/slides/slide1.xml": xml.encode()})


def set_master_colours(path: Path, colours: list[str]) -> None:
    fills = "".join(f"<a:solidFill><a:srgbClr val='{c}'/></a:solidFill>" for c in colours)
    xml = f"<p:sldMaster xmlns:p='{P_NS}' xmlns:a='{A_NS}'><p:cSld>{fills}</p:cSld></p:sldMaster>"
    rewrite_zip(path, {"ppt/slideMasters/slideMaster1.xml": xml.encode()})


def make_xcu(path: Path, item: str, prop: str, value: str) -> str:
    path.write_text(
        f"<?xml version='1.0'?><oor:items xmlns:oor='{OOR}'>"
        f"<item oor:path='{item}'><prop oor:name='{prop}' oor:op='fuse'>"
        f"<value>{value}</value></prop></item></oor:items>"
    )
    return str(path)


def make_odt(path: Path, paragraphs: list[str], yellow: bool) -> str:
    """A minimal .odt whose first paragraph's text sits in a span styled T1."""
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    style = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    fo = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
    colour = "#ffff00" if yellow else "transparent"
    body = f"<text:p><text:span text:style-name='T1'>{paragraphs[0]}</text:span></text:p>"
    body += "".join(f"<text:p>{p}</text:p>" for p in paragraphs[1:])
    content = (
        f"<office:document-content xmlns:office='{office}' xmlns:text='{text}' "
        f"xmlns:style='{style}' xmlns:fo='{fo}'><office:automatic-styles>"
        f"<style:style style:name='T1' style:family='text'>"
        f"<style:text-properties fo:background-color='{colour}'/></style:style>"
        f"</office:automatic-styles><office:body><office:text>{body}</office:text>"
        f"</office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
    return str(path)


def make_word_table(path: Path, words: Sequence[tuple[str, tuple[int, int, int] | None]]) -> str:
    from docx import Document
    from docx.shared import RGBColor

    document = Document()
    table = document.add_table(rows=1, cols=len(words))
    for cell, (word, rgb) in zip(table.rows[0].cells, words, strict=True):
        run = cell.paragraphs[0].add_run(word)
        if rgb is not None:
            run.font.color.rgb = RGBColor(*rgb)
    document.save(str(path))
    return str(path)


def make_epub(path: Path, chapter: str, identifier: str = "urn:uuid:1") -> str:
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("toc.ncx", "<ncx>\n<navPoint id='n1'>x</navPoint>\n<docTitle/>\n</ncx>\n")
        book.writestr(
            "content.opf", f"<package>\n<dc:identifier>{identifier}</dc:identifier>\n</package>\n"
        )
        book.writestr(
            "index.html", f"<html><body>\n<h1>Pass Through</h1><p>{chapter}</p></body></html>"
        )
    return str(path)


def make_pdf_with_image(path: Path, colour: str) -> str:
    """A one-page PDF that embeds one picture (Pillow writes it)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (64, 64), "white")
    draw = ImageDraw.Draw(image)
    if colour == "stripes":
        for x in range(0, 64, 8):
            draw.rectangle([x, 0, x + 3, 63], fill="black")
    else:
        draw.ellipse([8, 8, 56, 56], fill=colour)
    image.save(path, "PDF")
    return str(path)


class Desktop:
    """Serves files to the getters."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    async def get_file(self, path: str) -> bytes | None:
        return self.files.get(path)


# --- Impress metrics ------------------------------------------------------------------------


def test_check_slide_orientation_portrait(tmp_path: Path) -> None:
    metric = METRICS["check_slide_orientation_Portrait"]
    assert metric(str(make_pptx(tmp_path / "p.pptx", portrait=True))) == 1.0
    assert metric(str(make_pptx(tmp_path / "l.pptx"))) == 0.0
    assert metric(None) == 0.0


def test_check_transition(tmp_path: Path) -> None:
    metric = METRICS["check_transition"]
    rules = {"slide_idx": 0, "transition_type": "dissolve"}
    dissolve = make_pptx(tmp_path / "d.pptx")
    add_transition(dissolve, "dissolve")
    fade = make_pptx(tmp_path / "f.pptx")
    add_transition(fade, "fade")
    assert metric(str(dissolve), rules) == 1.0
    assert metric(str(fade), rules) == 0.0
    assert metric(str(make_pptx(tmp_path / "none.pptx")), rules) == 0.0
    assert metric(str(dissolve), {**rules, "slide_idx": 3}) == 0.0


def test_evaluate_presentation_fill_to_rgb_distance(tmp_path: Path) -> None:
    metric = METRICS["evaluate_presentation_fill_to_rgb_distance"]
    rules = {"rgb": [0, 0, 255], "original_rgb": [255, 255, 255]}
    assert metric(str(make_pptx(tmp_path / "b.pptx", 2, rgb=(0, 0, 255))), rules) == 1.0
    near = metric(str(make_pptx(tmp_path / "n.pptx", 2, rgb=(0, 0, 200))), rules)
    assert 0.85 < near < 1.0
    assert metric(str(make_pptx(tmp_path / "w.pptx", 2, rgb=(255, 255, 255))), rules) == 0.0
    assert metric(str(make_pptx(tmp_path / "none.pptx", 2)), rules) == 0.0


def test_check_left_panel() -> None:
    metric = METRICS["check_left_panel"]
    tree = "<desktop-frame><frame name='x'><document-frame name='{}'/></frame></desktop-frame>"
    assert metric(tree.format("Slides View")) == 1.0
    assert metric(tree.format("Outline View")) == 0.0
    assert metric("<broken") == 0.0


def test_check_page_number_colors(tmp_path: Path) -> None:
    metric = METRICS["check_page_number_colors"]
    red = make_pptx(tmp_path / "r.pptx")
    set_master_colours(red, ["000000", "C00000", "FFFFFF"])
    black = make_pptx(tmp_path / "k.pptx")
    set_master_colours(black, ["C00000", "101010", "FFFFFF"])
    assert metric(str(red), {"color": "red"}) == 1.0
    assert metric(str(black), {"color": "red"}) == 0.0
    assert metric(str(black), {"color": "black"}) == 1.0


def test_check_auto_saving_time_and_find_default_font(tmp_path: Path) -> None:
    save = "/org.openoffice.Office.Common/Save/Document"
    xcu = make_xcu(tmp_path / "a.xcu", save, "AutoSaveTimeIntervall", "3")
    assert METRICS["check_auto_saving_time"](xcu, {"minutes": 3}) == 1.0
    assert METRICS["check_auto_saving_time"](xcu, {"minutes": 10}) == 0.0
    font = make_xcu(
        tmp_path / "f.xcu",
        "/org.openoffice.Office.Writer/DefaultFont",
        "Standard",
        "Times New Roman",
    )
    assert METRICS["find_default_font"](font, {"font_name": "Times New Roman"}) == 1.0
    assert METRICS["find_default_font"](font, {"font_name": "Liberation Serif"}) == 0.0
    assert METRICS["find_default_font"](xcu, {"font_name": "Times New Roman"}) == 0.0


# --- Writer, Calc and PDF metrics -----------------------------------------------------------


def test_check_highlighted_words(tmp_path: Path) -> None:
    metric = METRICS["check_highlighted_words"]
    gold = make_odt(tmp_path / "gold.odt", ["Hello there", "Bye"], yellow=False)
    clean = make_odt(tmp_path / "clean.odt", ["Hello  there", "Bye"], yellow=False)
    marked = make_odt(tmp_path / "marked.odt", ["Hello there", "Bye"], yellow=True)
    edited = make_odt(tmp_path / "edited.odt", ["Hello world", "Bye"], yellow=False)
    assert metric(clean, gold) == 1.0
    assert metric(marked, gold) == 0.0
    assert metric(edited, gold) == 0.0


def test_evaluate_colored_words_in_tables(tmp_path: Path) -> None:
    metric = METRICS["evaluate_colored_words_in_tables"]
    good = [("apple", (255, 0, 0)), ("dog", (0, 0, 255)), ("egg", (250, 2, 2))]
    gold = make_word_table(tmp_path / "gold.docx", good)
    assert metric(make_word_table(tmp_path / "ok.docx", good), gold) == 1.0
    swapped = [("apple", (0, 0, 255)), ("dog", (0, 0, 255)), ("egg", (255, 0, 0))]
    assert metric(make_word_table(tmp_path / "bad.docx", swapped), gold) == 0.0
    dark = [("apple", (160, 0, 0)), ("dog", (0, 0, 255)), ("egg", (255, 0, 0))]
    assert metric(make_word_table(tmp_path / "dark.docx", dark), gold) == 0.0
    plain = [("apple", None), ("dog", (0, 0, 255)), ("egg", (255, 0, 0))]
    assert metric(make_word_table(tmp_path / "plain.docx", plain), gold) == 0.0


def test_compare_references(docs, tmp_path: Path) -> None:
    metric = METRICS["compare_references"]
    body = ["Case study", "Text", "References"]
    refs = ["Smith, J. (2020). A study. Journal, 1(2), 3-4.", "Doe, A. (2019). Book. Press."]
    gold = docs.make_docx(tmp_path / "gold.docx", body + refs)
    same = docs.make_docx(tmp_path / "same.docx", body + refs + [""])
    other = docs.make_docx(tmp_path / "other.docx", [*body, "zzz", "qqq"])
    fewer = docs.make_docx(tmp_path / "fewer.docx", body + refs[:1])
    options = {"content_only": True, "reference_base_result": 0.6}
    assert metric(same, gold, **options) == pytest.approx(1.0)
    assert metric(other, gold, **options) == 0.0
    assert metric(fewer, gold, **options) == 0.0
    none = docs.make_docx(tmp_path / "none.docx", ["Text"])
    assert metric(none, docs.make_docx(tmp_path / "none2.docx", ["Other"])) == 1.0
    assert metric(none, gold) == 0.0


def test_compare_conference_city_in_order(tmp_path: Path) -> None:
    import openpyxl

    metric = METRICS["compare_conference_city_in_order"]
    expected = {"expected": ["Atlanta", ["Montreal", "Montréal"], "San Diego"] * 7}

    def sheet(cities: list[str | None]) -> str:
        book = openpyxl.Workbook()
        for row, city in enumerate(cities, start=2):
            book.active.cell(row=row, column=3, value=city)
        book.save(tmp_path / "c.xlsx")
        return str(tmp_path / "c.xlsx")

    assert metric(sheet(["Atlanta, GA", "MONTRÉAL", "San-Diego"] * 7), expected) == 1.0
    assert metric(sheet(["Atlanta", "Toronto", "San Diego"] * 7), expected) == 0.0
    assert metric(sheet(["Atlanta", "Montreal", "San Diego"] * 6), expected) == 0.0


def test_compare_pdf_images(tmp_path: Path) -> None:
    metric = METRICS["compare_pdf_images"]
    gold = make_pdf_with_image(tmp_path / "gold.pdf", "stripes")
    same = make_pdf_with_image(tmp_path / "same.pdf", "stripes")
    other = make_pdf_with_image(tmp_path / "other.pdf", "black")
    assert metric(same, gold) == 1.0
    assert metric(other, gold) == 0.0
    assert metric(None, gold) == 0.0


def test_compare_image_text_needs_tesseract(tmp_path: Path, monkeypatch) -> None:
    from agentbench_osworld.metrics import docs_more

    image = tmp_path / "ls.png"
    image.write_bytes(b"png")
    monkeypatch.setattr(docs_more.shutil, "which", lambda name: None)
    with pytest.raises(ToolMissing, match="tesseract"):
        METRICS["compare_image_text"](str(image), {"type": "text", "text": "ls"})


def test_compare_image_text_with_an_ocr_program(tmp_path: Path, monkeypatch) -> None:
    fake = tmp_path / "bin" / "tesseract"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'user@host:~$ ls'\necho 'Desktop  Music'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    image = tmp_path / "ls.png"
    image.write_bytes(b"png")
    metric = METRICS["compare_image_text"]
    assert metric(str(image), {"type": "text", "text": "ls"}) == 1.0
    assert metric(str(image), {"type": "text", "text": "Videos"}) == 0.0


# --- file metrics ---------------------------------------------------------------------------


def test_compare_result_files(tmp_path: Path) -> None:
    metric = METRICS["compare_result_files"]
    gold = tmp_path / "gold.txt"
    gold.write_text("25.5\n")
    result = tmp_path / "result.txt"
    for text, score in (("25.50001", 1.0), ("The median is 25.5", 1.0), ("26", 0.0), ("", 0.0)):
        result.write_text(text)
        assert metric(str(result), str(gold)) == score, text
    gold.write_text("done")
    result.write_text(" done \n")
    assert metric(str(result), str(gold)) == 1.0
    result.write_text("not done")
    assert metric(str(result), str(gold)) == 0.0


def test_compare_zip_files(docs, tmp_path: Path) -> None:
    metric = METRICS["compare_zip_files"]

    def archive(name: str, members: dict[str, bytes]) -> str:
        with zipfile.ZipFile(tmp_path / name, "w") as zipped:
            for member, data in members.items():
                zipped.writestr(member, data)
        return str(tmp_path / name)

    pdf1 = Path(docs.make_pdf(tmp_path / "1.pdf", "Recruitment and retention")).read_bytes()
    pdf2 = Path(docs.make_pdf(tmp_path / "2.pdf", "Recruitment and retention")).read_bytes()
    pdf3 = Path(docs.make_pdf(tmp_path / "3.pdf", "Something else entirely")).read_bytes()
    gold = archive("gold.zip", {"essay.pdf": pdf1, "notes.txt": b"a"})
    assert metric(archive("ok.zip", {"essay.pdf": pdf2, "notes.txt": b"a"}), gold) == 1.0
    assert metric(archive("pdf.zip", {"essay.pdf": pdf3, "notes.txt": b"a"}), gold) == 0.0
    assert metric(archive("txt.zip", {"essay.pdf": pdf2, "notes.txt": b"b"}), gold) == 0.0
    assert metric(archive("names.zip", {"essay.pdf": pdf2}), gold) == 0.0


def test_compare_epub(tmp_path: Path) -> None:
    metric = METRICS["compare_epub"]
    gold = make_epub(tmp_path / "gold.epub", "Chapter one.", identifier="urn:uuid:gold")
    same = make_epub(tmp_path / "same.epub", "Chapter one.", identifier="urn:uuid:other")
    other = make_epub(tmp_path / "other.epub", "Something else.")
    assert metric(same, gold) == 1.0
    assert metric(other, gold) < 1.0
    not_epub = tmp_path / "x.epub"
    not_epub.write_bytes(b"not a zip")
    assert metric(str(not_epub), gold) == 0.0


def test_check_python_file_by_test_suite(tmp_path: Path) -> None:
    metric = METRICS["check_python_file_by_test_suite"]
    (tmp_path / "snake.py").write_text("def eat(food):\n    return food + 1\n")
    suite = tmp_path / "test_suite.py"
    suite.write_text("from snake import eat\n\ndef test():\n    return eat(1) == 2\n")
    assert metric([str(tmp_path / "snake.py")], str(suite)) == 1.0
    (tmp_path / "snake.py").write_text("def eat(food):\n    return food\n")
    assert metric([str(tmp_path / "snake.py")], str(suite)) == 0.0
    (tmp_path / "snake.py").write_text("raise SystemExit(3)\n")
    assert metric([], str(suite)) == 0.0
    suite.write_text("import time\n\ndef check():\n    time.sleep(30)\n")
    assert metric([], str(suite), test_function_name="check", timeout=1) == 0.0
    assert metric([], None) == 0.0
    assert sys.modules.get("snake") is None  # the agent's code never ran in this process


# --- Impress getters ------------------------------------------------------------------------


def relationships(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read("ppt/slides/_rels/slide1.xml.rels").decode()


def add_relationship(path: Path, rel_id: str, kind: str, target: str, external: bool = False):
    mode = " TargetMode='External'" if external else ""
    rel = f"<Relationship Id='{rel_id}' Type='{R_NS}/{kind}' Target='{target}'{mode}/>"
    rels = relationships(path).replace("</Relationships>", rel + "</Relationships>")
    rewrite_zip(path, {"ppt/slides/_rels/slide1.xml.rels": rels.encode()})


async def test_audio_in_slide_embedded_and_linked(tmp_path: Path) -> None:
    deck = make_pptx(tmp_path / "deck.pptx")
    add_relationship(deck, "rId90", "audio", "../media/media1.wav")
    rewrite_zip(deck, {"ppt/media/media1.wav": b"RIFF-embedded"})
    linked = make_pptx(tmp_path / "linked.pptx")
    add_relationship(linked, "rId90", "audio", "file:///home/user/Desktop/a.wav", external=True)
    desktop = Desktop(
        {
            "/home/user/Desktop/deck.pptx": deck.read_bytes(),
            "/home/user/Desktop/linked.pptx": linked.read_bytes(),
            "/home/user/Desktop/a.wav": b"RIFF-linked",
        }
    )
    env = EvalEnv(desktop, tmp_path / "cache")  # type: ignore[arg-type]
    get = getter("audio_in_slide")
    config = {"ppt_file_path": "/home/user/Desktop/deck.pptx", "slide_index": 0, "dest": "x.wav"}
    assert Path(await get(env, config)).read_bytes() == b"RIFF-embedded"
    config["ppt_file_path"] = "/home/user/Desktop/linked.pptx"
    assert Path(await get(env, config)).read_bytes() == b"RIFF-linked"
    config["ppt_file_path"] = "/home/user/Desktop/missing.pptx"
    assert await get(env, config) is None


async def test_background_image_in_slide(tmp_path: Path) -> None:
    deck = make_pptx(tmp_path / "deck.pptx", slides=2)
    background = (
        "<p:bg><p:bgPr><a:blipFill><a:blip r:embed='rId91'/></a:blipFill>"
        "<a:effectLst/></p:bgPr></p:bg><p:spTree>"
    )
    xml = slide_xml(deck, 2).replace("<p:spTree>", background, 1)
    rewrite_zip(deck, {"ppt/slides/slide2.xml": xml.encode(), "ppt/media/bg.png": b"PNG-bytes"})
    with zipfile.ZipFile(deck) as archive:
        rels = archive.read("ppt/slides/_rels/slide2.xml.rels").decode()
    rel = f"<Relationship Id='rId91' Type='{R_NS}/image' Target='../media/bg.png'/>"
    rewrite_zip(
        deck,
        {
            "ppt/slides/_rels/slide2.xml.rels": rels.replace(
                "</Relationships>", rel + "</Relationships>"
            ).encode()
        },
    )
    desktop = Desktop({"/home/user/Desktop/deck.pptx": deck.read_bytes()})
    env = EvalEnv(desktop, tmp_path / "cache")  # type: ignore[arg-type]
    get = getter("background_image_in_slide")
    config = {"ppt_file_path": "/home/user/Desktop/deck.pptx", "slide_index": 1, "dest": "l.png"}
    local = await get(env, config)
    assert local == str(tmp_path / "cache" / "l.png")
    assert Path(local).read_bytes() == b"PNG-bytes"
    assert await get(env, {**config, "slide_index": 0}) is None
