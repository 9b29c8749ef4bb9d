"""A sensor registered for some quantities refuses readings of others."""

from __future__ import annotations

import pytest

from measurements.models import Quantity, Reading
from measurements.services import readings_ingest
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.measurements.factories import SensorFactory

pytestmark = pytest.mark.django_db

TIME = "2026-11-01T10:00:00+01:00"


def test_it_rejects_a_quantity_the_sensor_does_not_measure():
    user = UserFactory(username="writer")
    project = ProjectFactory()
    MembershipFactory(project=project, user=user)
    sensor = SensorFactory(project=project, owner=user)
    sensor.quantities.set(Quantity.objects.filter(code__in=["pm25", "pm10"]))
    report = readings_ingest(
        rows=[
            {"sensor": sensor.pk, "quantity": "pm25", "time": TIME, "value": 7},
            {"sensor": sensor.pk, "quantity": "noise_laeq", "time": TIME, "value": 55},
        ],
        source="api",
        actor=user,
    )
    rows = report.as_dict()["results"]
    assert [r["status"] for r in rows] == ["accepted", "rejected"]
    assert rows[1]["code"] == "quantity_not_measured"
    assert list(Reading.objects.values_list("quantity__code", flat=True)) == ["pm25"]
