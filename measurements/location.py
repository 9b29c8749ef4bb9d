"""Where a sensor is shown: the published point, derived from the private exact one.

Pure functions, no ORM. The rule (DESIGN.md, "Published locations"):

- ``exact``: the exact point, by the owner's explicit choice;
- ``hidden``: nothing;
- ``approximate``: a fixed grid of cells about 250 m on each side covers the earth; the
  published point lies inside the cell that contains the true point, at an offset chosen
  by an HMAC (keyed with SECRET_KEY) of the sensor id. The point is therefore the same on
  every request — averaging many requests reveals nothing — and an outsider who knows the
  grid learns only the cell, never where in it the sensor is.

Worked example (cell height 250 m ≈ 0.0022458 degrees of latitude): a sensor at
lat 52.090000, lon 5.120000 lies in grid row floor(52.09 / 0.0022458) = 23194, whose
southern edge is 52.088573. At the row's middle latitude a 250 m east-west step is
0.0022458 / cos(52.0897°) ≈ 0.0036551 degrees of longitude, so the column is
floor(5.12 / 0.0036551) = 1400 with western edge 5.117107. If the HMAC of the sensor id
gives the fractions (0.31, 0.74), the published point is lat 52.088573 + 0.31 × 0.0022458
= 52.089270, lon 5.117107 + 0.74 × 0.0036551 = 5.119812 — about 82 m from the true point,
and the same on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import math

from django.conf import settings

CELL_METRES = 250.0
METRES_PER_DEGREE_LAT = 111_320.0
CELL_LAT = CELL_METRES / METRES_PER_DEGREE_LAT
# Keep the published point off the cell's edges, so it can never round into a neighbour.
MARGIN = 0.05


def location_is_valid(lat: float, lon: float) -> bool:
    """Within ±90/±180, finite, and not the (0, 0) that a GPS without a fix reports."""
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    return not (lat == 0 and lon == 0)


def grid_cell(lat: float, lon: float) -> tuple[float, float, float, float]:
    """The grid cell containing the point: (south, west, height in degrees, width in degrees).

    Rows are fixed bands of latitude; within a row, columns are ~250 m wide at the row's
    middle latitude, so the grid does not depend on the point itself.
    """
    row = math.floor(lat / CELL_LAT)
    south = row * CELL_LAT
    middle = math.radians(min(max(south + CELL_LAT / 2, -89.9), 89.9))
    cell_lon = CELL_LAT / math.cos(middle)
    column = math.floor(lon / cell_lon)
    return south, column * cell_lon, CELL_LAT, cell_lon


def _fractions(sensor_id: int, key: str) -> tuple[float, float]:
    """Two numbers in [MARGIN, 1 − MARGIN], fixed per sensor and secret to outsiders."""
    digest = hmac.new(
        key.encode(), f"sensor-location:{sensor_id}".encode(), hashlib.sha256
    ).digest()
    first = int.from_bytes(digest[:8], "big") / 2**64
    second = int.from_bytes(digest[8:16], "big") / 2**64
    span = 1 - 2 * MARGIN
    return MARGIN + first * span, MARGIN + second * span


def approximate_location(
    *, sensor_id: int, lat: float, lon: float, key: str | None = None
) -> tuple[float, float]:
    """The published (lat, lon) for an approximate sensor: a keyed fixed point in its cell."""
    south, west, height, width = grid_cell(lat, lon)
    f_lat, f_lon = _fractions(sensor_id, key if key is not None else settings.SECRET_KEY)
    return round(south + f_lat * height, 6), round(west + f_lon * width, 6)


def published_location(
    *, sensor_id: int | None, lat: float, lon: float, precision: str, key: str | None = None
) -> tuple[float, float] | None:
    """The (lat, lon) the public may see for a sensor, or None when nothing is published."""
    if precision == "hidden" or sensor_id is None or not location_is_valid(lat, lon):
        return None
    if precision == "exact":
        return lat, lon
    return approximate_location(sensor_id=sensor_id, lat=lat, lon=lon, key=key)
