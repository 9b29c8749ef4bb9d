"""GET /api/v1/readings/: filters (project, bbox, quality), cursor pages and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from measurements import quality
from measurements.models import LocationPrecision, Reading
from tests.factories import ProjectFactory
from tests.measurements.factories import EXACT_LAT, EXACT_LON, SensorFactory, quantity

pytestmark = pytest.mark.django_db

URL = "/api/v1/readings/"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def add(sensor, minutes: int, value: float = 5.0, flags: int = 0) -> Reading:
    return Reading.objects.create(
        sensor=sensor,
        quantity=quantity("pm25"),
        time=T0 + timedelta(minutes=minutes),
        value=value,
        flags=flags,
        source="api",
    )


@pytest.fixture
def world(published, bob):
    utrecht = SensorFactory(project=published, owner=bob, lat=52.0912345, lon=5.1198765)
    gent = SensorFactory(
        project=ProjectFactory(slug="gent-air"), owner=bob, lat=51.0512345, lon=3.7198765
    )
    hidden = SensorFactory(
        project=published, owner=bob, location_precision=LocationPrecision.HIDDEN
    )
    add(utrecht, 0)
    add(utrecht, 1, value=900, flags=quality.OUT_OF_RANGE)
    add(gent, 0)
    add(hidden, 0)
    return utrecht, gent, hidden


def sensors_of(response) -> list[int]:
    return sorted({row["sensor"] for row in response.json()["results"]})


def test_it_filters_by_project(api, world):
    utrecht, gent, hidden = world
    assert sensors_of(api.get(URL, {"project": "clean-air-utrecht"})) == sorted(
        [utrecht.pk, hidden.pk]
    )
    assert sensors_of(api.get(URL, {"project": "gent-air"})) == [gent.pk]


def test_it_filters_by_bounding_box_on_published_locations(api, world):
    utrecht, gent, hidden = world
    response = api.get(URL, {"bbox": "5.0,52.0,5.3,52.2"})
    assert sensors_of(response) == [utrecht.pk]  # the hidden one has no published point
    assert sensors_of(api.get(URL, {"bbox": "3.0,50.0,6.0,53.0"})) == sorted([utrecht.pk, gent.pk])


@pytest.mark.parametrize("bbox", ["5,52,5.3", "a,b,c,d", "5.3,52,5.0,52.2", "5,52,5.3,95"])
def test_it_answers_400_naming_a_malformed_bbox(api, world, bbox):
    response = api.get(URL, {"bbox": bbox})
    assert response.status_code == 400
    assert "minlon,minlat,maxlon,maxlat" in response.json()["bbox"]


def test_it_filters_by_quality(api, world):
    utrecht, _, _ = world
    flagged = api.get(URL, {"quality": "flagged"}).json()["results"]
    assert [(r["sensor"], r["value"], r["flags"]) for r in flagged] == [
        (utrecht.pk, 900, ["out_of_range"])
    ]
    ok = api.get(URL, {"quality": "ok"}).json()["results"]
    assert len(ok) == 3 and all(r["flags"] == [] for r in ok)
    assert api.get(URL, {"quality": "great"}).status_code == 400


def test_it_refuses_a_format_other_than_json_or_csv(api, world):
    empty = api.get(URL, {"format": ""})
    assert empty.status_code == 400
    assert "format=json or format=csv" in empty.json()["format"]
    # DRF answers a renderer it does not know with 404, before the view.
    assert api.get(URL, {"format": "xml"}).status_code == 404


def test_it_pages_with_a_cursor(api, published, bob):
    sensor = SensorFactory(project=published, owner=bob)
    for minute in range(5):
        add(sensor, minute)
    first = api.get(URL, {"project": published.slug, "page_size": 2}).json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    times = [r["time"] for page in (first, second, third) for r in page["results"]]
    assert len(times) == 5 and times == sorted(times) and third["next"] is None


def test_it_streams_csv_with_the_licence_and_without_exact_locations(api, world):
    response = api.get(URL, {"project": "clean-air-utrecht", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-Data-Licence"] == "CC BY 4.0"
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 3
    assert {row["licence"] for row in rows} == {"CC BY 4.0"}
    assert str(EXACT_LAT) not in body and "5.1198765" not in body and "52.0912345" not in body


def test_it_keeps_the_json_free_of_exact_locations(api, world):
    body = api.get(URL).content.decode()
    assert "52.0912345" not in body and "5.1198765" not in body and str(EXACT_LON) not in body


def test_it_answers_a_bad_filter_in_csv_mode_with_a_json_error(api, world):
    response = api.get(URL, {"format": "csv", "bbox": "x"})
    assert response.status_code == 400
    assert "bbox" in response.json()


def test_it_hides_readings_of_projects_the_reader_may_not_see(api, draft, bob, charlie):
    add(SensorFactory(project=draft, owner=bob), 0)
    assert api.get(URL, {"project": "secret-draft"}).json()["results"] == []
    api.force_authenticate(charlie)
    response = api.get(URL, {"project": "secret-draft", "format": "csv"})
    assert b"".join(response.streaming_content).decode().count("\n") == 1  # the header only
    api.force_authenticate(bob)
    assert len(api.get(URL, {"project": "secret-draft"}).json()["results"]) == 1


def test_readings_of_projects_that_do_not_share_them_are_listed_to_members_only(
    api, world, published, bob, charlie
):
    from projects.choices import Licence

    utrecht, gent, hidden = world
    published.licence = Licence.CLOSED
    published.save()

    listed = {r["sensor"] for r in api.get(URL).json()["results"]}
    assert listed == {gent.pk}
    for asked in ({"project": published.slug}, {"sensor": utrecht.pk}):
        refused = api.get(URL, asked)
        assert refused.status_code == 403
        assert "Not shared" in refused.json()["detail"]
        assert api.get(URL, {**asked, "format": "csv"}).status_code == 403
    api.force_authenticate(charlie)
    assert api.get(URL, {"project": published.slug}).status_code == 403

    api.force_authenticate(bob)  # a member of the project
    mine = api.get(URL, {"project": published.slug})
    assert mine.status_code == 200
    assert {r["sensor"] for r in mine.json()["results"]} == {utrecht.pk, hidden.pk}
