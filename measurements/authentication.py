"""`Authorization: Token …` for the readings API: a personal API token or a sensor's device token.

Both kinds share the header and the shape (`<prefix>.<secret>`), so one class tries both.
The device token goes first: devices are what send a reading every minute, so their
request costs one query (the sensor); a personal token (scripts, batches) costs one more,
an indexed miss. A device-authenticated request carries the Sensor as `request.auth` and
may write to that sensor only; `DeviceOrUserWrites` lets it write without loading the
owner, who is read only if something asks for `request.user`.
"""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from citimeasure.models import ApiToken
from measurements.models import Sensor


class DeviceOrApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as 'Token <key>'."))
        sensor = Sensor.objects.authenticate_device(header[1])
        if sensor is not None:
            return SimpleLazyObject(lambda: sensor.owner), sensor
        row = ApiToken.objects.authenticate(header[1])
        if row is not None and row.user.is_active:
            row.touch()
            return row.user, row
        raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))

    def authenticate_header(self, request):
        return self.keyword


class DeviceOrUserWrites(permissions.BasePermission):
    """Reads for anyone; writes for a device authenticated by its token or a signed-in user
    (what each may write is the ingestion service's check, per sensor)."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS or isinstance(request.auth, Sensor):
            return True
        return bool(request.user and request.user.is_authenticated)


class DeviceOrApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes the header in the OpenAPI schema (registered on import)."""

    target_class = "measurements.authentication.DeviceOrApiTokenAuthentication"
    name = "deviceOrApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <personal API token>` or `Token <the sensor's device token>`",
        }
