"""The API's exception handler: DRF's own, plus a clean 503 when the database is away.

When PostgreSQL restarts (or a connection is cut) a request fails with
`django.db.OperationalError` or `InterfaceError`. DRF does not know those, so without this
handler they would surface as a bare 500 (or, with DEBUG on, a traceback). A client — a
sensor's firmware above all — should instead learn that the failure is temporary and
retry: 503 with `Retry-After`, and a short JSON body that says nothing about the internals.
Django closes the broken connection at the end of the request (and CONN_HEALTH_CHECKS
checks a reused one), so the next request gets a fresh connection once the database is back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

logger = logging.getLogger(__name__)

#: Seconds a client should wait before retrying; a PostgreSQL restart takes a few seconds.
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = "The database is unavailable; try again shortly."


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Answer DRF's exceptions as DRF does; a lost database as 503 JSON, never a traceback."""
    response = exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, OperationalError | InterfaceError):
        # Logged without the request data: a reading's body may hold an exact location.
        view = context.get("view")
        logger.error(
            "database unavailable in %s: %s", type(view).__name__ if view else "?", type(exc)
        )
        set_rollback()
        return Response(
            {"detail": DATABASE_UNAVAILABLE},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return None
