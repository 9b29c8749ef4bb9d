"""Readings and sensors over REST.

Writes are commands (explicit APIViews) that call `services.readings_ingest`; reads
serve published locations only — the exact point of a sensor never leaves through here.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

import orjson
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, pagination, permissions, renderers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from measurements import airrohr, services
from measurements.authentication import DeviceOrApiTokenAuthentication, DeviceOrUserWrites
from measurements.models import HourlyRollup, Quantity, Reading, Sensor, Source
from measurements.quality import flag_names
from measurements.selectors import latest_values
from measurements.validation import Rejection, format_time, parse_time
from projects.models import Project

MAX_SERIES_DAYS = 400


def _time_param(request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return parse_time(raw, index=0)
    except Rejection:
        raise exceptions.ValidationError(
            {name: f"{raw!r} is not an ISO 8601 time with an offset (e.g. 2024-05-01T00:00:00Z)."}
        ) from None


def _quantity_param(request, *, required: bool = False) -> Quantity | None:
    code = request.query_params.get("quantity")
    if not code:
        if required:
            raise exceptions.ValidationError({"quantity": "Give a quantity code, e.g. pm25."})
        return None
    quantity = Quantity.objects.filter(code=code).first()
    if quantity is None:
        raise exceptions.ValidationError({"quantity": f"Unknown quantity {code!r}."})
    return quantity


def _visible_sensor(request, pk) -> Sensor:
    """404 for sensors of projects the user may not see, exactly as for missing ones."""
    return get_object_or_404(Sensor.objects.visible_to(request.user), pk=pk)


class ReadingCursorPagination(pagination.CursorPagination):
    ordering = ("time", "id")
    page_size = 1000
    page_size_query_param = "page_size"
    max_page_size = 10_000


class PlainJSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, with orjson writing plain data (dicts with string keys, lists,
    strings, ints, floats, booleans, None): an ingest report of 1,000 rows is rendered in
    0.06 instead of 1 ms. What orjson would write differently from DRF — times, decimals,
    lazy translations, subclasses of str or int (choices), integers beyond 64 bits, pretty
    printing for the browser — goes to DRF's renderer instead. Values that are not finite
    (never returned here: they are rejected at ingestion) would be written as null.
    """

    plain = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_SUBCLASS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is not None
            and self.get_indent(accepted_media_type, renderer_context or {}) is None
        ):
            try:
                # DRF escapes these two for JavaScript-embedding safety; so do we.
                return (
                    orjson.dumps(data, option=self.plain)
                    .replace(b"\xe2\x80\xa8", b"\\u2028")
                    .replace(b"\xe2\x80\xa9", b"\\u2029")
                )
            except TypeError:
                pass
        return super().render(data, accepted_media_type, renderer_context)


