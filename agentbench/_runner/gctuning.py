"""Garbage-collector settings for a run: fewer, cheaper collections while episodes run.

With hundreds of calls in flight every call's objects (requests, responses, coroutines) live for
the call's whole latency, so they survive the young collections and keep the collector busy:
with Python's defaults it can take a quarter of the process's CPU. During a run the heap that
setup built (modules, plugins, the task's samples) is frozen, so no collection walks it again,
and the youngest generation is collected every `GEN0_THRESHOLD` allocations instead of 700.
Cyclic garbage is still collected, only in larger batches; everything is restored afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

#: Allocations (minus deallocations) between collections of the youngest generation during a run.
GEN0_THRESHOLD = 20_000

_active = 0  # runs in this process inside `tuned_gc` now
_saved: tuple[int, ...] = ()  # the thresholds from before the first of them
_was_frozen = False  # objects were frozen before (by the application): leave them so


@contextlib.contextmanager
def tuned_gc(gen0_threshold: int = GEN0_THRESHOLD) -> Iterator[None]:
    """Freeze the current heap and collect the youngest generation less often, inside the block.

    Re-entrant: with nested or concurrent runs in one process the first one to start tunes, and
    the last one to end restores the settings from before.

    Args:
        gen0_threshold: Allocations between young collections (Python's default is 700).
    """
    global _active, _saved, _was_frozen
    if not _active:
        _saved, _was_frozen = gc.get_threshold(), gc.get_freeze_count() > 0
        gc.freeze()
        if _saved[0]:  # 0 means the collector is off; leave it so
            gc.set_threshold(max(gen0_threshold, _saved[0]), *_saved[1:])
    _active += 1
    try:
        yield
    finally:
        _active -= 1
        if not _active:
            gc.set_threshold(*_saved)
            if not _was_frozen:  # unfreeze() would release the application's frozen objects too
                gc.unfreeze()
