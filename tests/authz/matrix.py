"""THE permission matrix: who may do what, for every page and API operation.

test_matrix.py enumerates every URL pattern (django.urls, recursively) and every operation
of the OpenAPI schema, and requests each one as every role with every method. This module
is the one place the expected outcomes are declared:

- `PAGES[pattern]` for site pages (the pattern exactly as Django prints it, e.g.
  "projects/<slug:slug>/edit/"); `PAGE_PREFIXES` for whole third-party trees (the admin);
- `API["METHOD /openapi/path/"]` for API operations, with an "expect" dict;
- per method, role → outcome: a status code, "login" (a redirect to the login page),
  "denied" (any of DENIED), or a tuple of acceptable codes.

A method without an entry must be DENIED: writes are refused unless allowed here. Path
parameters are filled with the world of test_matrix.py: `draft` (a draft project alice
coordinates and bob joined), `published`, `city` (utrecht), `sensor` (bob's sensor in the
draft), `upload` (alice's CSV upload to the draft), `token` (alice's API token); an entry's
"params" picks another object, e.g. {"slug": "published"}.

Roles: anonymous; resident (charlie: verified, no membership); participant (bob);
coordinator (alice); city_official (olga, official of utrecht); moderator (dave: staff,
moderators group, TOTP); staff (root: superuser with TOTP, not a moderator).
"""

from __future__ import annotations

ROLES = (
    "anonymous",
    "resident",
    "participant",
    "coordinator",
    "city_official",
    "moderator",
    "staff",
)

#: How a refused request may answer: sent to the login page, 401/403, 404 (not admitting the
#: object exists), 405 (the method does not exist here).
DENIED = frozenset({"login", 400, 401, 403, 404, 405})

#: Roles that may see the draft project: its members, the moderators, and superusers (who
#: have the moderators' powers, `projects.models.user_is_moderator`).
SEES_DRAFT = frozenset({"participant", "coordinator", "moderator", "staff"})

SIGNED_IN = ROLES[1:]


def everyone(outcome, **overrides) -> dict:
    """The same outcome for every role, except those named."""
    return {role: overrides.get(role, outcome) for role in ROLES}


def signed_in(outcome, **overrides) -> dict:
    """Anonymous visitors are sent to the login page; signed-in roles get `outcome`."""
    return everyone(outcome, anonymous="login", **overrides)