class ReadingsView(APIView):
    """POST readings (one object or a list of up to 10,000); GET the readings you may read:
    those of projects under an open licence, and of your own projects.

    POST rows: ``{"sensor": 12, "quantity": "pm25", "time": "2024-05-01T13:00:00+02:00",
    "value": 12.3, "unit": "µg/m³"}`` (unit optional). Authenticate with a session, a
    personal token or the sensor's device token (`Authorization: Token …`). The response
    reports each row as accepted, duplicate or rejected (with a code and a message).
    """

    authentication_classes = [DeviceOrApiTokenAuthentication, SessionAuthentication]
    permission_classes = [DeviceOrUserWrites]
    renderer_classes = [PlainJSONRenderer, renderers.BrowsableAPIRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("sensor", int),
            OpenApiParameter("quantity", str),
            OpenApiParameter("start", str, description="ISO 8601 with offset, inclusive"),
            OpenApiParameter("end", str, description="ISO 8601 with offset, exclusive"),
            OpenApiParameter("project", str, description="project slug"),
            OpenApiParameter(
                "bbox", str, description="minlon,minlat,maxlon,maxlat on published locations"
            ),
            OpenApiParameter("quality", str, enum=["ok", "flagged"]),
            OpenApiParameter("format", str, enum=["json", "csv"]),
        ],
        responses={200: dict, 400: dict, 403: dict, 404: dict},
    )
    def get(self, request):
        # A device token writes for its sensor; it never reads with its owner's rights.
        reader = AnonymousUser() if isinstance(request.auth, Sensor) else request.user
        _refuse_closed_readings(request, reader)
        open_projects = Project.objects.readings_open_to(reader)
        sensors = _readings_sensor_filter(request, Sensor.objects.filter(project__in=open_projects))
        readings = _readings_quality_filter(request, Reading.objects.filter(sensor__in=sensors))
        if request.query_params.get("sensor"):
            try:
                sensor_id = int(request.query_params["sensor"])
            except ValueError:
                raise exceptions.ValidationError({"sensor": "Give a sensor id."}) from None
            readings = readings.filter(sensor=get_object_or_404(sensors, pk=sensor_id))
        quantity = _quantity_param(request)
        if quantity is not None:
            readings = readings.filter(quantity=quantity)
        readings = readings.between(_time_param(request, "start"), _time_param(request, "end"))
        # An unknown format is answered 404 by DRF's content negotiation, before this view;
        # an empty one would otherwise pass as JSON.
        if request.query_params.get("format") == "":
            raise exceptions.ValidationError({"format": "Give format=json or format=csv."})
        if request.query_params.get("format") == "csv":
            return _readings_csv(request, readings)
        paginator = ReadingCursorPagination()
        page = paginator.paginate_queryset(readings, request, view=self)
        codes = dict(Quantity.objects.values_list("id", "code"))
        return paginator.get_paginated_response(
            [
                {
                    "sensor": r.sensor_id,
                    "quantity": codes[r.quantity_id],
                    "time": format_time(r.time),
                    "value": r.value,
                    "flags": flag_names(r.flags),
                    "source": r.source,
                }
                for r in page
            ]
        )

    def perform_content_negotiation(self, request, force=False):
        # `?format=csv` is answered by a streamed CSV response built by hand; errors on the
        # way (a bad bbox) are still JSON, so DRF must not look for a "csv" renderer.
        if request.query_params.get("format") == "csv":
            return self.get_renderers()[0], self.get_renderers()[0].media_type
        return super().perform_content_negotiation(request, force)

    @extend_schema(request=dict, responses={200: dict, 201: dict, 400: dict, 403: dict, 413: dict})
    def post(self, request):
        rows = request.data
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list):
            return Response(
                {"detail": "Send a JSON object or a JSON list of objects."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if len(rows) > services.MAX_ROWS:
            return Response(
                {
                    "detail": f"At most {services.MAX_ROWS} readings per request; "
                    f"you sent {len(rows)}. Split them into several requests."
                },
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        device = request.auth if isinstance(request.auth, Sensor) else None
        try:
            report = services.readings_ingest(
                rows=rows,
                source=Source.DEVICE if device else Source.API,
                actor=None if device else request.user,
                device=device,
            )
        except DjangoValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(report.as_dict(), status=_ingest_status(report))


def _refuse_closed_readings(request, reader) -> None:
    """403 naming the licence when the caller asks by name (`project` or `sensor`) for the
    readings of a visible project that does not share them; asked for nothing in
    particular, such readings are simply not listed."""
    closed = Project.objects.visible_to(reader).exclude(
        pk__in=Project.objects.readings_open_to(reader).values("pk")
    )
    slug, sensor = request.query_params.get("project"), request.query_params.get("sensor", "")
    if slug:
        asked = closed.filter(slug=slug).first()
    elif sensor.isdecimal():
        asked = closed.filter(sensors__pk=int(sensor)).first()
    else:
        return
    if asked is not None:
        raise exceptions.PermissionDenied(asked.readings_closed_message())


def _bbox_param(request) -> tuple[float, float, float, float] | None:
    """`bbox=minlon,minlat,maxlon,maxlat` as four floats, or None when absent."""
    raw = request.query_params.get("bbox")
    if not raw:
        return None
    try:
        minlon, minlat, maxlon, maxlat = (float(part) for part in raw.split(","))
    except ValueError:
        minlon = None
    if minlon is None or not (-180 <= minlon <= maxlon <= 180 and -90 <= minlat <= maxlat <= 90):
        raise exceptions.ValidationError(
            {
                "bbox": f"{raw!r} is not a bounding box; give minlon,minlat,maxlon,maxlat "
                "in degrees, e.g. 5.0,52.0,5.2,52.2."
            }
        )
    return minlon, minlat, maxlon, maxlat


def _readings_sensor_filter(request, sensors):
    """Narrow the readable sensors by `project` (slug) and `bbox` (published locations only:
    filtering on the exact point would let a caller home in on it box by box)."""
    if request.query_params.get("project"):
        sensors = sensors.filter(project__slug=request.query_params["project"])
    bbox = _bbox_param(request)
    if bbox is not None:
        minlon, minlat, maxlon, maxlat = bbox
        sensors = sensors.filter(
            published_lon__gte=minlon,
            published_lon__lte=maxlon,
            published_lat__gte=minlat,
            published_lat__lte=maxlat,
        )
    return sensors


def _readings_quality_filter(request, readings):
    """`quality=ok`: readings without any flag; `quality=flagged`: with at least one."""
    quality = request.query_params.get("quality")
    if not quality:
        return readings
    if quality == "ok":
        return readings.filter(flags=0)
    if quality == "flagged":
        return readings.exclude(flags=0)
    raise exceptions.ValidationError({"quality": "Give quality=ok or quality=flagged."})


def _readings_csv(request, readings):
    """The filtered readings as a streamed CSV, with a licence column per row; the header
    names the licence when one project was asked for."""
    from measurements.exports import licence_label, readings_csv_response

    slug = request.query_params.get("project")
    project = Project.objects.filter(slug=slug).first() if slug else None
    return readings_csv_response(
        readings,
        filename=f"{slug or 'readings'}.csv",
        licence=licence_label(project) if project else "see the licence column",
    )


def _ingest_status(report: services.IngestReport) -> int:
    """201 when something was stored; 403 when every row named a sensor the caller may not
    write to; 200 otherwise (all duplicates, or a mix with rejections — see the rows)."""
    if report.accepted:
        return status.HTTP_201_CREATED
    if report.results and all(r.code == "unknown_sensor" for r in report.results):
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_200_OK


def sensor_feature(sensor: Sensor) -> dict:
    """A GeoJSON feature with the PUBLISHED location only (none for hidden sensors)."""
    geometry = None
    if sensor.published_lat is not None and sensor.published_lon is not None:
        geometry = {"type": "Point", "coordinates": [sensor.published_lon, sensor.published_lat]}
    return {
        "type": "Feature",
        "id": sensor.pk,
        "geometry": geometry,
        "properties": {
            "id": sensor.pk,
            "name": sensor.name,
            "project": sensor.project.slug,
            "kit": sensor.kit,
            "indoor": sensor.indoor,
            "height_m": sensor.height_m,
            "location_precision": sensor.location_precision,
            "active": sensor.is_active,
            "url": sensor.get_absolute_url(),
        },
    }


class SensorsView(APIView):
    """GeoJSON FeatureCollection of the sensors you may see, at their published locations."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[OpenApiParameter("project", str, description="project slug")],
        responses={200: dict},
    )
    def get(self, request):
        sensors = Sensor.objects.visible_to(request.user).select_related("project").order_by("pk")
        if request.query_params.get("project"):
            sensors = sensors.filter(project__slug=request.query_params["project"])
        sensors = list(sensors)
        # Latest hourly mean per quantity, from the rollups (never the raw table).
        latest = latest_values(s.pk for s in sensors)
        features = []
        for sensor in sensors:
            feature = sensor_feature(sensor)
            feature["properties"]["latest"] = {
                code: {**v, "hour": format_time(v["hour"])}
                for code, v in latest.get(sensor.pk, {}).items()
            }
            features.append(feature)
        return Response({"type": "FeatureCollection", "features": features})


def series_points(sensor: Sensor, quantity: Quantity, start: datetime, end: datetime) -> list[dict]:
    """Hourly points from the rollups (never the raw table)."""
    rollups = HourlyRollup.objects.filter(
        sensor=sensor, quantity=quantity, hour__gte=start, hour__lt=end
    ).order_by("hour")
    return [
        {
            "hour": format_time(r.hour),
            "count": r.count,
            "flagged": r.flagged,
            "mean": r.mean,
            "min": r.min,
            "max": r.max,
        }
        for r in rollups
    ]


class SensorSeriesView(APIView):
    """Hourly mean/min/max/count of one sensor and quantity, from the rollups."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("quantity", str, required=True),
            OpenApiParameter("start", str),
            OpenApiParameter("end", str),
        ],
        responses={200: dict},
    )
    def get(self, request, pk: int):
        sensor = _visible_sensor(request, pk)
        quantity = _quantity_param(request, required=True)
        end = _time_param(request, "end") or timezone.now()
        start = _time_param(request, "start") or end - timedelta(days=7)
        if end - start > timedelta(days=MAX_SERIES_DAYS):
            raise exceptions.ValidationError(
                {"start": f"Ask for at most {MAX_SERIES_DAYS} days at once."}
            )
        return Response(
            {
                "sensor": sensor.pk,
                "quantity": quantity.code,
                "unit": quantity.unit,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "points": series_points(sensor, quantity, start, end),
            }
        )


def _basic_password(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    kind, _, value = header.partition(" ")
    if kind.lower() == "token":
        return value.strip() or None
    if kind.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


class SensorCommunityView(APIView):
    """The airrohr firmware's "send to own API": the sensor is found by the chip id in
    `X-Sensor` and authenticated by its device token as the Basic-auth password."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(request=dict, responses={200: dict, 201: dict, 400: dict, 401: dict})
    def post(self, request):
        chip = airrohr.chip_id(request.META.get("HTTP_X_SENSOR"))
        token = _basic_password(request)
        sensor = self._sensor(chip, token) if chip and token else None
        if sensor is None:
            response = Response(
                {
                    "detail": "Unknown sensor or wrong device token "
                    "(send the device token as the Basic-auth password)."
                },
                status=status.HTTP_401_UNAUTHORIZED,
            )
            response["WWW-Authenticate"] = 'Basic realm="CitiMeasure"'
            return response
        try:
            rows = airrohr.airrohr_rows(
                request.data, sensor_id=sensor.pk, received_at=timezone.now()
            )
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        report = services.readings_ingest(rows=rows, source=Source.DEVICE, device=sensor)
        return Response(
            report.as_dict(), status=_ingest_status(report) if rows else status.HTTP_200_OK
        )

    @staticmethod
    def _sensor(chip: str, token: str) -> Sensor | None:
        ids = [chip, f"esp8266-{chip}", f"esp32-{chip}"]
        return Sensor.objects.holding_device_token(token, column="sensor_community_id", values=ids)
