"""openSenseMap compatibility: senseBox devices and scripts post to /boxes/{box}/data."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from measurements.formats import opensensemap
from measurements.models import Reading
from tests.measurements.factories import EXACT_LAT, EXACT_LON, SensorFactory

pytestmark = pytest.mark.django_db

BOX = "5a0b1c2d3e4f5a6b7c8d9e0f"
PM25, TEMP = "5a0b1c2d3e4f5a6b7c8d9e01", "5a0b1c2d3e4f5a6b7c8d9e02"
URL = f"/api/v1/ingest/opensensemap/boxes/{BOX}/data"


@pytest.fixture
def box(published, bob):
    sensor = SensorFactory(
        project=published,
        owner=bob,
        opensensemap_id=BOX,
        opensensemap_sensor_ids={PM25: "pm25", TEMP: "temperature"},
    )
    return sensor, sensor.device_token_issue()


def post(api, body, token, content_type="application/json"):
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    data = body if isinstance(body, str) else json.dumps(body)
    return api.post(URL, data=data, content_type=content_type)


def test_it_maps_a_json_array_and_ignores_the_payload_location(api, box):
    sensor, token = box
    body = [
        {
            "sensor": PM25,
            "value": "7.5",
            "createdAt": "2024-05-01T10:00:00Z",
            "location": [4.1, 51.1],
        },
        {"sensor": TEMP, "value": 18.25, "createdAt": "2024-05-01T10:00:00.000Z"},
    ]
    response = post(api, body, token)
    assert response.status_code == 201
    assert response.json()["accepted"] == 2
    stored = {r.quantity.code: (r.value, r.time) for r in Reading.objects.filter(sensor=sensor)}
    assert stored == {
        "pm25": (7.5, datetime(2024, 5, 1, 10, tzinfo=UTC)),
        "temperature": (18.25, datetime(2024, 5, 1, 10, tzinfo=UTC)),
    }
    sensor.refresh_from_db()
    assert (sensor.lat, sensor.lon) == (EXACT_LAT, EXACT_LON)  # the payload's location ignored


def test_it_time_stamps_a_json_object_on_arrival(api, box):
    sensor, token = box
    before = timezone.now()
    response = post(api, {PM25: 9.0, TEMP: [17.0, "2024-05-01T10:00:00Z", [5.0, 52.0]]}, token)
    assert response.status_code == 201
    pm25 = Reading.objects.get(sensor=sensor, quantity__code="pm25")
    assert before <= pm25.time <= timezone.now()
    assert Reading.objects.get(sensor=sensor, quantity__code="temperature").value == 17.0


def test_it_reads_csv_lines_with_and_without_time_and_location(api, box):
    sensor, token = box
    body = (
        f"{PM25},11.5,2024-05-01T10:00:00Z,5.12,52.09,3\n"
        f"{TEMP},20.1,2024-05-01T10:00:00Z\n"
        f"{PM25},12.5\n"
    )
    response = post(api, body, token, content_type="text/csv")
    assert response.status_code == 201, response.content
    assert response.json()["accepted"] == 3
    assert Reading.objects.filter(sensor=sensor).count() == 3


def test_it_rejects_only_the_rows_with_unknown_sensor_ids_or_bad_values(api, box):
    sensor, token = box
    body = [
        {"sensor": PM25, "value": 8, "createdAt": "2024-05-01T10:00:00Z"},
        {"sensor": "ffffffffffffffffffffffff", "value": 8},
        {"sensor": TEMP, "value": "warm", "createdAt": "2024-05-01T10:00:00Z"},
        {"sensor": TEMP, "value": 12, "createdAt": "2024-05-01T10:00:00"},
        "not an object",
    ]
    response = post(api, body, token)
    assert response.status_code == 201
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] + ["rejected"] * 4
    assert [r.get("code") for r in results[1:]] == [
        "unknown_sensor",
        "value_not_numeric",
        "time_without_offset",
        "unknown_sensor",
    ]
    assert results[2]["message"].startswith("Row 2:")
    assert Reading.objects.filter(sensor=sensor).count() == 1


def test_it_stores_nothing_twice_when_a_batch_is_resent(api, box):
    sensor, token = box
    body = [{"sensor": PM25, "value": 8, "createdAt": "2024-05-01T10:00:00Z"}]
    post(api, body, token)
    response = post(api, body, token)
    assert response.status_code == 200
    assert response.json()["duplicates"] == 1
    assert Reading.objects.filter(sensor=sensor).count() == 1


def test_it_refuses_a_wrong_token_or_another_sensors_token(api, box, published, bob):
    other = SensorFactory(project=published, owner=bob)
    other_token = other.device_token_issue()
    body = [{"sensor": PM25, "value": 8}]
    assert post(api, body, "cm_wrong_token").status_code == 401
    assert post(api, body, other_token).status_code == 401
    api.credentials()
    assert api.post(URL, data=json.dumps(body), content_type="application/json").status_code == 401
    assert not Reading.objects.exists()


def test_it_accepts_the_bare_access_token_header_that_opensensemap_clients_send(api, box):
    sensor, token = box
    api.credentials(HTTP_AUTHORIZATION=token)
    response = api.post(URL, data=json.dumps({PM25: 3}), content_type="application/json")
    assert response.status_code == 201


def test_it_answers_400_for_a_body_that_is_no_upload_format(api, box):
    _, token = box
    response = post(api, "12", token)
    assert response.status_code == 400
    assert "JSON array" in response.json()["detail"]


def test_it_parses_csv_lines_without_the_location_cells():
    items = opensensemap.items_from_csv("a,1.5,2024-05-01T10:00:00Z,5.1,52.1,3\n\nb,2\n")
    assert items == [("a", "1.5", "2024-05-01T10:00:00Z"), ("b", "2", None)]
