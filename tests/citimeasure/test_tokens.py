"""Personal API tokens: created on the account page and shown once, stored only as a digest,
accepted as `Authorization: Token <key>`, revocable, and private to their owner."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from citimeasure.models import ApiToken
from citimeasure.tokens import token_digest
from tests.factories import CityFactory

TOKEN_IN_PAGE = re.compile(r'<code id="new-token">([^<]+)</code>')


def _create_token(client: Client, name: str = "upload script") -> str:
    response = client.post("/account/tokens/", {"name": name})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    match = TOKEN_IN_PAGE.search(response.content.decode())
    assert match, "the new token is shown on the page"
    return match.group(1)


def _new_project() -> dict:
    CityFactory(name="Utrecht", slug="utrecht")
    return {
        "title": "Fijnstof in Lombok",
        "summary": "Residents measure particulate matter on their balconies.",
        "themes": ["air"],
        "primary_theme": "air",
        "cities": ["utrecht"],
        "initiator_type": "residents",
    }


def _all_text_in_database() -> str:
    """Every value of every column of every table, as one string, for 'is it stored?' checks."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            chunks.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(chunks)


def test_it_shows_a_new_token_once_and_stores_only_its_digest(alice, client: Client) -> None:
    """A database leak must not leak working tokens; the page shows it only when created."""
    client.force_login(alice)
    token = _create_token(client)
    row = ApiToken.objects.get(user=alice)
    assert row.digest == token_digest(token)
    assert token.startswith(row.prefix + ".")
    secret = token.split(".", 1)[1]
    assert secret not in _all_text_in_database()
    assert token not in client.get("/account/tokens/").content.decode()


def test_it_authenticates_api_writes_with_the_token(alice, api: APIClient) -> None:
    """A script creates a project with its token and no session; without one it is refused."""
    client = Client()
    client.force_login(alice)
    token = _create_token(client)
    data = _new_project()
    assert api.post("/api/v1/projects/", data, format="json").status_code in (401, 403)
    response = api.post(
        "/api/v1/projects/", data, format="json", HTTP_AUTHORIZATION=f"Token {token}"
    )
    assert response.status_code == 201, response.content
    assert response.json()["moderation"] == "draft"
    assert ApiToken.objects.get(user=alice).last_used_at is not None


def test_it_refuses_a_revoked_token(alice, api: APIClient) -> None:
    """Revocation takes effect on the next request."""
    client = Client()
    client.force_login(alice)
    token = _create_token(client)
    row = ApiToken.objects.get(user=alice)
    assert api.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    response = client.post(f"/account/tokens/{row.pk}/revoke/")
    assert response.status_code == 302
    response = api.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "revoked" in response.json()["detail"]


def test_it_does_not_let_you_revoke_someone_elses_token(alice, charlie) -> None:
    """Token rows of other users answer 404, so their ids reveal nothing."""
    row, _secret = ApiToken.issue(user=alice, name="alice's script")
    client = Client()
    client.force_login(charlie)
    assert client.post(f"/account/tokens/{row.pk}/revoke/").status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None
    assert "alice&#x27;s script" not in client.get("/account/tokens/").content.decode()


def test_it_only_revokes_by_post(alice) -> None:
    """A link (GET) — e.g. an image tag on another site — must not revoke a token."""
    row, _secret = ApiToken.issue(user=alice, name="script")
    client = Client()
    client.force_login(alice)
    assert client.get(f"/account/tokens/{row.pk}/revoke/").status_code == 405
    row.refresh_from_db()
    assert row.revoked_at is None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Token", "Token <key>"),
        ("Token one two", "Token <key>"),
        ("Token not-a-token", "Invalid or revoked token"),
        ("Token abcdef12.wrong-secret", "Invalid or revoked token"),
    ],
)
def test_it_answers_a_malformed_header_with_a_clear_401(
    db, api: APIClient, header: str, message: str
) -> None:
    """Script authors see what is wrong instead of being treated as anonymous."""
    response = api.get("/api/v1/projects/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert message in response.json()["detail"]


def test_it_keeps_the_token_page_for_signed_in_users(db, client: Client) -> None:
    """Anonymous visitors are sent to the login page."""
    response = client.get("/account/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_it_ignores_tokens_of_deactivated_users(alice, api: APIClient) -> None:
    """Deactivating an account stops its scripts at once."""
    _row, token = ApiToken.issue(user=alice, name="script")
    alice.is_active = False
    alice.save()
    assert api.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
