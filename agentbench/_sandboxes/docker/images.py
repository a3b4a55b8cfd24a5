"""agentbench's own images: name resolution, finding the Dockerfiles, and building them.

Short names ("python", "desktop") are agentbench images, tagged `agentbench/<name>:latest` and built
from `sandboxes/<name>/Dockerfile`. A build reuses docker's layer cache. Two fallbacks keep it
working on machines without a registry or behind a TLS-intercepting proxy, each announced:
the base image is bootstrapped with debootstrap + `docker import` when it cannot be pulled, and the
host's CA bundle is handed to pip inside the build when pip cannot verify PyPI's certificate.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentbench.errors import SandboxError

from .engine import Stopwatch

REPO = "agentbench"
BASE_IMAGE = "debian:bookworm-slim"
CA_ENV_VARS = ("PIP_CERT", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")
SYSTEM_CA = "/etc/ssl/certs/ca-certificates.crt"
CERT_ERRORS = ("CERTIFICATE_VERIFY_FAILED", "SSLCertVerificationError", "certificate verify failed")
Echo = Callable[[str], None]


def images_dir() -> Path:
    """The folder with one sub-folder (Dockerfile and friends) per agentbench image."""
    packaged = Path(__file__).with_name("dockerfiles")  # wheels ship sandboxes/ here
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "sandboxes"


def plugin_images() -> dict[str, Any]:
    """Images plugins ship (`register_sandbox_images`): name -> SandboxImage."""
    from agentbench.plugins import get_registry

    try:
        return {name: image for name, (image, _dist) in get_registry().images.items()}
    except Exception:  # a broken plugin set must not hide the core's own images
        return {}


def image_source(name: str) -> tuple[Path, dict[str, str]]:
    """(build context folder, build args) of an image agentbench can build."""
    shipped = plugin_images().get(name)
    if shipped is not None:
        return Path(shipped.context), dict(shipped.build_args)
    return images_dir() / name, {}


def known_images() -> list[str]:
    """Names of the images agentbench can build: the core's (sandboxes/) and the plugins'."""
    root = images_dir()
    folders = (
        {p.name for p in root.iterdir() if (p / "Dockerfile").is_file()} if root.is_dir() else set()
    )
    return sorted(folders | set(plugin_images()))


def image_ref(name: str) -> str:
    """The docker reference for a spec's image name ("python" -> "agentbench/python:latest")."""
    if "/" not in name and ":" not in name and name in known_images():
        return f"{REPO}/{name}:latest"
    return name


def agentbench_name(ref: str) -> str | None:
    """The agentbench image name behind a reference, or None for other images."""
    repo, _, tag = ref.partition(":")
    prefix = f"{REPO}/"
    if repo.startswith(prefix) and tag in ("", "latest") and repo[len(prefix) :] in known_images():
        return repo[len(prefix) :]
    return None


def image_exists(client: Any, ref: str) -> bool:
    from docker.errors import ImageNotFound

    try:
        client.api.inspect_image(ref)
        return True
    except ImageNotFound:
        return False


@dataclass
class BuildReport:
    """What a build did (printed by `agentbench sandbox build`)."""

    name: str
    tag: str
    image_id: str = ""
    size_mb: float = 0.0
    seconds: float = 0.0
    steps: int = 0
    cached_steps: int = 0
    base: str = "present"
    ca_bundle: str | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        cache = f"{self.cached_steps}/{self.steps} steps from cache"
        ca = f", pip used CA bundle {self.ca_bundle}" if self.ca_bundle else ""
        return (
            f"built {self.tag} ({self.image_id[7:19]}, {self.size_mb:.0f} MB) "
            f"in {self.seconds:.0f}s: "
            f"{cache}, base image {self.base}{ca}"
        )


