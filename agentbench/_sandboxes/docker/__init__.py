"""The `docker` sandbox backend (docker SDK): see backend.py for the design and options."""

from .backend import DockerBackend

__all__ = ["DockerBackend"]
