"""Accounts: sign-up with mandatory verification, no account enumeration, rate-limited login,
two-factor authentication required for staff, and the admin only behind the site login.

Rate limits live in the cache (LocMem here, Redis in the second CI pass), so every test
that counts attempts uses its own client address and e-mail: counters never leak between
tests or between runs.
"""

from __future__ import annotations

import time
import uuid

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from tests.factories import UserFactory, make_moderator

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a much longer passphrase 4 test"


@pytest.fixture
def client() -> Client:
    """A browser with an address of its own, so per-IP rate limits start from zero."""
    octets = uuid.uuid4().bytes[:3]
    return Client(REMOTE_ADDR="10.{}.{}.{}".format(*octets))


def _unique_email() -> str:
    return f"resident-{uuid.uuid4().hex[:12]}@example.org"


def _sign_up(client: Client, email: str):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "terms": "on"},
    )


def _totp_code(user, secret: str = "JBSWY3DPEHPK3PXP") -> str:
    """The current code for `user`, as their app would show it.

    allauth refuses a code that was already used (replay protection, kept in the cache for
    the 30-second window); tests that log dave in again within that window start clean.
    """
    # A code taken in the last seconds of its 30-second window may expire before the test
    # posts it; wait for the next window instead of failing now and then.
    while time.time() % 30 > 24:
        time.sleep(0.5)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    cache.delete(f"allauth.mfa.totp.used?user={user.pk}&code={code}")
    return code


# --- sign-up and verification ---------------------------------------------------------


