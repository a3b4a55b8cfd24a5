"""The episode data of the HTML report: a compact list row and a transcript blob per episode.

Both are JSON placed in `<script type="application/json">` elements, with `<`, `>` and `&`
written as JSON escapes so no model output can close the element or open a tag.
"""

from __future__ import annotations

import base64
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any, Protocol

from agentbench._runner.store import artifacts_dir
from agentbench.types import EpisodeResult

# The columns of a list row (the script looks them up by name).
ROW_FIELDS = (
    "sample",
    "epoch",
    "subset",
    "status",
    "passed",
    "label",
    "cls",
    "score",
    "failure",
    "text",
    "steps",
    "tokens",
    "seconds",
    "task",
    "model",
    "search",
)
MAX_LIST_TEXT = 160  # chars of explanation / error in the list
MAX_FIELD = 6000  # chars of any one string in a transcript (head and tail kept)
MAX_EVENTS = 400  # events of one transcript (first and last kept)
MAX_TRANSCRIPT = 300_000  # chars of one transcript's JSON before it is cut harder
TIGHT_FIELD, TIGHT_EVENTS = 800, 80  # the harder cut
MAX_SHOTS = 12  # screenshots per episode
MAX_SHOT_BYTES = 400_000  # a screenshot larger than this (after downscaling) is left out
SHOT_WIDTH = 480  # screenshots are downscaled to this width when Pillow is installed


class TranscriptSource(Protocol):
    """What the report needs from the store: transcripts and artifact names."""

    run_dir: Path

    def transcript(
        self, run_id: str, task: str, sample_id: str, epoch: int, model: str
    ) -> list[dict[str, Any]]: ...

    def artifacts(
        self, run_id: str, task: str, sample_id: str, epoch: int, model: str
    ) -> list[str]: ...


def script_json(value: Any) -> str:
    """JSON safe inside a `<script>` element (no `<`, `>` or `&` characters)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def failure_class(r: EpisodeResult) -> str:
    """The checker's failure class (`score.details["failure"]`) of a failed episode, or ""."""
    if r.score is None or r.passed:
        return ""
    failure = r.score.details.get("failure") if isinstance(r.score.details, dict) else None
    return str(failure) if failure else ""


def status_label(r: EpisodeResult) -> str:
    """ "passed" or "failed" for a scored episode, else its status."""
    if r.status == "ok":
        return "passed" if r.passed else "failed"
    return r.status


def row_class(r: EpisodeResult) -> str:
    """The row's CSS class: the status for errors, else pass / fail."""
    if r.status in ("error", "infra_error", "provider_error", "cancelled", "limit"):
        return r.status
    return "pass" if r.passed else "fail"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def list_row(r: EpisodeResult) -> list[Any]:
    """The episode's row in the list (small: the transcript is elsewhere)."""
    text = _clip(r.error or (r.score.explanation if r.score else "") or "", MAX_LIST_TEXT)
    failure = failure_class(r)
    score = round(r.score.value, 4) if r.score else None
    search = " ".join((r.sample_id, r.subset or "", status_label(r), failure, text)).lower()
    return [
        r.sample_id,
        r.epoch,
        r.subset or "",
        r.status,
        "yes" if r.passed else "no",
        status_label(r),
        row_class(r),
        "-" if score is None else score,
        failure,
        text,
        r.steps,
        r.usage.total_tokens,
        round(r.duration_s, 2),
        r.task,
        r.model,
        search,
    ]


