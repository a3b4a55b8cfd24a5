"""The plugin manager: built-ins, entry points, allow and deny lists, and the registries.

Built-in plugins (the offline models, the local and docker sandboxes) always load. Third-party and
first-party plugins load from the `agentbench` entry-point group; `AGENTBENCH_PLUGINS` or
`--plugins` restricts them: `a,b` loads only those, `-c` loads all but c.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from agentbench import hookspecs
from agentbench.errors import PluginError, UnknownNameError

log = logging.getLogger("agentbench.plugins")

ENTRY_POINT_GROUP = "agentbench"
#: The distribution agentbench itself is installed as ("agentbench" on PyPI is another project).
CORE_DISTRIBUTION = "agentbench-runner"
BUILTIN_PLUGINS = ("agentbench._providers", "agentbench._sandboxes", "agentbench._executors")


@dataclass
class PluginInfo:
    """A plugin that was found: its name, its distribution, and whether it loaded."""

    name: str
    distribution: str
    loaded: bool
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Registry:
    """What the loaded plugins registered: name -> (class, distribution)."""

    tasks: dict[str, tuple[Any, str]] = field(default_factory=dict)
    providers: dict[str, tuple[Any, str]] = field(default_factory=dict)
    sandboxes: dict[str, tuple[Any, str]] = field(default_factory=dict)
    executors: dict[str, tuple[Any, str]] = field(default_factory=dict)
    images: dict[str, tuple[Any, str]] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)
    manager: pluggy.PluginManager | None = None

    def task(self, name: str) -> Any:
        """The task class registered as `name`."""
        return self._get(self.tasks, "task", name)

    def provider(self, name: str) -> Any:
        """The model provider class registered under the prefix `name`."""
        return self._get(self.providers, "model", name)

    def sandbox(self, name: str) -> Any:
        """The sandbox backend class registered as `name`."""
        return self._get(self.sandboxes, "sandbox", name)

    def executor(self, name: str) -> Any:
        """The executor class registered as `name`."""
        return self._get(self.executors, "executor", name)

    def _get(self, table: dict[str, tuple[Any, str]], kind: str, name: str) -> Any:
        try:
            return table[name][0]
        except KeyError:
            failed = [p for p in self.plugins if not p.loaded]
            if failed:  # the name may be one of theirs: say so instead of guessing
                names = ", ".join(f"{p.name} ({p.distribution}: {p.error})" for p in failed[:3])
                raise UnknownNameError(
                    kind, name, table, note=f"plugins that failed to load: {names}"
                ) from None
            raise UnknownNameError(kind, name, table) from None


def parse_plugin_filter(spec: str | list[str] | None) -> tuple[set[str] | None, set[str]]:
    """Split an allow/deny spec ("a,b" or "-c") into (allowed or None for all, denied)."""
    if spec is None:
        spec = os.environ.get("AGENTBENCH_PLUGINS")
    if not spec:
        return None, set()
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    items = [i.strip() for i in items if i.strip()]
    denied = {i[1:] for i in items if i.startswith("-")}
    allowed = {i for i in items if not i.startswith("-")}
    return (allowed or None), denied


def make_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows the agentbench hooks (and nothing registered yet)."""
    pm = pluggy.PluginManager("agentbench")
    pm.add_hookspecs(hookspecs)
    return pm


def load_plugins(
    plugins: str | list[str] | None = None, extra: list[Any] | None = None, *, collect: bool = True
) -> Registry:
    """Load built-ins, entry points (filtered) and `extra` plugin objects; collect registrations.

    With `collect=False` the registration hooks are not called and the tables stay empty: the
    CLI uses this to add plugin commands without importing every task and provider.

    A plugin that fails to import (or whose registration hook raises) is logged, listed with its
    error in `Registry.plugins`, and skipped; the others still load.

    Args:
        plugins: An allow/deny spec ("a,b" or "-c"); None reads `AGENTBENCH_PLUGINS`. Items match
            an entry-point name or a distribution name. Built-ins always load.
        extra: Plugin objects (modules, classes, instances) to register in this process.

    Raises:
        PluginError: when two plugins register the same name (both distributions are named).
        UnknownNameError: when the allow list names a plugin that is not installed.
    """
    allowed, denied = parse_plugin_filter(plugins)
    pm = make_plugin_manager()
    registry = Registry(manager=pm)
    owners: dict[str, str] = {}
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
        owners[module_name] = CORE_DISTRIBUTION
        registry.plugins.append(PluginInfo(module_name, CORE_DISTRIBUTION, True))
    eps = _entry_points()
    _check_allowed(allowed, eps)
    seen: set[tuple[str, str]] = set()
    for ep in eps:
        dist = _dist_name(ep)
        if (dist, ep.value) in seen:  # the same distribution found twice on sys.path
            continue
        seen.add((dist, ep.value))
        if _filtered_out(ep.name, dist, allowed, denied):
            continue
        # Two distributions may use the same entry-point name; keep both under distinct names so
        # that a clash of what they *register* is reported naming both.
        name = ep.name if not pm.has_plugin(ep.name) else f"{dist}:{ep.name}"
        try:
            plugin = ep.load()
            pm.register(plugin, name=name)
        except Exception as exc:  # a broken plugin must not take the others down
            _skip(registry, name, dist, exc, "failed to import")
            continue
        owners[name] = dist
        registry.plugins.append(PluginInfo(name, dist, True, warnings=unknown_hooks(plugin)))
        for warning in registry.plugins[-1].warnings:
            log.warning("plugin %r from %s: %s", name, dist, warning)
    for i, plugin in enumerate(extra or []):
        name = getattr(plugin, "__name__", None) or f"extra-{i}"
        if pm.has_plugin(name):
            name = f"{name}-{i}"
        pm.register(plugin, name=name)
        owners[name] = name
        registry.plugins.append(PluginInfo(name, "(in process)", True))
    if collect:
        _collect_all(pm, registry, owners)
    return registry


