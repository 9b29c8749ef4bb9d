"""/api/v1/series/ reads the rollups (hourly or daily) for sensors or a whole project, within
documented limits, and shows nothing of projects the caller may not see; /api/v1/sensors/
carries each sensor's latest hourly mean per quantity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from measurements.models import HourlyRollup
from measurements.services import readings_ingest
from tests.measurements.factories import EXACT_LAT, EXACT_LON, SensorFactory

T0 = datetime(2024, 5, 1, tzinfo=UTC)
URL = "/api/v1/series/"


def load(sensor, user, values, capture, *, code="pm25", step=timedelta(minutes=20)):
    rows = [
        {"sensor": sensor.pk, "quantity": code, "time": (T0 + i * step).isoformat(), "value": v}
        for i, v in enumerate(values)
    ]
    with capture(execute=True):
        readings_ingest(rows=rows, source="api", actor=user)


@pytest.fixture
def two(published, bob, django_capture_on_commit_callbacks):
    a = SensorFactory(project=published, owner=bob, name="A")
    b = SensorFactory(project=published, owner=bob, name="B")
    load(a, bob, [10, 20, 30, 40], django_capture_on_commit_callbacks)  # 00:00..01:00
    load(b, bob, [50, 50, 50], django_capture_on_commit_callbacks)  # hour 00 only
    return a, b


def window(**extra):
    return {
        "quantity": "pm25",
        "start": "2024-05-01T00:00:00Z",
        "end": "2024-05-02T00:00:00Z",
        **extra,
    }


@pytest.mark.django_db
def test_it_returns_hourly_points_per_sensor(api, two):
    a, b = two
    response = api.get(URL, window(sensors=f"{a.pk},{b.pk}"))

    assert response.status_code == 200, response.json()
    series = {s["name"]: s["points"] for s in response.json()["series"]}
    assert [(p["time"], p["count"], p["mean"]) for p in series["A"]] == [
        ("2024-05-01T00:00:00Z", 3, 20.0),
        ("2024-05-01T01:00:00Z", 1, 40.0),
    ]
    assert series["B"][0]["mean"] == 50.0


@pytest.mark.django_db
def test_it_combines_a_projects_sensors_weighted_by_readings(api, two, published):
    response = api.get(URL, window(project=published.slug))

    first = response.json()["points"][0]
    assert (first["count"], first["min"], first["max"]) == (6, 10.0, 50.0)
    assert first["mean"] == pytest.approx((10 + 20 + 30 + 150) / 6)


@pytest.mark.django_db
def test_a_projects_flagged_readings_count_but_stay_out_of_mean_min_and_max(
    api, two, published, bob, django_capture_on_commit_callbacks
):
    implausible = SensorFactory(project=published, owner=bob, name="C")
    # 900 µg/m³ is stored but flagged out of range: at 00:00 and, alone, at 03:00.
    load(implausible, bob, [900], django_capture_on_commit_callbacks)
    rows = [
        {"sensor": implausible.pk, "quantity": "pm25", "time": "2024-05-01T03:00:00Z", "value": 900}
    ]
    with django_capture_on_commit_callbacks(execute=True):
        readings_ingest(rows=rows, source="api", actor=bob)

    points = api.get(URL, window(project=published.slug)).json()["points"]

    first = points[0]
    assert (first["count"], first["flagged"], first["max"]) == (7, 1, 50.0)
    assert first["mean"] == pytest.approx((10 + 20 + 30 + 150) / 6)
    # An hour of flagged readings only has no mean to show: it is left out of the series.
    assert [p["time"] for p in points] == ["2024-05-01T00:00:00Z", "2024-05-01T01:00:00Z"]


@pytest.mark.django_db
def test_it_returns_daily_points_from_the_daily_rollups(api, two, published):
    a, _ = two
    response = api.get(URL, window(sensors=str(a.pk), interval="day"))

    points = response.json()["series"][0]["points"]
    assert points == [
        {"time": "2024-05-01", "count": 4, "flagged": 0, "mean": 25.0, "min": 10.0, "max": 40.0}
    ]
    # The whole project: A's 4 readings and B's 3 (all 50) on the same day.
    (day,) = api.get(URL, window(project=published.slug, interval="day")).json()["points"]
    assert (day["time"], day["count"], day["min"], day["max"]) == ("2024-05-01", 7, 10.0, 50.0)
    assert day["mean"] == pytest.approx((10 + 20 + 30 + 40 + 150) / 7)


@pytest.mark.django_db
def test_it_refuses_a_range_beyond_the_limit_with_a_message(api, two):
    a, _ = two
    response = api.get(
        URL, window(sensors=str(a.pk), start="2023-01-01T00:00:00Z", end="2024-02-05T00:00:00Z")
    )

    assert response.status_code == 400
    assert "at most 92 days" in response.json()["start"]
    assert api.get(URL, window(sensors="x")).status_code == 400
    assert api.get(URL, window(sensors=str(a.pk), interval="week")).status_code == 400
    assert api.get(URL, window(sensors=str(a.pk), quantity="nope")).status_code == 400


@pytest.mark.django_db
def test_it_answers_404_for_sensors_and_projects_outsiders_may_not_see(
    api, draft, bob, charlie, django_capture_on_commit_callbacks
):
    hidden = SensorFactory(project=draft, owner=bob)
    load(hidden, bob, [10], django_capture_on_commit_callbacks)
    api.force_authenticate(charlie)

    assert api.get(URL, window(sensors=str(hidden.pk))).status_code == 404
    assert api.get(URL, window(project=draft.slug)).status_code == 404
    assert api.get(URL, window(project="no-such-project")).status_code == 404
    api.force_authenticate(bob)
    assert api.get(URL, window(sensors=str(hidden.pk))).status_code == 200
    assert api.get(URL, window(project=draft.slug)).json()["points"][0]["count"] == 1


@pytest.mark.django_db
def test_a_visible_project_without_sensors_has_an_empty_series(api, published):
    response = api.get(URL, window(project=published.slug))
    assert response.status_code == 200
    assert response.json()["project"] == published.slug and response.json()["points"] == []


@pytest.mark.django_db
def test_it_never_reads_the_raw_readings(api, two, published):
    HourlyRollup.objects.all().delete()  # rollups gone: the series is empty though raw rows exist

    assert api.get(URL, window(project=published.slug)).json()["points"] == []


@pytest.mark.django_db
def test_the_sensors_geojson_carries_the_latest_hourly_mean_per_quantity(
    api, two, bob, django_capture_on_commit_callbacks
):
    a, _ = two
    load(a, bob, [18.5], django_capture_on_commit_callbacks, code="temperature")

    response = api.get("/api/v1/sensors/")

    body = response.content.decode()
    features = {f["id"]: f for f in response.json()["features"]}
    latest = features[a.pk]["properties"]["latest"]
    assert latest["pm25"] == {"value": 40.0, "hour": "2024-05-01T01:00:00Z", "unit": "µg/m³"}
    assert latest["temperature"]["value"] == 18.5
    assert str(EXACT_LAT) not in body and str(EXACT_LON) not in body
