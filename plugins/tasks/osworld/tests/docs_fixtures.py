"""Documents made on the fly for the metric tests (python-docx, python-pptx, Pillow, raw PDF)."""

from __future__ import annotations

from pathlib import Path


def make_docx(path: Path, paragraphs: list[str], bold_first: bool = False) -> str:
    from docx import Document

    document = Document()
    for i, text in enumerate(paragraphs):
        run = document.add_paragraph().add_run(text)
        run.bold = bold_first and i == 0
    document.save(str(path))
    return str(path)


def make_pptx(path: Path, titles: list[str], size_pt: int | None = None, left_cm: float = 2) -> str:
    from pptx import Presentation
    from pptx.util import Cm, Pt

    presentation = Presentation()
    for title in titles:
        slide = presentation.slides.add_slide(presentation.slide_layouts[6])
        box = slide.shapes.add_textbox(Cm(left_cm), Cm(2), Cm(10), Cm(2))
        run = box.text_frame.paragraphs[0].add_run()
        run.text = title
        if size_pt:
            run.font.size = Pt(size_pt)
    presentation.save(str(path))
    return str(path)


def make_pdf(path: Path, text: str) -> str:
    """A one-page PDF with one line of Helvetica text (hand-written objects and xref)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path.write_bytes(bytes(out))
    return str(path)


def make_png(path: Path, shade: int = 40, square: bool = True) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (64, 48), (shade, shade, shade))
    if square:
        ImageDraw.Draw(image).rectangle([10, 10, 30, 30], fill=(250, 250, 250))
    image.save(path)
    return str(path)