def _cap(value: Any, limit: int = MAX_FIELD) -> Any:
    """Long strings cut in the middle, recursively."""
    if isinstance(value, str):
        if len(value) <= limit:
            return value
        half = limit // 2
        return f"{value[:half]}\n... [{len(value) - limit:,} chars cut] ...\n{value[-half:]}"
    if isinstance(value, dict):
        return {k: _cap(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_cap(v, limit) for v in value]
    return value


def _middle_cut(events: list[Any], keep: int) -> tuple[list[Any], str]:
    """The first and last keep/2 events, and a note of what was left out ("" if nothing)."""
    if len(events) <= keep:
        return events, ""
    half, gone = keep // 2, len(events) - keep
    note = {"type": "note", "left_out": f"{gone:,} events"}
    return [*events[:half], note, *events[-half:]], f"{gone:,} events in the middle left out"


def capped_events(events: list[Any]) -> tuple[list[Any], str]:
    """The transcript within the size caps, and a note of what was cut ("" if nothing)."""
    kept, note = _middle_cut(events, MAX_EVENTS)
    capped = _cap(kept)
    if len(json.dumps(capped, default=str)) <= MAX_TRANSCRIPT:
        return capped, note
    kept, note = _middle_cut(events, TIGHT_EVENTS)
    cut = f"a long transcript: outputs cut to {TIGHT_FIELD:,} chars"
    return _cap(kept, TIGHT_FIELD), f"{cut}; {note}" if note else cut


def episode_blob(
    r: EpisodeResult, store: TranscriptSource | None, shot_budget: list[int]
) -> dict[str, Any]:
    """What opening the episode shows: its transcript (capped), result and screenshots."""
    key = (r.run_id, r.task, r.sample_id, r.epoch, r.model)
    events = store.transcript(*key) if store is not None else []
    blob: dict[str, Any] = {}
    blob["events"], cut = capped_events(events)
    if cut:
        blob["cut"] = cut
    result: dict[str, Any] = {}
    if r.error:
        result["error"] = _cap(r.error)
        result["error_stage"] = r.error_stage
    if r.score is not None and r.score.details:
        result["details"] = _cap(json.dumps(r.score.details, indent=1, default=str))
    blob["result"] = result
    if store is not None:
        names = [n for n in store.artifacts(*key) if n.lower().endswith(".png")]
        if names:
            _add_shots(
                blob, artifacts_dir(store.run_dir, r.task, r.sample_id, r.epoch), names, shot_budget
            )
    return blob


def _add_shots(blob: dict[str, Any], folder: Path, names: list[str], budget: list[int]) -> None:
    """Screenshots as data: URLs, evenly picked when there are many, within the byte budget."""
    picked = names
    if len(names) > MAX_SHOTS:
        step = (len(names) - 1) / (MAX_SHOTS - 1)
        picked = [names[round(i * step)] for i in range(MAX_SHOTS)]
    shots = []
    for name in picked:
        file = folder / name
        data = _png_bytes(file) if file.is_file() else None
        if data is None or len(data) > MAX_SHOT_BYTES or len(data) > budget[0]:
            continue
        budget[0] -= len(data)
        shots.append(
            {"name": name, "src": "data:image/png;base64," + base64.b64encode(data).decode()}
        )
    blob["shots"] = shots
    if len(shots) < len(names):
        blob["shots_left_out"] = f"{len(names) - len(shots)} of {len(names)} screenshots left out"


def _png_bytes(file: Path) -> bytes | None:
    """The PNG, downscaled to SHOT_WIDTH when Pillow is there; None if unreadable."""
    try:
        raw = file.read_bytes()
    except OSError:
        return None
    try:
        from PIL import Image
    except ImportError:
        return raw
    try:
        with Image.open(io.BytesIO(raw)) as img:
            if img.width <= SHOT_WIDTH:
                return raw
            height = max(1, round(img.height * SHOT_WIDTH / img.width))
            out = io.BytesIO()
            img.convert("RGB").resize((SHOT_WIDTH, height)).save(out, "PNG", optimize=True)
            return out.getvalue()
    except Exception:  # not a PNG Pillow can read: embed it as it is
        return raw


class Tally:
    """Counts gathered while the episodes stream by: failure classes, error stages, scores."""

    def __init__(self) -> None:
        self.failures: Counter[str] = Counter()
        self.stages: Counter[str] = Counter()
        self.scores: list[float] = []

    def add(self, r: EpisodeResult) -> None:
        """Count one episode."""
        failure = failure_class(r)
        if failure:
            self.failures[failure] += 1
        if r.status not in ("ok",) and (r.error or r.error_stage):
            self.stages[f"{r.error_stage or 'unknown'} ({r.status})"] += 1
        if r.score is not None and r.status in ("ok", "limit"):
            self.scores.append(r.score.value)
