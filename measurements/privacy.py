"""The measurements part of residents' rights: the user's sensors (with their exact
locations) and readings in "download my data", and what happens to them on deletion.

Registered with `citimeasure.privacy` (which imports every app's `privacy` module).

On deletion the resident chooses:

- delete: their sensors go, with every reading, rollup and upload that belongs to them;
- keep: the readings stay in their projects as anonymous open data. The sensor loses its
  owner, gets a neutral name ("Sensor 42"), its device token and the external ids that
  link it to public maps elsewhere (Sensor.Community, openSenseMap) are erased, it stops
  taking readings, and its exact location is replaced by the centre of its ~250 m grid
  cell (see `measurements.location`). We use the cell centre for every precision: for
  "approximate" it lies in the same cell, so the published point (a keyed function of the
  cell and the sensor id) stays exactly where the public already saw it; for "hidden" it
  stays hidden; for "exact" the precision becomes "approximate", because after erasure no
  exact point exists any more and the public map must not pretend it does.

In both cases the user's CSV files (and their error reports) are deleted from storage:
an uploaded file may carry names or coordinates we cannot vouch for.
"""

from __future__ import annotations

from django.db import transaction

from citimeasure.privacy import erase_step, export_section
from measurements.location import grid_cell, location_is_valid
from measurements.models import CsvUpload, LocationPrecision, Reading, Sensor

#: At most this many readings go into one archive (newest first); the rest stay available
#: through the readings API, which the archive names. Keeps the download bounded in memory.
READINGS_EXPORT_LIMIT = 100_000


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@export_section("sensors")
def _sensors(user) -> list[dict]:
    """The user's own sensors, with their exact (private) locations."""
    rows = Sensor.objects.filter(owner=user).select_related("project").order_by("pk")
    return [
        {
            "id": s.pk,
            "name": s.name,
            "project": s.project.slug,
            "kit": s.kit,
            "lat": s.lat,
            "lon": s.lon,
            "location_precision": s.location_precision,
            "published_lat": s.published_lat,
            "published_lon": s.published_lon,
            "indoor": s.indoor,
            "height_m": s.height_m,
            "sensor_community_id": s.sensor_community_id,
            "opensensemap_id": s.opensensemap_id,
            "quantities": sorted(s.quantities.values_list("code", flat=True)),
            "active": s.is_active,
            "has_device_token": bool(s.device_token_digest),
            "created_at": _iso(s.created_at),
        }
        for s in rows
    ]


@export_section("readings")
def _readings(user) -> dict:
    """Readings of the user's own sensors, newest first, up to READINGS_EXPORT_LIMIT."""
    mine = Reading.objects.filter(sensor__owner=user)
    total = mine.count()
    rows = mine.order_by("-time", "-pk").values_list(
        "sensor_id", "quantity__code", "time", "value", "flags", "source"
    )[:READINGS_EXPORT_LIMIT]
    return {
        "total": total,
        "included": min(total, READINGS_EXPORT_LIMIT),
        "more_at": "/api/v1/readings/?sensor=<id>" if total > READINGS_EXPORT_LIMIT else None,
        "columns": ["sensor", "quantity", "time", "value", "flags", "source"],
        "rows": [
            [sensor, code, _iso(time), value, flags, source]
            for sensor, code, time, value, flags, source in rows.iterator(chunk_size=5000)
        ],
    }


@export_section("csv_uploads")
def _uploads(user) -> list[dict]:
    return [
        {
            "project": u.project.slug,
            "file": u.original_name,
            "size": u.size,
            "state": u.state,
            "accepted": u.accepted,
            "duplicates": u.duplicates,
            "rejected": u.rejected,
            "created_at": _iso(u.created_at),
        }
        for u in CsvUpload.objects.filter(uploaded_by=user).select_related("project")
    ]


def cell_centre(lat: float, lon: float) -> tuple[float, float]:
    """The centre of the ~250 m grid cell holding the point (see `measurements.location`).

    Worked example: lat 52.09, lon 5.12 lies in the cell with south edge 52.088573 and
    west edge 5.117107 (0.0022458° × 0.0036551°), so the centre is (52.089696, 5.118934).
    """
    south, west, height, width = grid_cell(lat, lon)
    return round(south + height / 2, 6), round(west + width / 2, 6)


def sensor_anonymise(sensor: Sensor) -> None:
    """Keep the sensor's readings as open data without anything that points at its owner."""
    lat, lon = (
        cell_centre(sensor.lat, sensor.lon) if location_is_valid(sensor.lat, sensor.lon) else (0, 0)
    )
    sensor.owner = None
    sensor.name = f"Sensor {sensor.pk}"
    sensor.lat, sensor.lon = lat, lon
    if sensor.location_precision == LocationPrecision.EXACT:
        sensor.location_precision = LocationPrecision.APPROXIMATE
    sensor.sensor_community_id = ""
    sensor.opensensemap_id = ""
    sensor.opensensemap_sensor_ids = {}
    sensor.is_active = False
    sensor.save()
    sensor.device_token_revoke()


@erase_step("sensors")
def _erase_sensors(*, user, keep_readings: bool) -> dict:
    sensors = list(Sensor.objects.filter(owner=user))
    if keep_readings:
        for sensor in sensors:
            sensor_anonymise(sensor)
        return {"anonymised": len(sensors), "deleted": 0}
    for sensor in sensors:
        sensor.delete()
    return {"anonymised": 0, "deleted": len(sensors)}


@erase_step("csv_uploads")
def _erase_uploads(*, user, keep_readings: bool) -> dict:
    """Delete the user's uploads; their files go once the deletion commits (a rollback must
    not leave rows pointing at files that no longer exist)."""
    uploads = list(CsvUpload.objects.filter(uploaded_by=user))
    files = [(f.storage, f.name) for u in uploads for f in (u.file, u.error_report) if f]
    for upload in uploads:
        upload.delete()

    def remove_files() -> None:
        for storage, name in files:
            storage.delete(name)

    transaction.on_commit(remove_files)
    return {"deleted": len(uploads)}
