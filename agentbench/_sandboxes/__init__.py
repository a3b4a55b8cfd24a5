"""Built-in sandbox backends: one `register(...)` line each, the classes imported on use."""

from typing import Any

from agentbench.hookspecs import hookimpl

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def option_flag(options: dict[str, Any], name: str, default: bool) -> bool:
    """A boolean option given as a bool or a string (true/false, 1/0, yes/no, on/off).

    Raises:
        ConfigError: for any other string, rather than guessing what it means.
    """
    value = options.get(name, default)
    if not isinstance(value, str):
        return bool(value)
    word = value.strip().lower()
    if word not in _TRUE + _FALSE:
        from agentbench.errors import ConfigError

        raise ConfigError(
            f"sandbox option {name}={value!r} is not a yes/no value",
            f"use {name}=true or {name}=false",
        )
    return word in _TRUE


def option_int(options: dict[str, Any], name: str, default: int, *, minimum: int = 0) -> int:
    """An integer option given as an int or a string.

    Raises:
        ConfigError: for anything that is not a whole number >= `minimum`.
    """
    value = options.get(name, default)
    try:
        number = int(str(value).strip())
    except ValueError:
        number = minimum - 1
    if number < minimum:
        from agentbench.errors import ConfigError

        raise ConfigError(
            f"sandbox option {name}={value!r} is not a whole number >= {minimum}",
            f"use e.g. {name}={default}",
        )
    return number


@hookimpl
def register_sandboxes(register):
    from .local import LocalBackend

    register("local", LocalBackend)

    from .docker import DockerBackend

    register("docker", DockerBackend)


@hookimpl
def register_commands(cli: Any) -> None:
    """`agentbench sandbox build | list | prune`."""
    from .cli import sandbox

    if "sandbox" not in cli.commands:
        cli.add_command(sandbox, "sandbox")
