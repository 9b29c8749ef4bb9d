"""A coordinator invalidates a reading: the value stays, the INVALID flag is set, who/when/why
are kept and audited, and the rollups leave the reading out. Nobody else may."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from citimeasure.models import AuditEvent
from measurements import quality
from measurements.models import DailyRollup, HourlyRollup, Invalidation, Reading
from measurements.services import reading_invalidate, readings_ingest
from tests.measurements.factories import SensorFactory

T0 = datetime(2024, 5, 1, 10, tzinfo=UTC)


@pytest.fixture
def readings(published, bob, django_capture_on_commit_callbacks):
    sensor = SensorFactory(project=published, owner=bob)
    rows = [
        {
            "sensor": sensor.pk,
            "quantity": "pm25",
            "time": T0.replace(minute=m).isoformat(),
            "value": v,
        }
        for m, v in ((0, 10.0), (10, 20.0), (20, 90.0))
    ]
    with django_capture_on_commit_callbacks(execute=True):
        readings_ingest(rows=rows, source="api", actor=bob)
    return list(Reading.objects.order_by("time"))


@pytest.mark.django_db
def test_it_lets_a_coordinator_invalidate_and_updates_the_rollups(
    readings, alice, django_capture_on_commit_callbacks
):
    bad = readings[2]
    assert HourlyRollup.objects.get().mean == pytest.approx(40.0)

    with django_capture_on_commit_callbacks(execute=True):
        report = reading_invalidate(actor=alice, reading=bad, reason="Sensor was in a kitchen")

    assert report.created
    bad.refresh_from_db()
    assert bad.value == 90.0 and bad.flags & quality.INVALID
    invalidation = Invalidation.objects.get(reading=bad)
    assert (invalidation.by, invalidation.reason) == (alice, "Sensor was in a kitchen")
    hourly = HourlyRollup.objects.get()
    assert (hourly.count, hourly.flagged, hourly.mean) == (3, 1, pytest.approx(15.0))
    assert DailyRollup.objects.get().mean == pytest.approx(15.0)
    event = AuditEvent.objects.get(action="reading.invalidate")
    assert event.actor == alice and event.data["reason"] == "Sensor was in a kitchen"


@pytest.mark.django_db
def test_it_refuses_participants_and_outsiders(readings, bob, charlie):
    for user in (bob, charlie):
        with pytest.raises(PermissionDenied):
            reading_invalidate(actor=user, reading=readings[0], reason="no")
    assert not Invalidation.objects.exists()
    assert Reading.objects.filter(flags__gt=0).count() == 0


@pytest.mark.django_db
def test_it_needs_a_reason_and_changes_nothing_without_one(readings, alice):
    with pytest.raises(ValidationError) as caught:
        reading_invalidate(actor=alice, reading=readings[0], reason="  ")
    assert "reason" in caught.value.message_dict
    assert not Invalidation.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_invalidating_twice_keeps_the_first_record(readings, alice):
    reading_invalidate(actor=alice, reading=readings[0], reason="first")
    again = reading_invalidate(actor=alice, reading=readings[0], reason="second")

    assert not again.created
    assert Invalidation.objects.get().reason == "first"
    assert AuditEvent.objects.filter(action="reading.invalidate").count() == 1
