"""Daily rollups follow the hourly ones for exactly the days touched, also after late data,
and equal a direct aggregation of the day's unflagged raw readings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from measurements import processing
from measurements.models import DailyRollup, HourlyRollup, Reading
from measurements.services import readings_ingest
from tests.measurements.factories import SensorFactory

T0 = datetime(2024, 5, 1, 22, tzinfo=UTC)


@pytest.fixture
def sensor(published, bob):
    return SensorFactory(project=published, owner=bob)


def ingest(sensor, user, moments_values, capture, code="temperature"):
    rows = [
        {"sensor": sensor.pk, "quantity": code, "time": m.isoformat(), "value": v}
        for m, v in moments_values
    ]
    with capture(execute=True):
        readings_ingest(rows=rows, source="api", actor=user)


def direct_daily(day: date) -> tuple:
    values = [
        r.value for r in Reading.objects.filter(flags=0) if r.time.astimezone(UTC).date() == day
    ]
    count = sum(1 for r in Reading.objects.all() if r.time.astimezone(UTC).date() == day)
    return count, sum(values) / len(values), min(values), max(values)


def test_it_combines_hours_weighted_by_their_clean_readings():
    day = processing.daily_rollup_from_hours([(4, 1, 10.0, 8.0, 12.0), (1, 0, 30.0, 30.0, 30.0)])
    assert day == {"count": 5, "flagged": 1, "mean": 15.0, "min": 8.0, "max": 30.0}
    assert processing.daily_rollup_from_hours([(2, 2, None, None, None)])["mean"] is None


@pytest.mark.django_db
def test_it_keeps_daily_rollups_equal_to_the_raw_days_after_late_data(
    sensor, bob, django_capture_on_commit_callbacks
):
    # 22:00..01:30 UTC spans two days.
    ingest(
        sensor,
        bob,
        [(T0 + timedelta(minutes=30 * i), 10.0 + i) for i in range(8)],
        django_capture_on_commit_callbacks,
    )
    first, second = date(2024, 5, 1), date(2024, 5, 2)
    assert DailyRollup.objects.count() == 2
    # A late reading for the first day, out of order.
    ingest(sensor, bob, [(T0 - timedelta(hours=5), 2.0)], django_capture_on_commit_callbacks)

    for day in (first, second):
        rollup = DailyRollup.objects.get(day=day)
        count, mean, low, high = direct_daily(day)
        assert rollup.count == count
        assert rollup.mean == pytest.approx(mean)
        assert (rollup.min, rollup.max) == (low, high)
    assert DailyRollup.objects.get(day=first).min == 2.0
    assert sum(HourlyRollup.objects.values_list("count", flat=True)) == Reading.objects.count()


@pytest.mark.django_db
def test_it_processes_a_large_batch_of_dirty_hours_in_one_pass(
    sensor, bob, django_capture_on_commit_callbacks
):
    ingest(
        sensor,
        bob,
        [(T0 + timedelta(hours=i), float(i % 7)) for i in range(0, 24 * 30)],
        django_capture_on_commit_callbacks,
    )

    assert HourlyRollup.objects.count() == 24 * 30
    assert DailyRollup.objects.count() == 31  # starts at 22:00, so 31 UTC days
    assert sum(DailyRollup.objects.values_list("count", flat=True)) == 24 * 30
