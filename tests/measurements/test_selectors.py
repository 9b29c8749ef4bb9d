from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from measurements.selectors import active_sensor_points, project_reading_stats
from tests.factories import ProjectFactory
from tests.measurements.factories import SensorFactory, quantity

pytestmark = pytest.mark.django_db

AT = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def rollup(sensor, code, hour, count=1, flagged=0):
    sensor.hourly.create(
        quantity=quantity(code), hour=hour, count=count, flagged=flagged, mean=1, min=1, max=1
    )


def test_it_lists_sensors_with_recent_readings_at_their_exact_location(bob):
    project = ProjectFactory()
    recent = SensorFactory(project=project, owner=bob, lat=52.1, lon=5.1)
    old = SensorFactory(project=project, owner=bob, lat=52.2, lon=5.2)
    SensorFactory(project=project, owner=bob, lat=52.3, lon=5.3)  # never measured
    rollup(recent, "pm25", AT - timedelta(days=3))
    rollup(old, "pm25", AT - timedelta(days=40))
    rollup(recent, "pm25", AT + timedelta(days=1))  # after `at`: ignored
    assert active_sensor_points([project.pk], at=AT) == {project.pk: [(recent.pk, 5.1, 52.1)]}


def test_it_falls_back_to_active_sensors_when_a_project_has_no_readings(bob):
    project, empty = ProjectFactory(), ProjectFactory()
    on = SensorFactory(project=project, owner=bob, lat=52.1, lon=5.1)
    SensorFactory(project=project, owner=bob, is_active=False)
    assert active_sensor_points([project.pk, empty.pk], at=AT) == {
        project.pk: [(on.pk, 5.1, 52.1)],
        empty.pk: [],
    }


def test_it_computes_completeness_quality_and_first_reading_from_rollups(bob):
    project = ProjectFactory()
    sensor = SensorFactory(project=project, owner=bob)
    first = AT - timedelta(hours=48)
    for h in range(48):
        rollup(sensor, "temperature", first + timedelta(hours=h), count=1)
    for h in range(30):
        rollup(sensor, "pm25", first + timedelta(hours=h), count=1, flagged=1 if h < 2 else 0)
    stats = project_reading_stats([project.pk], at=AT)[project.pk]
    assert stats["first_reading"] == first
    assert stats["completeness"] == Fraction(30 + 48, 2 * 48) == Fraction(13, 16)
    assert stats["quality"] == Fraction(76, 78)


def test_it_limits_the_window_to_90_days_and_reports_none_without_data(bob):
    project, empty = ProjectFactory(), ProjectFactory()
    sensor = SensorFactory(project=project, owner=bob)
    rollup(sensor, "pm25", AT - timedelta(days=200), count=5, flagged=5)
    rollup(sensor, "pm25", AT - timedelta(hours=1), count=4, flagged=1)
    stats = project_reading_stats([project.pk, empty.pk], at=AT)
    assert stats[project.pk]["completeness"] == Fraction(1, 90 * 24)
    assert stats[project.pk]["quality"] == Fraction(3, 4)
    assert stats[project.pk]["first_reading"] == AT - timedelta(days=200)
    assert stats[empty.pk] == {"completeness": None, "quality": None, "first_reading": None}
