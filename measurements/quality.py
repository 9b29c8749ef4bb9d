"""Quality flags as bits on a reading. Pure functions on plain numbers — no ORM.

A flag never changes the raw value; it only marks the reading so rollups, charts and
scores can leave it out (rollup mean/min/max use unflagged readings only).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

OUT_OF_RANGE = 1 << 0  # outside the quantity's plausible range
STUCK = 1 << 1  # the same value N times in a row
SPIKE = 1 << 2  # a jump beyond the quantity's threshold versus the previous reading
FUTURE = 1 << 3  # time slightly ahead of arrival (clock skew, within the accepted tolerance)

FLAG_NAMES = {OUT_OF_RANGE: "out_of_range", STUCK: "stuck", SPIKE: "spike", FUTURE: "future"}
STUCK_RUN = 10


def flag_names(flags: int) -> list[str]:
    """The names of the bits set in `flags`.

    >>> flag_names(OUT_OF_RANGE | SPIKE)
    ['out_of_range', 'spike']
    """
    return [name for bit, name in FLAG_NAMES.items() if flags & bit]


def flag_range(value: float, *, low: float, high: float) -> int:
    """OUT_OF_RANGE when value is outside [low, high]."""
    return 0 if low <= value <= high else OUT_OF_RANGE


def flag_future(time: datetime, *, received_at: datetime) -> int:
    """FUTURE when the reading claims a time after it arrived (a device clock running ahead)."""
    return FUTURE if time > received_at else 0


def row_flags(
    value: float, time: datetime, *, low: float, high: float, received_at: datetime
) -> int:
    """The flags that one reading earns on its own, at ingestion."""
    return flag_range(value, low=low, high=high) | flag_future(time, received_at=received_at)


def flags_spike(values: Sequence[float], *, delta: float | None) -> list[int]:
    """SPIKE for each value that differs from the one before by more than `delta`.

    >>> flags_spike([10, 11, 60, 12], delta=30)
    [0, 0, 4, 4]
    """
    if delta is None:
        return [0] * len(values)
    return [
        SPIKE if i > 0 and abs(values[i] - values[i - 1]) > delta else 0 for i in range(len(values))
    ]


def flags_stuck(values: Sequence[float], *, run: int = STUCK_RUN) -> list[int]:
    """STUCK for every value in a run of at least `run` identical consecutive values.

    >>> flags_stuck([1, 2, 2, 2, 3], run=3)
    [0, 2, 2, 2, 0]
    """
    flags = [0] * len(values)
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            if i - start >= run:
                flags[start:i] = [STUCK] * (i - start)
            start = i
    return flags


FUTURE_TOLERANCE = timedelta(minutes=5)
