"""GIMP image metrics (OSWorld's `gimp.py` semantics) with Pillow and numpy.

"Structure similar" is upstream's SSIM check: scikit-image's structural similarity (per channel,
averaged, for colour images) at or above a threshold (0.9 unless a metric says otherwise).
Images of different shapes are not similar (upstream raises there).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .images import ssim


def _open(path: str | None) -> Any:
    from PIL import Image

    if not path or not os.path.isfile(path):
        return None
    with Image.open(path) as image:  # read fully, so the file is closed at once
        image.load()
        return image.copy()


def _similar(img1: Any, img2: Any, threshold: float = 0.9) -> bool:
    a, b = np.asarray(img1), np.asarray(img2)
    if a.shape != b.shape or min(a.shape[:2]) < 7:
        return False
    if a.ndim == 2:
        return ssim(a, b) >= threshold
    return float(np.mean([ssim(a[..., c], b[..., c]) for c in range(a.shape[2])])) >= threshold


def _brightness(image: Any) -> float:
    from PIL import ImageStat

    return ImageStat.Stat(image.convert("L")).mean[0]


def _normalise_brightness(image: Any, target: float) -> Any:
    factor = target / _brightness(image)
    return image.point(lambda x: min(255, max(0, int(x * factor))))


def _similar_by_mse(img1: Any, img2: Any, threshold: float = 0.03) -> bool:
    a = np.asarray(img1, dtype=np.float32) / 255
    b = np.asarray(img2, dtype=np.float32) / 255
    return a.shape == b.shape and float(np.mean((a - b) ** 2)) < threshold


def compare_image_list(pred: Any, gold: Any) -> float:
    """Every image pixel-identical to its gold image."""
    from PIL import ImageChops

    preds, golds = (pred, gold) if isinstance(gold, list) else ([pred], [gold])
    for p, g in zip(preds, golds, strict=False):
        one, two = _open(p), _open(g)
        if one is None or two is None:
            return 0.0
        try:
            if ImageChops.difference(one, two).getbbox():
                return 0.0
        except ValueError:  # different sizes or modes
            return 0.0
    return 1.0


def check_structure_sim(src_path: str | None, tgt_path: str | None) -> float:
    src, tgt = _open(src_path), _open(tgt_path)
    return float(src is not None and tgt is not None and _similar(src, tgt))


def check_structure_sim_resized(src_path: str | None, tgt_path: str | None) -> float:
    """Similar after resizing the source to the target's size (Pillow's default filter)."""
    src, tgt = _open(src_path), _open(tgt_path)
    return float(src is not None and tgt is not None and _similar(src.resize(tgt.size), tgt))


def check_file_exists_and_structure_sim(src_path: str | None, tgt_path: str | None) -> float:
    return check_structure_sim(src_path, tgt_path)


def check_brightness_decrease_and_structure_sim(src_path: str | None, tgt_path: str | None):
    """The source is darker than the target, and alike once both are brought to brightness 128
    (mean squared error under 0.03)."""
    src, tgt = _open(src_path), _open(tgt_path)
    if src is None or tgt is None:
        return 0.0
    darker = _brightness(tgt) > _brightness(src)
    same = _similar_by_mse(_normalise_brightness(src, 128), _normalise_brightness(tgt, 128))
    return float(darker and same)


def check_saturation_increase_and_structure_sim(src_path: str | None, tgt_path: str | None):
    """The source is more saturated than the target, with similar hue and value channels."""
    src, tgt = _open(src_path), _open(tgt_path)
    if src is None or tgt is None:
        return 0.0
    hsv_src, hsv_tgt = src.convert("HSV"), tgt.convert("HSV")
    h1, s1, v1 = hsv_src.split()
    h2, s2, v2 = hsv_tgt.split()
    more = float(np.mean(np.asarray(s2))) < float(np.mean(np.asarray(s1)))
    return float(more and _similar(h1, h2) and _similar(v1, v2))


def check_contrast_increase_and_structure_sim(src_path: str | None, tgt_path: str | None):
    """The source has more contrast (pixel standard deviation) and SSIM >= 0.65."""
    src, tgt = _open(src_path), _open(tgt_path)
    if src is None or tgt is None:
        return 0.0
    std = lambda im: float(np.std(np.asarray(im, dtype=np.float32)))  # noqa: E731
    return float(std(tgt) < std(src) and _similar(src, tgt, threshold=0.65))


def check_palette_and_structure_sim(src_path: str | None, tgt_path: str | None) -> float:
    """The source is a palette image and, in RGB, similar to the target."""
    src, tgt = _open(src_path), _open(tgt_path)
    if src is None or tgt is None:
        return 0.0
    return float(src.mode == "P" and _similar(src.convert("RGB"), tgt))


def check_image_mirror(src_path: str | None, tgt_path: str | None) -> float:
    """The source flipped left-right is similar to the target (SSIM >= 0.99)."""
    from PIL import Image

    src, tgt = _open(src_path), _open(tgt_path)
    if src is None or tgt is None:
        return 0.0
    return float(_similar(src.transpose(Image.Transpose.FLIP_LEFT_RIGHT), tgt, 0.99))


def check_image_size(src_path: str | None, rule: dict[str, Any]) -> float:
    """The image's width and height are the rule's (each only when given)."""
    src = _open(src_path)
    if src is None:
        return 0.0
    width, height = src.size
    return float(
        (rule.get("height") is None or height == rule["height"])
        and (rule.get("width") is None or width == rule["width"])
    )


def check_image_file_size(src_path: str | None, rule: dict[str, Any]) -> float:
    if not src_path or not os.path.isfile(src_path):
        return 0.0
    return float(os.path.getsize(src_path) < rule["max_size"])


def check_triangle_position(tgt_path: str | None) -> float:
    """The pixels of the image's second least common colour (upstream's pick) have their centroid
    within 5% of the image centre."""
    img = _open(tgt_path)
    if img is None:
        return 0.0
    pixels = np.asarray(img)
    if pixels.ndim != 3:
        return 0.0
    colours, counts = np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0, return_counts=True)
    if len(colours) < 2:
        return 0.0
    colour = colours[np.argsort(counts)][1]
    centroid = np.argwhere(np.all(pixels == colour, axis=2)).mean(axis=0)
    size = np.array(pixels.shape[:2])
    return float(np.all(np.abs(centroid - size / 2) < 0.05 * size))


def check_textbox_on_leftside(src_path: str | None) -> float:
    """The leftmost dark pixel (grey < 128, first per row) is in the left 5% of the image."""
    img = _open(src_path)
    if img is None:
        return 0.0
    grey = np.asarray(img.convert("L"))
    dark = grey < 128
    rows = dark.any(axis=1)
    if not rows.any():
        return 0.0
    leftmost = int(dark[rows].argmax(axis=1).min())
    return float(leftmost < img.size[0] * 0.05)


def check_green_background(src_path: str | None, tgt_path: str | None) -> float:
    """Where the target is not black, the source is green (g > r and g > b). Pixels are indexed
    [x, y] over the target's width and height, as upstream does."""
    src, tgt = _open(src_path), _open(tgt_path)
    if src is None or tgt is None:
        return 0.0
    source, target = np.asarray(src), np.asarray(tgt)
    try:
        for x in range(tgt.width):
            for y in range(tgt.height):
                if tuple(target[x, y][:3]) != (0, 0, 0):
                    r, g, b = (int(v) for v in source[x, y][:3])
                    if not (g > r and g > b):
                        return 0.0
    except IndexError:
        return 0.0
    return 1.0
