"""A run's episode results as a lazy, read-only sequence over the store (memory flat in size)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from agentbench.types import EpisodeResult

if TYPE_CHECKING:
    from agentbench._runner.store import Store

_PAGE = 1000  # rows a query reads at a time (as the store's own readers)


class StoredResults(Sequence[EpisodeResult]):
    """A run's recorded episodes, read from its store a page at a time, never all at once.

    It is a read-only `Sequence`: `len()`, repeated iteration (each pass re-reads the store, in
    the order episodes were first recorded), `results[i]` and slices (each a query: iterate
    rather than index in a loop). Holding one costs nothing per episode. It reads through the
    store it came from, which must stay open while it is used.
    """

    def __init__(
        self, store: Store, run_id: str, *, page: int = _PAGE, owned: bool = False
    ) -> None:
        self._store, self.run_id, self._page, self._owned = store, run_id, page, owned

    def in_report_order(self) -> Iterator[EpisodeResult]:
        """The episodes sorted for a report (see `Store.report_results`), streamed."""
        return self._store.report_results(self.run_id)

    def close(self) -> None:
        """Close the store if this sequence owns it (`load_run`); otherwise nothing."""
        if self._owned:
            self._store.close()

    def __enter__(self) -> StoredResults:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self._store.count_episodes(self.run_id)

    def __iter__(self) -> Iterator[EpisodeResult]:
        return self._store.iter_results(self.run_id, page=self._page)

    @overload
    def __getitem__(self, index: int) -> EpisodeResult: ...

    @overload
    def __getitem__(self, index: slice) -> list[EpisodeResult]: ...

    def __getitem__(self, index: int | slice) -> EpisodeResult | list[EpisodeResult]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return self._rows(start, max(0, stop - start))
        i = index + len(self) if index < 0 else index
        rows = self._rows(i, 1) if i >= 0 else []
        if not rows:
            raise IndexError("episode index out of range")
        return rows[0]

    def _rows(self, offset: int, count: int) -> list[EpisodeResult]:
        store = self._store
        with store._lock:
            rows = store._conn.execute(
                "SELECT result FROM episodes WHERE +run_id = ? ORDER BY id LIMIT ? OFFSET ?",
                (self.run_id, count, offset),
            ).fetchall()
        return [EpisodeResult.model_validate_json(r[0]) for r in rows]

    def __repr__(self) -> str:
        return f"<StoredResults run {self.run_id!r} in {self._store.path}>"
