"""The media metrics (audio, video, MP3 tags, VLC's play-and-exit, thresholded SSIM) on WAV
files, PPM frame streams, ID3 tags and pictures made here; ffmpeg is replaced by a small script
where a test needs it, so the tests run where ffmpeg is not installed."""

from __future__ import annotations

import os
import stat
import struct
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from agentbench_osworld.metrics import METRICS, audio, tools
from agentbench_osworld.metrics.tools import ToolMissing

RATE = 22050


def make_wav(path: Path, samples: np.ndarray, rate: int = RATE, width: int = 2) -> str:
    scaled = np.clip(samples, -1, 1) * (2 ** (8 * width - 1) - 1)
    if width == 2:
        data = scaled.astype("<i2").tobytes()
    else:  # 24-bit: the low three bytes of each 32-bit sample
        data = b"".join(struct.pack("<i", int(v))[:3] for v in scaled)
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(data)
    return str(path)


def tone(seconds: float, frequencies: tuple[float, ...], rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    waves = np.stack([np.sin(2 * np.pi * f * t) for f in frequencies])
    return waves.mean(axis=0) * 0.8


def fake_ffmpeg(tmp_path: Path, monkeypatch) -> None:
    """An `ffmpeg` on PATH that 'decodes' by copying its input file (raw PPM frames or raw
    float32 samples) to stdout."""
    script = tmp_path / "bin" / "ffmpeg"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "args = sys.argv\n"
        "data = open(args[args.index('-i') + 1], 'rb').read()\n"
        "if data.startswith(b'BAD'):\n"
        "    sys.stderr.write('Invalid data found')\n"
        "    sys.exit(1)\n"
        "sys.stdout.buffer.write(data)\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")


def no_ffmpeg(monkeypatch) -> None:
    monkeypatch.setattr(tools.shutil, "which", lambda name: None)
    monkeypatch.setattr(tools, "bundled_ffmpeg", lambda: None)


def real_ffmpeg() -> str:
    """The bundled static ffmpeg (a dependency of the plugin): real encodes and decodes."""
    path = tools.bundled_ffmpeg()
    assert path, "imageio-ffmpeg ships no ffmpeg for this platform"
    return path


def encode(source: str, target: Path, *args: str, lavfi: bool = False) -> str:
    """`source` (a file, or an ffmpeg test-source filter with `lavfi`) encoded to `target`."""
    import subprocess

    given = ["-f", "lavfi", "-i", source] if lavfi else ["-i", source]
    command = [real_ffmpeg(), "-v", "error", "-y", *given, *args, str(target)]
    subprocess.run(command, check=True, capture_output=True)
    return str(target)


# --- compare_audios -------------------------------------------------------------------------


def test_compare_audios_scores_same_sound_high_and_other_sound_low(tmp_path: Path) -> None:
    metric = METRICS["compare_audios"]
    song = tone(2.0, (440, 660))
    original = make_wav(tmp_path / "a.wav", song)
    quieter = make_wav(tmp_path / "b.wav", song * 0.5)
    resampled = make_wav(tmp_path / "c.wav", tone(2.0, (440, 660), 44100), rate=44100, width=3)
    rng = np.random.default_rng(0)
    noise = make_wav(tmp_path / "n.wav", rng.uniform(-0.5, 0.5, RATE * 2))
    other = make_wav(tmp_path / "o.wav", tone(2.0, (1500, 2500)))
    assert metric(original, original) == pytest.approx(1.0)
    assert metric(original, quieter) > 0.99
    assert metric(original, resampled) > 0.95
    assert metric(original, noise) < 0.6
    assert metric(original, other) < 0.6


def test_compare_audios_empty_and_missing_files(tmp_path: Path) -> None:
    metric = METRICS["compare_audios"]
    empty1, empty2 = tmp_path / "e1.wav", tmp_path / "e2.wav"
    empty1.write_bytes(b"")
    empty2.write_bytes(b"")
    sound = make_wav(tmp_path / "s.wav", tone(1.0, (440,)))
    assert metric(str(empty1), str(empty2)) == 1.0
    assert metric(sound, str(empty1)) == 0.0
    assert metric(None, sound) == 0.0


def test_compare_audios_needs_ffmpeg_for_mp3(tmp_path: Path, monkeypatch) -> None:
    no_ffmpeg(monkeypatch)
    mp3 = tmp_path / "song.mp3"
    mp3.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x00")
    with pytest.raises(ToolMissing, match="ffmpeg"):
        METRICS["compare_audios"](str(mp3), str(mp3))


