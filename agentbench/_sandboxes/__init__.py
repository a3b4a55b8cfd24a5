"""Built-in sandbox backends: one `register(...)` line each, the classes imported on use."""

from agentbench.hookspecs import hookimpl


@hookimpl
def register_sandboxes(register):
    from .local import LocalBackend

    register("local", LocalBackend)

    from .docker import DockerBackend

    register("docker", DockerBackend)
