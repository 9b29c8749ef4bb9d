"""Residents' rights for measurements: "download my data" carries my sensors (with their
exact locations) and readings and nothing of anyone else's; "delete my account" erases my
e-mail, name and exact coordinates from every text column, the cache and stored files,
keeping my readings as anonymous open data only when I choose so."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client

from measurements.models import CsvUpload, LocationPrecision, Reading, Sensor
from measurements.privacy import cell_centre
from tests.measurements.factories import SensorFactory, quantity

PASSWORD = "correct horse battery staple"
# bob's balcony, distinct from the factories' default point so a leak of his is unmistakable.
BOB_LAT, BOB_LON = 52.0987654, 5.1234567
ALICE_LAT, ALICE_LON = 52.0711111, 5.0922222
BOB_SURNAME = "Balconyvanderzee"


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def bob_data(published, alice, bob, media):
    """bob has two sensors with readings and a CSV upload holding his coordinates; alice has
    one sensor of her own in the same project."""
    bob.first_name, bob.last_name = "Bob", BOB_SURNAME
    bob.save()
    pm25 = quantity("pm25")
    start = datetime(2024, 5, 1, tzinfo=UTC)
    mine = [
        SensorFactory(
            project=published,
            owner=bob,
            name=f"{BOB_SURNAME}'s balcony",
            lat=BOB_LAT,
            lon=BOB_LON,
            location_precision=precision,
            sensor_community_id="esp8266-424242",
        )
        for precision in (LocationPrecision.EXACT, LocationPrecision.APPROXIMATE)
    ]
    theirs = SensorFactory(
        project=published, owner=alice, name="Alice roof", lat=ALICE_LAT, lon=ALICE_LON
    )
    for sensor in [*mine, theirs]:
        for h in range(3):
            Reading.objects.create(
                sensor=sensor,
                quantity=pm25,
                time=start + timedelta(hours=h),
                value=10 + h,
                source="api",
            )
    upload = CsvUpload(
        project=published, uploaded_by=bob, original_name=f"{BOB_SURNAME}.csv", size=64
    )
    upload.file.save(
        "bob.csv", ContentFile(f"lat,lon,pm25\n{BOB_LAT},{BOB_LON},12\n".encode()), save=False
    )
    upload.save()
    return {"mine": mine, "theirs": theirs, "upload": upload}


def _export(client: Client, user) -> dict:
    client.force_login(user)
    response = client.get("/account/privacy/my-data.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_it_exports_my_sensors_with_exact_locations_and_readings(
    bob_data, bob, client: Client
) -> None:
    data = _export(client, bob)
    sensors = {s["id"]: s for s in data["sensors"]}
    assert set(sensors) == {s.pk for s in bob_data["mine"]}
    assert {(s["lat"], s["lon"]) for s in sensors.values()} == {(BOB_LAT, BOB_LON)}
    assert data["readings"]["total"] == 6
    assert {row[0] for row in data["readings"]["rows"]} == set(sensors)
    assert data["csv_uploads"][0]["file"] == f"{BOB_SURNAME}.csv"


def test_it_exports_nothing_of_the_other_resident(bob_data, alice, bob, client: Client) -> None:
    bob_text = json.dumps(_export(client, bob))
    assert str(ALICE_LAT) not in bob_text and "Alice roof" not in bob_text
    assert alice.email not in bob_text
    alice_text = json.dumps(_export(Client(), alice))
    assert str(BOB_LAT) not in alice_text and BOB_SURNAME not in alice_text
    assert bob.email not in alice_text


# --- searching everything the platform stores -----------------------------------------


def _needles(user) -> list[str]:
    return [user.email, BOB_SURNAME, str(BOB_LAT), str(BOB_LON), "424242"]


def _text_columns_holding(needles: list[str]) -> list[str]:
    """Every char/text/JSON column of every model, searched in Python (so JSON and every
    backend are searched the same way); returns "app.Model.field: needle" for each hit."""
    hits = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if not fields:
            continue
        for row in model._base_manager.values_list(*fields):
            text = json.dumps(row, default=str)
            hits += [f"{model._meta.label}: {n}" for n in needles if n in text]
    return hits


def _float_columns_holding(*values: float) -> list[str]:
    hits = []
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FloatField):
                for value in values:
                    if model._base_manager.filter(**{f.attname: value}).exists():
                        hits.append(f"{model._meta.label}.{f.attname} = {value}")
    return hits


def _cache_holding(needles: list[str]) -> list[str]:
    """Keys and values in the cache (LocMem here, Redis in the second pass) holding a needle."""
    backend = cache._cache if hasattr(cache, "_cache") else None
    blobs: list[bytes] = []
    if hasattr(backend, "get_client"):  # Redis
        client = backend.get_client()
        for key in client.scan_iter("*"):
            value = client.get(key) if client.type(key) == b"string" else b""
            blobs.append(key + b"\0" + (value or b""))
    else:  # LocMem: key → pickled value
        blobs = [k.encode() + b"\0" + v for k, v in backend.items()]
    return [n for n in needles for blob in blobs if n.encode() in blob]


def _files_holding(root: Path, needles: list[str]) -> list[str]:
    return [
        f"{path}: {n}"
        for path in root.rglob("*")
        if path.is_file()
        for n in needles
        if n.encode() in path.read_bytes()
    ]


def _delete(client: Client, user, readings: str):
    client.force_login(user)
    return client.post(
        "/account/delete/", {"password": PASSWORD, "confirm": "on", "readings": readings}
    )


@pytest.mark.parametrize("readings", ["keep", "delete"])
def test_it_leaves_no_trace_of_email_name_or_coordinates(
    readings, bob_data, bob, media, client: Client, django_capture_on_commit_callbacks
) -> None:
    needles = _needles(bob)
    assert _text_columns_holding(needles), "the search must find bob before the deletion"
    assert _files_holding(media, needles)
    with django_capture_on_commit_callbacks(execute=True):
        assert _delete(client, bob, readings).status_code == 302
    assert _text_columns_holding(needles) == []
    assert _float_columns_holding(BOB_LAT, BOB_LON) == []
    assert _cache_holding(needles) == []
    assert _files_holding(media, needles) == []
    assert not CsvUpload.objects.exists()


def test_it_keeps_the_readings_as_anonymous_open_data_when_asked(
    bob_data, bob, client: Client
) -> None:
    exact, approximate = bob_data["mine"]
    published_before = (approximate.published_lat, approximate.published_lon)
    _delete(client, bob, "keep")
    for sensor in bob_data["mine"]:
        sensor.refresh_from_db()
        assert sensor.owner is None
        assert sensor.name == f"Sensor {sensor.pk}"
        assert (sensor.lat, sensor.lon) == cell_centre(BOB_LAT, BOB_LON)
        assert sensor.device_token_digest == "" and sensor.sensor_community_id == ""
        assert Reading.objects.filter(sensor=sensor).count() == 3
    # The public saw the approximate sensor at one point; it stays exactly there.
    assert (approximate.published_lat, approximate.published_lon) == published_before
    # An exact point no longer exists, so the map no longer claims one.
    assert exact.location_precision == LocationPrecision.APPROXIMATE
    body = Client().get("/api/v1/sensors/").content.decode()
    assert str(BOB_LAT) not in body and BOB_SURNAME not in body


def test_it_deletes_the_readings_when_asked(bob_data, bob, client: Client) -> None:
    _delete(client, bob, "delete")
    assert not Sensor.objects.filter(pk__in=[s.pk for s in bob_data["mine"]]).exists()
    assert Reading.objects.count() == 3  # alice's stay
    assert Sensor.objects.get().owner.username == "alice"


def test_it_refuses_while_the_user_is_the_only_coordinator(bob_data, alice, client: Client):
    response = _delete(client, alice, "keep")
    assert response.status_code == 409
    assert Sensor.objects.filter(owner=alice).exists()
