"""The read-only doorway from `projects` (scoring) into measurements. Nothing else is imported.

Both functions read the hourly rollups, never the raw readings, so scoring a project costs
the same whatever its number of readings. Times are bucketed to the UTC hour: a reading
counts as "in a window" when its hour starts inside the window.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

from django.db.models import Count, Min, OuterRef, Q, Subquery, Sum
from django.urls import reverse

from measurements.models import DailyRollup, HourlyRollup, Quantity, Sensor
from measurements.validation import format_time

ACTIVE_DAYS = 30
STATS_DAYS = 90
HOUR = timedelta(hours=1)


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _active_sensor_ids(project_ids: list[int], *, at: datetime) -> dict[int, set[int]]:
    """Per project, the ids of its active sensors.

    Active = at least one reading in the 30 days before `at`. A project that has no
    readings at all (a new one, or one that types its results elsewhere) falls back to
    the sensors its members marked active, so it is not scored as if it had none.
    """
    active: dict[int, set[int]] = {pid: set() for pid in project_ids}
    since = _floor_hour(at - timedelta(days=ACTIVE_DAYS))
    recent = (
        HourlyRollup.objects.filter(
            sensor__project_id__in=project_ids, hour__gte=since, hour__lt=at
        )
        .values_list("sensor__project_id", "sensor_id")
        .distinct()
    )
    for project_id, sensor_id in recent:
        active[project_id].add(sensor_id)
    # A project with a recent reading has readings: only the others need looking up.
    quiet = [pid for pid in project_ids if not active[pid]]
    with_readings = set(
        HourlyRollup.objects.filter(sensor__project_id__in=quiet, hour__lt=at)
        .values_list("sensor__project_id", flat=True)
        .distinct()
        if quiet
        else []
    )
    fallback = [pid for pid in quiet if pid not in with_readings]
    if fallback:
        for project_id, sensor_id in Sensor.objects.filter(
            project_id__in=fallback, is_active=True
        ).values_list("project_id", "pk"):
            active[project_id].add(sensor_id)
    return active


def active_sensor_points(
    project_ids: list[int], *, at: datetime
) -> dict[int, list[tuple[int, float, float]]]:
    """Per project, (sensor_id, lon, lat) of its active sensors at their EXACT location.

    Exact, because placing a sensor in the right neighbourhood needs the true point; the
    caller must never publish these coordinates.

    Example: a project whose sensor 7 at (5.12, 52.09) had a reading 3 days before `at`
    gives ``{project_id: [(7, 5.12, 52.09)]}``.
    """
    active = _active_sensor_ids(project_ids, at=at)
    wanted = set().union(*active.values()) if active else set()
    points = {
        pk: (lon, lat)
        for pk, lon, lat in Sensor.objects.filter(pk__in=wanted).values_list("pk", "lon", "lat")
    }
    return {
        pid: [(sid, *points[sid]) for sid in sorted(ids) if sid in points]
        for pid, ids in active.items()
    }


def project_reading_stats(project_ids: list[int], *, at: datetime) -> dict[int, dict]:
    """Per project: ``completeness``, ``quality`` and ``first_reading``.

    - window: from 90 days before `at`, or from the hour of the first reading if later,
      up to `at`; it has H hour buckets.
    - ``completeness``: for each active sensor × quantity it measured in the window, the
      share of the H hours with at least one reading; the mean over those pairs.
      Fraction(0..1), or None when there are no such pairs.
    - ``quality``: share of the window's readings (all sensors) without any quality flag;
      Fraction, or None when there were no readings.
    - ``first_reading``: the hour (UTC) of the project's first reading, or None.

    Two grouped queries for all the projects, whatever their number: the first reading per
    project, and per project × sensor × quantity over the last 90 days the readings, the
    flagged ones, the hours with a reading and the rollups of the last 30 days (which say
    whether the sensor is active). No rollup of a project lies before its first reading,
    so "from the first reading if later" only shortens H, never filters rows.

    Example: one active sensor measuring pm25 in 30 of the 48 hours since its first reading
    and temperature in 48, with 2 of 78 readings flagged, gives completeness
    (30/48 + 48/48) / 2 = 13/16 and quality 76/78 = 38/39.
    """
    firsts = dict(
        HourlyRollup.objects.filter(sensor__project_id__in=project_ids, hour__lt=at)
        .values("sensor__project_id")
        .annotate(first=Min("hour"))
        .values_list("sensor__project_id", "first")
    )
    window_start = _floor_hour(at - timedelta(days=STATS_DAYS))
    since = _floor_hour(at - timedelta(days=ACTIVE_DAYS))
    series = (
        HourlyRollup.objects.filter(
            sensor__project_id__in=list(firsts), hour__gte=window_start, hour__lt=at
        )
        .values("sensor__project_id", "sensor_id", "quantity_id")
        .annotate(
            n=Sum("count"),
            flagged=Sum("flagged"),
            filled=Count("id", filter=Q(count__gt=0)),
            recent=Count("id", filter=Q(hour__gte=since)),
        )
        .values_list("sensor__project_id", "sensor_id", "n", "flagged", "filled", "recent")
        .order_by()
    )
    totals: dict[int, list[int]] = {pid: [0, 0] for pid in firsts}
    active: dict[int, set[int]] = {pid: set() for pid in firsts}
    filled_by_pair: dict[int, list[tuple[int, int]]] = {pid: [] for pid in firsts}
    for pid, sensor_id, n, flagged, filled, recent in series:
        totals[pid][0] += n
        totals[pid][1] += flagged
        if recent:
            active[pid].add(sensor_id)
        if filled:
            filled_by_pair[pid].append((sensor_id, filled))
    stats: dict[int, dict] = {}
    for pid in project_ids:
        first = firsts.get(pid)
        if first is None:
            stats[pid] = {"completeness": None, "quality": None, "first_reading": None}
            continue
        start = max(window_start, _floor_hour(first))
        hours = max(1, math.ceil((at - start) / HOUR))
        n, flagged = totals[pid]
        quality = Fraction(n - flagged, n) if n else None
        filled = [f for sensor_id, f in filled_by_pair[pid] if sensor_id in active[pid]]
        completeness = Fraction(sum(filled), hours * len(filled)) if filled else None
        stats[pid] = {
            "completeness": completeness,
            "quality": quality,
            "first_reading": _floor_hour(first),
        }
    return stats


# Colour bands for the project map: upper bounds of each band in the quantity's unit, and
# where the bounds come from. PM2.5: WHO 2021 air quality guideline, 5 µg/m³ annual mean
# and 15 µg/m³ 24-hour mean; PM10: 15 annual and 45 24-hour; NO2: 10 annual and 25
# 24-hour; noise: WHO 2018 road traffic guideline of 53 dB Lden. The map shows each
# sensor's latest hourly mean, so a colour is an indication, not a guideline breach.
MAP_SCALES: dict[str, dict] = {
    "pm25": {"bands": [5, 15, 25, 50], "source": "WHO 2021: 15 µg/m³ daily, 5 µg/m³ annual"},
    "pm10": {"bands": [15, 45, 75, 150], "source": "WHO 2021: 45 µg/m³ daily, 15 µg/m³ annual"},
    "pm1": {"bands": [5, 10, 20, 40], "source": ""},
    "no2": {"bands": [10, 25, 50, 100], "source": "WHO 2021: 25 µg/m³ daily, 10 µg/m³ annual"},
    "noise_laeq": {"bands": [45, 53, 60, 70], "source": "WHO 2018: 53 dB Lden (road traffic)"},
    "temperature": {"bands": [0, 10, 20, 30], "source": ""},
    "humidity": {"bands": [30, 50, 70, 85], "source": ""},
}
MAP_COLOURS = ["#1a9850", "#91cf60", "#fee08b", "#fc8d59", "#d73027"]


def project_sensor_map(project, user, quantity: str | None = None) -> dict:
    """Everything the project page's sensor map needs (`_project_sensor_map.html`): the
    features of `project_sensor_features`, the quantities they carry (the chooser, PM2.5
    first when present) with their colour bands and legend rows, and the one chosen."""
    features = project_sensor_features(project, user)
    codes = {code for f in features["features"] for code in f["properties"]["latest"]}
    quantities = []
    for q in Quantity.objects.filter(code__in=codes).order_by("code"):
        scale = MAP_SCALES.get(q.code, {"bands": [], "source": ""})
        bounds = [None, *scale["bands"]]
        legend = (
            [
                {
                    "colour": MAP_COLOURS[i],
                    "low": bounds[i],
                    "high": bounds[i + 1] if i + 1 < len(bounds) else None,
                }
                for i in range(len(bounds))
            ]
            if scale["bands"]
            else []
        )
        quantities.append(
            {
                "code": q.code,
                "name": q.name,
                "unit": q.unit,
                "bands": scale["bands"],
                "colours": MAP_COLOURS,
                "source": scale["source"],
                "legend": legend,
            }
        )
    quantities.sort(key=lambda q: (q["code"] != "pm25", q["code"]))
    chosen = quantity if quantity in codes else (quantities[0]["code"] if quantities else None)
    return {
        "features": features,
        "quantities": quantities,
        "chosen": chosen,
        "data": {"features": features, "quantities": quantities, "chosen": chosen},
    }


__all__ = [
    "active_sensor_points",
    "latest_values",
    "project_reading_stats",
    "project_sensor_features",
    "project_sensor_map",
]


# --- daily means for the compare page (issue 4) -------------------------------------------


def quantities_measured(project_ids: list[int], start: date, end: date) -> dict[int, set[str]]:
    """Per project, the codes of the quantities with a daily rollup from `start` to `end`
    (both inclusive). Read by the compare page to find what two projects both measure.

    Example: project 4 with pm25 and temperature days in the window gives
    ``{4: {"pm25", "temperature"}}``; a project without any gives an empty set.
    """
    found: dict[int, set[str]] = {pid: set() for pid in project_ids}
    rows = (
        DailyRollup.objects.filter(
            sensor__project_id__in=project_ids, day__gte=start, day__lte=end, mean__isnull=False
        )
        .values_list("sensor__project_id", "quantity__code")
        .distinct()
    )
    for project_id, code in rows:
        found[project_id].add(code)
    return found


def daily_means(
    project_ids: list[int], quantity_code: str, start: date, end: date
) -> dict[int, dict[date, float]]:
    """Per project and UTC day, the mean of its unflagged readings of one quantity.

    Read from the daily rollups, whose `mean` is over the unflagged readings of one sensor,
    so the project's mean weights each sensor-day by its unflagged count:
    ``Σ mean_s · (count_s − flagged_s) / Σ (count_s − flagged_s)``. Days without an
    unflagged reading are left out (a gap on the chart, not a zero).

    Example: on one day sensor A has 10 readings (none flagged) with mean 20 and sensor B
    4 readings (2 flagged) with mean 11; the project's mean is (20·10 + 11·2) / 12 = 18.5.
    """
    sums: dict[int, dict[date, list[float]]] = {pid: {} for pid in project_ids}
    rows = DailyRollup.objects.filter(
        sensor__project_id__in=project_ids,
        quantity__code=quantity_code,
        day__gte=start,
        day__lte=end,
        mean__isnull=False,
    ).values_list("sensor__project_id", "day", "mean", "count", "flagged")
    for project_id, day, mean, count, flagged in rows:
        weight = count - flagged
        if weight <= 0:
            continue
        acc = sums[project_id].setdefault(day, [0.0, 0])
        acc[0] += mean * weight
        acc[1] += weight
    return {
        pid: {day: total / weight for day, (total, weight) in sorted(days.items())}
        for pid, days in sums.items()
    }


__all__ += ["daily_means", "quantities_measured"]


# --- latest values and the project map (read by pages and the API; rollups only) ----------


def latest_values(sensor_ids) -> dict[int, dict[str, dict]]:
    """Per sensor id, per quantity code, the latest hourly rollup with a mean:
    ``{7: {"pm25": {"value": 12.3, "hour": datetime, "unit": "µg/m³"}}}``.

    Read from the hourly rollups (one correlated query on the unique index), never the raw
    table, so a map of a thousand sensors costs the same whatever their number of readings.
    An hour whose readings were all flagged has no mean and is skipped.
    """
    ids = list(sensor_ids)
    if not ids:
        return {}
    newest = (
        HourlyRollup.objects.filter(
            sensor_id=OuterRef("sensor_id"), quantity_id=OuterRef("quantity_id"), mean__isnull=False
        )
        .order_by("-hour")
        .values("hour")[:1]
    )
    quantities = {q.pk: q for q in Quantity.objects.all()}
    result: dict[int, dict[str, dict]] = {}
    rows = HourlyRollup.objects.filter(sensor_id__in=ids, hour=Subquery(newest)).values_list(
        "sensor_id", "quantity_id", "hour", "mean"
    )
    for sensor_id, quantity_id, hour, mean in rows:
        q = quantities[quantity_id]
        result.setdefault(sensor_id, {})[q.code] = {
            "value": round(mean, q.decimals),
            "hour": hour.astimezone(UTC),
            "unit": q.unit,
        }
    return result


def project_sensor_features(project, user, quantity: str | None = None) -> dict:
    """GeoJSON FeatureCollection of the project's sensors that `user` may see, at their
    PUBLISHED locations (hidden sensors are left out), each with its latest hourly mean per
    quantity (``properties.latest``), or only `quantity`'s when given. The exact location is
    never read here.

    Example feature: ``{"type": "Feature", "id": 7, "geometry": {"type": "Point",
    "coordinates": [5.1203, 52.0911]}, "properties": {"id": 7, "name": "Balcony",
    "url": "/sensors/7/", "latest": {"pm25": {"value": 12.3, "unit": "µg/m³",
    "hour": "2024-05-01T10:00:00Z"}}}}``
    """
    sensors = (
        Sensor.objects.visible_to(user)
        .filter(project=project, published_lat__isnull=False, published_lon__isnull=False)
        .order_by("pk")
        .values_list("pk", "name", "published_lat", "published_lon")
    )
    sensors = list(sensors)
    latest = latest_values(pk for pk, *_ in sensors)
    features = []
    for pk, name, lat, lon in sensors:
        values = latest.get(pk, {})
        if quantity is not None:
            values = {k: v for k, v in values.items() if k == quantity}
        features.append(
            {
                "type": "Feature",
                "id": pk,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "id": pk,
                    "name": name,
                    "url": reverse("measurements:sensor", args=[pk]),
                    "latest": {
                        code: {**v, "hour": format_time(v["hour"])} for code, v in values.items()
                    },
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