def test_compare_audios_decodes_other_formats_with_ffmpeg(tmp_path: Path, monkeypatch) -> None:
    fake_ffmpeg(tmp_path, monkeypatch)
    song = tone(1.5, (330, 550)).astype("<f4")
    mp3 = tmp_path / "song.mp3"
    mp3.write_bytes(song.tobytes())
    broken = tmp_path / "broken.mp3"
    broken.write_bytes(b"BAD")
    wav = make_wav(tmp_path / "song.wav", song)
    assert METRICS["compare_audios"](str(mp3), wav) > 0.99
    assert METRICS["compare_audios"](str(mp3), str(broken)) == 0.0


def test_compare_audios_decodes_real_mp3s_with_the_bundled_ffmpeg(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(tools.shutil, "which", lambda name: None)  # no ffmpeg on PATH
    song = make_wav(tmp_path / "song.wav", tone(2.0, (330, 550)))
    other = make_wav(tmp_path / "other.wav", tone(2.0, (1200, 1900)))
    mp3 = encode(song, tmp_path / "song.mp3", "-b:a", "128k")
    other_mp3 = encode(other, tmp_path / "other.mp3", "-b:a", "128k")
    same = METRICS["compare_audios"](mp3, song)
    assert same > 0.9, same
    assert METRICS["compare_audios"](other_mp3, song) < same


def test_mfcc_has_librosa_shape_and_dtw_matches_brute_force() -> None:
    features = audio._mfcc(tone(1.0, (440,)))
    assert features.shape == (20, 1 + RATE // 512)
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(9, 4)), rng.normal(size=(6, 4))

    def cosine(u: np.ndarray, v: np.ndarray) -> float:
        return 1 - float(u @ v) / float(np.linalg.norm(u) * np.linalg.norm(v))

    cost = np.full((10, 7), np.inf)
    cost[0, 0] = 0
    for i in range(1, 10):
        for j in range(1, 7):
            best = min(cost[i - 1, j], cost[i, j - 1], cost[i - 1, j - 1])
            cost[i, j] = cosine(a[i - 1], b[j - 1]) + best
    distance, steps = audio._dtw_cosine(a, b)
    assert distance == pytest.approx(cost[9, 6])
    assert 9 <= steps <= 9 + 6 - 1


# --- compare_videos -------------------------------------------------------------------------


def ppm_stream(path: Path, shades: list[str]) -> str:
    """A 'video': concatenated binary PPM frames, each a pattern named by `shades`."""
    from PIL import Image, ImageDraw

    frames = []
    for shade in shades:
        image = Image.new("RGB", (48, 32), "white")
        draw = ImageDraw.Draw(image)
        if shade == "bars":
            for x in range(0, 48, 8):
                draw.rectangle([x, 0, x + 3, 31], fill="black")
        else:
            draw.rectangle([0, 16, 47, 31], fill="black")
        frames.append(b"P6\n48 32\n255\n" + image.tobytes())
    path.write_bytes(b"".join(frames))
    return str(path)


def test_compare_videos(tmp_path: Path, monkeypatch) -> None:
    fake_ffmpeg(tmp_path, monkeypatch)
    metric = METRICS["compare_videos"]
    gold = ppm_stream(tmp_path / "gold.mp4", ["bars"] * 12)
    same = ppm_stream(tmp_path / "same.mp4", ["bars"] * 12)
    flipped = ppm_stream(tmp_path / "flip.mp4", ["half"] * 12)
    shorter = ppm_stream(tmp_path / "short.mp4", ["bars"] * 8)
    few_changes = ppm_stream(tmp_path / "few.mp4", ["half"] * 5 + ["bars"] * 7)
    assert metric(same, gold) == 1.0
    assert metric(flipped, gold) == 0.0
    assert metric(shorter, gold) == 0.0
    assert metric(few_changes, gold) == 1.0  # at most `threshold` (5) differing frames
    assert metric(shorter, gold, max_frames_to_check=8) == 1.0
    assert metric(None, gold) == 0.0


def test_compare_videos_decodes_real_mp4s_with_the_bundled_ffmpeg(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setattr(tools.shutil, "which", lambda name: None)  # no ffmpeg on PATH
    moving = "testsrc=size=96x64:rate=10:duration=2"
    still = "color=c=gray:size=96x64:rate=10:duration=2"
    yuv = ("-pix_fmt", "yuv420p")
    gold = encode(moving, tmp_path / "gold.mp4", *yuv, lavfi=True)
    same = encode(moving, tmp_path / "same.mp4", *yuv, lavfi=True)
    gray = encode(still, tmp_path / "gray.mp4", *yuv, lavfi=True)
    assert METRICS["compare_videos"](same, gold) == 1.0
    assert METRICS["compare_videos"](gray, gold) == 0.0


def test_compare_videos_needs_ffmpeg(tmp_path: Path, monkeypatch) -> None:
    no_ffmpeg(monkeypatch)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with pytest.raises(ToolMissing, match="ffmpeg"):
        METRICS["compare_videos"](str(video), str(video))


def test_phash_is_stable_under_small_changes() -> None:
    from PIL import Image, ImageDraw

    image = Image.new("L", (100, 80), 255)
    ImageDraw.Draw(image).ellipse([10, 10, 70, 60], fill=0)
    brighter = image.point(lambda v: min(255, v + 10))
    other = image.transpose(Image.Transpose.ROTATE_180)
    assert tools.phash(image).shape == (8, 8)
    assert tools.hash_distance(tools.phash(image), tools.phash(brighter)) <= 5
    assert tools.hash_distance(tools.phash(image), tools.phash(other)) > 5


# --- MP3 tags, VLC, SSIM --------------------------------------------------------------------


def id3_tag(frames: dict[str, str], version: int = 3) -> bytes:
    def size(n: int, syncsafe: bool) -> bytes:
        if not syncsafe:
            return n.to_bytes(4, "big")
        return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])

    body = b""
    for frame_id, text in frames.items():
        data = b"\x01" + text.encode("utf-16") if version == 3 else b"\x03" + text.encode()
        body += frame_id.encode() + size(len(data), version == 4) + b"\x00\x00" + data
    body += b"\x00" * 16  # padding
    return b"ID3" + bytes([version, 0, 0]) + size(len(body), True) + body


