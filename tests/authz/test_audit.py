"""The append-only audit log: moderation, role changes and tokens leave a trace that
moderators can read at /audit/, and nobody else can find."""

from __future__ import annotations

import pytest
from django.test import Client

from citimeasure.models import AuditEvent
from projects import services
from projects.choices import MembershipState, Role
from tests.factories import MembershipFactory


def _actions() -> list[str]:
    return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def test_it_records_publish_and_reject_with_the_reason(dave, submitted, alice, bob) -> None:
    services.project_reject(actor=dave, project=submitted, reason="Add a city, please.")
    event = AuditEvent.objects.get(action="project.reject")
    assert event.actor == dave
    assert event.object_id == str(submitted.pk)
    assert event.data["reason"] == "Add a city, please."
    services.project_submit(actor=alice, project=submitted)
    services.project_publish(actor=dave, project=submitted)
    assert _actions() == ["project.reject", "project.publish"]


def test_it_records_role_changes_accepts_and_removals(published, alice, charlie) -> None:
    membership = MembershipFactory(project=published, user=charlie, state=MembershipState.REQUESTED)
    services.membership_accept(actor=alice, membership=membership)
    services.membership_set_role(actor=alice, membership=membership, role=Role.COORDINATOR)
    services.membership_remove(actor=alice, membership=membership)
    assert _actions() == ["membership.accept", "membership.set_role", "membership.remove"]
    role_change = AuditEvent.objects.get(action="membership.set_role")
    assert role_change.data == {"user": charlie.pk, "from": "participant", "to": "coordinator"}


def test_it_rolls_the_event_back_with_a_refused_change(published, alice) -> None:
    """The last coordinator cannot step down; no event claims that she did."""
    membership = published.memberships.get(user=alice)
    with pytest.raises(Exception, match="coordinator"):
        services.membership_set_role(actor=alice, membership=membership, role=Role.PARTICIPANT)
    assert not AuditEvent.objects.exists()


def test_it_records_token_creation_and_revocation_without_the_secret(alice, client: Client) -> None:
    client.force_login(alice)
    page = client.post("/account/tokens/", {"name": "balcony"}).content.decode()
    row = alice.api_tokens.get()
    client.post(f"/account/tokens/{row.pk}/revoke/")
    assert _actions() == ["token.create", "token.revoke"]
    event = AuditEvent.objects.get(action="token.create")
    assert event.data == {"prefix": row.prefix}
    secret_start = page.index(row.prefix + ".")
    secret = page[secret_start : secret_start + 60].split("<")[0].split('"')[0]
    assert secret.split(".", 1)[1][:20] not in str(event.data) + event.summary


def test_it_shows_the_log_to_moderators_with_the_actors_address(
    dave, submitted, client: Client
) -> None:
    services.project_reject(actor=dave, project=submitted, reason="Missing licence")
    client.force_login(dave)
    response = client.get("/audit/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "project.reject" in text
    assert dave.email in text
    assert "Missing licence" in text


def test_it_filters_by_action_and_paginates(dave, published, alice, client: Client) -> None:
    for n in range(55):
        AuditEvent.objects.create(actor=alice, action="token.create", summary=f"t{n}")
    AuditEvent.objects.create(actor=alice, action="project.publish", summary="only-one")
    client.force_login(dave)
    filtered = client.get("/audit/?action=project.publish").content.decode()
    assert "only-one" in filtered and "t54" not in filtered
    first = client.get("/audit/").content.decode()
    assert "Page 1 of 2" in first
    second = client.get("/audit/?page=2").content.decode()
    assert "t0<" in second and "t0<" not in first


@pytest.mark.parametrize("who", ["anonymous", "alice", "bob", "charlie"])
def test_it_hides_the_log_from_everyone_else(who, published, request, client: Client) -> None:
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    assert client.get("/audit/").status_code == 404


def test_it_keeps_events_after_the_actor_deleted_their_account(dave, submitted, alice) -> None:
    from citimeasure.privacy import account_delete

    services.project_reject(actor=dave, project=submitted, reason="Needs work")
    dave_id = dave.pk
    account_delete(user=dave)
    event = AuditEvent.objects.get(action="project.reject")
    assert event.actor is None
    assert event.actor_label == f"user {dave_id}"
    assert dave.email not in event.summary + str(event.data)


def test_it_refuses_to_change_or_delete_events(alice) -> None:
    event = AuditEvent.objects.create(actor=alice, action="token.create")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="rewritten")
