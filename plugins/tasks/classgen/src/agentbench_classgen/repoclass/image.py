"""The build context of a repository's sandbox image (a pure function; the core builds it).

One image per repository and commit: the Python version and install steps of upstream's setup
(`repo_metadata.setup_details` names a SWE-bench repository and version; upstream looks them up
in SWE-bench's MAP_VERSION_TO_INSTALL, whose entries have the keys used here: `python`,
`packages`, `pip_packages`, `pre_install`, `install`), the repository installed in editable mode,
the test tooling upstream adds (pytest-json-report, `pytest<=7.4.4`, the per-repository extras of
its `run_testcases`), and the repository tools script. The digest names the image: it changes
exactly when the Dockerfile or a file of the context changes.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

REPO_DIR = "/repo"
TOOLS_PATH = "/opt/agentbench/repo_tools.py"  # where the image holds the tools script
_SKIP_DIRS = {".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".tox", ".venv"}


@dataclass
class BuildContext:
    """A Dockerfile and the files beside it."""

    dockerfile: str
    files: dict[str, bytes] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """A content hash of the Dockerfile and every file (path and bytes)."""
        h = hashlib.sha256(self.dockerfile.encode())
        for path in sorted(self.files):
            h.update(b"\0" + path.encode() + b"\0")
            h.update(hashlib.sha256(self.files[path]).digest())
        return h.hexdigest()

    def write(self, directory: Path) -> None:
        """Lay the context out in `directory` (for `docker build`)."""
        (directory / "Dockerfile").write_text(self.dockerfile)
        for rel, data in self.files.items():
            target = directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


def upstream_test_extras(repo_name: str) -> list[str]:
    """The pip commands upstream's `run_testcases` adds before the tests, by repository name
    (`owner/name`)."""
    extras = []
    if "pytest-dev__pytest" not in repo_name.replace("/", "__"):
        extras.append('pip install "pytest<=7.4.4"')
    if "sql" in repo_name:
        extras.append("pip install six")
    if any(k in repo_name for k in ("pytest", "astroid", "astropy", "scikit")):
        extras.append("pip install urllib3 idna certifi six coverage attrs tomli requests")
    if any(k in repo_name for k in ("pytest-dev/pytest", "astroid", "pylint", "requests")):
        extras.append("pip install numpy")
    if "pydicom" in repo_name or "pydata" in repo_name:
        extras.append("pip install pyvista psutil")
    if "pyvista" in repo_name or "pylint" in repo_name:
        extras.append("pip install requests")
    if "requests" in repo_name:
        extras.append("pip uninstall -y requests_mock")
    return extras


def repository_files(repo_dir: Path) -> dict[str, bytes]:
    """Every file of the checkout (not .git or caches), by path relative to it."""
    files: dict[str, bytes] = {}
    for root, dirs, names in os.walk(repo_dir):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(names):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                files[path.relative_to(repo_dir).as_posix()] = path.read_bytes()
    return files


def build_context(
    record: dict[str, Any], repo_dir: Path, install: dict[str, Any], *, base_image: str = ""
) -> BuildContext:
    """The image of `record`'s repository: its Python, the repository installed, the tools.

    Args:
        record: The RepoClassBench record.
        repo_dir: The repository checkout (at `repo_metadata.commit_id`).
        install: The install spec (MAP_VERSION_TO_INSTALL's shape).
        base_image: The base image; default `python:<install.python>-slim`.
    """
    setup = record["repo_metadata"].get("setup_details") or {}
    repo_name = setup.get("repo") or record["repo_metadata"]["issue_id"].rsplit("-", 1)[0]
    python = str(install.get("python", "3.11"))
    steps = [f"FROM {base_image or f'python:{python}-slim'}", "USER root"]
    steps.append("ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1")
    # As the core's own images: a CA bundle the builder adds (behind a TLS-intercepting proxy) is
    # used by pip when present; the [t] glob matches nothing when it is absent.
    steps.append("COPY repo_tools.py extra-ca.cr[t] /opt/agentbench/")
    steps.append(
        "RUN if [ -s /opt/agentbench/extra-ca.crt ]; then cat /etc/ssl/certs/ca-certificates.crt "
        "/opt/agentbench/extra-ca.crt > /opt/agentbench/ca.crt; "
        "else cp /etc/ssl/certs/ca-certificates.crt /opt/agentbench/ca.crt; fi"
    )
    steps.append("ENV PIP_CERT=/opt/agentbench/ca.crt")
    steps.append(f"COPY repo/ {REPO_DIR}/")
    steps.append(f"WORKDIR {REPO_DIR}")
    steps += [f"RUN {cmd}" for cmd in _as_list(install.get("pre_install"))]
    packages = str(install.get("packages", "") or "")
    if packages == "requirements.txt":
        steps.append(f"RUN pip install -r {install.get('requirements', 'requirements.txt')}")
    elif packages and packages != "environment.yml":
        steps.append(f"RUN pip install {packages}")
    if install.get("pip_packages"):
        pip_packages = install["pip_packages"]
        if isinstance(pip_packages, list):
            pip_packages = " ".join(pip_packages)
        steps.append(f"RUN pip install {pip_packages}")
    steps.append(f"RUN {install.get('install', 'pip install -e .')}")
    steps += [f"RUN {cmd}" for cmd in upstream_test_extras(repo_name)]
    steps.append("RUN pip install pytest-json-report rank-bm25 pylint")
    files = {f"repo/{k}": v for k, v in repository_files(repo_dir).items()}
    files["repo_tools.py"] = tools_source().encode()
    return BuildContext("\n".join(steps) + "\n", files)


def install_spec(record: dict[str, Any], repo_dir: Path) -> dict[str, Any]:
    """The install spec of a record's repository (MAP_VERSION_TO_INSTALL's shape).

    Upstream looks it up in SWE-bench's table by `setup_details` (repository and version); a
    record that carries the spec itself (`setup_details.install_spec`) gives it here, else the
    repository's own files decide: its requirements file, then an editable install.
    """
    setup = record["repo_metadata"].get("setup_details") or {}
    given = setup.get("install_spec")
    if isinstance(given, dict):
        return given
    spec: dict[str, Any] = {"python": "3.11"}
    if (repo_dir / "requirements.txt").is_file():
        spec["packages"] = "requirements.txt"
    has_setup = (repo_dir / "setup.py").is_file() or (repo_dir / "pyproject.toml").is_file()
    spec["install"] = "pip install -e ." if has_setup else "true"
    return spec


def tools_source() -> str:
    """The repository tools script (`repo_tools.py`), run inside the sandbox."""
    return (resources.files("agentbench_classgen.repoclass") / "repo_tools.py").read_text()


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
