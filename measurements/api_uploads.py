"""Files and foreign formats of readings over REST: CSV uploads and the openSenseMap API.

- ``POST /api/v1/uploads/`` (multipart: ``project`` slug, ``file``, optional ``timezone``)
  stores the file and answers 202 with the upload's progress resource;
  ``GET /api/v1/uploads/{id}/`` is that resource (the upload page polls it).
- ``POST /api/v1/ingest/opensensemap/boxes/{box_id}/data`` accepts the openSenseMap upload
  formats and answers with the same per-row report as ``/api/v1/readings/``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, permissions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from citimeasure.authentication import ApiTokenAuthentication
from measurements import services
from measurements.api import _ingest_status
from measurements.formats import opensensemap
from measurements.models import CsvUpload, Sensor, Source
from measurements.uploads import UploadTooLarge, csv_upload_create, readings_ingest_checked
from projects.choices import MembershipState, Role
from projects.models import Project


def uploads_viewable_by(user):
    """Uploads `user` may follow: their own, and all uploads of projects they coordinate."""
    if not getattr(user, "is_authenticated", False):
        return CsvUpload.objects.none()
    coordinated = Project.objects.filter(
        memberships__user=user,
        memberships__role=Role.COORDINATOR,
        memberships__state=MembershipState.ACTIVE,
    )
    return CsvUpload.objects.filter(Q(uploaded_by=user) | Q(project__in=coordinated))


def upload_as_dict(upload: CsvUpload) -> dict:
    return {
        "id": upload.pk,
        "project": upload.project.slug,
        "file": upload.original_name,
        "size": upload.size,
        "timezone": upload.declared_timezone or None,
        "state": upload.state,
        "state_display": str(upload.get_state_display()),
        "progress": upload.progress,
        "rows_done": upload.rows_done,
        "accepted": upload.accepted,
        "duplicates": upload.duplicates,
        "rejected": upload.rejected,
        "message": upload.message,
        "error_report": (
            reverse("measurements:upload-errors", args=[upload.pk]) if upload.error_report else None
        ),
        "created_at": upload.created_at.isoformat(),
        "finished_at": upload.finished_at.isoformat() if upload.finished_at else None,
    }


def _too_large_message(size: int | None = None) -> str:
    limit = settings.CSV_UPLOAD_MAX_BYTES
    sent = f"The file is {size:,} bytes; " if size else ""
    return (
        f"{sent}the limit is {limit:,} bytes ({limit // (1024 * 1024)} MB). "
        "Split the file into smaller ones."
    )


class UploadsView(APIView):
    """Upload a CSV file of readings (columns sensor,quantity,time,value[,unit]).

    Answers 202 with the upload (poll `GET /api/v1/uploads/{id}/`); 400 naming the problem
    when the header or time zone is wrong; 413 when the file is over the size limit.
    """

    # Personal tokens and sessions: a device token sends its own readings, not files.
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def initial(self, request, *args, **kwargs):
        # Refuse an oversized body before Django spools it to disk.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.CSV_UPLOAD_MAX_BYTES + 64 * 1024:
            self.too_large = True
        super().initial(request, *args, **kwargs)

    @extend_schema(request=dict, responses={202: dict, 400: dict, 404: dict, 413: dict})
    def post(self, request):
        if getattr(self, "too_large", False):
            return Response(
                {"detail": _too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
            )
        slug = request.data.get("project")
        if not slug:
            return Response({"project": ["Give the project's slug."]}, status=400)
        project = get_object_or_404(Project.objects.visible_to(request.user), slug=slug)
        file = request.FILES.get("file")
        if file is None:
            return Response({"file": ["Attach the CSV file as 'file'."]}, status=400)
        try:
            upload = csv_upload_create(
                actor=request.user,
                project=project,
                file=file,
                declared_timezone=request.data.get("timezone") or "",
            )
        except UploadTooLarge:
            return Response(
                {"detail": _too_large_message(file.size)},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except DjangoValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        upload.refresh_from_db()
        return Response(upload_as_dict(upload), status=status.HTTP_202_ACCEPTED)


class UploadDetailView(APIView):
    """The progress of one upload; 404 for anyone but the uploader and the coordinators."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: dict, 404: dict})
    def get(self, request, pk: int):
        upload = get_object_or_404(
            uploads_viewable_by(request.user).select_related("project"), pk=pk
        )
        return Response(upload_as_dict(upload))


class PlainTextParser(parsers.BaseParser):
    """The CSV body of an openSenseMap upload, as text."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return stream.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise parsers.ParseError("The CSV body is not UTF-8 text.") from exc


def _token(request) -> str | None:
    """`Token <t>`, `Bearer <t>` or the bare token openSenseMap clients send."""
    header = request.META.get("HTTP_AUTHORIZATION", "").strip()
    kind, _, value = header.partition(" ")
    if kind.lower() in ("token", "bearer"):
        return value.strip() or None
    return header or None


class OpenSenseMapView(APIView):
    """openSenseMap's ``/boxes/{box}/data`` for senseBox devices and scripts.

    The box is found by the openSenseMap box id registered on our sensor and authenticated
    by that sensor's device token; each openSenseMap sensor id maps to a quantity through
    the ids registered on our sensor. Unknown sensor ids reject just their row.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [parsers.JSONParser, PlainTextParser]

    @extend_schema(request=dict, responses={200: dict, 201: dict, 400: dict, 401: dict})
    def post(self, request, box_id: str):
        token = _token(request)
        sensor = self._sensor(box_id, token) if token else None
        if sensor is None:
            response = Response(
                {"detail": "Unknown box or wrong device token (send 'Authorization: Token …')."},
                status=status.HTTP_401_UNAUTHORIZED,
            )
            response["WWW-Authenticate"] = "Token"
            return response
        try:
            if isinstance(request.data, str):
                items = opensensemap.items_from_csv(request.data)
            else:
                items = opensensemap.items_from_json(request.data)
        except opensensemap.PayloadError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if len(items) > services.MAX_ROWS:
            return Response(
                {"detail": f"At most {services.MAX_ROWS} measurements per request."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        rows = opensensemap.rows_for_box(
            items,
            sensor_pk=sensor.pk,
            quantity_codes=sensor.opensensemap_sensor_ids or {},
            received_at=timezone.now(),
        )
        report = readings_ingest_checked(rows=rows, source=Source.DEVICE, device=sensor)
        return Response(report.as_dict(), status=_ingest_status(report))

    @staticmethod
    def _sensor(box_id: str, token: str) -> Sensor | None:
        return Sensor.objects.holding_device_token(token, column="opensensemap_id", values=[box_id])
