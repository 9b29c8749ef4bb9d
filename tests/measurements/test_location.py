from __future__ import annotations

import pytest

from measurements.location import (
    CELL_LAT,
    approximate_location,
    grid_cell,
    location_is_valid,
    published_location,
)

KEY = "test-secret"


def _cell(lat: float, lon: float) -> tuple[float, float]:
    south, west, _, _ = grid_cell(lat, lon)
    return round(south, 9), round(west, 9)


def test_it_publishes_an_approximate_point_inside_the_true_cell():
    for sensor_id in range(1, 200):
        lat, lon = approximate_location(sensor_id=sensor_id, lat=52.0912345, lon=5.1198765, key=KEY)
        assert _cell(lat, lon) == _cell(52.0912345, 5.1198765)
        assert (lat, lon) != (52.0912345, 5.1198765)


def test_it_publishes_the_same_point_every_time_but_different_points_per_sensor():
    first = approximate_location(sensor_id=7, lat=52.09, lon=5.12, key=KEY)
    assert approximate_location(sensor_id=7, lat=52.09, lon=5.12, key=KEY) == first
    # Moving within the cell does not move the published point.
    assert approximate_location(sensor_id=7, lat=52.0901, lon=5.1201, key=KEY) == first
    assert approximate_location(sensor_id=8, lat=52.09, lon=5.12, key=KEY) != first


def test_it_depends_on_the_secret_key():
    assert approximate_location(sensor_id=7, lat=52.09, lon=5.12, key="a") != approximate_location(
        sensor_id=7, lat=52.09, lon=5.12, key="b"
    )


def test_it_keeps_cells_about_250_metres_wide():
    south, west, height, width = grid_cell(52.09, 5.12)
    assert height * 111_320 == pytest.approx(250)
    assert width * 111_320 * 0.6145 == pytest.approx(250, rel=0.01)  # cos(52.09°) ≈ 0.6145
    assert height == CELL_LAT


def test_it_hides_hidden_sensors_and_shows_exact_ones_exactly():
    assert published_location(sensor_id=1, lat=52.09, lon=5.12, precision="hidden") is None
    assert published_location(sensor_id=1, lat=52.09, lon=5.12, precision="exact") == (52.09, 5.12)
    assert published_location(sensor_id=None, lat=52.09, lon=5.12, precision="approximate") is None


@pytest.mark.parametrize(
    "lat, lon, ok",
    [
        (52.1, 5.1, True),
        (0, 0, False),
        (91, 5, False),
        (52, 181, False),
        (float("nan"), 5, False),
        (-33.9, -70.6, True),
    ],
)
def test_it_rejects_impossible_coordinates(lat, lon, ok):
    assert location_is_valid(lat, lon) is ok
