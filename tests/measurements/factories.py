"""Factories for the measurements tests (quantities are seeded by a migration)."""

from __future__ import annotations

import factory

from measurements.models import LocationPrecision, Quantity, Sensor
from tests.factories import ProjectFactory, UserFactory

# Distinctive coordinates, so a test can search response bodies for them.
EXACT_LAT = 52.0912345
EXACT_LON = 5.1198765


def quantity(code: str) -> Quantity:
    return Quantity.objects.get(code=code)


class SensorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sensor

    project = factory.SubFactory(ProjectFactory)
    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Sensor {n}")
    kit = "SDS011 + BME280"
    lat = EXACT_LAT
    lon = EXACT_LON
    location_precision = LocationPrecision.APPROXIMATE
