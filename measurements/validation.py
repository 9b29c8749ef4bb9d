"""Checking submitted rows, one plain function per concern (no DRF serializer per row: at
10,000 rows a request that would cost more than the insert).

Every rejection has a machine-readable code and a message that names the row, so a
resident can fix their file or script.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from measurements import quality
from measurements.units import UnknownUnit, unit_convert

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class QuantityInfo:
    """What validation needs of a Quantity, as plain data."""

    id: int
    code: str
    unit: str
    hard_min: float
    hard_max: float
    plausible_min: float
    plausible_max: float


@dataclass(frozen=True)
class ValidRow:
    index: int
    sensor_id: int
    quantity_id: int
    time: datetime
    value: float
    flags: int

    @property
    def key(self) -> tuple[int, int, datetime]:
        return self.sensor_id, self.quantity_id, self.time


@dataclass(frozen=True)
class Rejection(Exception):  # noqa: N818 - raised and reported, it is a result, not an error
    index: int
    code: str
    message: str


@dataclass(frozen=True)
class Context:
    """Everything a row is checked against, loaded once per batch."""

    quantities: Mapping[str, QuantityInfo]
    writable_sensor_ids: frozenset[int]
    now: datetime
    sensor_quantities: Mapping[int, frozenset[int]] = field(default_factory=dict)


def parse_time(raw: Any, *, index: int) -> datetime:
    """An ISO 8601 time with an explicit offset, as UTC.

    A time without an offset is ambiguous (whose local time? which side of a DST change?),
    so it is rejected rather than guessed.
    """
    if not isinstance(raw, str) or not raw.strip():
        raise Rejection(
            index, "time_missing", f"Row {index}: give a time in ISO 8601 with an offset."
        )
    text = raw.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Rejection(
            index,
            "time_invalid",
            f"Row {index}: {raw!r} is not an ISO 8601 time (e.g. 2024-05-01T13:00:00+02:00).",
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise Rejection(
            index,
            "time_without_offset",
            f"Row {index}: the time {raw!r} has no UTC offset; "
            f"add one, e.g. {raw}Z or {raw}+02:00.",
        )
    return parsed.astimezone(UTC)


def check_time(time: datetime, *, now: datetime, index: int) -> None:
    """Reject times before 2000 or more than the tolerance ahead of arrival."""
    if time < EARLIEST:
        raise Rejection(
            index, "time_too_early", f"Row {index}: times before 2000-01-01 are not accepted."
        )
    if time > now + quality.FUTURE_TOLERANCE:
        raise Rejection(
            index, "time_in_future", f"Row {index}: the time is more than 5 minutes in the future."
        )


def parse_value(raw: Any, *, index: int) -> float:
    """A finite number; numeric strings are accepted (firmware sends them), booleans are not."""
    if isinstance(raw, bool) or raw is None:
        raise Rejection(index, "value_not_numeric", f"Row {index}: the value must be a number.")
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise Rejection(
            index, "value_not_numeric", f"Row {index}: the value {raw!r} is not a number."
        ) from None
    if not math.isfinite(value):
        raise Rejection(
            index, "value_not_finite", f"Row {index}: NaN and Infinity are not accepted."
        )
    return value


def resolve_quantity(raw: Any, *, context: Context, index: int) -> QuantityInfo:
    info = context.quantities.get(raw) if isinstance(raw, str) else None
    if info is None:
        raise Rejection(index, "unknown_quantity", f"Row {index}: unknown quantity {raw!r}.")
    return info


def resolve_sensor(raw: Any, *, context: Context, index: int) -> int:
    """The sensor id if the actor may write to it. Unknown and forbidden look the same, so
    outsiders cannot probe which sensors exist."""
    try:
        sensor_id = int(raw)
    except (TypeError, ValueError):
        sensor_id = None
    if sensor_id is None or isinstance(raw, bool) or sensor_id not in context.writable_sensor_ids:
        raise Rejection(
            index,
            "unknown_sensor",
            f"Row {index}: unknown sensor {raw!r}, or you may not write to it.",
        )
    return sensor_id


def convert_value(value: float, *, unit: Any, quantity: QuantityInfo, index: int) -> float:
    try:
        return unit_convert(value, unit=unit if unit else None, canonical=quantity.unit)
    except (UnknownUnit, AttributeError):
        raise Rejection(
            index,
            "unknown_unit",
            f"Row {index}: unit {unit!r} cannot be converted to {quantity.unit} "
            f"for {quantity.code}.",
        ) from None


def check_hard_limits(value: float, *, quantity: QuantityInfo, index: int) -> None:
    if not quantity.hard_min <= value <= quantity.hard_max:
        raise Rejection(
            index,
            "value_impossible",
            f"Row {index}: {value} {quantity.unit} is impossible for {quantity.code} "
            f"(allowed {quantity.hard_min}–{quantity.hard_max}).",
        )


def validate_row(row: Any, *, index: int, context: Context) -> ValidRow:
    """Check one submitted row; return it in canonical form or raise Rejection."""
    if not isinstance(row, Mapping):
        raise Rejection(
            index, "row_not_object", f"Row {index}: each reading must be a JSON object."
        )
    sensor_id = resolve_sensor(row.get("sensor"), context=context, index=index)
    quantity = resolve_quantity(row.get("quantity"), context=context, index=index)
    allowed = context.sensor_quantities.get(sensor_id)
    if allowed and quantity.id not in allowed:
        raise Rejection(
            index,
            "quantity_not_measured",
            f"Row {index}: sensor {sensor_id} does not measure {quantity.code}.",
        )
    time = parse_time(row.get("time"), index=index)
    check_time(time, now=context.now, index=index)
    value = convert_value(
        parse_value(row.get("value"), index=index),
        unit=row.get("unit"),
        quantity=quantity,
        index=index,
    )
    check_hard_limits(value, quantity=quantity, index=index)
    flags = quality.row_flags(
        value,
        time,
        low=quantity.plausible_min,
        high=quantity.plausible_max,
        received_at=context.now,
    )
    return ValidRow(index, sensor_id, quantity.id, time, value, flags)
