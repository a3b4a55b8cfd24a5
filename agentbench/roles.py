"""Model roles: the models of a run by name (`default`, `critic`, ...), and which call is which.

A task declares the roles it uses (`Task.roles`); the run names a model for each (`--model` is
`default`, `--role critic=anthropic/claude-3-5-sonnet` the others, `-M critic:key=value` their
options). A role without a model of its own falls back as the task says, or is an error before
anything runs.

Inside an episode, `ctx.generate(..., role="critic", tag="node-3")` calls that role's model; the
built-in `scripted` and `oracle` models read `current_call()` to answer per role, and by tag (or
by order of calls) when a task makes many calls at once.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from agentbench.errors import ConfigError

if TYPE_CHECKING:
    from agentbench.task import Task
    from agentbench.types import RunConfig

DEFAULT_ROLE = "default"


class RoleSpec(BaseModel):
    """A role a task uses.

    Attributes:
        fallback: The role whose model this one uses when the run names none (None: the run
            must name one).
        description: What the role does (shown by `agentbench list tasks` and in errors).
    """

    model_config = ConfigDict(frozen=True)

    fallback: str | None = DEFAULT_ROLE
    description: str = ""


class RoleModel(BaseModel):
    """The model a run gives a role: a reference, its provider options, its connection limit."""

    model_config = ConfigDict(extra="forbid")

    model: str
    options: dict[str, Any] = Field(default_factory=dict)
    max_connections: int | None = Field(default=None, ge=1)


@dataclass(frozen=True)
class CallInfo:
    """The model call in progress: its role, its tag, and its place among the role's calls.

    `index` counts the calls of this role in the episode in the order they were made (calls
    started together by `asyncio.gather` are numbered in the order they were passed).
    """

    role: str = DEFAULT_ROLE
    tag: str | None = None
    index: int = 0
    #: Which of `n` choices this is, when the core makes one call per choice (`supports_n`).
    choice: int = 0


_current_call: contextvars.ContextVar[CallInfo | None] = contextvars.ContextVar(
    "agentbench_current_call", default=None
)


def current_call() -> CallInfo | None:
    """The call the current asyncio task is making (None outside `ctx.generate`)."""
    return _current_call.get()


def set_current_call(info: CallInfo | None) -> contextvars.Token[CallInfo | None]:
    """Mark the current asyncio task as making `info` (`EpisodeContext.generate` does)."""
    return _current_call.set(info)


def reset_current_call(token: contextvars.Token[CallInfo | None]) -> None:
    _current_call.reset(token)


def task_roles(task: Task) -> dict[str, RoleSpec]:
    """The roles `task` declares, `default` always among them (required)."""
    roles = dict(getattr(task, "roles", None) or {})
    roles.setdefault(DEFAULT_ROLE, RoleSpec(fallback=None))
    return roles


def resolve_roles(task: Task, config: RunConfig) -> dict[str, RoleModel]:
    """The model of every role the task uses, fallbacks applied.

    Raises:
        ConfigError: a role the task does not use, a required role without a model, or a
            fallback cycle.
    """
    declared = task_roles(task)
    given = dict(config.roles)
    for name in given:
        if name not in declared:
            raise ConfigError(
                f"task {config.task!r} has no role {name!r}",
                f"its roles: {', '.join(sorted(declared))}; drop --role {name}=...",
            )
    given.setdefault(
        DEFAULT_ROLE,
        RoleModel(model=config.model, options=dict(config.model_options), max_connections=None),
    )
    resolved: dict[str, RoleModel] = {}
    for name in declared:
        seen: list[str] = []
        role = name
        while role not in given:
            seen.append(role)
            fallback = declared[role].fallback
            if fallback is None:
                what = declared[name].description or f"the {name} role"
                raise ConfigError(
                    f"task {config.task!r} needs a model for role {name!r} ({what})",
                    f"pass --role {name}=PROVIDER/NAME",
                )
            if fallback in seen or fallback not in declared:
                raise ConfigError(
                    f"task {config.task!r}: role {role!r} falls back to {fallback!r}, "
                    "which is not a usable role",
                    "fix the task's `roles`",
                )
            role = fallback
        resolved[name] = given[role]
    return resolved


def split_role_options(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """`-M` options: plain keys for `default`, `ROLE:key` for a role's model."""
    plain: dict[str, Any] = {}
    by_role: dict[str, dict[str, Any]] = {}
    for key, value in options.items():
        role, sep, name = key.partition(":")
        if sep and role and name:
            by_role.setdefault(role, {})[name] = value
        else:
            plain[key] = value
    return plain, by_role
