"""The permission matrix: every URL pattern and every OpenAPI operation, for every role and
method, answers as declared in tests/authz/matrix.py — and a new endpoint without an entry
fails with a message naming the entry to add (and the outcomes observed, to review).

Also: writes are denied unless the table allows them; no response to someone who may not
see the draft project mentions it or its sensor; nobody but the owner and coordinators
ever receives the sensor's exact coordinates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from citimeasure.models import ApiToken
from measurements.models import CsvUpload
from projects.models import City, CityOfficial
from tests.authz import matrix
from tests.factories import UserFactory
from tests.measurements.factories import EXACT_LAT, EXACT_LON, SensorFactory

ROLES = matrix.ROLES
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PAGE_METHODS = ("GET", "POST")


# --- enumeration ------------------------------------------------------------------------


def _clean(regex: str) -> str:
    return regex.replace("^", "").replace("$", "")


def url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    """Every URL pattern of the site, as one string: "projects/<slug:slug>/edit/"."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from url_patterns(p, prefix + _clean(str(p.pattern)))
        elif isinstance(p, URLPattern):
            yield prefix + _clean(str(p.pattern))


def is_format_variant(pattern: str) -> bool:
    """DRF's `.json` suffix twins of API routes: the same view, covered by the plain route."""
    return "(?P<format>" in pattern or "<drf_format_suffix:format>" in pattern


def to_openapi(pattern: str) -> str:
    """ "api/v1/projects/(?P<slug>[^/.]+)/" → "/api/v1/projects/{slug}/"."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
    return "/" + path


def page_patterns() -> list[str]:
    """Patterns outside the API (the API is enumerated from its OpenAPI schema)."""
    return [
        p
        for p in url_patterns()
        if not is_format_variant(p) and (not p.startswith("api/v1/") or p == "api/v1/")
    ]


def api_operations(schema: dict) -> dict[str, list[str]]:
    """OpenAPI path → its declared methods."""
    return {
        path: [m.upper() for m in ops if m.upper() in API_METHODS]
        for path, ops in schema["paths"].items()
    }


def page_entry(pattern: str) -> dict | None:
    if pattern in matrix.PAGES:
        return matrix.PAGES[pattern]
    for prefix, entry in matrix.PAGE_PREFIXES.items():
        if pattern.startswith(prefix):
            return entry
    return None


@pytest.fixture
def schema(db, client: Client) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return json.loads(response.content)


# --- the world the matrix is checked in -------------------------------------------------


@pytest.fixture
def world(published, draft, alice, bob, charlie, dave, settings, tmp_path):
    """One object of each kind, and a signed-in client per role."""
    settings.MEDIA_ROOT = tmp_path
    city = City.objects.get(slug="utrecht")
    olga = UserFactory(username="olga")
    CityOfficial.objects.create(user=olga, city=city)
    root = UserFactory(username="root")
    root.is_staff = root.is_superuser = True
    root.save()
    Authenticator.objects.create(
        user=root, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    sensor = SensorFactory(
        project=draft,
        owner=bob,
        name="Hidden balcony sensor",
        opensensemap_id="5a0b0c0d0e0f101112131415",
        sensor_community_id="esp8266-777",
    )
    token, _secret = ApiToken.issue(user=alice, name="matrix token")
    upload = CsvUpload.objects.create(
        project=draft, uploaded_by=alice, file="uploads/x.csv", original_name="x.csv", size=1
    )
    users = {
        "anonymous": None,
        "resident": charlie,
        "participant": bob,
        "coordinator": alice,
        "city_official": olga,
        "moderator": dave,
        "staff": root,
    }
    objects = {
        "draft": draft.slug,
        "published": published.slug,
        "city": city.slug,
        "sensor": str(sensor.pk),
        "upload": str(upload.pk),
        "token": str(token.pk),
        "box": sensor.opensensemap_id,
        "draft_pk": str(draft.pk),
    }
    return {"users": users, "objects": objects, "sensor": sensor, "draft": draft}


def fill(pattern: str, entry: dict, objects: dict) -> str:
    """The concrete path: parameters from the entry's `params`, else by name and place."""
    chosen = entry.get("params", {})

    def value(name: str) -> str:
        if name in chosen:
            return objects.get(chosen[name], chosen[name])
        if name == "slug":
            return objects["city"] if "cities/" in pattern else objects["draft"]
        if name in ("pk", "id"):
            for prefix, kind in (("sensor", "sensor"), ("upload", "upload"), ("token", "token")):
                if prefix in pattern:
                    return objects[kind]
            return objects["draft_pk"]
        if name == "box_id":
            return objects["box"]
        if name == "object_id":
            return objects["draft_pk"]
        if name == "app_label":
            return "projects"
        return "bogus"

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), pattern)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), path)
    path = re.sub(r"\{(\w+)\}", lambda m: value(m.group(1)), path)
    return path if path.startswith("/") else "/" + path


class Roles:
    """A signed-in client per role, signed in again if a request (logout, deletion) ended it."""

    def __init__(self, users: dict) -> None:
        self.users = users
        self.clients: dict[str, Client] = {}

    def client(self, role: str) -> Client:
        user = self.users[role]
        client = self.clients.get(role)
        signed_in_as = client.session.get("_auth_user_id") if client is not None else None
        if client is None or (user is not None and signed_in_as != str(user.pk)):
            client = Client(REMOTE_ADDR=f"10.9.{ROLES.index(role)}.1")
            if user is not None:
                client.force_login(user)
            self.clients[role] = client
        return client


