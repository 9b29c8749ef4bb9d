"""Managing sensors and their readings over REST (commands, one service call each).

- ``POST /api/v1/sensors/{id}/token/`` replaces the device token and returns the new one,
  once (``Cache-Control: no-store``); ``DELETE`` revokes it (the device then gets 401).
- ``POST /api/v1/readings/{id}/invalidate/`` with ``{"reason": "…"}`` marks a reading
  invalid (coordinators of its project only); the value is kept, the INVALID flag set.

Authentication by session or personal API token, never by a device token: a device must
not re-key itself. Objects the user may not see answer 404; those they see but may not
manage, 403.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.response import Response
from rest_framework.views import APIView

from citimeasure.authentication import ApiTokenAuthentication
from measurements import services
from measurements.api import _visible_sensor
from measurements.models import Reading, Sensor
from measurements.quality import flag_names

_Detail = inline_serializer("SensorManagementError", {"detail": serializers.CharField()})

_TokenOut = inline_serializer(
    "SensorTokenIssued",
    {
        "sensor": serializers.IntegerField(),
        "token": serializers.CharField(help_text="The new device token; shown only this once."),
        "prefix": serializers.CharField(help_text="Its non-secret prefix, to recognise it."),
    },
)

_InvalidateIn = inline_serializer(
    "ReadingInvalidateRequest",
    {"reason": serializers.CharField(min_length=1, max_length=1000)},
)

_InvalidateOut = inline_serializer(
    "ReadingInvalidated",
    {
        "reading": serializers.IntegerField(),
        "sensor": serializers.IntegerField(),
        "value": serializers.FloatField(),
        "flags": serializers.ListField(child=serializers.CharField()),
        "reason": serializers.CharField(),
        "invalidated_at": serializers.DateTimeField(),
        "created": serializers.BooleanField(
            help_text="False when the reading was already invalid (nothing changed)."
        ),
    },
)


class _ManagementView(APIView):
    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated]


class SensorTokenView(_ManagementView):
    """The sensor's device token: replace it (POST) or revoke it (DELETE)."""

    @extend_schema(
        request=None,
        responses={201: _TokenOut, 401: _Detail, 403: _Detail, 404: _Detail},
        summary="Replace the device token",
    )
    def post(self, request, pk: int):
        sensor = _visible_sensor(request, pk)
        token = services.sensor_token_reissue(actor=request.user, sensor=sensor)
        response = Response(
            {"sensor": sensor.pk, "token": token, "prefix": sensor.device_token_prefix},
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        request=None,
        responses={204: None, 401: _Detail, 403: _Detail, 404: _Detail},
        summary="Revoke the device token",
    )
    def delete(self, request, pk: int):
        sensor = _visible_sensor(request, pk)
        services.sensor_token_revoke(actor=request.user, sensor=sensor)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReadingInvalidateView(_ManagementView):
    """Mark a reading invalid, with the reason (kept, and written to the audit log)."""

    @extend_schema(
        request=_InvalidateIn,
        responses={
            200: _InvalidateOut,
            400: dict,
            401: _Detail,
            403: _Detail,
            404: _Detail,
        },
        summary="Invalidate a reading",
    )
    def post(self, request, pk: int):
        reading = get_object_or_404(
            Reading.objects.filter(
                sensor__in=Sensor.objects.visible_to(request.user)
            ).select_related("sensor__project"),
            pk=pk,
        )
        data = request.data if isinstance(request.data, dict) else None
        reason = data.get("reason") if data is not None else None
        # Strict on the type: a number or a list is not a reason (DRF's CharField would
        # turn 5 into "5").
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 1000:
            raise exceptions.ValidationError(
                {"reason": ["Give the reason as a non-empty text of at most 1000 characters."]}
            )
        try:
            report = services.reading_invalidate(actor=request.user, reading=reading, reason=reason)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict) from None
        reading.refresh_from_db(fields=["flags"])
        invalidation = report.invalidation
        return Response(
            {
                "reading": reading.pk,
                "sensor": reading.sensor_id,
                "value": reading.value,
                "flags": flag_names(reading.flags),
                "reason": invalidation.reason,
                "invalidated_at": invalidation.at.isoformat(),
                "created": report.created,
            }
        )
