from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from citimeasure.models import ApiToken
from measurements.models import HourlyRollup, LocationPrecision, Reading
from tests.measurements.factories import EXACT_LAT, EXACT_LON, SensorFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
URL = "/api/v1/readings/"


@pytest.fixture
def sensor(published, bob):
    return SensorFactory(project=published, owner=bob)


@pytest.fixture
def draft_sensor(draft, bob):
    return SensorFactory(project=draft, owner=bob, name="Draft sensor")


def token_for(user) -> str:
    return ApiToken.issue(user=user, name="script")[1]


def rows(sensor, count=3, start=T0):
    return [
        {
            "sensor": sensor.pk,
            "quantity": "pm25",
            "time": (start + timedelta(minutes=i)).isoformat(),
            "value": 5 + i,
        }
        for i in range(count)
    ]


def post(api, body, token=None, capture=None):
    if token:
        api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    if capture is None:
        return api.post(URL, body, format="json")
    with capture(execute=True):
        return api.post(URL, body, format="json")


def test_it_accepts_a_batch_with_a_personal_token_and_reports_each_row(
    api, sensor, bob, django_capture_on_commit_callbacks
):
    body = rows(sensor) + [
        {"sensor": sensor.pk, "quantity": "pm25", "time": "2024-05-01T12:00", "value": 1}
    ]
    response = post(api, body, token_for(bob), django_capture_on_commit_callbacks)
    assert response.status_code == 201
    data = response.json()
    assert (data["accepted"], data["duplicates"], data["rejected"]) == (3, 0, 1)
    assert data["results"][3]["code"] == "time_without_offset"
    assert "Row 3" in data["results"][3]["message"]
    again = post(api, body, capture=django_capture_on_commit_callbacks)
    assert again.status_code == 200 and again.json()["duplicates"] == 3
    assert Reading.objects.count() == 3
    assert HourlyRollup.objects.get().count == 3


def test_it_accepts_a_single_object_with_a_session(api, sensor, bob):
    api.force_login(bob)
    response = api.post(URL, rows(sensor, 1)[0], format="json")
    assert response.status_code == 201 and response.json()["accepted"] == 1


def test_it_refuses_outsiders_and_anonymous_writers(api, sensor, charlie):
    assert api.post(URL, rows(sensor), format="json").status_code in (401, 403)
    response = post(api, rows(sensor), token_for(charlie))
    assert response.status_code == 403
    assert response.json()["results"][0]["code"] == "unknown_sensor"
    assert not Reading.objects.exists()


def test_it_lets_a_device_token_write_only_to_its_own_sensor(api, sensor, published, bob):
    other = SensorFactory(project=published, owner=bob)
    token = sensor.device_token_issue()
    response = post(api, rows(sensor, 1) + rows(other, 1), token)
    assert [r["status"] for r in response.json()["results"]] == ["accepted", "rejected"]
    assert Reading.objects.get().source == "device"
    sensor.device_token_revoke()
    assert post(api, rows(sensor, 1, start=T0 + timedelta(hours=1))).status_code == 401


def test_it_refuses_the_device_of_a_sensor_whose_owner_is_gone(api, sensor):
    token = sensor.device_token_issue()
    assert post(api, rows(sensor, 1), token).status_code == 201
    sensor.owner.delete()  # e.g. removed by an administrator: the sensor keeps its token
    assert post(api, rows(sensor, 1, start=T0 + timedelta(hours=1)), token).status_code == 401
    assert Reading.objects.count() == 1


def test_it_answers_413_for_too_many_rows_and_400_for_a_bad_body(api, sensor, bob):
    api.force_login(bob)
    too_many = [{"sensor": sensor.pk}] * 10_001
    response = api.post(URL, too_many, format="json")
    assert response.status_code == 413 and "10000" in response.json()["detail"]
    assert api.post(URL, "just text", format="json").status_code == 400
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_it_lists_readings_of_visible_sensors_only(api, sensor, draft_sensor, bob, charlie):
    Reading.objects.create(sensor=sensor, quantity_id=2, time=T0, value=1, source="api")
    Reading.objects.create(sensor=draft_sensor, quantity_id=2, time=T0, value=2, source="api")
    assert [r["value"] for r in api.get(URL).json()["results"]] == [1.0]
    api.force_login(charlie)
    assert api.get(URL, {"sensor": draft_sensor.pk}).status_code == 404
    api.force_login(bob)
    assert len(api.get(URL).json()["results"]) == 2
    assert api.get(URL, {"start": "2024-05-01T10:00:00"}).status_code == 400