PAGES: dict[str, dict] = {
    "": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "projects/": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "projects/new/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "projects/mine/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "projects/moderation/": {
        "GET": signed_in(404, moderator=200, staff=200),
        "POST": signed_in(404, moderator=200, staff=200),
    },
    "projects/<slug:slug>/": {
        "GET": everyone(200, anonymous=404, resident=404, city_official=404),
        "POST": everyone(200, anonymous=404, resident=404, city_official=404),
    },
    "projects/<slug:slug>/edit/": {
        "GET": signed_in(200, resident=404, participant=403, city_official=404),
        "POST": signed_in(200, resident=404, participant=403, city_official=404),
    },
    "projects/<slug:slug>/submit/": {
        "GET": signed_in(405),
        "POST": signed_in(403, resident=404, coordinator=302, city_official=404),
    },
    "projects/<slug:slug>/publish/": {
        "GET": signed_in(405),
        "POST": signed_in(404, participant=403, coordinator=403, moderator=302, staff=302),
    },
    "projects/<slug:slug>/reject/": {
        "GET": signed_in(404, participant=403, coordinator=403, moderator=200, staff=200),
        "POST": signed_in(404, participant=403, coordinator=403, moderator=200, staff=200),
    },
    "projects/<slug:slug>/join/": {
        "GET": signed_in(405),
        "POST": signed_in(302, resident=404, city_official=404),
    },
    "projects/<slug:slug>/members/": {
        "GET": signed_in(200, resident=404, participant=403, city_official=404),
        "POST": signed_in(404, participant=403),
    },
    "projects/<slug:slug>/questionnaire/": {
        "GET": signed_in(405),
        "POST": signed_in(404, participant=302, coordinator=302, moderator=403, staff=403),
    },
    "cities/": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "cities/<slug:slug>/": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "sensors/mine/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "sensors/new/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "sensors/<int:pk>/": {
        "GET": everyone(200, anonymous=404, resident=404, city_official=404),
        "POST": everyone(200, anonymous=404, resident=404, city_official=404),
    },
    "sensors/<int:pk>/readings/new/": {
        "GET": signed_in(404, participant=200, coordinator=200, moderator=403, staff=403),
        "POST": signed_in(404, participant=200, coordinator=200, moderator=403, staff=403),
    },
    # Sensor management: the owner (bob) and the coordinators (alice); those who see the
    # sensor but may not manage it get 403, the rest 404. Invalidation: coordinators only.
    "sensors/<int:pk>/token/rotate/": {
        "GET": signed_in(405),
        "POST": signed_in(403, resident=404, participant=200, coordinator=200, city_official=404),
    },
    "sensors/<int:pk>/token/revoke/": {
        "GET": signed_in(405),
        "POST": signed_in(403, resident=404, participant=302, coordinator=302, city_official=404),
    },
    "sensors/<int:pk>/active/": {
        "GET": signed_in(405),
        "POST": signed_in(403, resident=404, participant=302, coordinator=302, city_official=404),
    },
    "sensors/<int:pk>/settings/": {
        "GET": signed_in(403, resident=404, participant=200, coordinator=200, city_official=404),
        "POST": signed_in(403, resident=404, participant=200, coordinator=200, city_official=404),
    },
    "sensors/<int:pk>/readings/invalidate/": {
        "GET": signed_in(405),
        "POST": signed_in(403, resident=404, coordinator=302, city_official=404),
    },
    "uploads/new/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "uploads/<int:pk>/": {
        "GET": signed_in(404, coordinator=200),
        "POST": signed_in(404, coordinator=200),
    },
    "uploads/<int:pk>/errors.csv": {
        "GET": signed_in(404),
        "POST": signed_in(404),
    },
    "projects/<slug:slug>/export/readings.csv": {
        "GET": everyone(200, anonymous=404, resident=404, city_official=404),
        "POST": everyone(200, anonymous=404, resident=404, city_official=404),
    },
    "projects/<slug:slug>/export/sensors.geojson": {
        "GET": everyone(200, anonymous=404, resident=404, city_official=404),
        "POST": everyone(200, anonymous=404, resident=404, city_official=404),
    },
    "scores/method/": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "scores/compare/": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "scores/cities/": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "accounts/login/": {
        "GET": everyone(302, anonymous=200),
        "POST": everyone(302, anonymous=200),
    },
    "accounts/logout/": {
        "GET": everyone(200, anonymous=302),
        "POST": everyone(302),
    },
    "accounts/inactive/": {
        "GET": everyone(200),
        "POST": everyone(405),
    },
    "accounts/signup/": {
        "GET": everyone(302, anonymous=200),
        "POST": everyone(302, anonymous=200),
    },
    "accounts/reauthenticate/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "accounts/reauthenticate/code/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "accounts/reauthenticate/code/confirm/": {
        "GET": signed_in(302),
        "POST": signed_in(302),
    },
    "accounts/email/": {
        "GET": signed_in(200),
        "POST": signed_in(302),
    },
    "accounts/confirm-email/": {
        "GET": everyone(200),
        "POST": everyone(405),
    },
    "accounts/password/change/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "accounts/password/set/": {
        "GET": signed_in(302),
        "POST": signed_in(302),
    },
    "accounts/password/reset/": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "accounts/login/code/confirm/": {
        "GET": signed_in(302),
        "POST": signed_in(302),
    },
    "accounts/confirm-email/(?P<key>[-:\\w]+)/": {
        "GET": everyone(200),
        "POST": everyone(404),
    },
    "accounts/password/reset/key/done/": {
        "GET": everyone(200),
        "POST": everyone(405),
    },
    "accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/": {
        "GET": everyone(200),
        "POST": everyone(200),
    },
    "accounts/password/reset/done/": {
        "GET": everyone(200),
        "POST": everyone(405),
    },
    "accounts/2fa/": {
        "GET": signed_in(200),
        "POST": signed_in(405),
    },
    "accounts/2fa/authenticate/": {
        "GET": signed_in(302),
        "POST": signed_in(302),
    },
    "accounts/2fa/reauthenticate/": {
        "GET": signed_in(302, moderator=200, staff=200),
        "POST": signed_in(302, moderator=200, staff=200),
    },
    "accounts/2fa/totp/activate/": {
        "GET": signed_in(302),
        "POST": signed_in(302),
    },
    "accounts/2fa/totp/deactivate/": {
        "GET": signed_in(404, moderator=302, staff=302),
        "POST": signed_in(404, moderator=302, staff=302),
    },
    "accounts/2fa/recovery-codes/": {
        "GET": signed_in(404),
        "POST": signed_in(405),
    },
    "accounts/2fa/recovery-codes/generate/": {
        "GET": signed_in(302),
        "POST": signed_in(302),
    },
    "accounts/2fa/recovery-codes/download/": {
        "GET": signed_in(404),
        "POST": signed_in(404),
    },
    "account/tokens/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "account/tokens/<int:pk>/revoke/": {
        "GET": signed_in(405),
        "POST": signed_in(404, coordinator=302),
    },
    "account/privacy/": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "account/privacy/my-data.json": {
        "GET": signed_in(200),
        "POST": signed_in(200),
    },
    "account/delete/": {
        "GET": signed_in(405),
        "POST": signed_in(400, coordinator=409),
    },
    "audit/": {
        "GET": everyone(404, moderator=200, staff=200),
        "POST": everyone(404, moderator=200, staff=200),
    },
    "i18n/setlang/": {
        "GET": everyone(302),
        "POST": everyone(302),
    },
    "api/v1/": {
        "GET": everyone(200),
        "POST": everyone(405, anonymous=401),
    },
    "api/schema/": {
        "GET": everyone(200),
        "POST": everyone(405),
    },
    "api/docs/": {
        "GET": everyone(200),
        "POST": everyone(405),
    },
}

