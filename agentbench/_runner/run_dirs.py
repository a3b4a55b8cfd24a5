"""Finding a run's directory from what a user types (a run id, a name, a prefix, a path)."""

from __future__ import annotations

from pathlib import Path

from agentbench.errors import ConfigError, DataError

DB_NAME = "agentbench.db"


def find_run_dir(ref: str, runs_root: Path | str = Path("runs")) -> Path:
    """The directory holding the run's `agentbench.db`.

    Args:
        ref: A run id or run name (looked up under `runs_root`, a unique prefix is enough), a run
            directory, or the path of an `agentbench.db` file.
        runs_root: Where runs live (the `--run-dir` option).

    Raises:
        DataError: The directory exists but holds no agentbench database.
        ConfigError: No run matches `ref` (or a prefix matches several).
    """
    runs_root = Path(runs_root)
    direct = Path(ref)
    if direct.is_file() and direct.name == DB_NAME:
        return direct.parent
    for candidate in (direct, runs_root / ref):
        if (candidate / DB_NAME).is_file():
            return candidate
    matches = []
    if runs_root.is_dir() and ref and "/" not in ref:
        matches = sorted(
            d for d in runs_root.iterdir() if d.name.startswith(ref) and (d / DB_NAME).is_file()
        )
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        names = ", ".join(d.name for d in matches[:5])
        raise ConfigError(f"run {ref!r} is ambiguous: {names}", "give more of the run id")
    for candidate in (direct, runs_root / ref):
        if candidate.is_dir():
            raise DataError(
                f"{candidate} holds no {DB_NAME}", "pass a run directory made by `agentbench run`"
            )
    raise ConfigError(
        f"no run {ref!r} in {runs_root}/",
        f"pass a run id (see `ls {runs_root}`) or a run directory",
    )
