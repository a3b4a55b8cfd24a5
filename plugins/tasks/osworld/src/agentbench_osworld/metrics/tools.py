"""Helpers shared by the media and document metrics; not metrics themselves (this module is not
in the registry's module tuple).

- `ToolMissing`: a metric needs a program the evaluating host lacks (ffmpeg, an OCR engine).
- `phash`: the perceptual hash of the `imagehash` package (greyscale, 32x32 Lanczos, 2-D DCT-II,
  the top-left 8x8 coefficients compared with their median), in numpy.
- `ffmpeg_frames` / `ffmpeg_audio`: decoding with the ffmpeg program when it is on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np


class ToolMissing(RuntimeError):
    """A metric needs a program that is not installed where the evaluator runs.

    Not an `AgentbenchError`: it fails its own task's episode (status "error"), not the run.
    """

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(f"{message} (fix: {fix})")
        self.message, self.fix = message, fix


def bundled_ffmpeg() -> str | None:
    """The static ffmpeg that the `imageio-ffmpeg` dependency ships, or None without it."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:  # not installed, or no binary for this platform
        return None


def require_ffmpeg(metric: str, what: str) -> str:
    """The ffmpeg on PATH, else the bundled one, else `ToolMissing` naming the metric and what it
    needed to decode."""
    path = shutil.which("ffmpeg") or bundled_ffmpeg()
    if path is None:
        raise ToolMissing(
            f"{metric} needs ffmpeg to decode {what}, and none is on PATH or bundled",
            "install ffmpeg on the machine that runs the evaluator (apt-get install ffmpeg)",
        )
    return path


@lru_cache(maxsize=4)
def _dct_matrix(n: int) -> np.ndarray:
    """Unnormalised DCT-II as scipy.fftpack computes it: 2 * cos(pi * k * (2i + 1) / 2n)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))


def phash(image: Any, hash_size: int = 8, highfreq_factor: int = 4) -> np.ndarray:
    """The perceptual hash of a Pillow image as a boolean hash_size x hash_size array."""
    from PIL import Image

    size = hash_size * highfreq_factor
    pixels = np.asarray(image.convert("L").resize((size, size), Image.Resampling.LANCZOS), float)
    dct = _dct_matrix(size)
    coefficients = (dct @ pixels @ dct.T)[:hash_size, :hash_size]
    return coefficients > np.median(coefficients)


def hash_distance(a: np.ndarray, b: np.ndarray) -> int:
    """Number of differing bits of two hashes (imagehash's `hash1 - hash2`)."""
    return int(np.count_nonzero(a != b))


def _read_exactly(stream: Any, count: int) -> bytes:
    chunks, left = [], count
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _ppm_header(stream: Any) -> tuple[int, int] | None:
    """Width and height of the next binary PPM (P6, maxval 255) on the stream; None at its end."""
    fields: list[bytes] = []
    token = b""
    while len(fields) < 4:
        byte = stream.read(1)
        if not byte:
            return None
        if byte.isspace():
            if token:
                fields.append(token)
                token = b""
        else:
            token += byte
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"unexpected PPM header from ffmpeg: {fields!r}")
    return int(fields[1]), int(fields[2])


def ffmpeg_frames(path: str, max_frames: int, metric: str) -> Iterator[Any]:
    """Up to `max_frames` decoded video frames (Pillow RGB images), in order, via ffmpeg.

    ffmpeg applies the stream's rotation metadata, as OpenCV's reader does by default.
    """
    from PIL import Image

    ffmpeg = require_ffmpeg(metric, "video")
    command = [ffmpeg, "-v", "error", "-nostdin", "-i", path, "-frames:v", str(max_frames)]
    command += ["-f", "image2pipe", "-vcodec", "ppm", "-"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        while (size := _ppm_header(process.stdout)) is not None:
            data = _read_exactly(process.stdout, size[0] * size[1] * 3)
            if len(data) < size[0] * size[1] * 3:
                return
            yield Image.frombytes("RGB", size, data)
    finally:
        process.stdout.close()
        process.kill()
        process.wait()


def ffmpeg_audio(path: str, sample_rate: int, metric: str) -> np.ndarray:
    """The file's audio as mono float32 samples at `sample_rate`, decoded by ffmpeg.

    Raises:
        ValueError: ffmpeg could not decode the file (empty, corrupt or not audio).
    """
    ffmpeg = require_ffmpeg(metric, "this audio format")
    command = [ffmpeg, "-v", "error", "-nostdin", "-i", path, "-vn", "-ac", "1"]
    command += ["-ar", str(sample_rate), "-f", "f32le", "-"]
    done = subprocess.run(command, capture_output=True, timeout=600, check=False)
    if done.returncode != 0:
        raise ValueError(done.stderr.decode(errors="replace").strip()[:300] or "ffmpeg failed")
    return np.frombuffer(done.stdout, dtype="<f4").astype(np.float32)
