"""The plugin manager: built-ins, entry points of installed distributions, filters, failures."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from agentbench import PluginError, UnknownNameError, load_plugins
from agentbench.plugins import call_observers, clear_registry_cache, get_registry

TASK_PLUGIN = """
from agentbench import Task, hookimpl

class {cls}(Task):
    name = "{task}"

@hookimpl
def register_tasks(register):
    register("{task}", {cls})
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Installs fake distributions (a module + a .dist-info with an entry point) on sys.path."""
    monkeypatch.delenv("AGENTBENCH_PLUGINS", raising=False)
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(dist: str, source: str, ep_name: str | None = None) -> str:
        module = f"fake_{dist.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        (tmp_path / f"{module}.py").write_text(source)
        info = tmp_path / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[agentbench]\n{ep_name or dist} = {module}\n")
        return module

    yield install
    clear_registry_cache()


def task_plugin(task: str) -> str:
    return TASK_PLUGIN.format(cls="T" + uuid.uuid4().hex[:6], task=task)


def test_builtins_load_as_plugins_of_the_agentbench_distribution(site) -> None:
    registry = load_plugins()
    builtin = {p.name: p for p in registry.plugins if p.distribution == "agentbench-runner"}
    assert set(builtin) == {
        "agentbench._providers",
        "agentbench._sandboxes",
        "agentbench._executors",
    }
    assert all(p.loaded for p in builtin.values())
    assert {"scripted", "oracle", "null", "replay"} <= set(registry.providers)
    assert registry.sandboxes["local"][1] == "agentbench-runner"


def test_an_installed_distribution_is_found_through_its_entry_point(site) -> None:
    site("acme-tasks", task_plugin("acme"))
    registry = load_plugins()
    cls, dist = registry.tasks["acme"]
    assert dist == "acme-tasks" and registry.task("acme") is cls
    assert any(p.name == "acme-tasks" and p.loaded for p in registry.plugins)


def test_the_allow_list_loads_only_the_named_plugins(site, monkeypatch) -> None:
    site("alpha", task_plugin("alpha-task"))
    site("beta", task_plugin("beta-task"))
    monkeypatch.setenv("AGENTBENCH_PLUGINS", "alpha")
    registry = load_plugins()
    assert "alpha-task" in registry.tasks and "beta-task" not in registry.tasks
    assert "scripted" in registry.providers  # built-ins always load
    # An explicit --plugins value wins over the environment; a distribution name works too.
    registry = load_plugins(["beta"])
    assert set(registry.tasks) >= {"beta-task"} and "alpha-task" not in registry.tasks


def test_the_deny_list_skips_the_named_plugins(site) -> None:
    site("alpha", task_plugin("alpha-task"))
    site("beta", task_plugin("beta-task"))
    registry = load_plugins("-alpha")
    assert "alpha-task" not in registry.tasks and "beta-task" in registry.tasks


def test_an_allow_list_naming_nothing_installed_is_an_error(site) -> None:
    site("alpha", task_plugin("alpha-task"))
    with pytest.raises(UnknownNameError, match="unknown plugin 'alpah'; did you mean alpha"):
        load_plugins("alpah")


def test_a_name_registered_twice_names_both_distributions(site) -> None:
    site("first-dist", task_plugin("same-name"))
    site("second-dist", task_plugin("same-name"))
    with pytest.raises(PluginError) as info:
        load_plugins()
    message = str(info.value)
    assert "task 'same-name' is registered by both first-dist and second-dist" in message
    assert "AGENTBENCH_PLUGINS=-" in message  # the fix
    assert "same-name" in load_plugins("-second-dist").tasks


def test_a_third_party_cannot_take_a_builtin_name(site) -> None:
    source = (
        "from agentbench import ModelProvider, hookimpl\n"
        "class P(ModelProvider):\n    pass\n"
        "@hookimpl\ndef register_model_providers(register):\n    register('scripted', P)\n"
    )
    site("impostor", source)
    with pytest.raises(
        PluginError,
        match="model provider 'scripted' is registered by both agentbench-runner and impostor",
    ):
        load_plugins()


def test_two_distributions_may_use_the_same_entry_point_name(site) -> None:
    site("dist-one", task_plugin("one-task"), ep_name="tasks")
    site("dist-two", task_plugin("two-task"), ep_name="tasks")
    registry = load_plugins()
    assert (
        registry.tasks["one-task"][1] == "dist-one" and registry.tasks["two-task"][1] == "dist-two"
    )


def test_a_plugin_that_raises_on_import_is_named_and_skipped(site, caplog) -> None:
    site("broken-plugin", "raise RuntimeError('missing native library')\n")
    site("good-plugin", task_plugin("good-task"))
    with caplog.at_level(logging.WARNING, logger="agentbench.plugins"):
        registry = load_plugins()
    assert "good-task" in registry.tasks
    broken = next(p for p in registry.plugins if p.name == "broken-plugin")
    assert not broken.loaded and broken.distribution == "broken-plugin"
    assert broken.error == "RuntimeError: missing native library"
    assert any(
        "broken-plugin" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records
    )


def test_a_plugin_with_a_bad_hook_signature_is_skipped(site) -> None:
    site(
        "typo-plugin",
        "from agentbench import hookimpl\n@hookimpl\ndef register_tasks(reg, extra):\n    pass\n",
    )
    registry = load_plugins()
    typo = next(p for p in registry.plugins if p.name == "typo-plugin")
    assert not typo.loaded and "extra" in (typo.error or "")


def test_a_plugin_whose_registration_raises_is_skipped_whole(site, caplog) -> None:
    source = (
        "from agentbench import Task, hookimpl\n"
        "class Half(Task):\n    name = 'half'\n"
        "@hookimpl\ndef register_tasks(register):\n"
        "    register('half', Half)\n"
        "    raise ImportError('optional dependency missing')\n"
    )
    site("half-plugin", source)
    with caplog.at_level(logging.WARNING, logger="agentbench.plugins"):
        registry = load_plugins()
    assert "half" not in registry.tasks
    info = next(p for p in registry.plugins if p.name == "half-plugin")
    assert not info.loaded and "optional dependency missing" in (info.error or "")
    assert "scripted" in registry.providers


def test_in_process_plugins_and_unknown_names(site) -> None:
    class Inline:
        from agentbench import hookimpl as _hookimpl

        @staticmethod
        @_hookimpl
        def register_sandboxes(register):
            register("inline-box", object)

    registry = load_plugins(extra=[Inline()])
    assert registry.sandbox("inline-box") is object
    with pytest.raises(
        UnknownNameError, match="unknown sandbox 'inline-bx'; did you mean inline-box"
    ):
        registry.sandbox("inline-bx")


def test_get_registry_loads_once_per_filter(site, monkeypatch) -> None:
    first = get_registry()
    assert get_registry() is first
    site("late-plugin", task_plugin("late-task"))
    assert "late-task" not in get_registry().tasks
    clear_registry_cache()
    assert "late-task" in get_registry().tasks


async def test_observers_are_awaited_and_their_failures_logged(site, caplog) -> None:
    seen = []

    class Observers:
        from agentbench import hookimpl as _hookimpl

        @_hookimpl
        async def on_episode_end(self, result):
            seen.append(("async", result))

        @_hookimpl
        def on_run_end(self, summary):
            raise RuntimeError("tracker is down")

    registry = load_plugins(extra=[Observers()])
    await call_observers(registry.manager, "on_episode_end", result="r1")
    with caplog.at_level(logging.WARNING, logger="agentbench.plugins"):
        await call_observers(registry.manager, "on_run_end", summary="s")
    assert seen == [("async", "r1")]
    assert any("tracker is down" in r.getMessage() for r in caplog.records)


def test_a_function_that_looks_like_a_hook_but_matches_none_is_named(site, caplog) -> None:
    site(
        "misspelled-plugin",
        "from agentbench import hookimpl\n\n"
        "@hookimpl\n"
        "def register_task(register):\n"
        "    register('never', object)\n\n"
        "def on_episode_finished(result):\n"
        "    pass\n",
    )
    with caplog.at_level(logging.WARNING, logger="agentbench.plugins"):
        registry = load_plugins()
    info = next(p for p in registry.plugins if p.name == "misspelled-plugin")
    assert info.loaded and len(info.warnings) == 2
    assert "register_task() matches no hook and is never called; did you mean register_tasks?" in (
        info.warnings
    )
    assert any("register_task()" in r.getMessage() for r in caplog.records)


def test_an_unknown_task_names_the_plugins_that_failed_to_load(site) -> None:
    site("shell-tasks", "import no_such_module_anywhere\n")
    registry = load_plugins()
    with pytest.raises(UnknownNameError, match="plugins that failed to load: shell-tasks") as err:
        registry.task("shell-wordcount")
    assert "ModuleNotFoundError" in str(err.value)