def test_check_mp3_meta(tmp_path: Path) -> None:
    metric = METRICS["check_mp3_meta"]
    rules = {
        "title": {"method": "eq", "ref": "Missing You"},
        "artist": {"method": "eq", "ref": "Cheng Xiang"},
    }
    song = tmp_path / "Cheng Xiang - Missing You.mp3"
    song.write_bytes(id3_tag({"TIT2": "Missing You", "TPE1": "Cheng Xiang"}) + b"\xff\xfb" * 8)
    assert metric(str(song), rules) == 1.0
    song.write_bytes(id3_tag({"TIT2": "Missing You", "TPE1": "Cheng Xiang"}, 4) + b"\xff\xfb")
    assert metric(str(song), rules) == 1.0
    song.write_bytes(id3_tag({"TIT2": "Missing You"}) + b"\xff\xfb")
    assert metric(str(song), rules) == 0.0
    song.write_bytes(b"\xff\xfb" * 8)  # no tag at all
    assert metric(str(song), rules) == 0.0
    assert metric(None, rules) == 0.0


def test_check_play_and_exit(tmp_path: Path) -> None:
    metric = METRICS["check_play_and_exit"]
    vlcrc = tmp_path / "vlcrc"
    vlcrc.write_text("[core]\n# Play and exit (boolean)\n#play-and-exit=0\nplay-and-exit=1\n")
    assert metric(str(vlcrc), {"expected_play_and_exit": 1}) == 1.0
    assert metric(str(vlcrc), {"expected_play_and_exit": 0}) == 0.0
    vlcrc.write_text("[core]\n")
    assert metric(str(vlcrc), {"expected_play_and_exit": 0}) == 1.0
    assert metric(None, {"expected_play_and_exit": 0}) == 0.0


def test_check_structure_sim_with_threshold(tmp_path: Path) -> None:
    from PIL import Image, ImageDraw

    metric = METRICS["check_structure_sim_with_threshold"]
    gold = Image.new("RGB", (64, 64), (250, 250, 250))
    ImageDraw.Draw(gold).rectangle([16, 8, 47, 55], fill=(200, 40, 40))
    gold.save(tmp_path / "gold.png")
    gold.resize((128, 128), Image.Resampling.NEAREST).convert("RGBA").save(tmp_path / "big.png")
    moved = Image.new("RGB", (64, 64), (250, 250, 250))
    ImageDraw.Draw(moved).ellipse([0, 0, 30, 30], fill=(40, 200, 40))
    moved.save(tmp_path / "moved.png")
    assert metric(str(tmp_path / "gold.png"), str(tmp_path / "gold.png")) == 1.0
    assert metric(str(tmp_path / "big.png"), str(tmp_path / "gold.png"), ssim_threshold=0.85) == 1.0
    assert metric(str(tmp_path / "moved.png"), str(tmp_path / "gold.png")) == 0.0
    assert metric(str(tmp_path / "big.png"), str(tmp_path / "gold.png"), ssim_threshold=1.01) == 0.0
    assert metric(None, str(tmp_path / "gold.png")) == 0.0
