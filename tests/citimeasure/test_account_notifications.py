"""Security notices: a changed password or a new e-mail address is reported to the owner."""

from __future__ import annotations

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db


def test_it_mails_the_owner_when_the_password_changes(client, alice):
    client.force_login(alice)
    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "correct horse battery staple",
            "password1": "a whole new passphrase 2026",
            "password2": "a whole new passphrase 2026",
        },
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a whole new passphrase 2026")
    assert any(message.to == [alice.email] for message in mail.outbox)


def test_it_tells_the_old_address_when_the_primary_address_changes(client, alice):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=alice, email="alice.new@example.org", verified=True)
    client.force_login(alice)
    mail.outbox.clear()
    response = client.post(
        "/accounts/email/", {"action_primary": "", "email": "alice.new@example.org"}
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "alice.new@example.org"
    notices = [message for message in mail.outbox if message.to == ["alice@example.org"]]
    assert notices and "alice.new@example.org" in notices[0].body
