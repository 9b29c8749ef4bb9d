from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Avg, Count, F, Max, Min, Q
from django.db.models.functions import TruncHour

from measurements import processing, quality
from measurements.models import DirtyHour, HourlyRollup, Reading
from measurements.services import readings_ingest
from tests.measurements.factories import SensorFactory, quantity

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def sensor(published, bob):
    return SensorFactory(project=published, owner=bob)


def rows_for(sensor, minutes, *, value=lambda m: 10 + m / 10, code="pm25"):
    return [
        {
            "sensor": sensor.pk,
            "quantity": code,
            "time": (T0 + timedelta(minutes=m)).isoformat(),
            "value": value(m),
        }
        for m in minutes
    ]


def ingest(rows, actor, capture):
    with capture(execute=True):
        return readings_ingest(rows=rows, source="api", actor=actor)


def test_it_reports_accepted_duplicate_and_rejected_per_row(
    sensor, bob, django_capture_on_commit_callbacks
):
    good = rows_for(sensor, [0, 10])
    bad = {"sensor": sensor.pk, "quantity": "pm25", "time": "2024-05-01T10:20:00", "value": 3}
    report = ingest([good[0], bad, good[1], good[0]], bob, django_capture_on_commit_callbacks)
    assert [(r.index, r.status, r.code) for r in report.results] == [
        (0, "accepted", ""),
        (1, "rejected", "time_without_offset"),
        (2, "accepted", ""),
        (3, "duplicate", ""),
    ]
    assert "Row 1" in report.results[1].message
    assert Reading.objects.count() == 2
    assert report.as_dict()["accepted"] == 2 and report.as_dict()["rejected"] == 1


def test_it_stores_nothing_twice_when_a_batch_is_sent_again(
    sensor, bob, django_capture_on_commit_callbacks
):
    batch = rows_for(sensor, range(0, 120, 5))
    first = ingest(batch, bob, django_capture_on_commit_callbacks)
    again = ingest(batch + rows_for(sensor, [200]), bob, django_capture_on_commit_callbacks)
    assert first.accepted == 24 and first.duplicates == 0
    assert again.accepted == 1 and again.duplicates == 24
    assert Reading.objects.count() == 25


def test_it_sorts_out_a_large_batch_that_overlaps_stored_readings(
    sensor, bob, django_capture_on_commit_callbacks
):
    # Above services.SMALL_BATCH rows PostgreSQL first tries one plain COPY; an overlap makes
    # it fail as a whole, and the batch must then be stored row by row, losing nothing.
    first = ingest(rows_for(sensor, range(0, 300)), bob, django_capture_on_commit_callbacks)
    second = ingest(rows_for(sensor, range(150, 450)), bob, django_capture_on_commit_callbacks)
    assert (first.accepted, first.duplicates) == (300, 0)
    assert (second.accepted, second.duplicates) == (150, 150)
    assert [r.status for r in second.results[:150]] == ["duplicate"] * 150
    assert [r.status for r in second.results[150:]] == ["accepted"] * 150
    assert Reading.objects.count() == 450
    assert Reading.objects.filter(time=T0 + timedelta(minutes=200)).get().value == 10 + 200 / 10
    # Every hour that received a reading was rolled up (the marks were written either way).
    hours = {(T0 + timedelta(minutes=m)).replace(minute=0) for m in range(450)}
    assert set(HourlyRollup.objects.values_list("hour", flat=True)) == hours
    assert sum(HourlyRollup.objects.values_list("count", flat=True)) == 450


def test_it_never_changes_a_stored_value_on_resend(sensor, bob, django_capture_on_commit_callbacks):
    ingest(rows_for(sensor, [0], value=lambda m: 12.5), bob, django_capture_on_commit_callbacks)
    report = ingest(
        rows_for(sensor, [0], value=lambda m: 99.0), bob, django_capture_on_commit_callbacks
    )
    assert report.results[0].status == "duplicate"
    assert Reading.objects.get().value == 12.5