#: The admin is reached only through the site login (with two-factor authentication for
#: staff): everyone else is sent to a login page or refused; staff get its pages.
_ADMIN_OUTSIDERS = ("login", 302, 403)
_ADMIN_STAFF = (200, 302, 403, 404, 405)
PAGE_PREFIXES: dict[str, dict] = {
    "admin/": {
        method: everyone(_ADMIN_OUTSIDERS, moderator=_ADMIN_STAFF, staff=_ADMIN_STAFF)
        for method in ("GET", "POST")
    },
}

API: dict[str, dict] = {
    "GET /api/v1/cities/": {"expect": everyone(200)},
    "GET /api/v1/cities/{slug}/": {"expect": everyone(200)},
    "GET /api/v1/cities/{slug}/neighbourhoods/": {"expect": everyone(200)},
    "GET /api/v1/cities/{slug}/stats/": {"expect": everyone(200)},
    "GET /api/v1/cities/stats/": {"expect": everyone(200)},
    "GET /api/v1/compare/": {"expect": everyone(400)},
    "POST /api/v1/devices/sensor-community/": {"expect": everyone(401)},
    "POST /api/v1/ingest/opensensemap/boxes/{box_id}/data": {"expect": everyone(401)},
    "POST /api/v1/ingest/sensor-community/": {"expect": everyone(401)},
    "GET /api/v1/projects/": {"expect": everyone(200)},
    "POST /api/v1/projects/": {"expect": everyone(400, anonymous=401)},
    "GET /api/v1/projects/{slug}/": {
        "expect": everyone(200, anonymous=404, resident=404, city_official=404)
    },
    "PUT /api/v1/projects/{slug}/": {
        "expect": everyone(400, anonymous=401, resident=404, city_official=404)
    },
    "PATCH /api/v1/projects/{slug}/": {
        "expect": everyone(200, anonymous=401, resident=404, participant=403, city_official=404)
    },
    "POST /api/v1/projects/{slug}/publish/": {
        "expect": everyone(
            404, anonymous=401, participant=403, coordinator=403, moderator=400, staff=400
        )
    },
    "POST /api/v1/projects/{slug}/reject/": {
        "expect": everyone(400, anonymous=401, resident=404, city_official=404)
    },
    "GET /api/v1/projects/{slug}/scores/": {
        "expect": everyone(200, anonymous=404, resident=404, city_official=404)
    },
    "POST /api/v1/projects/{slug}/submit/": {
        "expect": everyone(403, anonymous=401, resident=404, coordinator=200, city_official=404)
    },
    "GET /api/v1/readings/": {"expect": everyone(200)},
    "POST /api/v1/readings/": {"expect": everyone(403, anonymous=401)},
    "GET /api/v1/scores/cities/": {"expect": everyone(200)},
    "GET /api/v1/sensors/": {"expect": everyone(200)},
    "POST /api/v1/sensors/{id}/token/": {
        "expect": everyone(
            403, anonymous=401, resident=404, participant=201, coordinator=201, city_official=404
        )
    },
    "DELETE /api/v1/sensors/{id}/token/": {
        "expect": everyone(
            403, anonymous=401, resident=404, participant=204, coordinator=204, city_official=404
        )
    },
    # The world has no reading, so every signed-in role meets the 404 (the per-role 403/404
    # split is in tests/measurements/test_invalidation_api.py).
    "POST /api/v1/readings/{id}/invalidate/": {"expect": everyone(404, anonymous=401)},
    "GET /api/v1/sensors/{id}/series/": {
        "expect": everyone(400, anonymous=404, resident=404, city_official=404)
    },
    "GET /api/v1/series/": {"expect": everyone(400)},
    "POST /api/v1/uploads/": {"expect": everyone(415, anonymous=401)},
    "GET /api/v1/uploads/{id}/": {"expect": everyone(404, anonymous=401, coordinator=200)},
}
