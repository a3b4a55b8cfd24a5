"""`compare_audios` (OSWorld's `vlc.py` semantics) with numpy instead of librosa and fastdtw.

Upstream loads both files with librosa (mono, resampled to 22050 Hz), takes librosa's default
MFCCs (20 coefficients of a 128-band Slaney mel spectrogram, 2048-sample Hann frames, hop 512,
centred, power in dB with an 80 dB floor), scales each coefficient's row by its largest absolute
value, aligns the two sequences with fastdtw under the cosine distance, and scores
exp(-distance / path length). Both files unreadable or empty score 1, one of them 0.

Here the same features are computed in numpy and the alignment is exact DTW (fastdtw, radius 1,
approximates it from above, so scores here are equal or slightly higher). Differences:

- WAV (integer PCM) is read with the `wave` module and resampled by FFT; any other format (MP3,
  float WAV, ...) is decoded by ffmpeg (which also resamples): the one on PATH, else the static
  build of the `imageio-ffmpeg` dependency; `ToolMissing` when neither exists (the episode ends
  in an error, never in a silent 0).
- Long inputs (more than 150 million frame pairs: two files of over 4.7 minutes each) are
  aligned on frames averaged in pairs (or more), to bound the time (about 6 s for 3 minutes).
"""

from __future__ import annotations

import wave
from functools import lru_cache
from pathlib import Path

import numpy as np

from .tools import ffmpeg_audio

SAMPLE_RATE = 22050
N_FFT, HOP, N_MELS, N_MFCC = 2048, 512, 128, 20
_MAX_CELLS = 1.5e8


