"""Plugin entry point."""

from agentbench import hookimpl  # noqa: F401