def test_it_sends_a_verification_mail_on_sign_up(db, client: Client, mailoutbox) -> None:
    """Verification is mandatory, so the first thing a new resident gets is the link."""
    email = _unique_email()
    response = _sign_up(client, email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert [m.to for m in mailoutbox] == [[email]]
    assert "/accounts/confirm-email/" in mailoutbox[0].body
    address = EmailAddress.objects.get(email=email)
    assert address.verified is False


def test_it_verifies_the_address_through_the_mailed_link(db, client: Client, mailoutbox) -> None:
    """Following the link (and confirming) marks the address verified."""
    email = _unique_email()
    _sign_up(client, email)
    link = next(
        line for line in mailoutbox[0].body.splitlines() if "/accounts/confirm-email/" in line
    )
    path = "/accounts/confirm-email/" + link.split("/accounts/confirm-email/")[1].strip()
    assert client.get(path).status_code == 200
    client.post(path)
    assert EmailAddress.objects.get(email=email).verified is True


def test_it_keeps_unverified_users_from_creating_projects(db, client: Client) -> None:
    """Contributions need a reachable, verified address; the user is sent to the e-mail page."""
    user = UserFactory(verified=False)
    client.force_login(user)
    response = client.get("/projects/new/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/email/"


def test_it_answers_sign_up_with_a_known_address_like_a_new_one(
    db, client: Client, mailoutbox
) -> None:
    """No enumeration: the page is the same; the owner is told by mail instead."""
    owner = UserFactory()
    fresh = _sign_up(client, _unique_email())
    other = Client(REMOTE_ADDR="10.200.0.1")
    known = _sign_up(other, owner.email)
    assert (known.status_code, known["Location"]) == (fresh.status_code, fresh["Location"])
    assert client.get(fresh["Location"]).content.decode().count("confirm") == other.get(
        known["Location"]
    ).content.decode().count("confirm")
    assert get_user_model().objects.filter(email=owner.email).count() == 1
    to_owner = [m for m in mailoutbox if m.to == [owner.email]]
    assert len(to_owner) == 1
    assert "already" in (to_owner[0].subject + to_owner[0].body).lower()


def test_it_answers_password_reset_for_unknown_addresses_like_known_ones(
    db, client: Client, mailoutbox
) -> None:
    """No enumeration through reset: same redirect and page; only the mail differs."""
    known_user = UserFactory()
    known = client.post("/accounts/password/reset/", {"email": known_user.email})
    unknown = client.post("/accounts/password/reset/", {"email": _unique_email()})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    reset_mail = [m for m in mailoutbox if m.to == [known_user.email]]
    assert len(reset_mail) == 1
    assert "/accounts/password/reset/key/" in reset_mail[0].body


def test_it_gives_the_same_login_error_for_unknown_and_known_addresses(db, client: Client) -> None:
    """A wrong password and an unknown address must be indistinguishable."""
    user = UserFactory(username=f"u{uuid.uuid4().hex[:8]}")
    wrong = client.post("/accounts/login/", {"login": user.email, "password": "wrong password"})
    unknown = client.post(
        "/accounts/login/", {"login": _unique_email(), "password": "wrong password"}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert wrong.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()


# --- login rate limit ----------------------------------------------------------------


def test_it_refuses_logins_after_repeated_failures_even_with_the_right_password(
    db, client: Client
) -> None:
    """Password guessing stops after five failures for an address (ACCOUNT_RATE_LIMITS)."""
    user = UserFactory(username=f"u{uuid.uuid4().hex[:8]}")
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": user.email, "password": "guess"})
        assert response.status_code == 200
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    errors = " ".join(response.context["form"].non_field_errors()).lower()
    assert "too many" in errors


def test_it_lets_the_right_password_in_before_the_limit(db, client: Client) -> None:
    """The limit must not lock out someone who mistyped once or twice."""
    user = UserFactory(username=f"u{uuid.uuid4().hex[:8]}")
    for _ in range(2):
        client.post("/accounts/login/", {"login": user.email, "password": "typo"})
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


# --- staff and two-factor authentication ----------------------------------------------


@pytest.mark.parametrize("path", ["/", "/projects/", "/projects/moderation/", "/account/tokens/"])
def test_it_sends_staff_without_totp_to_the_totp_setup(db, client: Client, path: str) -> None:
    """A moderator's password alone must not be enough to see unpublished projects."""
    client.force_login(make_moderator(UserFactory()))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"


def test_it_refuses_the_api_to_staff_without_totp(db, api) -> None:
    """API clients get a JSON 403 they can act on, not a redirect to an HTML page."""
    api.force_authenticate(None)
    api.force_login(make_moderator(UserFactory()))
    response = api.get("/api/v1/projects/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "two-factor" in response.json()["detail"]


def test_it_lets_staff_without_totp_reach_the_setup_page(db, client: Client) -> None:
    """The set-up itself (after re-entering the password) must not be blocked."""
    staff = make_moderator(UserFactory())
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    response = client.get("/accounts/2fa/totp/activate/", follow=True)
    if response.redirect_chain:  # allauth asks for the password again before changing 2FA
        client.post(response.redirect_chain[-1][0], {"password": PASSWORD})
        response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    assert b'<img class="mfa totp qr' in response.content
    assert 'for="id_code"' in response.content.decode()


def test_it_lets_staff_with_totp_use_pages_and_api(db, dave, client: Client, api) -> None:
    """dave has TOTP: the middleware stays out of the way."""
    client.force_login(dave)
    assert client.get("/projects/moderation/").status_code == 200
    api.force_login(dave)
    assert api.get("/api/v1/projects/").status_code == 200


def test_it_asks_staff_with_totp_for_a_code_at_login(db, dave, client: Client) -> None:
    """The password alone only reaches the code prompt; a wrong code gets nothing."""
    response = client.post("/accounts/login/", {"login": dave.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert "_auth_user_id" not in client.session
    client.post("/accounts/2fa/authenticate/", {"code": _totp_code(dave)})
    assert client.session["_auth_user_id"] == str(dave.pk)


def test_it_refuses_a_replayed_totp_code(db, dave) -> None:
    """A code seen over someone's shoulder (or in a proxy log) cannot be used a second time."""
    code = _totp_code(dave)
    first, second = Client(REMOTE_ADDR="10.201.0.1"), Client(REMOTE_ADDR="10.201.0.2")
    for browser in (first, second):
        browser.post("/accounts/login/", {"login": dave.email, "password": PASSWORD})
        browser.post("/accounts/2fa/authenticate/", {"code": code})
    assert first.session["_auth_user_id"] == str(dave.pk)
    assert "_auth_user_id" not in second.session


# --- the admin --------------------------------------------------------------------------


def test_it_sends_the_admin_login_to_the_site_login(db, client: Client) -> None:
    """The admin's own form would skip TOTP and the rate limits, so it is never shown."""
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/?next=")
    assert response.templates[0].name == "account/login.html"


def test_it_refuses_the_admin_form_to_a_signed_in_resident(db, dave, alice, client: Client) -> None:
    """A resident must not be able to post staff credentials to the admin's form."""
    client.force_login(alice)
    response = client.post("/admin/login/", {"username": "dave", "password": PASSWORD})
    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_lets_staff_into_the_admin_after_the_site_login(db, dave, client: Client) -> None:
    """Through the site login with the TOTP code, the admin opens."""
    client.post("/accounts/login/", {"login": dave.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": _totp_code(dave)})
    response = client.get("/admin/login/?next=/admin/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200
