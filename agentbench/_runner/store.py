"""The run store: one SQLite database (WAL) per run directory.

Layout: `<runs>/<run-id>/agentbench.db`, with episode artifacts beside it in
`<runs>/<run-id>/artifacts/<task>/<sample_id>/<epoch>/`.

Every `record()` is its own committed transaction, so a run killed at any moment (SIGKILL
included) keeps every episode recorded before the kill and nothing half-written: SQLite's WAL
recovery on the next open drops the uncommitted tail. `synchronous=NORMAL` means a power loss
may lose the last few commits, but a killed process loses none.

Tables:
    runs         one row per run id: config, timestamps, final summary (JSON).
    episodes     one row per (run_id, task, sample_id, epoch, model); status, score value,
                 passed, usage and timings as columns for queries, the full result as JSON.
    transcripts  the events of an episode as one JSON array.
    artifacts    file names of an episode's artifacts (the files live under artifacts/).
    records      what an episode emitted beyond its score (`ctx.emit(kind, record)`).
    responses    the model response cache (`agentbench.model.ResponseCache`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic_core import to_json

from agentbench._runner.run_dirs import DB_NAME, find_run_dir
from agentbench.errors import DataError
from agentbench.types import EpisodeResult, ModelOutput, RunConfig, RunSummary

SCHEMA_VERSION = 1
DONE_STATUSES = ("ok", "error", "limit")
#: SQL placeholders for DONE_STATUSES, as `status IN (...)` takes them.
_DONE_MARKS = ", ".join("?" * len(DONE_STATUSES))
_PAGE = 1000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at REAL NOT NULL,
    finished_at REAL,
    summary TEXT
);
CREATE TABLE IF NOT EXISTS episodes (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    task TEXT NOT NULL,
    sample_id TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    model TEXT NOT NULL,
    subset TEXT,
    status TEXT NOT NULL,
    score_value REAL,
    passed INTEGER NOT NULL,
    error TEXT,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    cost REAL,
    steps INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    started_at REAL NOT NULL,
    duration_s REAL NOT NULL,
    recorded_at REAL NOT NULL,
    result TEXT NOT NULL,
    UNIQUE (run_id, task, sample_id, epoch, model)
);
CREATE TABLE IF NOT EXISTS transcripts (
    episode_id INTEGER PRIMARY KEY REFERENCES episodes (id) ON DELETE CASCADE,
    events TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS artifacts (
    episode_id INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (episode_id, name)
);
CREATE TABLE IF NOT EXISTS records (
    episode_id INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (episode_id, seq)
);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, episode_id);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    output TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""

_EPISODE_COLUMNS = (
    "run_id",
    "task",
    "sample_id",
    "epoch",
    "model",
    "subset",
    "status",
    "score_value",
    "passed",
    "error",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "cost",
    "steps",
    "attempts",
    "started_at",
    "duration_s",
    "recorded_at",
    "result",
)
_KEY_COLUMNS = ("run_id", "task", "sample_id", "epoch", "model")
_UPSERT_EPISODE = (
    f"INSERT INTO episodes ({', '.join(_EPISODE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_EPISODE_COLUMNS))}) "
    f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _EPISODE_COLUMNS if c not in _KEY_COLUMNS)
    + " RETURNING id"
)
_KEY_WHERE = " AND ".join(f"{c} = ?" for c in _KEY_COLUMNS)


def safe_segment(name: str) -> str:
    """A sample id or task name made safe as one path segment ("HumanEval/0" -> "HumanEval%2F0")."""
    quoted = quote(str(name), safe="-_.+@=,")
    return "%2E" + quoted[1:] if quoted.startswith(".") else quoted or "_"


def artifacts_dir(run_dir: Path, task: str, sample_id: str, epoch: int) -> Path:
    """Where an episode's artifact files live: `<run_dir>/artifacts/<task>/<sample_id>/<epoch>/`."""
    return Path(run_dir) / "artifacts" / safe_segment(task) / safe_segment(sample_id) / str(epoch)


