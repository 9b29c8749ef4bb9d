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


def _device_post(api, sensor, token, quantities):
    """POST one reading per quantity code with the sensor's device token; the row statuses."""
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    body = [
        {"sensor": sensor.pk, "quantity": code, "time": f"2026-11-01T1{i}:00:00Z", "value": 7}
        for i, code in enumerate(quantities)
    ]
    response = api.post("/api/v1/readings/", body, format="json")
    assert response.status_code in (200, 201), response.content
    return [r.get("code", r["status"]) for r in response.json()["results"]]


def test_a_device_is_held_to_its_registered_quantities_and_a_change_counts_at_once(
    api, published, bob
):
    """The device's registrations travel with its token lookup; changing them in the sensor's
    settings applies to the very next request."""
    from measurements.services import sensor_settings_update

    sensor = SensorFactory(project=published, owner=bob)
    token = sensor.device_token_issue()
    assert _device_post(api, sensor, token, ["noise_laeq"]) == ["accepted"]  # not configured

    sensor.quantities.set(Quantity.objects.filter(code__in=["pm25", "pm10"]))
    assert _device_post(api, sensor, token, ["pm25", "noise_laeq"]) == [
        "accepted",
        "quantity_not_measured",
    ]
    sensor_settings_update(
        actor=bob,
        sensor=sensor,
        quantities=Quantity.objects.filter(code__in=["pm25", "noise_laeq"]),
        location_precision=sensor.location_precision,
    )
    assert _device_post(api, sensor, token, ["pm10", "noise_laeq"]) == [
        "quantity_not_measured",
        "accepted",
    ]
