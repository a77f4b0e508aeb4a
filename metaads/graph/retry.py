"""Exponential backoff with full jitter, for transient Graph failures only."""

from __future__ import annotations

import dataclasses
import random


@dataclasses.dataclass(frozen=True)
class Backoff:
    """Attempt ``n`` (0-based) sleeps a uniform random time in ``[0, min(cap, base * 2**n)]``.

    Full jitter spreads the retries of many workers hitting the same outage instead of having
    them return in lock-step.

    :param base: the ceiling of the first delay, in seconds.
    :param cap: the largest ceiling, in seconds.
    :param rng: the random source (inject a seeded or fixed one in tests).
    """

    base: float = 0.5
    cap: float = 30.0
    rng: random.Random = dataclasses.field(default_factory=random.Random, repr=False, compare=False)

    def ceiling(self, attempt: int) -> float:
        """The largest delay attempt ``attempt`` may sleep."""
        return float(min(self.cap, self.base * 2**attempt))

    def delay(self, attempt: int) -> float:
        """A jittered delay for attempt ``attempt``."""
        return self.rng.uniform(0.0, self.ceiling(attempt))
