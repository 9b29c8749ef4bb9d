"""The read-only doorway from `projects` (scoring) into measurements. Nothing else is imported.

Both functions read the hourly rollups, never the raw readings, so scoring a project costs
the same whatever its number of readings. Times are bucketed to the UTC hour: a reading
counts as "in a window" when its hour starts inside the window.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from fractions import Fraction

from django.db.models import Count, Min, Sum

from measurements.models import HourlyRollup, Sensor

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
    with_readings = set(
        HourlyRollup.objects.filter(sensor__project_id__in=project_ids, hour__lt=at)
        .values_list("sensor__project_id", flat=True)
        .distinct()
    )
    fallback = [pid for pid in project_ids if pid not in with_readings]
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

    Example: one active sensor measuring pm25 in 30 of the 48 hours since its first reading
    and temperature in 48, with 2 of 78 readings flagged, gives completeness
    (30/48 + 48/48) / 2 = 13/16 and quality 76/78 = 38/39.
    """
    active = _active_sensor_ids(project_ids, at=at)
    firsts = dict(
        HourlyRollup.objects.filter(sensor__project_id__in=project_ids, hour__lt=at)
        .values("sensor__project_id")
        .annotate(first=Min("hour"))
        .values_list("sensor__project_id", "first")
    )
    stats: dict[int, dict] = {}
    for pid in project_ids:
        first = firsts.get(pid)
        if first is None:
            stats[pid] = {"completeness": None, "quality": None, "first_reading": None}
            continue
        start = max(_floor_hour(at - timedelta(days=STATS_DAYS)), _floor_hour(first))
        hours = max(1, math.ceil((at - start) / HOUR))
        window = HourlyRollup.objects.filter(sensor__project_id=pid, hour__gte=start, hour__lt=at)
        totals = window.aggregate(n=Sum("count"), flagged=Sum("flagged"))
        quality = Fraction(totals["n"] - totals["flagged"], totals["n"]) if totals["n"] else None
        per_pair = (
            window.filter(sensor_id__in=active[pid], count__gt=0)
            .values("sensor_id", "quantity_id")
            .annotate(filled=Count("id"))
        )
        filled = [row["filled"] for row in per_pair]
        completeness = Fraction(sum(filled), hours * len(filled)) if filled else None
        stats[pid] = {
            "completeness": completeness,
            "quality": quality,
            "first_reading": _floor_hour(first),
        }
    return stats


__all__ = ["active_sensor_points", "project_reading_stats"]