def build_image(
    client: Any,
    name: str,
    *,
    bootstrap: bool | None = None,
    ca_bundle: str | None = None,
    build_args: dict[str, str] | None = None,
    echo: Echo = print,
) -> BuildReport:
    """Build `agentbench/<name>:latest` (blocking; minutes the first time, seconds from cache).

    Args:
        client: A docker SDK client.
        name: An image folder under sandboxes/ (e.g. "python").
        bootstrap: True: bootstrap the base image if it is missing; None: only when it cannot be
            pulled; False: never.
        ca_bundle: A CA bundle for pip inside the build; default: none, unless pip fails to
            verify certificates, then the host's bundle (announced).
        build_args: Extra `--build-arg`s (e.g. {"APPS": "libreoffice"} for the desktop).
        echo: Where progress lines go.

    Raises:
        SandboxError: unknown name, base image unavailable, or a failed build (with its log tail).
    """
    if name not in known_images():
        raise SandboxError(
            f"no agentbench image {name!r} (known: {', '.join(known_images()) or 'none'})",
            "pass one of the known names to `agentbench sandbox build`",
        )
    watch = Stopwatch()
    report = BuildReport(name=name, tag=f"{REPO}/{name}:latest")
    report.base = ensure_base(client, BASE_IMAGE, bootstrap=bootstrap, echo=echo)
    ca = ca_bundle or _ca_from_env()
    if ca and not ca_bundle:
        echo(f"using the host's CA bundle {ca} for pip inside the build (set by ${_ca_env_name()})")
    context, image_args = image_source(name)
    args = {"BASE_IMAGE": BASE_IMAGE, **image_args, **(build_args or {})}
    try:
        _run_build(client, context, report, ca, args, echo)
    except _CertificateError:
        ca = _fallback_ca()
        echo(f"pip could not verify PyPI's certificate inside the build; retrying with {ca}")
        report.steps = report.cached_steps = 0
        _run_build(client, context, report, ca, args, echo)
    report.ca_bundle = ca
    info = client.api.inspect_image(report.tag)
    report.image_id, report.size_mb = info["Id"], info.get("Size", 0) / 1e6
    report.seconds = watch()
    return report


class _CertificateError(Exception):
    pass


def _ca_env_name() -> str:
    return next((v for v in CA_ENV_VARS if os.environ.get(v) and Path(os.environ[v]).is_file()), "")


def _ca_from_env() -> str | None:
    var = _ca_env_name()
    return os.environ[var] if var else None


def _fallback_ca() -> str:
    ca = _ca_from_env() or SYSTEM_CA
    if not Path(ca).is_file():
        raise SandboxError(
            "pip inside the build cannot verify certificates and no CA bundle was found",
            "pass your proxy's CA bundle: agentbench sandbox build --ca-bundle FILE",
        )
    return ca


def _run_build(
    client: Any, source: Path, report: BuildReport, ca: str | None, args: dict[str, str], echo: Echo
) -> None:
    from docker.errors import APIError

    with tempfile.TemporaryDirectory(prefix="agentbench-build-") as context:
        shutil.copytree(source, context, dirs_exist_ok=True)
        if ca:
            shutil.copyfile(ca, Path(context) / "extra-ca.crt")
        log: list[str] = []
        try:
            stream = client.api.build(
                path=context,
                tag=report.tag,
                rm=True,
                forcerm=True,
                decode=True,
                labels={"agentbench.image": report.name},
                buildargs=args,
            )
            for chunk in stream:
                _follow(chunk, log, report, echo)
        except APIError as exc:
            log.append(f"error: {exc}")
    failed = any(line.startswith("error: ") for line in log)
    if failed or not any(line.startswith("Successfully tagged") for line in log):
        text = "\n".join(log)
        if any(marker in text for marker in CERT_ERRORS) and not ca:
            raise _CertificateError()
        tail = "\n".join(log[-15:])
        raise SandboxError(
            f"building {report.tag} failed:\n{tail}",
            f"fix {source}/Dockerfile or the network, then rebuild",
        )


def _follow(chunk: dict[str, Any], log: list[str], report: BuildReport, echo: Echo) -> None:
    if "error" in chunk:
        log.append(f"error: {chunk['error']}")
        return
    line = str(chunk.get("stream", "")).rstrip()
    if not line:
        return
    log.append(line)
    if line.startswith("Step "):
        report.steps += 1
        echo(line[:160])
    elif "Using cache" in line:
        report.cached_steps += 1


