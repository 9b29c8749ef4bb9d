"""The project page's sensor map: published locations only, the latest hourly mean per
quantity from the rollups, a chooser and a legend; outsiders see nothing of hidden projects."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string

from measurements.models import LocationPrecision
from measurements.selectors import project_sensor_features, project_sensor_map
from measurements.services import readings_ingest
from tests.measurements.factories import EXACT_LAT, EXACT_LON, SensorFactory

T0 = datetime(2024, 5, 1, 10, tzinfo=UTC)


def send(sensor, user, code, values, capture):
    rows = [
        {
            "sensor": sensor.pk,
            "quantity": code,
            "time": T0.replace(hour=10 + i).isoformat(),
            "value": v,
        }
        for i, v in enumerate(values)
    ]
    with capture(execute=True):
        readings_ingest(rows=rows, source="api", actor=user)


@pytest.fixture
def sensors(published, bob, django_capture_on_commit_callbacks):
    shown = SensorFactory(project=published, owner=bob, name="Balcony")
    hidden = SensorFactory(
        project=published, owner=bob, name="Garden", location_precision=LocationPrecision.HIDDEN
    )
    send(shown, bob, "pm25", [30.0, 8.0], django_capture_on_commit_callbacks)
    send(shown, bob, "temperature", [17.0], django_capture_on_commit_callbacks)
    send(hidden, bob, "pm25", [12.0], django_capture_on_commit_callbacks)
    return shown, hidden


@pytest.mark.django_db
def test_it_gives_published_points_with_the_latest_hourly_mean(sensors, published):
    shown, _ = sensors

    collection = project_sensor_features(published, AnonymousUser())

    [feature] = collection["features"]  # the hidden sensor is not on the map
    assert feature["geometry"]["coordinates"] == [shown.published_lon, shown.published_lat]
    assert feature["properties"]["latest"]["pm25"]["value"] == 8.0  # 11:00, not 10:00
    assert feature["properties"]["latest"]["pm25"]["hour"] == "2024-05-01T11:00:00Z"
    only_pm = project_sensor_features(published, AnonymousUser(), quantity="pm25")
    assert set(only_pm["features"][0]["properties"]["latest"]) == {"pm25"}


@pytest.mark.django_db
def test_it_shows_outsiders_nothing_of_a_draft_project(
    draft, bob, charlie, django_capture_on_commit_callbacks
):
    sensor = SensorFactory(project=draft, owner=bob)
    send(sensor, bob, "pm25", [5.0], django_capture_on_commit_callbacks)

    assert project_sensor_features(draft, charlie)["features"] == []
    assert len(project_sensor_features(draft, bob)["features"]) == 1


@pytest.mark.django_db
def test_the_include_renders_a_chooser_legend_and_no_exact_location(sensors, published, rf):
    context = {"sensor_map": project_sensor_map(published, AnonymousUser())}

    html = render_to_string("measurements/_project_sensor_map.html", context)

    assert context["sensor_map"]["chosen"] == "pm25"
    assert '<option value="pm25" selected>' in html
    assert "WHO 2021: 15 µg/m³ daily" in html
    assert "sensor_map.js" in html and 'id="sensor-map-data"' in html
    assert "<script>" not in html  # data in json_script only, no inline code
    assert str(EXACT_LAT) not in html and str(EXACT_LON) not in html
    assert "Balcony" in html and "Garden" not in html
