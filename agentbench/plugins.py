"""The plugin manager: built-ins, entry points, allow and deny lists, and the registries.

Built-in plugins (the offline models, the local and docker sandboxes) always load. Third-party and
first-party plugins load from the `agentbench` entry-point group; `AGENTBENCH_PLUGINS` or
`--plugins` restricts them: `a,b` loads only those, `-c` loads all but c.
"""

from __future__ import annotations

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
BUILTIN_PLUGINS = ("agentbench._providers", "agentbench._sandboxes")


@dataclass
class PluginInfo:
    """A plugin that was found: its name, its distribution, and whether it loaded."""

    name: str
    distribution: str
    loaded: bool
    error: str | None = None


@dataclass
class Registry:
    """What the loaded plugins registered: name -> (class, distribution)."""

    tasks: dict[str, tuple[Any, str]] = field(default_factory=dict)
    providers: dict[str, tuple[Any, str]] = field(default_factory=dict)
    sandboxes: dict[str, tuple[Any, str]] = field(default_factory=dict)
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

    @staticmethod
    def _get(table: dict[str, tuple[Any, str]], kind: str, name: str) -> Any:
        try:
            return table[name][0]
        except KeyError:
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


def load_plugins(plugins: str | list[str] | None = None, extra: list[Any] | None = None) -> Registry:
    """Load built-ins, entry points (filtered) and `extra` plugin objects; collect registrations.

    Raises:
        PluginError: when two plugins register the same name (both distributions are named).
    """
    allowed, denied = parse_plugin_filter(plugins)
    pm = make_plugin_manager()
    registry = Registry(manager=pm)
    owners: dict[str, str] = {}
    for module_name in BUILTIN_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
        owners[module_name] = "agentbench"
        registry.plugins.append(PluginInfo(module_name, "agentbench", True))
    for ep in _entry_points():
        dist = ep.dist.name if ep.dist is not None else "?"
        if (allowed is not None and ep.name not in allowed and dist not in allowed) or ep.name in denied or dist in denied:
            continue
        if pm.has_plugin(ep.name):
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down
            log.warning("plugin %r from %s failed to import and was skipped: %s", ep.name, dist, exc)
            registry.plugins.append(PluginInfo(ep.name, dist, False, f"{type(exc).__name__}: {exc}"))
            continue
        pm.register(plugin, name=ep.name)
        owners[ep.name] = dist
        registry.plugins.append(PluginInfo(ep.name, dist, True))
    for i, plugin in enumerate(extra or []):
        name = getattr(plugin, "__name__", None) or f"extra-{i}"
        pm.register(plugin, name=name)
        owners[name] = name
        registry.plugins.append(PluginInfo(name, "(in process)", True))
    _collect(pm, "register_tasks", registry.tasks, "task", owners)
    _collect(pm, "register_model_providers", registry.providers, "model provider", owners)
    _collect(pm, "register_sandboxes", registry.sandboxes, "sandbox", owners)
    return registry


def _entry_points() -> list[Any]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def _collect(pm: pluggy.PluginManager, hook_name: str, table: dict[str, tuple[Any, str]], kind: str, owners: dict[str, str]) -> None:
    """Call one registration hook per plugin, so a duplicate can name both distributions."""
    hook = getattr(pm.hook, hook_name)
    for impl in reversed(hook.get_hookimpls()):  # registration order
        dist = owners.get(impl.plugin_name, impl.plugin_name)

        def register(name: str, cls: Any, _dist: str = dist) -> None:
            if name in table and table[name][0] is not cls:
                raise PluginError(
                    f"{kind} {name!r} is registered by both {table[name][1]} and {_dist}",
                    f"uninstall one of them or exclude it with AGENTBENCH_PLUGINS=-<plugin>",
                )
            table[name] = (cls, _dist)

        impl.function(register)


_cache: dict[Any, Registry] = {}


def get_registry(plugins: str | list[str] | None = None) -> Registry:
    """The registry for this plugin filter, loaded once per process."""
    key = (tuple(plugins) if isinstance(plugins, list) else plugins, os.environ.get("AGENTBENCH_PLUGINS"))
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
