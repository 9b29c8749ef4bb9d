"""`GET /api/v1/series/`: hourly or daily mean/min/max/count from the rollups only.

Either ``sensors=1,2`` (one series per sensor) or ``project=<slug>`` (one series for the
whole project, combining its sensors), with ``quantity``, ``start``/``end`` (ISO 8601 with
an offset; default the last 7 days) and ``interval=hour|day`` (default hour).

Limits, so one request stays a few hundred kilobytes: at most MAX_DAYS["hour"] = 92 days
of hourly points and MAX_DAYS["day"] = 3,660 days (ten years) of daily points, and at most
MAX_SENSORS sensors; a longer range or more sensors is answered 400 with a message naming
the limit. Sensors the caller may not see are answered 404, like missing ones.

A hot path: rows are turned into dicts by hand, without a serializer per point.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import CharField, F, FloatField, Func, Max, Min, Q, Sum
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from measurements.api import _quantity_param, _time_param
from measurements.models import DailyRollup, HourlyRollup, Sensor
from measurements.validation import format_time
from projects.models import Project

MAX_DAYS = {"hour": 92, "day": 3660}
MAX_SENSORS = 100
DEFAULT_DAYS = 7


class TimeLabel(Func):
    """A point's time as the API writes it, made by the database: '2024-05-01T10:00:00Z'
    for an hour (UTC, whole seconds: `format_time`), '2024-05-01' for a day. A series then
    neither loads nor formats a timestamp per point in Python, which was half of its time
    at 720 points."""

    output_field = CharField()
    # Per interval: the to_char format (PostgreSQL) and the strftime one (SQLite, where
    # times are stored as UTC text); '%%%%' is '%' once Django and the SQLite backend
    # have unescaped it.
    FORMATS = {
        "hour": ('\'YYYY-MM-DD"T"HH24:MI:SS"Z"\'', "'%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%SZ'"),
        "day": ("'YYYY-MM-DD'", "'%%%%Y-%%%%m-%%%%d'"),
    }

    def __init__(self, expression, *, interval: str) -> None:
        self.interval = interval
        super().__init__(expression)

    def as_postgresql(self, compiler, connection, **extra):
        value = "%(expressions)s"
        if self.interval == "hour":
            value += " AT TIME ZONE 'UTC'"
        template = f"to_char({value}, {self.FORMATS[self.interval][0]})"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = f"strftime({self.FORMATS[self.interval][1]}, %(expressions)s)"
        return self.as_sql(compiler, connection, template=template, **extra)


def _interval(request) -> str:
    interval = request.query_params.get("interval", "hour")
    if interval not in MAX_DAYS:
        raise exceptions.ValidationError({"interval": "Give interval=hour or interval=day."})
    return interval


def _sensor_ids(raw: str) -> list[int]:
    try:
        ids = sorted({int(part) for part in raw.split(",") if part.strip()})
    except ValueError:
        raise exceptions.ValidationError(
            {"sensors": f"{raw!r} is not a list of sensor ids, e.g. sensors=12,13."}
        ) from None
    if not ids:
        raise exceptions.ValidationError({"sensors": "Give at least one sensor id."})
    if len(ids) > MAX_SENSORS:
        raise exceptions.ValidationError(
            {"sensors": f"Ask for at most {MAX_SENSORS} sensors at once; you asked {len(ids)}."}
        )
    return ids


def _table(interval: str, start: datetime, end: datetime):
    """The rollup table of `interval`, limited to [start, end), and its time column, which
    is named after the interval ("hour" or "day")."""
    if interval == "hour":
        return HourlyRollup.objects.filter(hour__gte=start, hour__lt=end), "hour"
    return DailyRollup.objects.filter(day__gte=start.date(), day__lt=end.date()), "day"


def project_series(rollups, column: str) -> list[dict]:
    """One point per hour or day over all of a project's sensors (`rollups` already
    narrowed to them), for the hours or days with at least one unflagged reading.

    count and flagged are sums; min and max the extremes; the mean is weighted by each
    sensor's unflagged readings so it equals the mean of all the unflagged readings:
    mean = Σ mean_s·(count_s − flagged_s) / Σ (count_s − flagged_s).

    Example: sensor A 10 clean readings with mean 20, sensor B 4 readings (2 flagged) with
    mean 11 → count 14, flagged 2, mean (20·10 + 11·2) / 12 = 18.5.
    """
    has_mean = Q(mean__isnull=False)
    clean = Cast(F("count"), FloatField()) - Cast(F("flagged"), FloatField())
    rows = (
        rollups.values(column)
        .annotate(
            n=Sum("count"),
            f=Sum("flagged"),
            # NULL (and the point left out) when no rollup of the hour has a mean.
            weighted_mean=Sum(F("mean") * clean, filter=has_mean) / Sum(clean, filter=has_mean),
            low=Min("min"),
            high=Max("max"),
        )
        .filter(weighted_mean__isnull=False)
        # Of Min(column), the group's own time: formatted once per point after grouping.
        # Of the column itself it would join the GROUP BY and be computed for every rollup.
        .annotate(label=TimeLabel(Min(column), interval=column))
        .order_by(column)
        .values_list("label", "n", "f", "weighted_mean", "low", "high")
    )
    return [
        {
            "time": label,
            "count": n,
            "flagged": f,
            "mean": mean,
            "min": low,
            "max": high,
        }
        for label, n, f, mean, low, high in rows
    ]


def project_sensor_ids(user, slug: str) -> list[int] | None:
    """The ids of the sensors of project `slug`, or None when `user` may not see such a
    project. As ids, the rollups are then read through their (sensor, quantity, time)
    index, sensor by sensor, with no join; the project itself is looked up only when it
    has no sensors (one query instead of two in the usual case)."""
    projects = Project.objects.visible_to(user).filter(slug=slug)
    ids = list(Sensor.objects.filter(project__in=projects).order_by().values_list("pk", flat=True))
    return ids if ids or projects.exists() else None


class SeriesView(APIView):
    """Hourly or daily series of one quantity for sensors or a whole project, from rollups."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("quantity", str, required=True),
            OpenApiParameter("sensors", str, description="comma-separated sensor ids"),
            OpenApiParameter("project", str, description="project slug (instead of sensors)"),
            OpenApiParameter("start", str, description="ISO 8601 with offset, inclusive"),
            OpenApiParameter("end", str, description="ISO 8601 with offset, exclusive"),
            OpenApiParameter("interval", str, enum=["hour", "day"]),
        ],
        responses={200: dict, 400: dict, 404: dict},
    )
    def get(self, request):
        quantity = _quantity_param(request, required=True)
        interval = _interval(request)
        end = _time_param(request, "end") or timezone.now()
        start = _time_param(request, "start") or end - timedelta(days=DEFAULT_DAYS)
        if start >= end:
            raise exceptions.ValidationError({"start": "start must be before end."})
        if end - start > timedelta(days=MAX_DAYS[interval]):
            raise exceptions.ValidationError(
                {
                    "start": f"Ask for at most {MAX_DAYS[interval]} days of {interval}ly points "
                    f"at once (you asked {(end - start).days} days); use interval=day or a "
                    "shorter range."
                }
            )
        rollups, column = _table(interval, start, end)
        rollups = rollups.filter(quantity=quantity)
        body = {
            "quantity": quantity.code,
            "unit": quantity.unit,
            "interval": interval,
            "start": format_time(start),
            "end": format_time(end),
        }
        slug, raw_ids = request.query_params.get("project"), request.query_params.get("sensors")
        if bool(slug) == bool(raw_ids):
            raise exceptions.ValidationError(
                {"sensors": "Give either sensors=<ids> or project=<slug>, not both or neither."}
            )
        if slug:
            ids = project_sensor_ids(request.user, slug)
            if ids is None:
                raise Http404
            body["project"] = slug
            body["points"] = project_series(rollups.filter(sensor_id__in=ids), column)
            return Response(body)
        ids = _sensor_ids(raw_ids)
        visible = Sensor.objects.visible_to(request.user)
        sensors = dict(visible.filter(pk__in=ids).values_list("pk", "name"))
        if len(sensors) != len(ids):
            raise Http404
        points: dict[int, list[dict]] = {pk: [] for pk in ids}
        for sensor_id, label, count, flagged, mean, low, high in (
            rollups.filter(sensor_id__in=ids)
            .annotate(label=TimeLabel(column, interval=column))
            .order_by("sensor_id", column)
            .values_list("sensor_id", "label", "count", "flagged", "mean", "min", "max")
        ):
            points[sensor_id].append(
                {
                    "time": label,
                    "count": count,
                    "flagged": flagged,
                    "mean": mean,
                    "min": low,
                    "max": high,
                }
            )
        body["series"] = [{"sensor": pk, "name": sensors[pk], "points": points[pk]} for pk in ids]
        return Response(body)
