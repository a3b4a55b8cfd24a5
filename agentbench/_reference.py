"""The public API reference (docs/reference.md), generated from the docstrings.

    python -m agentbench._reference > docs/reference.md

Every name in `agentbench.__all__` and every hook in `agentbench.hookspecs` gets its signature
and its docstring; pydantic models list their fields with their types and descriptions. A test
keeps docs/reference.md equal to what this prints, so the reference cannot drift from the code.
"""

from __future__ import annotations

import inspect
from typing import Any

GROUPS = [
    (
        "Tasks and episodes",
        "agentbench.task",
        "agentbench.options",
        "agentbench.roles",
        "agentbench.testing",
    ),
    ("Types", "agentbench.types"),
    ("Models and providers", "agentbench.model", "agentbench.pricing", "agentbench.sdkclient"),
    ("Sandboxes", "agentbench.sandbox"),
    ("Checkers", "agentbench.checkers", "agentbench.sealed"),
    ("Running and executors", "agentbench.api", "agentbench.executor", "agentbench.metrics"),
    ("Data downloads", "agentbench.downloads"),
    ("Plugins", "agentbench.plugins", "agentbench.hookspecs"),
    ("Errors", "agentbench.errors"),
]


def _signature(obj: Any) -> str:
    try:
        return str(inspect.signature(obj))
    except (TypeError, ValueError):
        return ""


def _fields(obj: Any) -> list[str]:
    fields = getattr(obj, "model_fields", None)
    if not isinstance(fields, dict):
        return []
    lines = []
    for name, info in fields.items():
        kind = getattr(info.annotation, "__name__", None) or str(info.annotation)
        kind = kind.replace("typing.", "")
        text = f"- `{name}`: `{kind}`"
        if info.description:
            text += f": {info.description}"
        lines.append(text)
    return lines


def _entry(name: str, obj: Any) -> list[str]:
    kind = "class" if inspect.isclass(obj) else "function" if callable(obj) else "value"
    signature = _signature(obj) if kind != "value" else ""
    lines = [f"### `{name}{signature}`", "", f"*{kind}*", ""]
    lines += [(inspect.getdoc(obj) or "").strip(), ""]
    fields = _fields(obj)
    if fields:
        lines += ["Fields:", "", *fields, ""]
    methods = _methods(obj) if inspect.isclass(obj) else []
    if methods:
        lines += ["Methods:", "", *methods, ""]
    return lines


def _methods(cls: type) -> list[str]:
    """Public methods and properties defined by `cls` itself (not pydantic's or object's)."""
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            target, sig = member.fget, ""
        elif isinstance(member, classmethod | staticmethod):
            target = member.__func__
            sig = _signature(target)
        elif inspect.isfunction(member):
            target, sig = member, _signature(member)
        else:
            continue
        doc = (inspect.getdoc(target) or "").strip().split("\n\n")[0].replace("\n", " ")
        out.append(f"- `{name}{sig}`" + (f": {doc}" if doc else ""))
    return out


def hooks() -> list[tuple[str, Any]]:
    """The hook specifications, in the order they are defined."""
    from agentbench import hookspecs

    specs = [(n, f) for n, f in vars(hookspecs).items() if hasattr(f, "agentbench_spec")]
    return specs


def render() -> str:
    """The whole reference as markdown."""
    import agentbench

    exports: dict[str, str] = agentbench._EXPORTS
    lines = [
        "# agentbench: public API reference",
        "",
        "Generated from the docstrings by `python -m agentbench._reference`; a test keeps it",
        "current. Plugins import only these names (`from agentbench import ...`).",
        "",
    ]
    placed: set[str] = set()
    for title, *modules in GROUPS:
        names = sorted(n for n, m in exports.items() if m in modules)
        if not names:
            continue
        lines += [f"## {title}", ""]
        for name in names:
            lines += _entry(name, getattr(agentbench, name))
            placed.add(name)
    rest = sorted(set(exports) - placed)
    if rest:
        lines += ["## Other", ""]
        for name in rest:
            lines += _entry(name, getattr(agentbench, name))
    lines += ["## Hooks", "", "Implement them with `@agentbench.hookimpl` in a plugin module.", ""]
    for name, spec in hooks():
        lines += [f"### `{name}{_signature(spec)}`", "", (inspect.getdoc(spec) or "").strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
