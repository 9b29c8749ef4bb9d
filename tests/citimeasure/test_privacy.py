"""Residents' rights: download everything we hold about me (and nothing about anyone else),
and delete my account — but never leave a project without a coordinator."""

from __future__ import annotations

import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.test import Client

from citimeasure.models import ApiToken
from citimeasure.privacy import EXPORT_SECTIONS, export_section, user_export
from projects.choices import Role
from projects.models import Membership, Project
from tests.factories import MembershipFactory

PASSWORD = "correct horse battery staple"


def _export(client: Client) -> dict:
    response = client.get("/account/privacy/my-data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store"
    return json.loads(response.content)


def test_it_exports_my_account_memberships_projects_and_token_metadata(
    published, draft, alice, client: Client
) -> None:
    """Every section a resident is entitled to see, in one machine-readable file."""
    _row, secret = ApiToken.issue(user=alice, name="balcony script")
    client.force_login(alice)
    data = _export(client)
    assert data["profile"]["email"] == alice.email
    assert data["email_addresses"] == [{"email": alice.email, "verified": True, "primary": True}]
    assert {m["project"] for m in data["memberships"]} == {published.slug, draft.slug}
    assert {p["slug"] for p in data["coordinated_projects"]} == {published.slug, draft.slug}
    assert data["api_tokens"][0]["name"] == "balcony script"
    assert secret not in json.dumps(data)
    assert secret.split(".", 1)[1] not in json.dumps(data)
    assert "digest" not in data["api_tokens"][0]


def test_it_exports_nothing_about_other_people(published, alice, bob, dave, client: Client) -> None:
    """bob shares a project with alice; his archive must not mention her (nor dave's TOTP)."""
    ApiToken.issue(user=alice, name="alice's token")
    client.force_login(bob)
    text = json.dumps(_export(client))
    for other in (alice, dave):
        assert other.email not in text
        assert other.username not in text
    assert "alice's token" not in text
    assert "JBSWY3DPEHPK3PXP" not in text


def test_it_lists_two_factor_methods_without_their_secrets(dave, client: Client) -> None:
    """The user learns that TOTP is set up; the archive never carries the secret."""
    client.force_login(dave)
    data = _export(client)
    assert [a["type"] for a in data["two_factor"]] == ["totp"]
    assert "JBSWY3DPEHPK3PXP" not in json.dumps(data)


def test_it_lets_other_apps_add_export_sections(alice) -> None:
    """Measurements (sensors, readings) will register their own sections the same way."""

    @export_section("test_extra")
    def _extra(user) -> dict:
        return {"who": user.username}

    try:
        assert user_export(alice)["test_extra"] == {"who": "alice"}
    finally:
        EXPORT_SECTIONS.pop("test_extra")


def test_it_keeps_the_privacy_pages_for_signed_in_users(db, client: Client) -> None:
    """Anonymous visitors are sent to the login page, not shown an empty archive."""
    for path in ("/account/privacy/", "/account/privacy/my-data.json"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_it_deletes_the_account_with_its_personal_data(published, bob, client: Client) -> None:
    """A participant leaves: account, e-mail addresses, memberships and tokens are gone."""
    ApiToken.issue(user=bob, name="script")
    client.force_login(bob)
    page = client.get("/account/privacy/")
    assert page.status_code == 200
    assert 'for="id_password"' in page.content.decode()
    response = client.post(
        "/account/delete/", {"password": PASSWORD, "confirm": "on", "readings": "delete"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not get_user_model().objects.filter(username="bob").exists()
    assert not EmailAddress.objects.filter(email="bob@example.org").exists()
    assert not Membership.objects.filter(project=published, role=Role.PARTICIPANT).exists()
    assert not ApiToken.objects.exists()
    assert "_auth_user_id" not in client.session
    assert Project.objects.filter(pk=published.pk).exists()


def test_it_erases_the_address_from_every_table(published, bob, client: Client) -> None:
    """After deletion no column still holds the e-mail address."""
    from tests.citimeasure.test_tokens import _all_text_in_database

    client.force_login(bob)
    client.post("/account/delete/", {"password": PASSWORD, "confirm": "on", "readings": "delete"})
    assert "bob@example.org" not in _all_text_in_database()


def test_it_deletes_the_two_factor_settings_too(dave, client: Client) -> None:
    """A staff member leaving takes their authenticator with them."""
    client.force_login(dave)
    client.post("/account/delete/", {"password": PASSWORD, "confirm": "on", "readings": "delete"})
    assert not Authenticator.objects.exists()


@pytest.mark.parametrize(
    "form",
    [
        {"password": "not my password", "confirm": "on", "readings": "delete"},
        {"password": PASSWORD, "readings": "delete"},
        {"password": PASSWORD, "confirm": "on"},
    ],
    ids=["wrong-password", "not-confirmed", "no-readings-choice"],
)
def test_it_requires_the_password_and_a_confirmation(bob, client: Client, form: dict) -> None:
    """An open session left on a shared computer is not enough to erase an account."""
    client.force_login(bob)
    response = client.post("/account/delete/", form)
    assert response.status_code == 400
    assert get_user_model().objects.filter(pk=bob.pk).exists()


def test_it_only_deletes_by_post(bob, client: Client) -> None:
    """A link must never delete an account."""
    client.force_login(bob)
    assert client.get("/account/delete/").status_code == 405
    assert get_user_model().objects.filter(pk=bob.pk).exists()


def test_it_refuses_to_orphan_a_project_naming_it(published, draft, alice, client: Client) -> None:
    """alice is the only coordinator of both projects: she must hand them over first."""
    client.force_login(alice)
    response = client.post(
        "/account/delete/", {"password": PASSWORD, "confirm": "on", "readings": "delete"}
    )
    assert response.status_code == 409
    text = response.content.decode()
    assert published.title in text and draft.title in text
    assert "Appoint another coordinator" in text
    assert get_user_model().objects.filter(pk=alice.pk).exists()
    page = client.get("/account/privacy/").content.decode()
    assert published.title in page
    assert 'action="/account/delete/"' not in page


def test_it_allows_deletion_once_another_coordinator_is_appointed(
    published, alice, charlie, client: Client
) -> None:
    """With a second coordinator the project keeps someone who answers for it."""
    MembershipFactory(project=published, user=charlie, role=Role.COORDINATOR)
    client.force_login(alice)
    response = client.post(
        "/account/delete/", {"password": PASSWORD, "confirm": "on", "readings": "delete"}
    )
    assert response.status_code == 302
    assert not get_user_model().objects.filter(pk=alice.pk).exists()
    assert list(published.memberships.coordinators().values_list("user", flat=True)) == [charlie.pk]
