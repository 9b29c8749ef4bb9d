"""Consent is recorded with its time and the version of the text, at sign-up and on joining."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from citimeasure.models import Consent
from citimeasure.privacy import CONSENT_VERSIONS
from projects.models import Membership

PASSWORD = "a much longer passphrase 4 test"


def _client() -> Client:
    return Client(REMOTE_ADDR="10.{}.{}.{}".format(*uuid.uuid4().bytes[:3]))


def _sign_up(client: Client, email: str, **extra):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra}
    return client.post("/accounts/signup/", data)


def test_it_shows_the_consent_checkbox_with_the_text_version(db) -> None:
    page = _client().get("/accounts/signup/").content.decode()
    assert 'name="terms"' in page
    assert f"(version {CONSENT_VERSIONS['signup']})" in page


def test_it_refuses_a_sign_up_without_consent(db) -> None:
    email = f"r-{uuid.uuid4().hex[:8]}@example.org"
    response = _sign_up(_client(), email)
    assert response.status_code == 200
    assert "Agree to the terms and privacy notice" in response.content.decode()
    assert not get_user_model().objects.filter(email=email).exists()


def test_it_records_consent_at_sign_up(db) -> None:
    email = f"r-{uuid.uuid4().hex[:8]}@example.org"
    assert _sign_up(_client(), email, terms="on").status_code == 302
    consent = Consent.objects.get(user__email=email)
    assert consent.kind == Consent.Kind.SIGNUP
    assert consent.text_version == CONSENT_VERSIONS["signup"]
    assert consent.at is not None


def test_it_asks_for_consent_before_joining(published, charlie, client: Client) -> None:
    client.force_login(charlie)
    page = client.get(published.get_absolute_url()).content.decode()
    assert 'name="consent"' in page and "required" in page
    client.post(reverse("projects:join", args=[published.slug]))
    assert not Membership.objects.filter(user=charlie).exists()
    assert not Consent.objects.filter(user=charlie).exists()


def test_it_records_consent_when_joining(published, charlie, client: Client) -> None:
    client.force_login(charlie)
    client.post(reverse("projects:join", args=[published.slug]), {"consent": "on"})
    assert Membership.objects.filter(user=charlie, project=published).exists()
    consent = Consent.objects.get(user=charlie)
    assert (consent.kind, consent.project, consent.text_version) == (
        Consent.Kind.JOIN,
        published,
        CONSENT_VERSIONS["join"],
    )


def test_it_exports_consents(published, charlie, client: Client) -> None:
    client.force_login(charlie)
    client.post(reverse("projects:join", args=[published.slug]), {"consent": "on"})
    data = client.get("/account/privacy/my-data.json").json()
    assert data["consents"][0]["project"] == published.slug
    assert data["consents"][0]["text_version"] == CONSENT_VERSIONS["join"]
