"""Exponential backoff with jitter: Graph's transient failures (retried in the client), and the
jobs that try a row again later (an inbox row, an outbound delivery)."""

from __future__ import annotations

import dataclasses
import random


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Attempt ``n`` (0-based) sleeps a uniform random time in ``[floor * c, c]``, where
    ``c = min(cap, base * 2**n)``.

    Jitter spreads the retries of many workers hitting the same outage instead of having them
    return in lock-step. ``floor=0`` is full jitter (the Graph client: a retry may come at once);
    ``floor=0.5`` waits at least half the ceiling (rows tried again by a job: the wait is the
    point, a retry that comes at once only fails again).

    :param base: the ceiling of the first delay, in seconds.
    :param cap: the largest ceiling, in seconds.
    :param floor: the share of the ceiling every delay waits at least (0 to 1).
    :param rng: the random source (inject a seeded or fixed one in tests).
    """

    base: float = 0.5
    cap: float = 30.0
    floor: float = 0.0
    rng: random.Random = dataclasses.field(default_factory=random.Random, repr=False, compare=False)

    def ceiling(self, attempt: int) -> float:
        """The largest delay attempt ``attempt`` may sleep."""
        return float(min(self.cap, self.base * 2**attempt))

    def delay(self, attempt: int) -> float:
        """A jittered delay for attempt ``attempt``."""
        ceiling = self.ceiling(attempt)
        return self.rng.uniform(self.floor * ceiling, ceiling)
