"""A finished episode as it crosses from a worker to the driver, artifacts included."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentbench import EpisodeResult
from agentbench_ray.episodes import make_record

if TYPE_CHECKING:
    from agentbench_ray.episodes import EpisodeRecord


def pack(
    record: EpisodeRecord, node: str, artifacts_dir: Path | None, ship: bool
) -> dict[str, Any]:
    """The record as plain data; with `ship`, the artifact files' bytes too (and the worker's
    copies removed: the driver keeps them)."""
    result = record.result
    if result.status == "infra_error" and result.error:
        result = result.model_copy(update={"error": f"on node {node}: {result.error}"})
    files: dict[str, bytes] = {}
    if ship and artifacts_dir is not None and record.artifacts:
        files = {name: (artifacts_dir / name).read_bytes() for name in record.artifacts}
        shutil.rmtree(artifacts_dir, ignore_errors=True)
    events = [*record.events, {"type": "executor", "t": result.duration_s, "node": node}]
    return {
        "result": result.model_dump(mode="json"),
        "events": events,
        "artifacts": list(record.artifacts),
        "files": files,
        "records": [(kind, data) for kind, data in record.records],
        "node": node,
    }


def unpack(packed: dict[str, Any], artifacts_dir: Path | None) -> EpisodeRecord:
    """The runner's record from `pack`'s data; shipped artifacts are written to
    `artifacts_dir` (the driver's run directory) and their events point there."""
    files: dict[str, bytes] = packed["files"]
    events: list[dict[str, Any]] = packed["events"]
    if files and artifacts_dir is not None:
        artifacts_dir.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (artifacts_dir / name).write_bytes(data)
        for event in events:
            if event.get("type") == "artifact" and event.get("name") in files:
                event["path"] = str(artifacts_dir / event["name"])
    result = EpisodeResult.model_validate(packed["result"])
    return make_record(result, events, packed["artifacts"], [tuple(r) for r in packed["records"]])