def ensure_base(client: Any, ref: str, *, bootstrap: bool | None, echo: Echo) -> str:
    """Make sure the base image exists: present, pulled, or bootstrapped. Returns which."""
    if image_exists(client, ref):
        return "present"
    if bootstrap is not True:
        from docker.errors import DockerException

        try:
            echo(f"pulling {ref} ...")
            client.images.pull(ref)
            return "pulled"
        except DockerException as exc:
            if bootstrap is False:
                raise SandboxError(
                    f"cannot pull {ref}: {exc}", "agentbench sandbox build --bootstrap"
                ) from exc
            echo(
                f"cannot pull {ref} (no registry?); "
                "bootstrapping it with debootstrap (about a minute)"
            )
    bootstrap_base(ref, echo=echo)
    return "bootstrapped"


def bootstrap_base(ref: str, *, echo: Echo = print) -> None:
    """Make the base image without a registry (root and debootstrap needed)."""
    script = images_dir() / "base" / "bootstrap.sh"
    if shutil.which("debootstrap") is None or os.geteuid() != 0:
        raise SandboxError(
            f"{ref} is missing and cannot be pulled; bootstrapping it needs root and debootstrap",
            f"as root: apt-get install debootstrap && bash {script} {ref}",
        )
    result = subprocess.run(["bash", str(script), ref], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise SandboxError(
            f"bootstrapping {ref} failed: {' | '.join(tail)}", f"run bash {script} {ref} by hand"
        )
    echo(f"bootstrapped {ref}")


def builds_dir() -> Path:
    """Where the logs of derived-image builds are kept (`$AGENTBENCH_CACHE_DIR/builds`)."""
    from agentbench.downloads import cache_dir

    return cache_dir("builds")


def build_derived(client: Any, build: Any, *, echo: Echo = print) -> tuple[str, Path, float]:
    """Build a task's derived image (an `agentbench.ImageBuild`) unless its tag exists.

    The host's CA bundle is placed in the context as `extra-ca.crt` (a Dockerfile may use it
    behind a TLS-intercepting proxy, as agentbench's own images do). The whole build output goes
    to a log file named after the tag.

    Returns:
        (tag, log path, seconds spent building; 0.0 when the image was already there).

    Raises:
        SandboxError: the build failed (the message has the log's tail and path).
    """
    from docker.errors import APIError

    tag = build.tag
    log_path = builds_dir() / (tag.replace("/", "_").replace(":", "_") + ".log")
    if image_exists(client, tag):
        return tag, log_path, 0.0
    watch = Stopwatch()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="agentbench-derived-") as context:
        root = Path(context)
        (root / "Dockerfile").write_text(build.dockerfile)
        for rel, data in build.files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        ca = _ca_from_env() or (SYSTEM_CA if Path(SYSTEM_CA).is_file() else None)
        if ca and not (root / "extra-ca.crt").exists():
            shutil.copyfile(ca, root / "extra-ca.crt")
        echo(f"building derived image {tag} (log: {log_path})")
        try:
            for chunk in client.api.build(
                path=context,
                tag=tag,
                rm=True,
                forcerm=True,
                decode=True,
                labels={"agentbench.image": "derived", "agentbench.derived": build.name},
            ):
                if "error" in chunk:
                    lines.append(f"error: {chunk['error']}")
                elif chunk.get("stream"):
                    lines.append(str(chunk["stream"]).rstrip())
        except APIError as exc:
            lines.append(f"error: {exc}")
    log_path.write_text("\n".join(lines) + "\n")
    if any(line.startswith("error: ") for line in lines) or not image_exists(client, tag):
        tail = "\n".join(lines[-12:])
        raise SandboxError(
            f"building the derived image {tag} failed:\n{tail}",
            f"see the whole log in {log_path}",
        )
    return tag, log_path, watch()
