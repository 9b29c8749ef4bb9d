"""Open data exports: readings as CSV, sensors as GeoJSON, with the licence and no home."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from measurements.formats.cells import cell_neutralise, row_neutralise
from measurements.models import LocationPrecision, Reading
from projects.choices import Licence
from tests.measurements.factories import EXACT_LAT, EXACT_LON, SensorFactory, quantity

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["=1+2", "+31 6 123", "-2+3", "@SUM(A1)", "\t=x", "\r=x"])
def test_it_neutralises_text_cells_that_a_spreadsheet_would_run(text):
    assert cell_neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [-3.5, 12, 0.0, "pm25", "Sensor 1", "", None])
def test_it_leaves_numbers_and_plain_text_alone(value):
    assert cell_neutralise(value) == value


def test_it_neutralises_every_cell_of_a_row():
    assert row_neutralise(["=cmd", -1.0, "ok"]) == ["'=cmd", -1.0, "ok"]


@pytest.fixture
def sensors(db, published, bob):
    published.licence = Licence.ODBL
    published.save()
    sneaky = SensorFactory(project=published, owner=bob, name='=HYPERLINK("http://evil")')
    hidden = SensorFactory(
        project=published, owner=bob, name="Hidden", location_precision=LocationPrecision.HIDDEN
    )
    for sensor, value in ((sneaky, -1.5), (hidden, 7.0)):
        Reading.objects.create(
            sensor=sensor, quantity=quantity("temperature"), time=T0, value=value, source="api"
        )
    return sneaky, hidden


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return body, list(csv.DictReader(io.StringIO(body)))


def test_it_exports_readings_as_csv_with_the_licence_and_neutralised_names(client, sensors):
    sneaky, hidden = sensors
    response = client.get("/projects/clean-air-utrecht/export/readings.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Data-Licence"] == "ODbL 1.0"
    assert "attachment" in response["Content-Disposition"]
    body, rows = read_csv(response)
    assert len(rows) == 2
    assert {row["licence"] for row in rows} == {"ODbL 1.0"}
    by_sensor = {int(row["sensor"]): row for row in rows}
    assert by_sensor[sneaky.pk]["sensor_name"] == '\'=HYPERLINK("http://evil")'
    assert by_sensor[sneaky.pk]["value"] == "-1.5"  # a number, not neutralised text
    assert by_sensor[hidden.pk]["published_lat"] == ""
    assert str(EXACT_LAT) not in body and str(EXACT_LON) not in body


def test_it_exports_sensors_as_geojson_at_published_points_only(client, sensors):
    sneaky, hidden = sensors
    response = client.get("/projects/clean-air-utrecht/export/sensors.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    data = response.json()
    assert data["licence"] == "ODbL 1.0"
    assert "Clean Air Utrecht" in data["attribution"]
    assert [f["id"] for f in data["features"]] == [sneaky.pk]
    sneaky.refresh_from_db()
    assert data["features"][0]["geometry"]["coordinates"] == [
        sneaky.published_lon,
        sneaky.published_lat,
    ]
    assert str(EXACT_LAT) not in response.content.decode()
    assert str(EXACT_LON) not in response.content.decode()


@pytest.mark.parametrize("path", ["export/readings.csv", "export/sensors.geojson"])
def test_it_hides_exports_of_projects_the_user_may_not_see(client, draft, bob, charlie, path):
    SensorFactory(project=draft, owner=bob)
    assert client.get(f"/projects/secret-draft/{path}").status_code == 404
    client.force_login(charlie)
    assert client.get(f"/projects/secret-draft/{path}").status_code == 404
    client.force_login(bob)
    assert client.get(f"/projects/secret-draft/{path}").status_code == 200


@pytest.mark.parametrize("licence", [Licence.ON_REQUEST, Licence.CLOSED])
def test_readings_of_a_project_that_does_not_share_them_go_to_its_members_only(
    client, sensors, bob, charlie, licence
):
    published = sensors[0].project
    published.licence = licence
    published.save()
    path = "/projects/clean-air-utrecht/export/readings.csv"

    for outsider in (None, charlie):
        if outsider:
            client.force_login(outsider)
        refused = client.get(path)
        assert refused.status_code == 403
        assert "does not publish its readings" in refused.content.decode()
        assert published.get_licence_display() in refused.content.decode()
        page = client.get("/projects/clean-air-utrecht/").content.decode()
        assert "export/readings.csv" not in page
        assert "does not publish its readings as open data" in page
        # The sensors' published points stay an open download.
        assert client.get("/projects/clean-air-utrecht/export/sensors.geojson").status_code == 200

    client.force_login(bob)  # a member
    _body, rows = read_csv(client.get(path))
    assert len(rows) == 2 and {row["licence"] for row in rows} == {str(licence.label)}
    assert "export/readings.csv" in client.get("/projects/clean-air-utrecht/").content.decode()
