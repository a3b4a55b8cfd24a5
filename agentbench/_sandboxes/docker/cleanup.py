"""Finding and removing agentbench containers: orphans of dead processes, by run, or all."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .engine import LABEL_EPISODE, LABEL_HOST, LABEL_MANAGED, LABEL_PID, LABEL_RUN, owner_alive

log = logging.getLogger("agentbench.sandbox.docker")

KEPT_PREFIX = "agentbench-kept-"  # kept on purpose (`agentbench debug`): only `prune` removes them


@dataclass
class ContainerInfo:
    """An agentbench container as `agentbench sandbox list` shows it."""

    id: str
    name: str
    status: str
    run: str
    episode: str
    pid: str
    host: str
    image: str
    owner_alive: bool


def list_containers(client: Any, run_id: str | None = None) -> list[ContainerInfo]:
    """Every container agentbench created on this engine (optionally of one run)."""
    filters = [LABEL_MANAGED] + ([f"{LABEL_RUN}={run_id}"] if run_id else [])
    found = client.api.containers(all=True, filters={"label": filters})
    infos = []
    for c in found:
        labels = c.get("Labels") or {}
        infos.append(
            ContainerInfo(
                id=c["Id"],
                name=(c.get("Names") or ["?"])[0].lstrip("/"),
                status=c.get("Status", ""),
                run=labels.get(LABEL_RUN, ""),
                episode=labels.get(LABEL_EPISODE, ""),
                pid=labels.get(LABEL_PID, ""),
                host=labels.get(LABEL_HOST, ""),
                image=c.get("Image", ""),
                owner_alive=owner_alive(labels),
            )
        )
    return infos


def remove_ids(client: Any, ids: list[str]) -> int:
    """Remove containers by id, in parallel; returns how many went away."""

    def remove(cid: str) -> bool:
        try:
            client.api.remove_container(cid, force=True, v=True)
            return True
        except Exception as exc:
            if "No such container" in str(exc):
                return False
            log.warning("could not remove container %s: %s", cid[:12], exc)
            return False

    if not ids:
        return 0
    with ThreadPoolExecutor(max_workers=min(8, len(ids))) as pool:
        return sum(pool.map(remove, ids))


def remove_orphans(client: Any) -> list[ContainerInfo]:
    """Remove containers whose creating process (pid + start time, on this host) is gone."""
    orphans = [
        c
        for c in list_containers(client)
        if not c.owner_alive and not c.name.startswith(KEPT_PREFIX)
    ]
    remove_ids(client, [c.id for c in orphans])
    if orphans:
        log.info("removed %d container(s) left by dead agentbench processes", len(orphans))
    return orphans


def prune(client: Any, *, all_: bool = False, run_id: str | None = None) -> list[ContainerInfo]:
    """Remove containers whose creating process is gone; with `all_`, live ones too.

    `run_id` restricts either to one run's containers.
    """
    targets = list_containers(client, run_id)
    if not all_:
        targets = [c for c in targets if not c.owner_alive]
    remove_ids(client, [c.id for c in targets])
    return targets
