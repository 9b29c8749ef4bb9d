"""`import_neighbourhoods`: good files create then update in place; every kind of bad file
gives an error naming the file and the line or feature, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from projects.models import Neighbourhood
from projects.neighbourhoods import ImportProblem, neighbourhoods_import, parse_csv, read_files
from tests.factories import CityFactory, square

HEADER = "code,name,population,mean_income,age_0_24,age_25_44,age_45_64,age_65_plus"
GOOD_CSV = f"""{HEADER}
BU01,Binnenstad,1000,31000,250,300,250,200
BU02,Oost,2000,24500.5,600,600,500,300
BU03,West,,,,,,
"""
SELF_INTERSECTING = {
    "type": "Polygon",
    "coordinates": [[[5.0, 52.0], [5.01, 52.01], [5.01, 52.0], [5.0, 52.01], [5.0, 52.0]]],
}


def feature(code: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def collection(*features: dict) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, indent=1)


def with_extra(code: str) -> str:
    """The good GeoJSON plus one more feature with `code`."""
    features = json.loads(good_geojson())["features"]
    return collection(*features, feature(code, square(5.1, 52.1)))


def good_geojson() -> str:
    multi = {
        "type": "MultiPolygon",
        "coordinates": [square(5.02, 52.0)["coordinates"], square(5.04, 52.0)["coordinates"]],
    }
    return collection(
        feature("BU01", square(5.0, 52.0)),
        feature("BU02", square(5.01, 52.0)),
        feature("BU03", multi),
    )


@pytest.fixture
def city(db):
    return CityFactory(name="Utrecht", slug="utrecht")


@pytest.fixture
def write(tmp_path):
    """Write the two import files; returns their paths."""

    def _write(geojson: str, table: str) -> tuple[Path, Path]:
        geojson_path, csv_path = tmp_path / "wijken.geojson", tmp_path / "wijken.csv"
        geojson_path.write_text(geojson, encoding="utf-8")
        csv_path.write_text(table, encoding="utf-8")
        return geojson_path, csv_path

    return _write


def run(city, geojson_path: Path, csv_path: Path, *extra: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(
        "import_neighbourhoods",
        city.slug,
        "--geojson",
        str(geojson_path),
        "--csv",
        str(csv_path),
        *extra,
        stdout=out,
    )
    return out.getvalue()


def snapshot() -> list[dict]:
    return list(Neighbourhood.objects.order_by("pk").values())


@pytest.fixture
def imported(city, write):
    """A prior good import, so a failed one can be shown to change nothing."""
    run(city, *write(good_geojson(), GOOD_CSV))
    return snapshot()


def test_it_creates_neighbourhoods_from_good_files(city, write):
    out = run(city, *write(good_geojson(), GOOD_CSV))

    assert "3 neighbourhoods created, 0 updated" in out
    centre = Neighbourhood.objects.get(city=city, code="BU01")
    assert centre.name == "Binnenstad"
    assert (centre.population, centre.mean_income) == (1000, 31000.0)
    assert centre.age_bands() == {"0-24": 250, "25-44": 300, "45-64": 250, "65+": 200}
    assert centre.boundary == square(5.0, 52.0)
    assert centre.synthetic is False
    assert Neighbourhood.objects.get(code="BU03").boundary["type"] == "MultiPolygon"


def test_it_stores_empty_cells_as_unknown_not_zero(city, write):
    run(city, *write(good_geojson(), GOOD_CSV))

    west = Neighbourhood.objects.get(code="BU03")
    assert west.population is None
    assert west.mean_income is None
    assert set(west.age_bands().values()) == {None}


def test_it_updates_in_place_on_rerun(city, write, imported):
    ids = dict(Neighbourhood.objects.values_list("code", "pk"))
    newer = GOOD_CSV.replace("BU01,Binnenstad,1000,31000", "BU01,Centrum,1100,32000")

    out = run(city, *write(good_geojson(), newer), "--synthetic")

    assert "0 neighbourhoods created, 3 updated, 0 unchanged" in out  # synthetic flag changed all
    assert dict(Neighbourhood.objects.values_list("code", "pk")) == ids
    centre = Neighbourhood.objects.get(code="BU01")
    assert (centre.name, centre.population, centre.mean_income) == ("Centrum", 1100, 32000.0)
    assert Neighbourhood.objects.filter(synthetic=True).count() == 3


def test_it_leaves_unchanged_rows_alone_on_an_identical_rerun(city, write, imported):
    out = run(city, *write(good_geojson(), GOOD_CSV))

    assert "0 neighbourhoods created, 0 updated, 3 unchanged" in out
    assert snapshot() == imported


BAD_FILES = {
    "malformed JSON": (
        lambda: good_geojson()[:-20],
        GOOD_CSV,
        ["wijken.geojson", "line ", "not valid JSON"],
    ),
    "malformed CSV": (
        good_geojson,
        GOOD_CSV + 'BU04,"Noord,1,2,3,4,5,6\nBU05,Zuid,1,2,3,4,5,6\n',
        ["wijken.csv, line 5", "malformed CSV"],
    ),
    "row with too few cells": (
        good_geojson,
        GOOD_CSV.replace("BU02,Oost,2000,24500.5,600,600,500,300", "BU02,Oost,2000"),
        ["wijken.csv, line 3", "malformed CSV"],
    ),
    "unknown column": (
        good_geojson,
        GOOD_CSV.replace(HEADER, HEADER + ",households", 1).replace("200\n", "200,5\n"),
        ["wijken.csv, line 1", "unknown column 'households'"],
    ),
    "missing column": (
        good_geojson,
        "\n".join(",".join(line.split(",")[:-1]) for line in GOOD_CSV.splitlines()),
        ["wijken.csv, line 1", "missing column age_65_plus"],
    ),
    "code only in GeoJSON": (
        lambda: with_extra("BU09"),
        GOOD_CSV,
        ["wijken.geojson, feature 3", "BU09", "not in"],
    ),
    "code only in CSV": (
        good_geojson,
        GOOD_CSV + "BU09,Zuid,10,,,,,\n",
        ["wijken.csv, line 5", "BU09", "not in"],
    ),
    "self-intersecting polygon": (
        lambda: collection(
            feature("BU01", square(5.0, 52.0)),
            feature("BU02", SELF_INTERSECTING),
            feature("BU03", square(5.02, 52.0)),
        ),
        GOOD_CSV,
        ["wijken.geojson, feature 1 (code BU02)", "invalid polygon", "Self-intersection"],
    ),
    "point instead of polygon": (
        lambda: collection(
            feature("BU01", square(5.0, 52.0)),
            feature("BU02", square(5.01, 52.0)),
            feature("BU03", {"type": "Point", "coordinates": [5.0, 52.0]}),
        ),
        GOOD_CSV,
        ["wijken.geojson, feature 2 (code BU03)", "Polygon or MultiPolygon"],
    ),
    "feature without code": (
        lambda: good_geojson().replace('"code": "BU03"', '"naam": "BU03"'),
        GOOD_CSV,
        ["wijken.geojson, feature 2", 'no property "code"'],
    ),
    "non-numeric population": (
        good_geojson,
        GOOD_CSV.replace("BU02,Oost,2000", "BU02,Oost,veel"),
        ["wijken.csv, line 3", "population is not a number: 'veel'"],
    ),
    "negative income": (
        good_geojson,
        GOOD_CSV.replace("24500.5", "-1"),
        ["wijken.csv, line 3", "mean_income is negative"],
    ),
    "duplicate code in CSV": (
        good_geojson,
        GOOD_CSV + "BU01,Binnenstad,1000,31000,250,300,250,200\n",
        ["wijken.csv, line 5", "BU01 already used on line 2"],
    ),
    "duplicate code in GeoJSON": (
        lambda: with_extra("BU01"),
        GOOD_CSV,
        ["wijken.geojson, feature 3", "BU01 already used by feature 0"],
    ),
}


@pytest.mark.parametrize("kind", BAD_FILES)
def test_it_names_the_file_and_place_of_a_bad_file_and_changes_nothing(city, write, imported, kind):
    make_geojson, table, expected = BAD_FILES[kind]
    # Different figures, so a partial write would show in the snapshot.
    table = table.replace("1000,31000", "1001,31001")

    with pytest.raises(CommandError) as error:
        run(city, *write(make_geojson(), table))

    message = str(error.value)
    for fragment in expected:
        assert fragment in message
    assert Neighbourhood.objects.count() == 3
    assert snapshot() == imported


def test_it_reports_every_problem_in_both_files_at_once(city, write):
    geojson = collection(feature("BU01", SELF_INTERSECTING), feature("BU02", square(5.01, 52.0)))
    table = f"{HEADER}\nBU01,A,many,1,1,1,1,1\nBU02,B,1,1,1,1,1,-5\n"

    with pytest.raises(CommandError) as error:
        run(city, *write(geojson, table))

    message = str(error.value)
    assert "wijken.geojson, feature 0 (code BU01): invalid polygon" in message
    assert "wijken.csv, line 2: population is not a number" in message
    assert "wijken.csv, line 3: age_65_plus is negative" in message
    assert not Neighbourhood.objects.exists()


def test_it_refuses_an_unknown_city(db, write):
    with pytest.raises(CommandError, match="Unknown city: atlantis"):
        call_command(
            "import_neighbourhoods", "atlantis", "--geojson", "x.geojson", "--csv", "x.csv"
        )


def test_it_names_a_missing_file(city, tmp_path):
    with pytest.raises(CommandError, match="nowhere.csv: file not found"):
        run(city, tmp_path / "nowhere.geojson", tmp_path / "nowhere.csv")


def test_it_rolls_back_everything_when_the_write_fails_halfway(city, write, imported, monkeypatch):
    """All or nothing holds for the write itself, not only for validation."""
    features, rows = read_files(*write(good_geojson(), GOOD_CSV.replace("1000,31000", "5,5")))
    extra = write(collection(feature("BU07", square(5.2, 52.0))), f"{HEADER}\nBU07,N,1,1,1,1,1,1\n")
    extra_features, extra_rows = read_files(*extra)

    def broken_bulk_update(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Neighbourhood.objects, "bulk_update", broken_bulk_update)
    with pytest.raises(RuntimeError):
        neighbourhoods_import(
            city=city, features=[*features, *extra_features], rows=[*rows, *extra_rows]
        )

    assert snapshot() == imported


def test_it_refuses_mismatched_codes_in_the_service_too(city, imported):
    rows = parse_csv(GOOD_CSV, filename="wijken.csv", problems=[])

    with pytest.raises(ImportProblem, match="BU01 is not in"):
        neighbourhoods_import(city=city, features=[], rows=rows)
    assert snapshot() == imported
