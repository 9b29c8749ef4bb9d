"""Site-wide request rules: staff must use two-factor authentication; strict CSP headers."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse


def user_has_totp(user) -> bool:
    """Return True when the user has an active TOTP authenticator."""
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffTwoFactorMiddleware:
    """Send staff without TOTP to the two-factor set-up page before anything else.

    Moderators can publish and see unpublished projects, so a stolen password alone
    must not be enough. Pages needed to set up TOTP (and to log out) stay reachable.
    """

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_staff
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not user_has_totp(user)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(
                    {"detail": "Staff accounts must set up two-factor authentication first."},
                    status=403,
                )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy: our own scripts and styles only, tiles from the
    configured tile server. Templates hold no inline scripts, so nothing needs 'unsafe-inline'."""

    def __init__(self, get_response):
        self.get_response = get_response
        tile_origin = "/".join(settings.MAP_TILE_URL.split("/")[:3])
        self.policy = (
            "default-src 'self'; "
            f"img-src 'self' data: {tile_origin}; "
            "script-src 'self'; style-src 'self'; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        )

    def __call__(self, request):
        response = self.get_response(request)
        # The API docs page (Swagger UI) needs an inline style attribute; everything else is strict.
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
        return response
