"""The public API: what plugins may import, and the documented plugin contract."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import agentbench
from agentbench import hookspecs

ROOT = Path(__file__).resolve().parents[1]


def test_every_public_name_resolves() -> None:
    for name in agentbench.__all__:
        assert getattr(agentbench, name) is not None, name
    assert sorted(agentbench.__all__) == agentbench.__all__


def test_public_names_have_docstrings() -> None:
    missing = [
        name
        for name in agentbench.__all__
        if (inspect.isclass(obj := getattr(agentbench, name)) or inspect.isfunction(obj))
        and not (obj.__doc__ or "").strip()
    ]
    assert not missing, f"public names without a docstring: {missing}"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        agentbench.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def _hook_names() -> list[str]:
    return [n for n, f in vars(hookspecs).items() if callable(f) and hasattr(f, "agentbench_spec")]


def test_every_hook_is_documented_in_its_docstring_and_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    names = _hook_names()
    assert set(names) >= {
        "register_tasks",
        "register_model_providers",
        "register_sandboxes",
        "register_commands",
        "on_run_start",
        "on_episode_end",
        "on_run_end",
    }
    for name in names:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"hook {name} has no docstring"
        assert re.search(rf"\b{name}\b", readme), f"hook {name} is not in README.md"


def test_first_party_plugins_import_only_the_public_api() -> None:
    offenders = []
    for path in (ROOT / "plugins").rglob("*.py"):
        text = path.read_text()
        for match in re.finditer(r"^\s*(?:from|import)\s+(agentbench[\w.]*)", text, re.M):
            module = match.group(1)
            if any(part.startswith("_") for part in module.split(".")[1:]):
                offenders.append(f"{path.relative_to(ROOT)}: {module}")
    assert not offenders, offenders


def test_core_has_no_vendor_sdk_imports_at_module_level() -> None:
    code = (
        "import sys, agentbench, agentbench.model, agentbench.task, agentbench.types\n"
        "import agentbench.plugins\n"
        "agentbench.plugins.load_plugins()\n"
        "print(sorted({'openai', 'anthropic', 'litellm', 'docker'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"imported eagerly: {out.stdout}"
