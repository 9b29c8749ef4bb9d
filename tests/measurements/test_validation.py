from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from measurements import quality
from measurements.units import UnknownUnit, unit_convert
from measurements.validation import Context, QuantityInfo, Rejection, validate_row

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
TEMPERATURE = QuantityInfo(1, "temperature", "°C", -100, 100, -40, 50)
PRESSURE = QuantityInfo(2, "pressure", "hPa", 300, 1200, 870, 1085)
CONTEXT = Context(
    quantities={"temperature": TEMPERATURE, "pressure": PRESSURE},
    writable_sensor_ids=frozenset({10}),
    now=NOW,
)


def row(**kwargs):
    return {
        "sensor": 10,
        "quantity": "temperature",
        "time": "2024-05-01T13:00:00+02:00",
        "value": 20.5,
    } | kwargs


def rejection(data, index=3) -> Rejection:
    with pytest.raises(Rejection) as caught:
        validate_row(data, index=index, context=CONTEXT)
    return caught.value


def test_it_accepts_a_good_row_and_stores_its_time_in_utc():
    valid = validate_row(row(), index=0, context=CONTEXT)
    assert valid.time == datetime(2024, 5, 1, 11, 0, tzinfo=UTC)
    assert (valid.sensor_id, valid.quantity_id, valid.value, valid.flags) == (10, 1, 20.5, 0)


def test_it_rejects_a_time_without_offset_with_a_message_naming_the_row():
    caught = rejection(row(time="2024-05-01T13:00:00"), index=7)
    assert caught.code == "time_without_offset"
    assert "Row 7" in caught.message and "offset" in caught.message


def test_it_handles_a_daylight_saving_transition_by_the_offset():
    # 02:30 local happened twice on 2023-10-29 in Amsterdam; the offset says which.
    first = validate_row(row(time="2023-10-29T02:30:00+02:00"), index=0, context=CONTEXT)
    second = validate_row(row(time="2023-10-29T02:30:00+01:00"), index=1, context=CONTEXT)
    assert second.time - first.time == timedelta(hours=1)


@pytest.mark.parametrize(
    "data, code",
    [
        (row(time="yesterday"), "time_invalid"),
        (row(time=None), "time_missing"),
        (row(time="1999-12-31T23:00:00Z"), "time_too_early"),
        (row(time="2024-05-01T12:10:00Z"), "time_in_future"),
        (row(value="abc"), "value_not_numeric"),
        (row(value=True), "value_not_numeric"),
        (row(value="NaN"), "value_not_finite"),
        (row(value=float("inf")), "value_not_finite"),
        (row(value=150), "value_impossible"),
        (row(quantity="pm3"), "unknown_quantity"),
        (row(sensor=11), "unknown_sensor"),
        (row(sensor="x"), "unknown_sensor"),
        (row(unit="furlongs"), "unknown_unit"),
        ([1, 2], "row_not_object"),
    ],
)
def test_it_rejects_bad_rows_with_a_code(data, code):
    assert rejection(data).code == code


def test_it_converts_units_to_the_canonical_one():
    assert validate_row(row(value=68, unit="°F"), index=0, context=CONTEXT).value == pytest.approx(
        20
    )
    pressure = validate_row(
        row(quantity="pressure", value=101325, unit="Pa"), index=0, context=CONTEXT
    )
    assert pressure.value == pytest.approx(1013.25)
    with pytest.raises(UnknownUnit):
        unit_convert(1, unit="Pa", canonical="°C")


def test_it_flags_implausible_and_slightly_future_values_but_keeps_them():
    assert validate_row(row(value=55), index=0, context=CONTEXT).flags == quality.OUT_OF_RANGE
    ahead = validate_row(row(time="2024-05-01T12:03:00Z"), index=0, context=CONTEXT)
    assert ahead.flags == quality.FUTURE


def test_it_flags_spikes_and_stuck_values():
    assert quality.flags_spike([10, 11, 60, 12], delta=30) == [0, 0, quality.SPIKE, quality.SPIKE]
    assert quality.flags_spike([10, 90], delta=None) == [0, 0]
    assert quality.flags_stuck([1, 2, 2, 2, 3], run=3) == [0, 2, 2, 2, 0]
    assert quality.flags_stuck([5] * 4, run=3) == [quality.STUCK] * 4
    assert quality.flag_names(quality.OUT_OF_RANGE | quality.STUCK) == ["out_of_range", "stuck"]
