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
    configured tile server. Templates hold no inline scripts, so nothing needs 'unsafe-inline'.

    The one exception is the API docs page: Swagger UI sets inline style attributes, so that
    page alone may use inline *styles*; its scripts still come from our own static files
    (the split view serves its start-up script as a separate file).
    """

    DOCS_PREFIX = "/api/docs"

    def __init__(self, get_response):
        self.get_response = get_response
        tile_origin = "/".join(settings.MAP_TILE_URL.split("/")[:3])
        common = (
            "script-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
        )
        self.policy = (
            f"default-src 'self'; img-src 'self' data: {tile_origin}; style-src 'self'; {common}"
        )
        self.docs_policy = (
            f"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; {common}"
        )

    def __call__(self, request):
        response = self.get_response(request)
        policy = self.docs_policy if request.path.startswith(self.DOCS_PREFIX) else self.policy
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(self), camera=(), microphone=()"
        )
        return response


class RequestSizeLimitMiddleware:
    """Refuse request bodies that are too large before anyone reads them: 413 with a JSON
    `detail` saying the limit, instead of a server struggling with (or a parser silently
    truncating) a body it should never have accepted.

    The declared Content-Length is what WSGI servers hand Django (a chunked body is
    de-chunked into a known length first), so checking it is enough. JSON and form bodies
    may be at most JSON_BODY_MAX_BYTES (10 MB); CSV upload paths (BODY_LIMIT_EXEMPT_PREFIXES)
    are exempt from that limit and held to CSV_UPLOAD_MAX_BYTES instead, when it is set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.http import JsonResponse

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return JsonResponse(
                {"detail": "The Content-Length header is not a number."}, status=400
            )
        limit, what = self._limit(request.path)
        if limit is not None and length > limit:
            return JsonResponse(
                {
                    "detail": f"The request body is {length} bytes; {what} may be at most "
                    f"{limit} bytes ({limit // (1024 * 1024)} MB). Send less per request."
                },
                status=413,
            )
        return self.get_response(request)

    @staticmethod
    def _limit(path: str) -> tuple[int | None, str]:
        if path.startswith(tuple(settings.BODY_LIMIT_EXEMPT_PREFIXES)):
            return getattr(settings, "CSV_UPLOAD_MAX_BYTES", None), "an upload"
        return settings.JSON_BODY_MAX_BYTES, "a request body"
