"""Limits of a quantity changed in this process apply to the next reading (the registry is
kept per process; a save empties it)."""

from __future__ import annotations

import pytest

from measurements.models import Quantity, Reading
from measurements.services import readings_ingest
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.measurements.factories import SensorFactory

pytestmark = pytest.mark.django_db


def test_a_changed_limit_applies_to_the_next_reading():
    user = UserFactory(username="writer")
    project = ProjectFactory()
    MembershipFactory(project=project, user=user)
    sensor = SensorFactory(project=project, owner=user)

    def send(hour: int) -> str:
        row = {"sensor": sensor.pk, "quantity": "noise_laeq", "time": f"2026-11-01T{hour}:00Z"}
        report = readings_ingest(rows=[{**row, "value": 128}], source="api", actor=user)
        result = report.results[0]
        return result.code or result.status

    assert send(10) == "accepted"  # within the seeded hard limits; fills the registry
    noise = Quantity.objects.get(code="noise_laeq")
    noise.hard_max = 120
    noise.save()
    assert send(11) == "value_impossible"
    assert Reading.objects.count() == 1
