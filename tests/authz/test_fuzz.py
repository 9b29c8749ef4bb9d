"""Fuzzing the API from its own OpenAPI schema (schemathesis + hypothesis), as an anonymous
visitor and with alice's personal token: no 5xx, responses that match the schema, and
input the schema forbids is refused with a 4xx.

Deterministic by construction: `derandomize=True` makes hypothesis derive every example
from the test's name, no example database is kept, and the number of examples is small
and fixed, so CI sees the same requests on every run.

Left out, and why:
- POST /api/v1/uploads/: a multipart CSV file whose content (not its shape) matters; the
  schema cannot say what a valid CSV is, and the upload tests cover it;
- the device ingestion endpoints (/api/v1/ingest/…, /api/v1/devices/…): they authenticate
  a sensor by chip id + device token in headers the schema does not describe, and their
  bodies are firmware formats declared as free-form objects, so fuzzing only ever meets
  the 401 at the door; their parsers are tested with real firmware payloads.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
)

from citimeasure.models import ApiToken

EXCLUDED_PATHS = r"^/api/v1/(uploads/$|ingest/|devices/)"
CHECKS = [not_a_server_error, response_schema_conformance, negative_data_rejection]

#: Real defects the fuzzer found whose fix lives in a module owned elsewhere; the check is
#: switched off for that operation only, until the fix lands (then delete the line):
#: - POST /readings/ takes an object or a list, but is documented as an object only
#:   (measurements/api.py: document `oneOf: [Reading, array of Reading]`).
KNOWN_GAPS: dict[tuple[str, str], list] = {
    ("POST", "/api/v1/readings/"): [negative_data_rejection],
}


def _checks(case) -> list:
    gaps = KNOWN_GAPS.get((case.operation.method.upper(), case.operation.path), [])
    return [check for check in CHECKS if check not in gaps]


def _load_schema():
    """The schema as the site serves it, bound to the WSGI app (no network). Generating it
    needs no database."""
    from django.core.wsgi import get_wsgi_application

    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    return loaded.exclude(path_regex=EXCLUDED_PATHS)


schema = _load_schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Schemathesis calls the raw WSGI app, which (unlike Django's test client) runs
    `close_old_connections` at each request start and end. Inside the test's transaction
    that closes the connection: harmless on SQLite, but on PostgreSQL every later query
    fails with OperationalError. Do what django.test.Client does: keep the connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


FUZZ = settings(
    max_examples=10,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@schema.parametrize()
@FUZZ
def test_it_survives_anonymous_fuzzing(case, published, draft) -> None:
    case.call_and_validate(checks=_checks(case))


@schema.parametrize()
@FUZZ
def test_it_survives_fuzzing_with_a_token(case, published, draft, alice) -> None:
    row = ApiToken.objects.filter(user=alice, name="fuzz").first()
    if row is None:
        _row, secret = ApiToken.issue(user=alice, name="fuzz")
        case.operation.schema._fuzz_secret = secret  # one token per test, reused by examples
    secret = case.operation.schema._fuzz_secret
    case.call_and_validate(headers={"Authorization": f"Token {secret}"}, checks=_checks(case))
