"""`load_demo_readings`: invented demo sensors with days of hourly readings (90 by default;
14 here to keep the suite fast) and their rollups; the planted faults are caught by the
quality checks; loading again adds nothing; the sensors API never shows an exact location
the owner did not choose to publish."""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from measurements.models import DailyRollup, HourlyRollup, LocationPrecision, Reading, Sensor
from measurements.quality import HUMID, OUT_OF_RANGE, SPIKE, STUCK

SEEDS = settings.BASE_DIR / "seeds"


@pytest.fixture(scope="module")
def demo_readings(django_db_setup, django_db_blocker):
    """Load the demo and its readings once for this module (the slow part), inside a
    transaction rolled back afterwards, as in tests/projects/test_load_demo.py. The end hour
    is pinned so the second run in a test cannot cross into a new hour."""
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    end = timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    with django_db_blocker.unblock(), fast, transaction.atomic():
        call_command("load_demo", without_readings=True, stdout=StringIO())
        out = StringIO()
        call_command("load_demo_readings", end=end.isoformat(), days=14, stdout=out)
        yield {"end": end, "output": out.getvalue()}
        transaction.set_rollback(True)


def test_the_seed_file_is_marked_invented_and_owned_by_coordinators():
    data = json.loads((SEEDS / "demo_sensors.json").read_text(encoding="utf-8"))

    assert data["invented"] is True
    assert "INVENTED" in data["about"]
    assert len(data["projects"]) >= 20
    for entry in data["projects"]:
        assert entry["owner"].startswith("coordinator")
        assert 2 <= len(entry["sensors"]) <= 6


def test_it_creates_sensors_for_at_least_20_projects_owned_by_members(demo_readings, db):
    sensors = Sensor.objects.select_related("project", "owner")

    assert sensors.values("project").distinct().count() >= 20
    for sensor in sensors:
        assert sensor.project.role_of(sensor.owner) is not None, sensor.name
    precisions = set(sensors.values_list("location_precision", flat=True))
    assert LocationPrecision.APPROXIMATE in precisions


def test_it_stores_14_days_of_hourly_readings_with_planted_faults(demo_readings, db):
    end = demo_readings["end"]
    readings = Reading.objects.all()

    assert readings.count() > 10_000
    assert readings.filter(time__gt=end).count() == 0
    assert readings.filter(time__lte=end - timedelta(days=14)).count() == 0
    assert readings.filter(time=end).exists()
    assert readings.filter(flags=OUT_OF_RANGE).exists()
    per_sensor = {
        sensor.pk: sensor.readings.values("time").distinct().count()
        for sensor in Sensor.objects.all()
    }
    assert max(per_sensor.values()) == 14 * 24
    assert min(per_sensor.values()) == 13 * 24  # the sensor with a day missing
    assert "rejected" in demo_readings["output"]


def test_it_computes_the_hourly_rollups(demo_readings, db):
    assert HourlyRollup.objects.count() == Reading.objects.count()  # one reading per hour
    assert HourlyRollup.objects.filter(flagged__gt=0, mean__isnull=True).exists()
    assert DailyRollup.objects.count() >= Sensor.objects.count() * 14


def test_the_quality_checks_catch_the_planted_faults(demo_readings, db):
    flags = list(Reading.objects.filter(flags__gt=0).values_list("flags", flat=True))

    for bit in (SPIKE, STUCK, HUMID):
        assert any(f & bit for f in flags), bit
    assert sum(1 for f in flags if f & STUCK) >= 10
    assert len(flags) < Reading.objects.count() / 10  # faults are the exception


def test_a_second_run_adds_nothing(demo_readings, db):
    before = (Sensor.objects.count(), Reading.objects.count(), HourlyRollup.objects.count())
    out = StringIO()

    call_command("load_demo_readings", end=demo_readings["end"].isoformat(), days=14, stdout=out)

    after = (Sensor.objects.count(), Reading.objects.count(), HourlyRollup.objects.count())
    assert after == before
    text = out.getvalue()
    assert "0 created, 0 updated" in text
    assert f"0 accepted, {before[1]} duplicates" in text


def _number_in(value: float, text: str) -> bool:
    """True when `value` appears in `text` as a whole number, not as the start of a longer one."""
    return re.search(rf"(?<![\d.]){re.escape(str(value))}(?![\d])", text) is not None


def test_the_sensors_api_shows_published_locations_only(demo_readings, db, client):
    response = client.get("/api/v1/sensors/")

    assert response.status_code == 200
    body = response.content.decode()
    features = {f["id"]: f for f in response.json()["features"]}
    sensors = list(Sensor.objects.all())
    assert len(features) == len(sensors)
    for sensor in sensors:
        geometry = features[sensor.pk]["geometry"]
        if sensor.location_precision == LocationPrecision.EXACT:
            # The owner chose to publish the exact point.
            assert geometry["coordinates"] == [sensor.lon, sensor.lat]
            continue
        # As whole numbers: a published point inside the same cell may share the first
        # digits (52.1102064 contains "52.110206") without revealing anything.
        assert not _number_in(sensor.lat, body), sensor.name
        assert not _number_in(sensor.lon, body), sensor.name
        if sensor.location_precision == LocationPrecision.HIDDEN:
            assert geometry is None
        else:
            assert geometry["coordinates"] == [sensor.published_lon, sensor.published_lat]
