"""Running one episode and building its record, through agentbench's public executor API."""

from __future__ import annotations

from typing import Any

from agentbench import EpisodeRecord, EpisodeResult, run_one_episode

__all__ = ["EpisodeRecord", "make_record", "run_one_episode"]


def make_record(
    result: EpisodeResult,
    events: list[dict[str, Any]],
    artifacts: list[str],
    records: list[tuple[str, dict[str, Any]]],
) -> EpisodeRecord:
    """The record the runner's sink takes."""
    return EpisodeRecord(result, events, artifacts, records=records)