class Store:
    """The SQLite store of one run directory (WAL, synchronous=NORMAL).

    Safe to share between the threads of one process (calls are serialised by a lock) and to
    open from another process after this one died.

    Args:
        run_dir: The run directory; created, with the schema, if missing.
        create: False to open only an existing store (report, resume): a missing, empty or
            damaged database is then a `DataError` and nothing is written to it.
    """

    def __init__(self, run_dir: Path | str, *, create: bool = True) -> None:
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / DB_NAME
        if create:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        elif not self.path.is_file() or self.path.stat().st_size == 0:
            raise DataError(
                f"{self.path}: no agentbench database here (missing or empty)",
                "point at a run directory made by `agentbench run`",
            )
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            if create:
                self._init_db()
            else:
                self._check_existing()
        except sqlite3.DatabaseError as exc:
            raise DataError(
                f"{self.path}: not a readable agentbench database ({exc})",
                "restore it from a copy, or start a new run (a damaged store cannot be resumed)",
            ) from None

    def _check_existing(self) -> None:
        """An existing store must have the schema and pass SQLite's integrity check."""
        conn = self._conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not {"runs", "episodes", "transcripts"} <= tables:
            raise sqlite3.DatabaseError("it has no agentbench tables")
        problems = [r[0] for r in conn.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise sqlite3.DatabaseError("damaged: " + "; ".join(problems))
        conn.execute("PRAGMA busy_timeout=30000")

    def _init_db(self) -> None:
        conn = self._conn
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        with self._transaction():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                conn.execute(statement)
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._conn, self._lock)

    # runs -------------------------------------------------------------------------------------

    def create_run(self, run_id: str, config: RunConfig) -> None:
        """Add a run, or update the config of an existing one (its `created_at` is kept)."""
        with self._transaction():
            self._conn.execute(
                "INSERT INTO runs (run_id, task, model, config, created_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (run_id) DO UPDATE SET task = excluded.task, "
                "model = excluded.model, config = excluded.config",
                (run_id, config.task, config.model, config.model_dump_json(), time.time()),
            )

    def get_run(self, run_id: str) -> dict[str, Any] | None:
        """The run's row: run_id, config (RunConfig), created_at, finished_at, summary (or None)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT run_id, config, created_at, finished_at, summary "
                "FROM runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        if row is None:
            return None
        return {
            "run_id": row[0],
            "config": RunConfig.model_validate_json(row[1]),
            "created_at": row[2],
            "finished_at": row[3],
            "summary": RunSummary.model_validate_json(row[4]) if row[4] else None,
        }

    def run_ids(self) -> list[str]:
        """The ids of the runs in this database, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT run_id FROM runs ORDER BY created_at").fetchall()
        return [r[0] for r in rows]

    def finish_run(self, run_id: str, summary: RunSummary) -> None:
        """Store the run's summary and mark it finished."""
        with self._transaction():
            self._conn.execute(
                "UPDATE runs SET finished_at = ?, summary = ? WHERE run_id = ?",
                (time.time(), summary.model_dump_json(), run_id),
            )

    # episodes ---------------------------------------------------------------------------------

    def record(
        self,
        result: EpisodeResult,
        events: list[dict[str, Any]],
        artifacts: list[str] | None = None,
        records: list[tuple[str, dict[str, Any]]] | None = None,
    ) -> None:
        """Commit one finished episode with its transcript, artifact names and emitted records.

        A later record of the same (run, task, sample_id, epoch, model) replaces the earlier one,
        records included (so a resumed episode never doubles them).
        """
        score = result.score
        usage = result.usage
        row = (
            result.run_id,
            result.task,
            result.sample_id,
            result.epoch,
            result.model,
            result.subset,
            result.status,
            score.value if score else None,
            int(result.passed),
            result.error,
            usage.input_tokens,
            usage.output_tokens,
            usage.cached_tokens,
            usage.cost,
            result.steps,
            result.attempts,
            result.started_at,
            result.duration_s,
            time.time(),
            result.model_dump_json(),
        )
        events_json = to_json(events, fallback=str, bytes_mode="base64").decode()
        conn = self._conn
        with self._transaction():
            episode_id = conn.execute(_UPSERT_EPISODE, row).fetchone()[0]
            conn.execute(
                "INSERT OR REPLACE INTO transcripts (episode_id, events) VALUES (?, ?)",
                (episode_id, events_json),
            )
            conn.execute("DELETE FROM artifacts WHERE episode_id = ?", (episode_id,))
            if artifacts:
                conn.executemany(
                    "INSERT OR IGNORE INTO artifacts (episode_id, name) VALUES (?, ?)",
                    [(episode_id, name) for name in artifacts],
                )
            conn.execute("DELETE FROM records WHERE episode_id = ?", (episode_id,))
            if records:
                conn.executemany(
                    "INSERT INTO records (episode_id, seq, kind, data) VALUES (?, ?, ?, ?)",
                    [
                        (episode_id, seq, kind, to_json(data, fallback=str).decode())
                        for seq, (kind, data) in enumerate(records)
                    ],
                )

    def record_kinds(self, run_id: str) -> dict[str, int]:
        """Kinds of emitted records in the run, with their counts."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT r.kind, COUNT(*) FROM records r JOIN episodes e ON e.id = r.episode_id "
                "WHERE e.run_id = ? GROUP BY r.kind ORDER BY r.kind",
                (run_id,),
            ).fetchall()
        return {kind: count for kind, count in rows}

    def emitted(self, run_id: str, kind: str) -> Iterator[dict[str, Any]]:
        """The run's records of one kind, each with `sample_id` and `epoch`, in episode order.

        Streams from the database (a page at a time), so exporting a huge run stays small.
        """
        last, page = (-1, -1), 1000
        while True:
            with self._lock:
                rows = self._conn.execute(
                    "SELECT r.episode_id, r.seq, e.sample_id, e.epoch, r.data FROM records r "
                    "JOIN episodes e ON e.id = r.episode_id WHERE e.run_id = ? AND r.kind = ? "
                    "AND (r.episode_id, r.seq) > (?, ?) ORDER BY r.episode_id, r.seq LIMIT ?",
                    (run_id, kind, *last, page),
                ).fetchall()
            for episode_id, seq, sample_id, epoch, data in rows:
                last = (episode_id, seq)
                yield {"sample_id": sample_id, "epoch": epoch, **json.loads(data)}
            if len(rows) < page:
                return

    def done_keys(self, run_id: str) -> set[tuple[str, str, int, str]]:
        """(task, sample_id, epoch, model) of the run's finished episodes (ok, error or limit)."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT task, sample_id, epoch, model FROM episodes "
                f"WHERE run_id = ? AND status IN ({_DONE_MARKS})",
                (run_id, *DONE_STATUSES),
            ).fetchall()
        return {(r[0], r[1], r[2], r[3]) for r in rows}

    def done_among(
        self, run_id: str, task: str, model: str, epoch: int, sample_ids: list[str]
    ) -> set[str]:
        """Which of `sample_ids` have a finished episode (ok, error or limit) at `epoch`."""
        if not sample_ids:
            return set()
        ids = ", ".join("?" * len(sample_ids))
        with self._lock:
            rows = self._conn.execute(
                f"SELECT sample_id FROM episodes WHERE run_id = ? AND task = ? AND model = ? "
                f"AND epoch = ? AND status IN ({_DONE_MARKS}) AND sample_id IN ({ids})",
                (run_id, task, model, epoch, *DONE_STATUSES, *sample_ids),
            ).fetchall()
        return {r[0] for r in rows}

    def count_done(self, run_id: str) -> int:
        """How many of the run's episodes are finished (ok, error or limit)."""
        with self._lock:
            (n,) = self._conn.execute(
                f"SELECT COUNT(*) FROM episodes WHERE run_id = ? AND status IN ({_DONE_MARKS})",
                (run_id, *DONE_STATUSES),
            ).fetchone()
        return int(n)

    def results(self, run_id: str) -> list[EpisodeResult]:
        """Every recorded episode of the run as a list, in the order they were first recorded.

        Holds the whole run in memory: for a run of any size use `episodes()` instead.
        """
        return list(self.iter_results(run_id))

    def episodes(self, run_id: str, *, owned: bool = False) -> StoredResults:
        """The run's recorded episodes as a lazy sequence read a page at a time (see
        `StoredResults`): what `Task.metrics` gets, with memory flat in the size of the run.

        Args:
            run_id: The run.
            owned: The sequence's `close()` closes this store (for `load_run`).
        """
        return StoredResults(self, run_id, owned=owned)

    def count_episodes(self, run_id: str) -> int:
        """How many episodes of the run are recorded (any status)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM episodes WHERE run_id = ?", (run_id,)
            ).fetchone()
        return int(row[0])

    def count_samples(self, run_id: str) -> int:
        """How many distinct sample ids the run's recorded episodes have."""
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(DISTINCT sample_id) FROM episodes WHERE run_id = ?", (run_id,)
            ).fetchone()
        return int(row[0])

    def iter_results(self, run_id: str, *, page: int = _PAGE) -> Iterator[EpisodeResult]:
        """The run's episodes in the order they were first recorded, read `page` at a time."""
        for _id, result in self._pages(
            "SELECT id, result FROM episodes WHERE +run_id = ? AND id > ? ORDER BY id LIMIT ?",
            run_id,
            (-1,),
            page,
        ):
            yield EpisodeResult.model_validate_json(result)

    def sample_rows(self, run_id: str, *, page: int = _PAGE) -> Iterator[tuple[Any, ...]]:
        """What the metrics need of each episode, every (task, sample_id) contiguous.

        Rows are `(task, sample_id, model, subset, status, score_value, passed, order)`, where
        `order` increases with the time an episode was first recorded. Read along the episode
        key's index a page at a time, so no sort and no episode is held beyond its page.
        """
        query = (
            "SELECT task, sample_id, epoch, model, subset, status, score_value, passed, id "
            "FROM episodes WHERE run_id = ? AND (task, sample_id, epoch, model) > (?, ?, ?, ?) "
            "ORDER BY task, sample_id, epoch, model LIMIT ?"
        )
        for task, sample_id, _epoch, *rest in self._pages(query, run_id, ("", "", -1, ""), page):
            yield (task, sample_id, *rest)

    def usage_rows(self, run_id: str, *, page: int = _PAGE) -> Iterator[tuple[Any, ...]]:
        """`(input_tokens, output_tokens, cached_tokens, cost, usage_by_role JSON)` of each
        episode, in the order they were first recorded (so sums add up in that order)."""
        query = (
            "SELECT id, input_tokens, output_tokens, cached_tokens, cost, "
            "json_extract(result, '$.usage_by_role') FROM episodes "
            "WHERE +run_id = ? AND id > ? ORDER BY id LIMIT ?"
        )
        for _id, *rest in self._pages(query, run_id, (-1,), page):
            yield tuple(rest)

    def report_results(self, run_id: str, *, batch: int = _PAGE) -> Iterator[EpisodeResult]:
        """The run's episodes in report order: task, model, sample id (numeric ids by value,
        "2" before "10"), epoch. SQLite sorts (spilling to disk if need be), not Python."""
        numeric = "(sample_id <> '' AND sample_id NOT GLOB '*[^0-9]*')"
        query = (
            f"SELECT result FROM episodes WHERE run_id = ? ORDER BY task, model, "
            f"CASE WHEN {numeric} THEN 0 ELSE 1 END, "
            f"CASE WHEN {numeric} THEN CAST(sample_id AS INTEGER) ELSE 0 END, "
            f"CASE WHEN {numeric} THEN '' ELSE sample_id END, epoch, id"
        )
        with self._lock:
            cursor = self._conn.execute(query, (run_id,))
        try:
            while True:
                with self._lock:
                    rows = cursor.fetchmany(batch)
                if not rows:
                    return
                for (result,) in rows:
                    yield EpisodeResult.model_validate_json(result)
        finally:
            cursor.close()

    def _pages(
        self, query: str, run_id: str, start: tuple[Any, ...], page: int
    ) -> Iterator[tuple[Any, ...]]:
        """Keyset paging: `query` takes run_id, the last key seen, and LIMIT; a row's first
        `len(start)` columns are its key. Each page is read under the lock, then released."""
        last = start
        width = len(start)
        while True:
            with self._lock:
                rows = self._conn.execute(query, (run_id, *last, page)).fetchall()
            if not rows:
                return
            last = tuple(rows[-1][:width])
            yield from rows
            if len(rows) < page:
                return

    def transcript(
        self, run_id: str, task: str, sample_id: str, epoch: int, model: str
    ) -> list[dict[str, Any]]:
        """The events of one episode ([] if it was never recorded)."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT t.events FROM transcripts t JOIN episodes e ON e.id = t.episode_id "
                f"WHERE {_KEY_WHERE.replace('run_id', 'e.run_id')}",
                (run_id, task, sample_id, epoch, model),
            ).fetchone()
        return json.loads(row[0]) if row else []

    def artifacts(
        self, run_id: str, task: str, sample_id: str, epoch: int, model: str
    ) -> list[str]:
        """The artifact file names of one episode (files in `artifacts_dir(...)`)."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT a.name FROM artifacts a JOIN episodes e ON e.id = a.episode_id "
                f"WHERE {_KEY_WHERE.replace('run_id', 'e.run_id')} ORDER BY a.name",
                (run_id, task, sample_id, epoch, model),
            ).fetchall()
        return [r[0] for r in rows]

    # response cache ---------------------------------------------------------------------------

    def get_response(self, key: str) -> ModelOutput | None:
        """A cached model response, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT output FROM responses WHERE key = ?", (key,)
            ).fetchone()
        return ModelOutput.model_validate_json(row[0]) if row else None

    def put_response(self, key: str, output: ModelOutput) -> None:
        """Cache a model response under `key` (replacing any earlier one)."""
        with self._transaction():
            self._conn.execute(
                "INSERT OR REPLACE INTO responses (key, output, created_at) VALUES (?, ?, ?)",
                (key, output.model_dump_json(), time.time()),
            )

    # lifecycle --------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database (idempotent)."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT` (or `ROLLBACK` on error) under the store's lock."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock) -> None:
        self._conn, self._lock = conn, lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            self._conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._lock.release()


# Kept importable from here (the runner, the API and the CLI import them from this module).
from agentbench._runner.stored import StoredResults  # noqa: E402

__all__ = ["DB_NAME", "Store", "StoredResults", "artifacts_dir", "find_run_dir", "safe_segment"]
