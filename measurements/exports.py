"""Open data exports of a project: its readings as CSV and its sensors as GeoJSON.

Both carry the project's data licence (CSV: a `licence` column and an `X-Data-Licence`
header; GeoJSON: top-level `licence` and `attribution`), both give PUBLISHED locations only
(the exact point of a sensor never leaves through here), and every CSV text cell is
neutralised against spreadsheet formula injection (`formats.cells`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404

from measurements.formats.cells import row_neutralise
from measurements.models import Quantity, Reading, Sensor
from measurements.quality import flag_names
from measurements.validation import format_time
from projects.models import Project

READING_COLUMNS = [
    "sensor",
    "sensor_name",
    "quantity",
    "unit",
    "time",
    "value",
    "flags",
    "published_lat",
    "published_lon",
    "project",
    "licence",
]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    """CSV lines (header first) with every text cell neutralised; numbers stay numbers."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row_neutralise(row))


def licence_label(project: Project) -> str:
    return str(project.get_licence_display())


def reading_rows(readings) -> Iterator[list[Any]]:
    """Export rows for a Reading queryset, streamed in chunks (never the whole table)."""
    units = {q.id: (q.code, q.unit) for q in Quantity.objects.all()}
    values = readings.order_by("time", "id").values_list(
        "sensor_id",
        "sensor__name",
        "quantity_id",
        "time",
        "value",
        "flags",
        "sensor__published_lat",
        "sensor__published_lon",
        "sensor__project__slug",
        "sensor__project__licence",
    )
    labels = dict(Project._meta.get_field("licence").choices)
    for sensor, name, quantity_id, time, value, flags, plat, plon, slug, licence in values.iterator(
        chunk_size=2000
    ):
        code, unit = units[quantity_id]
        yield [
            sensor,
            name,
            code,
            unit,
            format_time(time),
            value,
            " ".join(flag_names(flags)),
            plat,
            plon,
            slug,
            str(labels.get(licence, licence)),
        ]


def readings_csv_response(readings, *, filename: str, licence: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_stream(READING_COLUMNS, reading_rows(readings)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Data-Licence"] = licence
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _visible_project(request, slug: str) -> Project:
    """404 for projects the user may not see, as if they did not exist."""
    return get_object_or_404(Project.objects.visible_to(request.user), slug=slug)


def readings_csv(request, slug: str):
    """All readings of a visible project as CSV, with its licence on every row."""
    project = _visible_project(request, slug)
    if not project.readings_open_to(request.user):
        raise PermissionDenied(project.readings_closed_message())
    readings = Reading.objects.filter(sensor__project=project)
    return readings_csv_response(
        readings, filename=f"{project.slug}-readings.csv", licence=licence_label(project)
    )


def sensor_export_feature(sensor: Sensor) -> dict[str, Any] | None:
    """A sensor as a GeoJSON feature at its PUBLISHED point; None for hidden sensors."""
    if sensor.published_lat is None or sensor.published_lon is None:
        return None
    return {
        "type": "Feature",
        "id": sensor.pk,
        "geometry": {"type": "Point", "coordinates": [sensor.published_lon, sensor.published_lat]},
        "properties": {
            "id": sensor.pk,
            "name": sensor.name,
            "kit": sensor.kit,
            "indoor": sensor.indoor,
            "height_m": sensor.height_m,
            "location_precision": sensor.location_precision,
            "active": sensor.is_active,
            "quantities": sorted(q.code for q in sensor.quantities.all()),
        },
    }


def sensors_geojson(request, slug: str):
    """The project's sensors with a published location, as a GeoJSON download."""
    project = _visible_project(request, slug)
    sensors = project.sensors.prefetch_related("quantities").order_by("pk")
    features = [f for f in (sensor_export_feature(s) for s in sensors) if f is not None]
    response = JsonResponse(
        {
            "type": "FeatureCollection",
            "licence": licence_label(project),
            "attribution": f"{project.title} (CitiMeasure)",
            "project": project.slug,
            "features": features,
        },
        content_type="application/geo+json",
    )
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-sensors.geojson"'
    response["X-Data-Licence"] = licence_label(project)
    return response
