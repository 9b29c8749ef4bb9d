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
from functools import cached_property
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


class ValidRow(NamedTuple):
    """A checked row in canonical form (a tuple: built once per row, 10,000 per request)."""

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

    @cached_property
    def latest(self) -> datetime:
        """The latest time accepted: `now` plus the clock-skew tolerance."""
        return self.now + quality.FUTURE_TOLERANCE


def format_time(moment: datetime) -> str:
    """A time as the API writes it: ISO 8601 in UTC with a Z.

    >>> from datetime import timedelta, timezone
    >>> format_time(datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))))
    '2024-05-01T10:30:00Z'
    """
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


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


def timezone_resolve(name: str) -> ZoneInfo:
    """The IANA time zone called `name` (e.g. "Europe/Amsterdam"); ValueError if unknown."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"Unknown time zone {name!r}; use an IANA name such as Europe/Amsterdam."
        ) from None


def localize(naive: datetime, tz: ZoneInfo, *, raw: str, index: int) -> datetime:
    """Attach `tz` to a wall-clock time, refusing the two cases where that is a guess.

    When clocks go back (Europe/Amsterdam, 2024-10-27) the hour 02:00–02:59 happens twice:
    02:30 is 00:30Z (fold=0, CEST) *or* 01:30Z (fold=1, CET) — ambiguous, rejected.
    When clocks go forward (2024-03-31) 02:00–02:59 never happens: 02:30 is non-existent,
    rejected. Detection: the two folds give different offsets (ambiguous), or the time does
    not survive a round trip through UTC (non-existent).
    """
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if round_trip != naive:
        raise Rejection(
            index,
            "time_nonexistent",
            f"Row {index}: {raw!r} does not exist in {tz.key} (the clocks were put forward); "
            "write the time with its UTC offset.",
        )
    if first.utcoffset() != second.utcoffset():
        raise Rejection(
            index,
            "time_ambiguous",
            f"Row {index}: {raw!r} happened twice in {tz.key} (the clocks were put back); "
            "write the time with its UTC offset, e.g. +02:00 or +01:00.",
        )
    return first.astimezone(UTC)


def parse_local_time(raw: Any, *, tz: ZoneInfo | None, index: int) -> datetime:
    """Like `parse_time`, but a time without an offset is read in the declared zone `tz`.

    Only CSV uploads declare a zone (spreadsheets rarely write offsets); without one, a time
    without an offset is rejected exactly as by the API.
    """
    if tz is None or not isinstance(raw, str) or not raw.strip():
        return parse_time(raw, index=index)
    text = raw.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        return parse_time(raw, index=index)  # raises the usual time_invalid
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return localize(parsed, tz, raw=raw, index=index)


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
    """Check one submitted row; return it in canonical form or raise Rejection.

    Most rows are ordinary (an int sensor the writer may use, a known quantity, an ISO time
    with offset, a JSON number), so they are checked inline in one pass: at 10,000 rows a
    request, a dozen function calls per row cost more than the insert. Anything unusual
    goes through `validate_row_checked`, the check-by-check path that finds the first
    problem and names it, so both paths accept and reject exactly the same rows.
    """
    if type(row) is not dict:
        return validate_row_checked(row, index=index, context=context)
    sensor_id, code = row.get("sensor"), row.get("quantity")
    raw_time, raw_value = row.get("time"), row.get("value")
    if (
        type(sensor_id) is not int
        or sensor_id not in context.writable_sensor_ids
        or type(code) is not str
        or type(raw_time) is not str
        or type(raw_value) not in (float, int)
    ):
        return validate_row_checked(row, index=index, context=context)
    quantity = context.quantities.get(code)
    allowed = context.sensor_quantities.get(sensor_id)
    text = raw_time.strip()
    if quantity is None or (allowed and quantity.id not in allowed) or not text:
        return validate_row_checked(row, index=index, context=context)
    try:
        time = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1] in "Zz" else text)
    except ValueError:
        return validate_row_checked(row, index=index, context=context)
    if time.tzinfo is None or not EARLIEST <= time <= context.latest:
        return validate_row_checked(row, index=index, context=context)
    time = time.astimezone(UTC)
    value = float(raw_value)
    if not math.isfinite(value):
        return validate_row_checked(row, index=index, context=context)
    # Every check before the unit passed, so its rejection (if any) is the row's first.
    unit = row.get("unit")
    if unit:
        value = convert_value(value, unit=unit, quantity=quantity, index=index)
    if not quantity.hard_min <= value <= quantity.hard_max:
        check_hard_limits(value, quantity=quantity, index=index)
    if quantity.plausible_min <= value <= quantity.plausible_max and time <= context.now:
        flags = 0
    else:
        flags = quality.row_flags(
            value,
            time,
            low=quantity.plausible_min,
            high=quantity.plausible_max,
            received_at=context.now,
        )
    return ValidRow(index, sensor_id, quantity.id, time, value, flags)


def validate_row_checked(row: Any, *, index: int, context: Context) -> ValidRow:
    """`validate_row` check by check, in the order the rejections are reported."""
    if not isinstance(row, Mapping):
        raise Rejection(
            index, "row_not_object", f"Row {index}: each reading must be a JSON object."
        )
    sensor_id = resolve_sensor(row.get("sensor"), context=context, index=index)
    quantity = resolve_quantity(row.get("quantity"), context=context, index=index)
    # A sensor with no quantities configured accepts any known quantity: most residents
    # register a sensor before (or without) listing what it measures, and rejecting
    # everything then would silently lose their first readings.
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
