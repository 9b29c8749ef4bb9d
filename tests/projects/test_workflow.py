"""The moderation workflow end to end: draft → submitted → published / rejected → resubmitted."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from projects.choices import Moderation
from projects.models import Membership, Project
from tests.factories import CityFactory, UserFactory

pytestmark = pytest.mark.django_db


def create_draft(client, city, title="Noise in Breda"):
    return client.post(
        reverse("projects:create"),
        {
            "title": title,
            "summary": "We count decibels.",
            "language": "nl",
            "themes": ["noise"],
            "primary_theme": "noise",
            "cities": [city.pk],
            "status": "planned",
            "initiator_type": "residents",
            "licence": "cc-by",
            "participation_level": "consult",
            "impact_level": "none",
            "free_to_join": "unknown",
            "non_digital_option": "unknown",
            "recruits_underrepresented": "unknown",
            "results_shared": "unknown",
            "locations_protected": "unknown",
        },
    )


# E-mails go out after the transaction commits, so these tests really commit
# (serialized_rollback restores the themes and groups that migrations create).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_runs_the_whole_workflow_with_notifications(client, alice, charlie, dave):
    breda = CityFactory(name="Breda", slug="breda")
    client.force_login(alice)
    response = create_draft(client, breda)
    project = Project.objects.get(title="Noise in Breda")
    assert response.status_code == 302
    assert project.moderation == Moderation.DRAFT
    assert project.role_of(alice) == "coordinator"

    # Hidden while a draft: from the catalogue, the API, the home numbers and the city page.
    client.logout()
    assert client.get(reverse("projects:detail", args=[project.slug])).status_code == 404
    assert "Noise in Breda" not in client.get(reverse("projects:catalogue")).content.decode()
    assert client.get(reverse("projects:home")).context["numbers"]["projects"] == 0
    assert client.get("/api/v1/projects/").json()["count"] == 0
    assert client.get("/api/v1/projects/?q=Breda").json()["count"] == 0
    assert client.get(reverse("projects:city", args=["breda"])).context["projects"].count() == 0
    assert (
        client.get(reverse("projects:cities")).context["cities"].get(slug="breda").project_count
        == 0
    )

    client.force_login(alice)
    client.post(reverse("projects:submit", args=[project.slug]))
    project.refresh_from_db()
    assert project.moderation == Moderation.SUBMITTED
    assert [m.to for m in mail.outbox] == [[dave.email]]
    assert "Noise in Breda" in mail.outbox[0].subject

    client.force_login(dave)
    assert "Noise in Breda" in client.get(reverse("projects:moderation")).content.decode()
    client.post(
        reverse("projects:reject", args=[project.slug]), {"reason": "Say where the sensors hang."}
    )
    project.refresh_from_db()
    assert project.moderation == Moderation.REJECTED
    assert mail.outbox[-1].to == [alice.email]
    assert "Say where the sensors hang." in mail.outbox[-1].body

    client.force_login(alice)
    page = client.get(reverse("projects:detail", args=[project.slug])).content.decode()
    assert "Say where the sensors hang." in page
    client.post(reverse("projects:submit", args=[project.slug]))
    client.force_login(dave)
    client.post(reverse("projects:publish", args=[project.slug]))
    project.refresh_from_db()
    assert project.moderation == Moderation.PUBLISHED
    assert "published" in mail.outbox[-1].subject.lower()

    client.force_login(charlie)
    assert client.get(reverse("projects:detail", args=[project.slug])).status_code == 200
    assert client.get(reverse("projects:home")).context["numbers"]["projects"] == 1


def test_it_refuses_a_project_from_an_unverified_account(client):
    newcomer = UserFactory(username="newcomer", verified=False)
    client.force_login(newcomer)
    response = create_draft(client, CityFactory(name="Breda", slug="breda"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email")
    assert not Project.objects.exists()


def test_it_requires_a_reason_to_reject(client, dave, submitted):
    client.force_login(dave)
    response = client.post(reverse("projects:reject", args=[submitted.slug]), {"reason": "  "})
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.moderation == Moderation.SUBMITTED


def test_it_cannot_publish_a_draft_twice_or_out_of_order(api, dave, draft):
    api.force_authenticate(dave)
    response = api.post(f"/api/v1/projects/{draft.slug}/publish/")
    assert response.status_code == 400
    assert "submitted" in str(response.json())
    draft.refresh_from_db()
    assert draft.moderation == Moderation.DRAFT


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_it_lets_a_resident_ask_to_join_and_a_coordinator_accept(client, alice, charlie, published):
    client.force_login(charlie)
    client.post(reverse("projects:join", args=[published.slug]), {"consent": "on"})
    membership = Membership.objects.get(project=published, user=charlie)
    assert membership.state == "requested"
    assert published.role_of(charlie) is None
    assert mail.outbox[-1].to == [alice.email]

    client.force_login(alice)
    client.post(
        reverse("projects:members", args=[published.slug]),
        {"membership": membership.pk, "action": "accept"},
    )
    assert published.role_of(charlie) == "participant"


def test_it_keeps_the_last_coordinator(client, alice, published):
    client.force_login(alice)
    own = Membership.objects.get(project=published, user=alice)
    client.post(
        reverse("projects:members", args=[published.slug]),
        {"membership": own.pk, "action": "remove"},
    )
    assert published.role_of(alice) == "coordinator"


def test_it_creates_through_the_api_as_a_draft_with_the_creator_as_coordinator(api, alice):
    CityFactory(name="Utrecht", slug="utrecht")
    api.force_authenticate(alice)
    response = api.post(
        "/api/v1/projects/",
        {
            "title": "Heat Utrecht",
            "summary": "Thermometers on balconies.",
            "themes": ["heat"],
            "primary_theme": "heat",
            "cities": ["utrecht"],
            "initiator_type": "residents",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["moderation"] == "draft"
    assert Project.objects.get(slug=body["slug"]).role_of(alice) == "coordinator"


def test_it_explains_a_bad_api_body(api, alice):
    api.force_authenticate(alice)
    response = api.post("/api/v1/projects/", {"title": "", "themes": ["lava"]}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert "title" in errors and "themes" in errors and "cities" in errors
    assert not Project.objects.exists()
