"""Upstream data files, downloaded once into a cache and checked by SHA-256.

    path = cached_download(URL, cache_dir("classeval/eaeac44d") / "ClassEval_data.json",
                           what="ClassEval_data.json", fix="pass a local copy with -T data=PATH")

The digest is the one a task pins (`sha256=`) or, for files upstream publishes no digest of,
the one recorded at the first download (trust on first use) and enforced from then on: a cached
file that no longer matches is downloaded again, and a download that does not match is an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from agentbench.errors import DataError

log = logging.getLogger("agentbench.downloads")


def cache_dir(*parts: str) -> Path:
    """`$AGENTBENCH_CACHE_DIR` (or ~/.cache/agentbench) joined with `parts`."""
    root = os.environ.get("AGENTBENCH_CACHE_DIR") or Path.home() / ".cache" / "agentbench"
    return Path(root).joinpath(*parts)


def cached_download(
    url: str,
    target: Path,
    *,
    what: str,
    fix: str,
    sha256: str | None = None,
    timeout: float = 60.0,
) -> Path:
    """The cached copy of `url` at `target`, downloaded first if missing or corrupt.

    Args:
        url: Where the file is published (pinned to a commit).
        target: Where it is cached; its digest is kept beside it (`<name>.sha256`).
        what: How messages name the file.
        fix: What a user can do when the download fails (e.g. pass a local copy).
        sha256: The expected digest; None trusts the first download and records its digest.
        timeout: Seconds for the download.

    Raises:
        DataError: the download failed, or its digest is not the expected one.
    """
    digest_file = target.with_name(target.name + ".sha256")
    recorded = _read(digest_file)
    expected = (sha256 or recorded or "").lower() or None
    if target.is_file() and expected and _sha256(target.read_bytes()) == expected:
        return target
    payload = _download(url, what=what, fix=fix, timeout=timeout)
    digest = _sha256(payload)
    if expected and digest != expected:
        raise DataError(
            f"checksum mismatch for {what} from {url}: expected sha256 {expected}, got {digest}",
            f"check the source, download {what} yourself and pass it, or delete {digest_file}",
        )
    _atomic_write(target, payload)
    if expected is None:
        log.warning("trusting %s on first use (sha256 %s), recorded for later runs", url, digest)
    _atomic_write(digest_file, (digest + "\n").encode())
    return target


def _download(url: str, *, what: str, fix: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "agentbench"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bytes(response.read())
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DataError(f"could not download {what} from {url} ({reason})", fix) from None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def _sha256(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
