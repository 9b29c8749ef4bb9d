from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from measurements.models import HourlyRollup, Reading, Sensor
from tests.measurements.factories import EXACT_LAT, EXACT_LON, SensorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sensor(published, bob):
    return SensorFactory(project=published, owner=bob)


def assert_no_exact_location(response):
    body = response.content.decode()
    assert str(EXACT_LAT) not in body and str(EXACT_LON) not in body


def assert_no_inline_script(response):
    body = response.content.decode()
    assert not re.search(
        r"<script(?![^>]*\bsrc=)[^>]*>", body.replace('type="application/json"', "src=json")
    )
    assert "style=" not in body


def test_it_registers_a_sensor_and_shows_the_device_token_once(client, published, bob):
    client.force_login(bob)
    page = client.get("/sensors/new/")
    assert page.status_code == 200
    assert_no_inline_script(page)
    response = client.post(
        "/sensors/new/",
        {
            "project": published.pk,
            "name": "Balcony",
            "kit": "SDS011",
            "lat": "52.0912345",
            "lon": "5.1198765",
            "location_precision": "approximate",
            "height_m": "3",
        },
    )
    sensor = Sensor.objects.get(name="Balcony")
    assert response.status_code == 302 and response.url == f"/sensors/{sensor.pk}/"
    first = client.get(response.url).content.decode()
    token = re.search(r"<code>([^<]+)</code>", first).group(1)
    assert Sensor.objects.authenticate_device(token) == sensor
    assert token not in client.get(response.url).content.decode()
    assert sensor.published_lat is not None and sensor.published_lat != sensor.lat


def test_it_rejects_a_location_of_zero_zero(client, published, bob):
    client.force_login(bob)
    response = client.post(
        "/sensors/new/",
        {
            "project": published.pk,
            "name": "Nowhere",
            "lat": "0",
            "lon": "0",
            "location_precision": "exact",
        },
    )
    assert response.status_code == 200 and not Sensor.objects.exists()


def test_it_offers_only_the_users_own_projects(client, published, charlie):
    client.force_login(charlie)
    response = client.post(
        "/sensors/new/",
        {
            "project": published.pk,
            "name": "Intruder",
            "lat": "52.1",
            "lon": "5.1",
            "location_precision": "exact",
        },
    )
    assert response.status_code == 200 and not Sensor.objects.exists()


def test_it_shows_the_sensor_page_with_a_chart_and_without_the_exact_location(
    client, sensor, charlie
):
    HourlyRollup.objects.create(
        sensor=sensor,
        quantity_id=2,
        hour=timezone.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2),
        count=3,
        flagged=0,
        mean=7,
        min=6,
        max=8,
    )
    for user in (None, charlie):
        if user:
            client.force_login(user)
        response = client.get(f"/sensors/{sensor.pk}/")
        assert response.status_code == 200
        assert_no_exact_location(response)
        assert_no_inline_script(response)
        assert "uPlot.iife.min.js" in response.content.decode()
        assert response.context["chart"]["series"][0]["code"] == "pm25"


def test_it_hides_sensors_of_drafts_from_outsiders(client, draft, bob, charlie):
    sensor = SensorFactory(project=draft, owner=bob)
    assert client.get(f"/sensors/{sensor.pk}/").status_code == 404
    client.force_login(charlie)
    assert client.get(f"/sensors/{sensor.pk}/").status_code == 404
    client.force_login(bob)
    assert client.get(f"/sensors/{sensor.pk}/").status_code == 200


def test_it_saves_a_typed_in_reading(client, sensor, bob, charlie):
    client.force_login(charlie)
    assert client.get(f"/sensors/{sensor.pk}/readings/new/").status_code == 403
    client.force_login(bob)
    gap = {"quantity": "temperature", "time": "2024-03-31T02:30", "value": "68", "unit": "°F"}
    assert (
        client.post(f"/sensors/{sensor.pk}/readings/new/", gap).status_code == 200
    )  # no such local time
    form = gap | {"time": "2024-03-31T03:30"}
    response = client.post(f"/sensors/{sensor.pk}/readings/new/", form)
    assert response.status_code == 302
    reading = Reading.objects.get()
    assert reading.value == pytest.approx(20) and reading.source == "web"
    assert reading.time.isoformat() == "2024-03-31T01:30:00+00:00"  # 03:30 summer time
    again = client.post(f"/sensors/{sensor.pk}/readings/new/", form)
    assert again.status_code == 200 and Reading.objects.count() == 1
    bad = client.post(f"/sensors/{sensor.pk}/readings/new/", form | {"unit": "furlongs"})
    assert "furlongs" in bad.content.decode()
