"""Quality flags as bits on a reading. Pure functions on plain numbers — no ORM.

A flag never changes the raw value; it only marks the reading so rollups, charts and
scores can leave it out (rollup mean/min/max use unflagged readings only).

Two kinds of flag:

- set once at ingestion, from the reading alone: OUT_OF_RANGE, FUTURE;
- set by the processing job (`measurements.processing`) from the reading's neighbours,
  and recomputed whenever its hour is reprocessed: SPIKE, STUCK, HUMID;
- set by a person: INVALID (a coordinator's manual invalidation, with who/when/why kept
  in `measurements.models.Invalidation`); never cleared by the job.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

OUT_OF_RANGE = 1 << 0  # outside the quantity's plausible range
STUCK = 1 << 1  # the same value N times in a row
SPIKE = 1 << 2  # a jump beyond the quantity's threshold versus the previous reading
FUTURE = 1 << 3  # time slightly ahead of arrival (clock skew, within the accepted tolerance)
HUMID = 1 << 4  # particulate matter measured at relative humidity above HUMID_LIMIT
INVALID = 1 << 5  # invalidated by a coordinator

FLAG_NAMES = {
    OUT_OF_RANGE: "out_of_range",
    STUCK: "stuck",
    SPIKE: "spike",
    FUTURE: "future",
    HUMID: "humid",
    INVALID: "invalid",
}
# The bits the processing job owns: recomputed from the neighbours on every run.
COMPUTED = SPIKE | STUCK | HUMID

STUCK_RUN = 10
"""A value repeated this many times in a row is "stuck". Ten identical readings is ten
minutes for a sensor sending every minute, or ten hours for an hourly station: real air
never holds a value to the last decimal that long, a frozen sensor or firmware does.
Quantities that are legitimately constant for long (rainfall 0, counts 0) are exempt,
see STUCK_EXEMPT."""

STUCK_EXEMPT = frozenset(
    {"rainfall", "traffic_car", "traffic_bike", "traffic_pedestrian", "soil_moisture"}
)

SPIKE_THRESHOLDS: dict[str, float] = {
    # Largest believable change between two consecutive readings of one sensor, in the
    # canonical unit. Chosen from what a sensor can do between two readings a minute to an
    # hour apart: PM2.5 from a passing diesel or a barbecue can rise by tens of µg/m³ but a
    # jump of 150 is an optical counter glitch; temperature does not move 10 °C between
    # readings outdoors. Quantities missing here (rainfall, counts, noise peaks) are
    # naturally jumpy and are not spike-checked.
    "pm1": 150,
    "pm25": 150,
    "pm10": 250,
    "no2": 150,
    "o3": 150,
    "noise_laeq": 40,
    "temperature": 10,
    "humidity": 40,
    "pressure": 10,
    "water_temperature": 5,
}

PARTICULATE = frozenset({"pm1", "pm25", "pm10"})
HUMID_LIMIT = 85.0
"""Low-cost optical particle counters (SDS011, PMS5003) count swollen water droplets as
particles when relative humidity is above about 85 %, so PM readings then overstate."""


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

    Formula: value i is a spike when |v[i] − v[i−1]| > delta. Taken literally, the reading
    after a one-off spike (jumping back) is flagged too: with only the previous value to
    go on, a jump down is as suspect as a jump up, and one good hour lost is cheaper than
    a glitch in a mean.

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


def flag_humid(code: str, humidity: float | None) -> int:
    """HUMID for a particulate reading when the same sensor measured relative humidity
    above HUMID_LIMIT (85 %) in the same hour; `humidity` is that hour's highest reading.

    >>> flag_humid("pm25", 91.0), flag_humid("pm25", 85.0), flag_humid("temperature", 99.0)
    (16, 0, 0)
    """
    if code in PARTICULATE and humidity is not None and humidity > HUMID_LIMIT:
        return HUMID
    return 0


def flags_series(
    code: str,
    values: Sequence[float],
    *,
    humidity: Sequence[float | None] | None = None,
) -> list[int]:
    """The computed flags (SPIKE | STUCK | HUMID) of one sensor's consecutive readings of
    one quantity, oldest first; `humidity[i]` is the highest relative humidity of that
    sensor in the hour of reading i (None if it measured none).

    >>> flags_series("pm25", [8, 9, 400, 9, 9], humidity=[50, 50, 50, 50, 90])
    [0, 0, 4, 4, 16]
    """
    spikes = flags_spike(values, delta=SPIKE_THRESHOLDS.get(code))
    stuck = [0] * len(values) if code in STUCK_EXEMPT else flags_stuck(values)
    humid = [flag_humid(code, h) for h in (humidity or [None] * len(values))]
    return [a | b | c for a, b, c in zip(spikes, stuck, humid, strict=True)]


FUTURE_TOLERANCE = timedelta(minutes=5)
