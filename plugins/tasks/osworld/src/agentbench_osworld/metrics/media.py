"""Media metrics (OSWorld's `vlc.py`, `others.py` and `gimp.py` semantics): videos, VLC's
play-and-exit setting, MP3 tags and thresholded image similarity.

- `compare_videos` decodes with ffmpeg instead of OpenCV (the one on PATH, else the
  `imageio-ffmpeg` dependency's static build; `ToolMissing` when neither exists) and hashes
  frames with a numpy port of imagehash's perceptual hash.
- `check_mp3_meta` reads ID3v2 text frames itself instead of with mutagen's EasyID3; a file
  without an ID3 tag has empty values (upstream raises).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np

from .images import ssim
from .rules import match_value_to_rule
from .tools import ffmpeg_frames, hash_distance, phash
from .vlc import _setting

# EasyID3 keys of the checks, with their ID3v2.3/2.4 and ID3v2.2 frame ids.
_ID3_KEYS = {
    "title": ("TIT2", "TT2"),
    "artist": ("TPE1", "TP1"),
    "album": ("TALB", "TAL"),
    "albumartist": ("TPE2", "TP2"),
    "genre": ("TCON", "TCO"),
    "date": ("TDRC", "TYE"),
    "tracknumber": ("TRCK", "TRK"),
    "composer": ("TCOM", "TCM"),
}


def _frames_match(
    frames1: Iterator[Any], frames2: Iterator[Any], max_frames: int, threshold: int
) -> float:
    """Upstream's frame loop: 1 when both end together (or `max_frames` pass) with at most
    `threshold` frames whose perceptual hashes differ by more than `threshold` bits."""
    mismatches = 0
    missing = object()
    for checked, (one, two) in enumerate(zip_longest(frames1, frames2, fillvalue=missing)):
        if checked >= max_frames:
            break
        if one is missing or two is missing:
            return 0.0
        if hash_distance(phash(one), phash(two)) > threshold:
            mismatches += 1
            if mismatches > threshold:
                return 0.0
    return 1.0


def compare_videos(
    video_path1: str | None,
    video_path2: str | None,
    max_frames_to_check: int = 100,
    threshold: int = 5,
) -> float:
    """1 when the first `max_frames_to_check` frames of the videos look alike (see above).

    Raises:
        ToolMissing: ffmpeg is not installed where the evaluator runs.
    """
    if not video_path1 or not video_path2:
        return 0.0
    if not Path(video_path1).is_file() or not Path(video_path2).is_file():
        return 0.0
    frames1 = ffmpeg_frames(video_path1, max_frames_to_check, "compare_videos")
    frames2 = ffmpeg_frames(video_path2, max_frames_to_check, "compare_videos")
    return _frames_match(frames1, frames2, max_frames_to_check, threshold)


def check_play_and_exit(actual_config_path: str | None, rule: dict[str, Any]) -> float:
    """VLC's `play-and-exit` setting (last vlcrc line with `play-and-exit=`, default 0)."""
    value = _setting(actual_config_path, "play-and-exit", "0")
    return float(value is not None and value == str(rule["expected_play_and_exit"]))


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _decode_text(body: bytes) -> list[str]:
    """The values of an ID3 text frame (encoding byte, then null-separated strings)."""
    if not body:
        return []
    encoding, raw = body[0], body[1:]
    codec, null = {0: ("latin-1", b"\0"), 1: ("utf-16", b"\0\0"), 2: ("utf-16-be", b"\0\0")}.get(
        encoding, ("utf-8", b"\0")
    )
    parts = []
    if len(null) == 2:  # split on aligned double nulls only
        start = 0
        for pos in range(0, len(raw) - 1, 2):
            if raw[pos : pos + 2] == null:
                parts.append(raw[start:pos])
                start = pos + 2
        parts.append(raw[start:])
    else:
        parts = raw.split(null)
    values = [p.decode(codec, errors="replace") for p in parts]
    while values and not values[-1]:
        values.pop()
    return values


def _id3_frames(data: bytes) -> Iterable[tuple[str, bytes]]:
    """(frame id, body) of the ID3v2 tag at the start of `data`."""
    if len(data) < 10 or data[:3] != b"ID3":
        return
    version, flags, size = data[3], data[5], _syncsafe(data[6:10])
    tag = data[10 : 10 + size]
    if flags & 0x80 and version < 4:  # unsynchronised tag
        tag = tag.replace(b"\xff\x00", b"\xff")
    if flags & 0x40 and version >= 3:  # extended header
        skip = _syncsafe(tag[:4]) if version == 4 else struct.unpack(">I", tag[:4])[0] + 4
        tag = tag[skip:]
    id_len, header_len = (3, 6) if version == 2 else (4, 10)
    pos = 0
    while pos + header_len <= len(tag) and tag[pos] != 0:
        frame_id = tag[pos : pos + id_len].decode("latin-1")
        raw_size = tag[pos + id_len : pos + header_len - (0 if version == 2 else 2)]
        if version == 2:
            frame_size = int.from_bytes(raw_size, "big")
        elif version == 4:
            frame_size = _syncsafe(raw_size)
        else:
            frame_size = int.from_bytes(raw_size, "big")
        yield frame_id, tag[pos + header_len : pos + header_len + frame_size]
        pos += header_len + frame_size


def _id3_text(path: str) -> dict[str, str]:
    """EasyID3-style values of the known keys, multiple values joined by ','."""
    with open(path, "rb") as handle:
        head = handle.read(10)
        size = _syncsafe(head[6:10]) if head[:3] == b"ID3" and len(head) == 10 else 0
        data = head + handle.read(size)
    frames = {frame_id: body for frame_id, body in _id3_frames(data)}
    values = {}
    for key, ids in _ID3_KEYS.items():
        for frame_id in ids:
            if frame_id in frames:
                values[key] = ",".join(_decode_text(frames[frame_id]))
                break
    return values


def check_mp3_meta(result: str | None, meta: dict[str, dict[str, Any]]) -> float:
    """Every ID3 field named in `meta` (title, artist, ...) matches its rule (missing: '')."""
    if not result or not Path(result).is_file():
        return 0.0
    tags = _id3_text(result)
    return float(all(match_value_to_rule(tags.get(key, ""), rule) for key, rule in meta.items()))


def check_structure_sim_with_threshold(
    src_path: str | None, tgt_path: str | None, **options: Any
) -> float:
    """SSIM of the RGB images (per channel, averaged; the source resized with Lanczos to the
    target's size when they differ) at or above `ssim_threshold` (0.85)."""
    from PIL import Image

    threshold = float(options.get("ssim_threshold", 0.85))
    if not src_path or not tgt_path or not Path(src_path).is_file():
        return 0.0
    if not Path(tgt_path).is_file():
        return 0.0
    try:
        with Image.open(src_path) as src_file, Image.open(tgt_path) as tgt_file:
            target = tgt_file.convert("RGB")
            source: Image.Image = src_file
            if source.size != target.size:
                source = source.resize(target.size, Image.Resampling.LANCZOS)
            source = source.convert("RGB")
    except OSError:
        return 0.0
    a, b = np.asarray(source), np.asarray(target)
    window = min(7, *a.shape[:2])
    window -= 1 - window % 2  # odd, as scikit-image requires
    if window < 3:
        return 0.0
    similarity = np.mean([ssim(a[..., c], b[..., c], size=window) for c in range(3)])
    return float(similarity >= threshold)
