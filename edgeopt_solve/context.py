"""What a method receives besides the instance: time budget, seed and a stop request.

A :class:`SolveContext` is created by ``solve`` for each call; it is never shared between
calls, so solving from several threads is safe. ``request_stop`` (Ctrl-C in the CLI)
runs the callbacks that backends registered, e.g. ``Highs.cancelSolve`` or CP-SAT's
``StopSearch``, so exact solvers return their incumbent with ``Limit.INTERRUPTED``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from edgeopt_solve.status import Limit


@dataclass
class StopToken:
    """A thread-safe stop request with callbacks to cancel running backends."""

    _event: threading.Event = field(default_factory=threading.Event)
    _callbacks: list[Callable[[], None]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requested(self) -> bool:
        """Whether a stop has been requested."""
        return self._event.is_set()

    def request_stop(self) -> None:
        """Ask every running backend to stop and return its incumbent."""
        self._event.set()
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()

    def on_stop(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Register ``callback``; returns a function that unregisters it."""
        with self._lock:
            self._callbacks.append(callback)
        if self.requested:
            callback()

        def remove() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return remove


@dataclass
class SolveContext:
    """Budget and controls of one method call.

    Attributes
    ----------
    time_limit
        Seconds allowed, or ``None`` for no limit.
    seed
        Seed for every random choice the method makes (same seed, same answer).
    stop
        Stop request (Ctrl-C).
    started
        ``time.perf_counter()`` when the call began.
    """

    time_limit: float | None = None
    seed: int = 0
    stop: StopToken = field(default_factory=StopToken)
    started: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        """Seconds since the call began."""
        return time.perf_counter() - self.started

    def remaining(self) -> float | None:
        """Seconds left, never negative, or ``None`` without a limit."""
        if self.time_limit is None:
            return None
        return max(0.0, self.time_limit - self.elapsed())

    def out_of_time(self) -> bool:
        """Whether the time limit has passed or a stop was requested."""
        if self.stop.requested:
            return True
        remaining = self.remaining()
        return remaining is not None and remaining <= 0.0

    def limit_hit(self) -> Limit | None:
        """The limit that applies now: INTERRUPTED, TIME, or ``None``."""
        if self.stop.requested:
            return Limit.INTERRUPTED
        remaining = self.remaining()
        if remaining is not None and remaining <= 0.0:
            return Limit.TIME
        return None