def unknown_hooks(plugin: Any) -> list[str]:
    """Functions of a plugin that look like hooks but match none (a misspelled `register_task`).

    A function decorated with `hookimpl`, or named like a hook (`register_*`, `on_*`), that is
    not one of the hooks in `agentbench.hookspecs` would be silently ignored.
    """
    from agentbench import hookspecs

    known = {n for n in dir(hookspecs) if hasattr(getattr(hookspecs, n), "agentbench_spec")}
    out = []
    for attr in dir(plugin):
        if attr.startswith("_") or attr in known:
            continue
        try:
            value = getattr(plugin, attr)
        except Exception:
            continue
        marked = hasattr(value, "agentbench_impl")
        looks = attr.startswith(("register_", "on_")) and callable(value)
        if (marked or looks) and not isinstance(value, type):
            close = difflib.get_close_matches(attr, sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            out.append(f"{attr}() matches no hook and is never called{hint}")
    return out


def _entry_points() -> list[Any]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, _dist_name(ep)))


def _dist_name(ep: Any) -> str:
    return ep.dist.name if getattr(ep, "dist", None) is not None else "?"


def _filtered_out(name: str, dist: str, allowed: set[str] | None, denied: set[str]) -> bool:
    if name in denied or dist in denied:
        return True
    return allowed is not None and name not in allowed and dist not in allowed


def _check_allowed(allowed: set[str] | None, eps: list[Any]) -> None:
    """An allow list that names nothing installed is a typo, not a silent no-op."""
    if allowed is None:
        return
    known = {ep.name for ep in eps} | {_dist_name(ep) for ep in eps}
    known |= {"agentbench", CORE_DISTRIBUTION, *BUILTIN_PLUGINS}
    for item in sorted(allowed - known):
        raise UnknownNameError("plugin", item, known)


def _skip(registry: Registry, name: str, dist: str, exc: BaseException, what: str) -> None:
    log.warning(
        "plugin %r from %s %s and was skipped: %s: %s", name, dist, what, type(exc).__name__, exc
    )
    registry.plugins.append(PluginInfo(name, dist, False, f"{type(exc).__name__}: {exc}"))


def _collect_all(pm: pluggy.PluginManager, registry: Registry, owners: dict[str, str]) -> None:
    """Run every plugin's registration hooks, one plugin at a time, in load order.

    A plugin's registrations are staged and merged only if all its hooks succeed, so a plugin
    whose hook raises is skipped whole (and named), while a clash between two plugins is an error.
    """
    hooks = (
        ("register_tasks", registry.tasks, "task"),
        ("register_model_providers", registry.providers, "model provider"),
        ("register_sandboxes", registry.sandboxes, "sandbox"),
        ("register_executors", registry.executors, "executor"),
        ("register_sandbox_images", registry.images, "sandbox image"),
    )
    for info in [p for p in registry.plugins if p.loaded]:
        plugin = pm.get_plugin(info.name)
        staged: list[tuple[dict[str, tuple[Any, str]], str, str, Any]] = []
        try:
            for hook_name, table, kind in hooks:
                for impl in getattr(pm.hook, hook_name).get_hookimpls():
                    if impl.plugin is plugin:
                        impl.function(_stager(staged, table, kind))
        except Exception as exc:
            pm.unregister(plugin)
            info.loaded, info.error = False, f"{type(exc).__name__}: {exc}"
            log.warning(
                "plugin %r from %s failed to register and was skipped: %s",
                info.name,
                info.distribution,
                info.error,
            )
            continue
        dist = owners.get(info.name, info.name)
        for table, kind, name, cls in staged:
            if name in table and table[name][0] is not cls:
                raise PluginError(
                    f"{kind} {name!r} is registered by both {table[name][1]} and {dist}",
                    "uninstall one of them or exclude it with AGENTBENCH_PLUGINS=-<plugin>",
                )
            table[name] = (cls, dist)


def _stager(staged: list[Any], table: dict[str, tuple[Any, str]], kind: str) -> Any:
    def register(name: str, cls: Any) -> None:
        staged.append((table, kind, name, cls))

    return register


_cache: dict[Any, Registry] = {}


def get_registry(plugins: str | list[str] | None = None) -> Registry:
    """The registry for this plugin filter, loaded once per process."""
    spec = tuple(plugins) if isinstance(plugins, list) else plugins
    key = (spec, os.environ.get("AGENTBENCH_PLUGINS"))
    if key not in _cache:
        _cache[key] = load_plugins(plugins)
    return _cache[key]


def clear_registry_cache() -> None:
    """Forget loaded registries (tests that install plugins call this)."""
    _cache.clear()


async def call_observers(pm: pluggy.PluginManager | None, hook_name: str, **kwargs: Any) -> None:
    """Call an observer hook; await what is awaitable; log and swallow observer failures."""
    if pm is None:
        return
    hook = getattr(pm.hook, hook_name)
    for impl in hook.get_hookimpls():
        try:
            result = impl.function(**kwargs)
            if hasattr(result, "__await__"):
                await result
        except Exception as exc:
            log.warning("observer %s of plugin %s failed: %s", hook_name, impl.plugin_name, exc)
