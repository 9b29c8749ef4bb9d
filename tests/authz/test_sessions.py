"""Sessions expire, and logging out ends the session on the server, not just in the browser."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client


def test_it_expires_sessions_after_two_weeks(alice, client: Client) -> None:
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
    client.force_login(alice)
    client.get("/account/tokens/")
    age = client.session.get_expiry_age()
    assert 13 * 24 * 3600 < age <= 14 * 24 * 3600


def test_it_invalidates_the_old_cookie_on_logout(alice, client: Client) -> None:
    client.force_login(alice)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get("/account/tokens/").status_code == 200
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=stolen).exists()
    attacker = Client()
    attacker.cookies[settings.SESSION_COOKIE_NAME] = stolen
    response = attacker.get("/account/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