def test_it_flags_but_stores_implausible_values(sensor, bob, django_capture_on_commit_callbacks):
    ingest(
        rows_for(sensor, [0, 1], value=lambda m: 600 if m else 10),
        bob,
        django_capture_on_commit_callbacks,
    )
    flags = dict(Reading.objects.values_list("value", "flags"))
    assert flags == {10.0: 0, 600.0: quality.OUT_OF_RANGE}
    rollup = HourlyRollup.objects.get()
    assert (rollup.count, rollup.flagged, rollup.mean, rollup.max) == (2, 1, 10.0, 10.0)


def test_it_lets_outsiders_write_nothing(sensor, charlie, django_capture_on_commit_callbacks):
    report = ingest(rows_for(sensor, [0]), charlie, django_capture_on_commit_callbacks)
    assert report.results[0].code == "unknown_sensor"
    assert not Reading.objects.exists()


def test_it_lets_members_of_one_project_not_write_to_another(
    published, alice, bob, django_capture_on_commit_callbacks
):
    other = SensorFactory(owner=alice)  # in another project, where bob is no member
    report = ingest(rows_for(other, [0]), bob, django_capture_on_commit_callbacks)
    assert report.rejected == 1 and not Reading.objects.exists()


def test_it_marks_dirty_hours_and_clears_them_after_the_rollup(
    sensor, bob, django_capture_on_commit_callbacks
):
    report = readings_ingest(rows=rows_for(sensor, [0, 70]), source="api", actor=bob)
    assert report.accepted == 2
    assert sorted(DirtyHour.objects.values_list("hour", flat=True)) == [T0, T0 + timedelta(hours=1)]
    assert processing.rollups_process_dirty() == 2
    assert not DirtyHour.objects.exists()
    assert HourlyRollup.objects.count() == 2


def direct_aggregation():
    return {
        (a["sensor_id"], a["quantity_id"], a["h"]): (a["n"], a["f"], a["mean"], a["lo"], a["hi"])
        for a in Reading.objects.annotate(h=TruncHour("time", tzinfo=UTC))
        .order_by()
        .values("sensor_id", "quantity_id", "h")
        .annotate(
            n=Count("id"),
            f=Count("id", filter=Q(flags__gt=0)),
            mean=Avg("value", filter=Q(flags=0)),
            lo=Min("value", filter=Q(flags=0)),
            hi=Max("value", filter=Q(flags=0)),
        )
    }


def rollup_table():
    return {
        (r.sensor_id, r.quantity_id, r.hour): (r.count, r.flagged, r.mean, r.min, r.max)
        for r in HourlyRollup.objects.all()
    }


def test_it_keeps_rollups_equal_to_the_raw_rows_after_late_and_out_of_order_data(
    sensor, bob, django_capture_on_commit_callbacks
):
    ingest(rows_for(sensor, [300, 5, 130]), bob, django_capture_on_commit_callbacks)
    ingest(
        rows_for(sensor, [0, 59, 61]), bob, django_capture_on_commit_callbacks
    )  # late, older hours
    ingest(
        rows_for(sensor, [7, 301], code="temperature", value=lambda m: 18.0),
        bob,
        django_capture_on_commit_callbacks,
    )
    ingest(rows_for(sensor, [5, 0]), bob, django_capture_on_commit_callbacks)  # pure duplicates
    assert rollup_table() == direct_aggregation()
    first_hour = HourlyRollup.objects.get(quantity=quantity("pm25"), hour=T0)
    assert first_hour.count == 3 and first_hour.mean == pytest.approx((10 + 10.5 + 15.9) / 3)
    # Recomputing again changes nothing (idempotent).
    processing.rollups_recompute(buckets=[(sensor.pk, quantity("pm25").pk, T0)])
    assert rollup_table() == direct_aggregation()


def test_it_keeps_a_mark_that_arrives_during_a_recompute(sensor, bob, monkeypatch):
    readings_ingest(rows=rows_for(sensor, [0]), source="api", actor=bob)
    recompute = processing.rollups_recompute

    def recompute_while_a_reading_lands(*, buckets):
        written = recompute(buckets=buckets)
        DirtyHour.objects.update(marked_at=F("marked_at") + timedelta(seconds=1))
        return written

    monkeypatch.setattr(processing, "rollups_recompute", recompute_while_a_reading_lands)
    processing.rollups_process_dirty(limit=1)
    assert DirtyHour.objects.count() == 1
    monkeypatch.undo()
    processing.rollups_process_dirty()
    assert not DirtyHour.objects.exists()
