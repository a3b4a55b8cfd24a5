"""Options: a task's `-T key=value` options, and validating any options model with errors that
name the bad option."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from agentbench.errors import ConfigError


class TaskOptions(BaseModel):
    """Base of a task's options (`-T key=value`). Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


def parse_options(
    options_cls: type[BaseModel], values: dict[str, Any], what: str = "task option"
) -> Any:
    """Validate `values` against `options_cls`, raising a ConfigError that names the bad option."""
    try:
        return options_cls(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "?"
        known = ", ".join(options_cls.model_fields) or "none"
        if err["type"] == "extra_forbidden":
            raise ConfigError(f"unknown {what} {key!r}", f"known {what}s: {known}") from None
        raise ConfigError(f"bad {what} {key!r}: {err['msg']}", f"known {what}s: {known}") from None
