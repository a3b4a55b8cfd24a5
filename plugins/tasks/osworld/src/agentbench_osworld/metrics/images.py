"""Image metrics with Pillow and numpy: `compare_images` is upstream's SSIM comparison (the
structural similarity of the greyscale images, as scikit-image computes it by default: a 7x7
uniform window, sample covariance, K1=0.01, K2=0.03, data range 255)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def _box_mean(a: np.ndarray, size: int = 7) -> np.ndarray:
    """Mean over each size x size window fully inside the image (valid region)."""
    c = np.cumsum(np.cumsum(np.pad(a, ((1, 0), (1, 0))), axis=0), axis=1)
    s = c[size:, size:] - c[:-size, size:] - c[size:, :-size] + c[:-size, :-size]
    return s / (size * size)


def ssim(x: np.ndarray, y: np.ndarray, data_range: float = 255.0, size: int = 7) -> float:
    """Mean structural similarity of two same-shape greyscale arrays."""
    x, y = x.astype(np.float64), y.astype(np.float64)
    n = size * size
    cov_norm = n / (n - 1)
    ux, uy = _box_mean(x, size), _box_mean(y, size)
    vx = cov_norm * (_box_mean(x * x, size) - ux * ux)
    vy = cov_norm * (_box_mean(y * y, size) - uy * uy)
    vxy = cov_norm * (_box_mean(x * y, size) - ux * uy)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return float(s.mean())


def _grey_pair(path1: str, path2: str) -> tuple[np.ndarray, np.ndarray]:
    """Both images in greyscale, resized (Lanczos) to the smaller size as upstream picks it:
    `min()` of the (width, height) tuples."""
    from PIL import Image

    with Image.open(path1) as one, Image.open(path2) as two:
        size = min(one.size, two.size)
        a = one.convert("L").resize(size, Image.Resampling.LANCZOS)
        b = two.convert("L").resize(size, Image.Resampling.LANCZOS)
        return np.asarray(a), np.asarray(b)


def compare_images(image1: str | None, image2: str | None, **options: Any) -> float:
    """SSIM of the two images (0 when either is missing). With `reference_base_result` b, the
    score is (ssim - b) / (1 - b) when ssim >= b + 0.01, else 0."""
    if not image1 or not image2 or not Path(image1).is_file() or not Path(image2).is_file():
        return 0.0
    a, b = _grey_pair(image1, image2)
    if min(a.shape) < 7:
        return 0.0
    similarity = ssim(a, b)
    base = options.get("reference_base_result")
    if base is None:
        return similarity
    return (similarity - base) / (1 - base) if similarity >= base + 0.01 else 0.0
