"""The `-E key=value` options of the ray executor and what they decide (slots, connections)."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agentbench import RunConfig, parse_options

#: The custom Ray resource a node advertises for its episode slots
#: (`ray start --resources '{"agentbench_slots": 16}'`).
SLOT_RESOURCE = "agentbench_slots"

_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


class RayOptions(BaseModel):
    """`-E` options of `--executor ray`.

    Attributes:
        address: The cluster: `auto` (a cluster started with `ray start` on this machine or
            RAY_ADDRESS), `host:port`, `ray://host:10001`, or `local` (start a one-node Ray here).
        slots: Episode slots on every node (overrides what its resources say).
        slots_per_cpu: Episode slots per CPU of a node without an `agentbench_slots` resource.
        memory_per_slot: Memory one episode needs ("2GiB", bytes); caps a node's slots.
        runtime_env: A Ray runtime_env (JSON) for the workers: `working_dir`, `py_modules`,
            `pip`, `env_vars`...
        working_dir: Shortcut for runtime_env's working_dir (put on the workers' sys.path).
        py_modules: Shortcut for runtime_env's py_modules (comma-separated local paths).
        artifacts: `return`: artifact bytes come back with their record and the driver writes
            them under its run directory; `shared`: the run directory is on a filesystem every
            node mounts at the same path, and workers write there directly.
        node_wait_s: How long to wait for a node that can run episodes when none is left.
        poll_s: How often the driver looks for nodes that joined (and lost ones).
        max_node_failures: Workers a node may lose before it is left out of the run.
    """

    model_config = ConfigDict(extra="forbid")

    address: str = "auto"
    slots: int | None = Field(default=None, ge=1)
    slots_per_cpu: float = Field(default=4.0, gt=0)
    memory_per_slot: int | None = Field(default=None, ge=1)
    runtime_env: dict[str, Any] | None = None
    working_dir: str | None = None
    py_modules: list[str] | None = None
    artifacts: Literal["return", "shared"] = "return"
    node_wait_s: float = Field(default=120.0, ge=0)
    poll_s: float = Field(default=2.0, gt=0)
    max_node_failures: int = Field(default=3, ge=1)

    @field_validator("memory_per_slot", mode="before")
    @classmethod
    def _bytes(cls, value: Any) -> Any:
        return parse_bytes(value) if isinstance(value, str) else value

    @field_validator("runtime_env", mode="before")
    @classmethod
    def _json(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    @field_validator("py_modules", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        return [p for p in value.split(",") if p] if isinstance(value, str) else value

    def ray_runtime_env(self) -> dict[str, Any] | None:
        """The runtime_env to connect with (the shortcuts merged into `runtime_env`)."""
        env = dict(self.runtime_env or {})
        if self.working_dir:
            env["working_dir"] = self.working_dir
        if self.py_modules:
            env["py_modules"] = list(self.py_modules)
        return env or None


def load_options(values: dict[str, Any]) -> RayOptions:
    """The executor's options; a ConfigError names an unknown or bad one."""
    return parse_options(RayOptions, values, "ray executor option")  # type: ignore[no-any-return]


def parse_bytes(text: str) -> int:
    """`"2GiB"`, `"512M"`, `"1000"` -> bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if match is None:
        raise ValueError(f"not a size: {text!r} (write e.g. 2GiB)")
    return int(float(match.group(1)) * _UNITS[match.group(2)])


def node_slots(resources: dict[str, float], options: RayOptions) -> int:
    """Episode slots of a node: `-E slots`, else its `agentbench_slots` resource, else CPUs x
    `slots_per_cpu`; never more than its memory allows with `-E memory_per_slot`."""
    if options.slots is not None:
        slots = options.slots
    elif SLOT_RESOURCE in resources:
        slots = int(resources[SLOT_RESOURCE])
    else:
        slots = int(resources.get("CPU", 0) * options.slots_per_cpu)
    if options.memory_per_slot:
        slots = min(slots, int(resources.get("memory", 0) // options.memory_per_slot))
    return max(slots, 0)


def scaled_config(config: RunConfig, share: float) -> RunConfig:
    """The run's config with every model connection limit cut to `share` of it (at least 1):
    each worker gets the share of the cluster's slots it holds, so the sum stays within the
    limit (see the README: each worker may round up to 1)."""

    def cut(limit: int) -> int:
        return max(1, math.floor(limit * share))

    roles = {
        name: role.model_copy(
            update={"max_connections": cut(role.max_connections)} if role.max_connections else {}
        )
        for name, role in config.roles.items()
    }
    return config.model_copy(
        update={"max_connections": cut(config.max_connections), "roles": roles}
    )