def test_it_serves_sensors_as_geojson_without_exact_locations(
    api, sensor, draft_sensor, published, bob, charlie
):
    exact = SensorFactory(
        project=published, owner=bob, location_precision=LocationPrecision.EXACT, lat=52.5, lon=4.5
    )
    hidden = SensorFactory(
        project=published, owner=bob, location_precision=LocationPrecision.HIDDEN
    )
    for user in (None, charlie, bob):
        api.force_authenticate(user)
        response = api.get("/api/v1/sensors/")
        body = response.content.decode()
        assert str(EXACT_LAT) not in body and str(EXACT_LON) not in body
        features = {f["id"]: f for f in response.json()["features"]}
        assert features[exact.pk]["geometry"]["coordinates"] == [4.5, 52.5]
        assert features[hidden.pk]["geometry"] is None
        assert features[sensor.pk]["geometry"]["coordinates"] == [
            sensor.published_lon,
            sensor.published_lat,
        ]
        assert (draft_sensor.pk in features) is (user == bob)


def test_it_serves_an_hourly_series_from_rollups(api, sensor, draft_sensor, charlie):
    HourlyRollup.objects.create(
        sensor=sensor, quantity_id=2, hour=T0, count=4, flagged=1, mean=5, min=4, max=6
    )
    response = api.get(
        f"/api/v1/sensors/{sensor.pk}/series/",
        {"quantity": "pm25", "start": "2024-05-01T00:00:00Z", "end": "2024-05-02T00:00:00Z"},
    )
    assert response.status_code == 200
    assert response.json()["points"] == [
        {
            "hour": "2024-05-01T10:00:00Z",
            "count": 4,
            "flagged": 1,
            "mean": 5.0,
            "min": 4.0,
            "max": 6.0,
        }
    ]
    api.force_login(charlie)
    assert (
        api.get(f"/api/v1/sensors/{draft_sensor.pk}/series/", {"quantity": "pm25"}).status_code
        == 404
    )
    assert api.get(f"/api/v1/sensors/{sensor.pk}/series/").status_code == 400


AIRROHR = {
    "esp8266id": "1234567",
    "software_version": "NRZ-2020-133",
    "sensordatavalues": [
        {"value_type": "SDS_P1", "value": "23.40"},
        {"value_type": "SDS_P2", "value": "11.20"},
        {"value_type": "BME280_temperature", "value": "18.31"},
        {"value_type": "BME280_humidity", "value": "61.20"},
        {"value_type": "BME280_pressure", "value": "101325.00"},
        {"value_type": "samples", "value": "5000"},
        {"value_type": "signal", "value": "-71"},
    ],
}


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"firmware:{password}".encode()).decode()


def test_it_accepts_the_sensor_community_firmware_payload(
    api, published, bob, django_capture_on_commit_callbacks
):
    sensor = SensorFactory(project=published, owner=bob, sensor_community_id="1234567")
    token = sensor.device_token_issue()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/ingest/sensor-community/",
            AIRROHR,
            format="json",
            HTTP_X_SENSOR="esp8266-1234567",
            HTTP_X_PIN="1",
            HTTP_AUTHORIZATION=basic(token),
        )
    assert response.status_code == 201, response.content
    values = {q: v for q, v in Reading.objects.values_list("quantity__code", "value")}
    assert values == {
        "pm10": 23.4,
        "pm25": 11.2,
        "temperature": 18.31,
        "humidity": 61.2,
        "pressure": 1013.25,
    }
    assert all(
        abs(t - timezone.now()) < timedelta(minutes=1)
        for t in Reading.objects.values_list("time", flat=True)
    )
    wrong = api.post(
        "/api/v1/ingest/sensor-community/",
        AIRROHR,
        format="json",
        HTTP_X_SENSOR="esp8266-1234567",
        HTTP_AUTHORIZATION=basic("nope.nope"),
    )
    assert wrong.status_code == 401
    other_chip = api.post(
        "/api/v1/ingest/sensor-community/",
        AIRROHR,
        format="json",
        HTTP_X_SENSOR="esp8266-7654321",
        HTTP_AUTHORIZATION=basic(token),
    )
    assert other_chip.status_code == 401
    with_token_header = api.post(
        "/api/v1/devices/sensor-community/",
        AIRROHR,
        format="json",
        HTTP_X_SENSOR="esp8266-1234567",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert with_token_header.status_code == 201
    assert Reading.objects.count() == 10  # time-stamped on arrival: a second set