def outcome(response) -> int | str:
    """A status, with redirects to the login page told apart (they are how pages deny)."""
    if response.status_code == 302 and response["Location"].startswith(
        ("/accounts/login/", "/admin/login/")
    ):
        return "login"
    return response.status_code


def request(client: Client, method: str, path: str, *, api: bool):
    """One request, its database changes rolled back: a POST that is allowed (submit,
    publish, logout) must not change the world the next request is judged in."""
    with transaction.atomic():
        if api:
            response = client.generic(method, path, b"{}", content_type="application/json")
        elif method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, {})
        transaction.set_rollback(True)
    return response


def matches(expected, got) -> bool:
    if expected == "denied":
        return got in matrix.DENIED
    if isinstance(expected, tuple | list | set | frozenset):
        return got in expected
    return got == expected


# --- the tests --------------------------------------------------------------------------


def test_it_has_an_entry_for_every_url_pattern_and_operation(schema) -> None:
    """Adding a page or an API operation means declaring who may use it."""
    missing = [f"PAGES[{p!r}]" for p in page_patterns() if page_entry(p) is None]
    operations = api_operations(schema)
    for path, methods in operations.items():
        for method in methods:
            if f"{method} {path}" not in matrix.API:
                missing.append(f"API[{method + ' ' + path!r}]")
    # An API route missing from the schema would escape both the fuzzing and this matrix.
    # (Parameter names may differ: drf-spectacular documents `pk` as `id`.)
    documented = {re.sub(r"\{\w+\}", "{}", path) for path in operations}
    for p in url_patterns():
        if p.startswith("api/v1/") and p != "api/v1/" and not is_format_variant(p):
            if re.sub(r"\{\w+\}", "{}", to_openapi(p)) not in documented:
                missing.append(f"OpenAPI schema: route {to_openapi(p)} is not documented")
    stale = [k for k in matrix.API if k.split(" ", 1)[1] not in operations]
    assert not missing and not stale, (
        "tests/authz/matrix.py is missing entries for:\n  "
        + "\n  ".join(missing)
        + ("\nand has entries for operations that no longer exist:\n  " + "\n  ".join(stale))
        * bool(stale)
        + "\nRun `MATRIX_SUGGEST=/tmp/observed.json pytest tests/authz/test_matrix.py -k declared` "
        "to write the observed outcomes to review and paste."
    )


def _check(roles: Roles, world: dict, key: str, path: str, entry: dict, methods, api: bool):
    problems, observed = [], {}
    for method in methods:
        declared = entry.get(method)
        for role in ROLES:
            response = request(roles.client(role), method, path, api=api)
            got = outcome(response)
            observed.setdefault(method, {})[role] = got
            expected = declared.get(role, "denied") if declared else "denied"
            if got >= 500 if isinstance(got, int) else False:
                problems.append(f"{key} {method} as {role}: server error {got}")
            elif not matches(expected, got):
                problems.append(f"{key} {method} as {role}: expected {expected!r}, got {got!r}")
            problems += _leaks(world, key, method, role, response)
    return problems, observed


def _leaks(world: dict, key: str, method: str, role: str, response) -> list[str]:
    """What must never be in a response: the draft (for those who may not see it) and the
    exact coordinates (for anyone but the sensor's owner and the project's coordinators)."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    text = body.decode("utf-8", "replace")
    found = []
    if role not in matrix.SEES_DRAFT:
        for needle in (world["draft"].slug, world["draft"].title, world["sensor"].name):
            # Pages echo the requested path (the language switcher's "next"): not a leak.
            if needle in text and needle not in response.request["PATH_INFO"]:
                found.append(f"{key} {method} as {role}: response mentions {needle!r}")
    if role not in ("participant", "coordinator"):
        for needle in (str(EXACT_LAT), str(EXACT_LON)):
            if needle in text:
                found.append(f"{key} {method} as {role}: response holds exact coordinate")
    return found


def test_it_answers_every_role_and_method_as_declared(world, schema) -> None:
    """One request per (pattern or operation, role, method); all mismatches reported at once."""
    import os

    roles = Roles(world["users"])
    problems, suggestions = [], {}
    for pattern in page_patterns():
        entry = page_entry(pattern) or {}
        path = fill(pattern, entry, world["objects"])
        methods = ("GET",) if entry.get("get_only") else PAGE_METHODS
        found, observed = _check(roles, world, pattern, path, entry, methods, api=False)
        problems += found
        suggestions[pattern] = observed
    for path_template in api_operations(schema):
        key_entry = {m: matrix.API.get(f"{m} {path_template}") for m in API_METHODS}
        entry = {m: e["expect"] for m, e in key_entry.items() if e}
        params = next((e.get("params") for e in key_entry.values() if e and "params" in e), {})
        path = fill(path_template, {"params": params}, world["objects"])
        found, observed = _check(roles, world, path_template, path, entry, API_METHODS, api=True)
        problems += found
        suggestions[path_template] = observed
    if os.environ.get("MATRIX_SUGGEST"):
        with open(os.environ["MATRIX_SUGGEST"], "w") as out:
            json.dump(suggestions, out, indent=1)
    assert not problems, "\n".join(problems)
