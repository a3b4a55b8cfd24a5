"""Screenshots (with the mouse cursor drawn in) and screen geometry, straight from X."""

from __future__ import annotations

from Xlib import X, display

from .services import DISPLAY

# An arrow cursor, hotspot at (0, 0): outline points, drawn black with a white border.
_ARROW = [(0, 0), (0, 17), (4, 13), (7, 20), (10, 19), (7, 12), (12, 12)]


def _open():
    return display.Display(DISPLAY)


def size() -> dict[str, int]:
    """The screen's width and height in pixels."""
    disp = _open()
    try:
        screen = disp.screen()
        return {"width": screen.width_in_pixels, "height": screen.height_in_pixels}
    finally:
        disp.close()


def cursor_position() -> tuple[int, int]:
    """Where the mouse pointer is."""
    disp = _open()
    try:
        pointer = disp.screen().root.query_pointer()
        return pointer.root_x, pointer.root_y
    finally:
        disp.close()


def screenshot(path: str, draw_cursor: bool = True) -> dict[str, int | str]:
    """Save the whole screen as a PNG at `path` and return its size."""
    from PIL import Image, ImageDraw

    disp = _open()
    try:
        root = disp.screen().root
        geometry = root.get_geometry()
        width, height = geometry.width, geometry.height
        raw = root.get_image(0, 0, width, height, X.ZPixmap, 0xFFFFFFFF)
        pointer = root.query_pointer()
    finally:
        disp.close()
    image = Image.frombytes("RGB", (width, height), raw.data, "raw", "BGRX")
    if draw_cursor:
        x, y = pointer.root_x, pointer.root_y
        ImageDraw.Draw(image).polygon(
            [(x + dx, y + dy) for dx, dy in _ARROW], fill="black", outline="white"
        )
    image.save(path, format="PNG", compress_level=1)
    return {"path": path, "width": width, "height": height}
