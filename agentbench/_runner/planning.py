"""What a run executes, decided without holding the run in memory.

A task's samples are read twice or more (`Task.samples()` must give the same samples each
time): once by `check_samples`, which validates the selection and counts it, then once per epoch
by `stream_episodes`, which yields the (sample, epoch) pairs still to run. Neither keeps the
samples: memory stays flat whether a run has ten episodes or a million.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from itertools import islice

from agentbench.errors import ConfigError, DataError
from agentbench.types import Sample

#: Given one epoch and a chunk of sample ids, the ids among them already done.
DoneLookup = Callable[[int, list[str]], set[str]]
#: Samples whose done-ness is looked up at once.
_CHUNK = 512


def split_ids(sample_ids: Iterable[str]) -> list[str]:
    """`("a,b", "c")` -> `["a", "b", "c"]`: repeated and comma-separated `--sample-id`s."""
    return [p.strip() for item in sample_ids for p in item.split(",") if p.strip()]


@dataclass(frozen=True)
class Selection:
    """Which samples a run takes, and what checking them found.

    Attributes:
        patterns: The `--sample-id` globs (empty: every sample).
        limit: At most this many selected samples (None: no limit).
        count: How many samples the selection holds.
        first: The first selected sample (the sandbox check looks at it), None when empty.
    """

    patterns: tuple[str, ...]
    limit: int | None
    count: int
    first: Sample | None

    def takes(self, sample: Sample) -> bool:
        """Whether `sample` matches the patterns (the limit is applied by `iter_selected`)."""
        return not self.patterns or any(fnmatchcase(sample.id, p) for p in self.patterns)


def check_samples(
    samples: Iterable[Sample], *, sample_ids: list[str] | None = None, limit: int | None = None
) -> Selection:
    """Read the samples once: unique ids, every `--sample-id` pattern matches, the count.

    Keeps one machine word per sample (a hash of its id), never the samples.

    Raises:
        DataError: two samples share an id.
        ConfigError: an id or pattern matches no sample (close matches are named).
    """
    patterns = tuple(split_ids(sample_ids or []))
    hits = dict.fromkeys(patterns, 0)
    hashes: set[int] = set()
    clashes: set[int] = set()
    total = count = 0
    first: Sample | None = None
    for sample in samples:
        total += 1
        key = hash(sample.id)
        if key in hashes:
            clashes.add(key)
        hashes.add(key)
        matched = [p for p in patterns if fnmatchcase(sample.id, p)]
        for pattern in matched:
            hits[pattern] += 1
        if (matched or not patterns) and (limit is None or count < limit):
            count += 1
            first = first or sample
    if clashes:
        _raise_on_duplicates(samples, clashes)
    missing = [p for p, n in hits.items() if n == 0]
    if missing:
        _raise_unmatched(missing[0], samples, total)
    return Selection(patterns=patterns, limit=limit, count=count, first=first)


def _raise_on_duplicates(samples: Iterable[Sample], clashes: set[int]) -> None:
    """Raise for the first id seen twice among those whose hashes clashed (hashes can collide)."""
    seen: set[str] = set()
    for sample in samples:
        if hash(sample.id) in clashes:
            if sample.id in seen:
                raise DataError(
                    f"two samples share the id {sample.id!r}", "give every sample a unique id"
                )
            seen.add(sample.id)


def _raise_unmatched(pattern: str, samples: Iterable[Sample], total: int) -> None:
    ids = sorted(s.id for s in samples)  # an error path: holding the ids is fine here
    close = difflib.get_close_matches(pattern, ids, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ConfigError(
        f"no sample matches --sample-id {pattern!r}{hint}",
        f"use ids of this task ({total} samples, e.g. {', '.join(ids[:3])})",
    )


def iter_selected(samples: Iterable[Sample], selection: Selection) -> Iterator[Sample]:
    """The samples `selection` takes, in order, one at a time."""
    chosen = (s for s in samples if selection.takes(s))
    return islice(chosen, selection.limit) if selection.limit is not None else chosen


def select_samples(
    samples: Iterable[Sample], *, sample_ids: list[str] | None = None, limit: int | None = None
) -> list[Sample]:
    """The samples of a run as a list (for small runs and `debug`): checked as `check_samples`
    does, then those matching `sample_ids` (globs, comma lists), then `limit`."""
    samples = list(samples)
    selection = check_samples(samples, sample_ids=sample_ids, limit=limit)
    return list(iter_selected(samples, selection))


def stream_episodes(
    read_samples: Callable[[], Iterable[Sample]],
    selection: Selection,
    epochs: int,
    done: DoneLookup | None = None,
) -> Iterator[tuple[Sample, int]]:
    """(sample, epoch) pairs still to run, epoch by epoch, skipping those `done` names.

    `read_samples` is called once per epoch; `done` is asked a chunk of ids at a time.
    """
    for epoch in range(epochs):
        selected = iter_selected(read_samples(), selection)
        while chunk := list(islice(selected, _CHUNK)):
            finished = done(epoch, [s.id for s in chunk]) if done is not None else set()
            yield from ((s, epoch) for s in chunk if s.id not in finished)


def plan_episodes(
    samples: list[Sample], epochs: int, done: set[tuple[str, int]] | None = None
) -> list[tuple[Sample, int]]:
    """(sample, epoch) pairs still to run as a list, skipping `done` (sample id, epoch) keys:
    `stream_episodes` over samples already in memory."""
    finished = done or set()

    def done_among(epoch: int, ids: list[str]) -> set[str]:
        return {i for i in ids if (i, epoch) in finished}

    selection = Selection(patterns=(), limit=None, count=len(samples), first=None)
    return list(stream_episodes(lambda: samples, selection, epochs, done_among))