def _read_wav(path: str) -> tuple[np.ndarray, int] | None:
    """Mono float32 samples in [-1, 1] and the rate of an integer-PCM WAV; None if not one."""
    try:
        with wave.open(path, "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError):
        return None
    samples: np.ndarray
    if width == 1:
        samples = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 3:
        bytes3 = np.frombuffer(raw, np.uint8).reshape(-1, 3)
        b = bytes3.astype(np.int32)
        as_int = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        as_int = np.where(as_int >= 1 << 23, as_int - (1 << 24), as_int)
        samples = as_int.astype(np.float32) / (1 << 23)
    elif width in (2, 4):
        dtype = "<i2" if width == 2 else "<i4"
        samples = np.frombuffer(raw, dtype).astype(np.float32) / float(1 << (8 * width - 1))
    else:
        return None
    samples = samples[: len(samples) - len(samples) % channels]
    return samples.reshape(-1, channels).mean(axis=1), rate


def _resample(y: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Band-limited (FFT) resampling to `target` Hz, the output length rounded up."""
    if rate == target or len(y) == 0:
        return y
    n_out = int(np.ceil(len(y) * target / rate))
    spectrum = np.fft.rfft(y)
    out = np.zeros(n_out // 2 + 1, dtype=complex)
    keep = min(len(out), len(spectrum))
    out[:keep] = spectrum[:keep]
    return (np.fft.irfft(out, n_out) * (n_out / len(y))).astype(np.float32)


def _load_audio(path: str) -> np.ndarray | None:
    """Mono samples at 22050 Hz; None for an empty or undecodable file.

    Raises:
        ToolMissing: the file is not integer-PCM WAV and ffmpeg is not installed.
    """
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        return None
    wav = _read_wav(path)
    if wav is not None:
        samples = _resample(*wav, SAMPLE_RATE)
    else:
        try:
            samples = ffmpeg_audio(path, SAMPLE_RATE, "compare_audios")
        except ValueError:
            return None
    return samples if len(samples) else None


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, float)
    mel = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, mel)


def _mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    mel = np.asarray(mel, float)
    hz = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, hz)


@lru_cache(maxsize=2)
def _mel_filters(rate: int = SAMPLE_RATE) -> np.ndarray:
    """Triangular mel filters with Slaney (area) normalisation, shape (n_mels, 1 + n_fft / 2)."""
    fft_freqs = np.linspace(0, rate / 2, 1 + N_FFT // 2)
    mel_freqs = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(rate / 2), N_MELS + 2))
    widths = np.diff(mel_freqs)
    ramps = mel_freqs[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    return weights * (2.0 / (mel_freqs[2:] - mel_freqs[:-2]))[:, None]


@lru_cache(maxsize=2)
def _dct_ortho(n_in: int = N_MELS, n_out: int = N_MFCC) -> np.ndarray:
    """The first n_out rows of the orthonormal DCT-II matrix of size n_in."""
    k = np.arange(n_out)[:, None]
    i = np.arange(n_in)[None, :]
    matrix = np.cos(np.pi * k * (2 * i + 1) / (2 * n_in)) * np.sqrt(2.0 / n_in)
    matrix[0] /= np.sqrt(2.0)
    return matrix


def _power_spectrogram(y: np.ndarray) -> np.ndarray:
    """|STFT|^2 of centred (zero-padded) periodic-Hann frames, shape (1 + n_fft / 2, frames)."""
    padded = np.pad(y.astype(np.float64), N_FFT // 2)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    blocks = [
        np.abs(np.fft.rfft(frames[start : start + 512] * window, axis=1)) ** 2
        for start in range(0, len(frames), 512)
    ]
    return np.concatenate(blocks).T


def _mfcc(y: np.ndarray) -> np.ndarray:
    """librosa's default MFCCs of 22050 Hz samples, shape (20, frames)."""
    mel = _mel_filters() @ _power_spectrogram(y)
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    db = np.maximum(db, db.max() - 80.0)
    return _dct_ortho() @ db


def _normalise_rows(features: np.ndarray) -> np.ndarray:
    """Each row divided by its largest absolute value (rows of zeros are left as they are)."""
    peak = np.abs(features).max(axis=1, keepdims=True)
    return features / np.where(peak < np.finfo(np.float32).tiny, 1.0, peak)


def _pool(frames: np.ndarray, factor: int) -> np.ndarray:
    if factor <= 1:
        return frames
    usable = len(frames) - len(frames) % factor or len(frames)
    if usable < factor:
        return frames.mean(axis=0, keepdims=True)
    return frames[:usable].reshape(-1, factor, frames.shape[1]).mean(axis=1)


def _unit_rows(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.linalg.norm(frames, axis=1)
    return frames / np.where(norms == 0, 1.0, norms)[:, None], norms == 0


def _dtw_cosine(a: np.ndarray, b: np.ndarray) -> tuple[float, int]:
    """Exact DTW of two frame sequences under the cosine distance: (total distance, path length).

    Anti-diagonals are computed at once, keeping only the last two; among equal-cost
    predecessors the order (i-1, j), (i, j-1), (i-1, j-1) wins, as in fastdtw.
    """
    (ua, za), (ub, zb) = _unit_rows(a), _unit_rows(b)
    n, m = len(a), len(b)
    inf = np.inf
    cost_prev2 = np.full(n, inf)
    cost_prev1 = np.full(n, inf)
    len_prev2 = np.zeros(n, dtype=np.int64)
    len_prev1 = np.zeros(n, dtype=np.int64)
    for d in range(n + m - 1):
        i = np.arange(max(0, d - m + 1), min(n - 1, d) + 1)
        j = d - i
        dist = 1.0 - np.einsum("ij,ij->i", ua[i], ub[j])
        dist = np.where(za[i] | zb[j], np.where(za[i] & zb[j], 0.0, 1.0), dist)
        cost = np.full(n, inf)
        length = np.zeros(n, dtype=np.int64)
        if d == 0:
            cost[i], length[i] = dist, 1
        else:
            has_up = i >= 1
            up = np.where(has_up, cost_prev1[i - 1], inf)
            left = cost_prev1[i]
            diag = np.where(has_up, cost_prev2[i - 1], inf)
            choice = np.argmin(np.stack([up, left, diag]), axis=0)
            best = np.choose(choice, [up, left, diag])
            lengths = np.choose(
                choice, [len_prev1[i - 1], len_prev1[i], np.where(has_up, len_prev2[i - 1], 0)]
            )
            cost[i], length[i] = dist + best, lengths + 1
        cost_prev2, cost_prev1 = cost_prev1, cost
        len_prev2, len_prev1 = len_prev1, length
    return float(cost_prev1[n - 1]), int(len_prev1[n - 1])


def _audio_similarity(y1: np.ndarray, y2: np.ndarray) -> float:
    """exp(-mean DTW cosine distance) of the row-normalised MFCC frames of two signals."""
    f1, f2 = _normalise_rows(_mfcc(y1)).T, _normalise_rows(_mfcc(y2)).T
    factor = 1
    while (len(f1) / factor) * (len(f2) / factor) > _MAX_CELLS:
        factor += 1
    distance, steps = _dtw_cosine(_pool(f1, factor), _pool(f2, factor))
    return float(np.exp(-distance / steps)) if steps else 0.0


def compare_audios(audio_path_1: str | None, audio_path_2: str | None) -> float:
    """Similarity in [0, 1] of two audio files (1 for the same sound).

    Raises:
        ToolMissing: a file needs ffmpeg to decode and ffmpeg is not installed.
    """
    if not audio_path_1 or not audio_path_2:
        return 0.0
    y1, y2 = _load_audio(audio_path_1), _load_audio(audio_path_2)
    if y1 is None and y2 is None:
        return 1.0
    if y1 is None or y2 is None:
        return 0.0
    return _audio_similarity(y1, y2)
