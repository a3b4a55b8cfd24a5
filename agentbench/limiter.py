"""The per-model admission of calls: a connection limit that halves while the provider
rate-limits and grows back as calls succeed (`CallLimiter`, used by `agentbench.model.Model`)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque


class CallLimiter:
    """Admits a model's calls: at most `limit` in flight, a limit that adapts to rate limits.

    Additive increase, multiplicative decrease: a rate-limit error halves the limit, once per
    round (errors of calls admitted before the last cut do not cut it again); each success grows
    it by 1/limit, about one per round of successes; it stays between 1 and `max_limit`. A
    Retry-After pauses every call of the model until it has passed, so that they back off as one
    and then go out `limit` at a time, in the order they came. Shared by all calls of one `Model`.

    Args:
        max_limit: The most calls in flight at once (the model's `max_connections`).
    """

    def __init__(self, max_limit: int) -> None:
        self.max_limit = max_limit
        self.limit = float(max_limit)
        self.in_flight = 0
        #: Bumped by every cut; a call's ticket is the round it was admitted in.
        self.round = 0
        #: Admission is paused until this `time.monotonic()` (0: not paused).
        self.resume_at = 0.0
        #: The last rate-limit error seen (named when a pause outlasts a call's budget).
        self.last_rate_limit: BaseException | None = None
        self._cap = max_limit
        self._waiters: deque[asyncio.Future[int]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def try_acquire(self) -> int | None:
        """Take a slot if one is free, nobody waits and no pause holds: the ticket; else None."""
        if self.in_flight < self._cap and not self._waiters and not self._paused():
            self.in_flight += 1
            return self.round
        return None

    async def acquire(self) -> int:
        """Wait in line for a slot; the ticket."""
        ticket = self.try_acquire()
        if ticket is not None:
            return ticket
        waiter: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        self._wake()
        try:
            return await waiter  # the round it was let in
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # a slot was handed over just as the call was cancelled
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back."""
        self.in_flight -= 1
        if self._waiters:
            self._wake()

    def succeeded(self) -> None:
        """Give a slot back after a success: the limit grows by 1/limit."""
        if self.limit < self.max_limit:
            self.limit = min(float(self.max_limit), self.limit + 1 / self.limit)
            self._cap = int(self.limit)
        self.release()

    def rate_limited(self, ticket: int, error: BaseException, retry_after: float | None) -> None:
        """Note a rate-limit error of a call admitted with `ticket` (its slot is still held)."""
        self.last_rate_limit = error
        if ticket == self.round:
            self.round += 1
            self.limit = max(1.0, self.limit / 2)
            self._cap = int(self.limit)
        if retry_after:
            self.resume_at = max(self.resume_at, time.monotonic() + retry_after)

    def paused_for(self) -> float:
        """Seconds until admission resumes (0 when it is not paused)."""
        return max(0.0, self.resume_at - time.monotonic()) if self.resume_at else 0.0

    def _paused(self) -> bool:
        if not self.resume_at:
            return False
        if time.monotonic() < self.resume_at:
            return True
        self.resume_at = 0.0
        return False

    def _wake(self) -> None:
        """Hand free slots to the calls waiting longest (or wake up again when a pause ends)."""
        if self._paused():
            if self._timer is None:
                loop = asyncio.get_running_loop()
                self._timer = loop.call_later(self.paused_for(), self._pause_over)
            return
        while self._waiters and self.in_flight < self._cap:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self.in_flight += 1
                waiter.set_result(self.round)

    def _pause_over(self) -> None:
        self._timer = None
        self._wake()
