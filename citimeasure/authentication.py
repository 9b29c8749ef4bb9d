from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from citimeasure.models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` with a personal API token."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the header as 'Token <key>'."))
        row = ApiToken.objects.authenticate(header[1])
        if row is None or not row.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        row.touch()
        return row.user, row

    def authenticate_header(self, request):
        return self.keyword
