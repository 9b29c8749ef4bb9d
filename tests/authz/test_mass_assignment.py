"""Mass assignment: fields that say who owns what or where a project stands in moderation
cannot be set by whoever sends them; lists never include what the caller may not see."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client

from measurements.models import Reading, Sensor
from projects.choices import Moderation, Role
from tests.measurements.factories import SensorFactory, quantity


def test_it_ignores_moderation_creator_and_slug_in_a_project_patch(draft, alice, charlie, api):
    api.force_authenticate(alice)
    response = api.patch(
        f"/api/v1/projects/{draft.slug}/",
        {
            "moderation": "published",
            "published_at": "2024-01-01T00:00:00Z",
            "rejection_reason": "",
            "created_by": charlie.pk,
            "slug": "hijacked",
            "summary": "Changed by the coordinator.",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    draft.refresh_from_db()
    assert draft.summary == "Changed by the coordinator."
    assert draft.moderation == Moderation.DRAFT
    assert draft.published_at is None
    assert draft.slug == "secret-draft"
    assert draft.created_by_id != charlie.pk


def test_it_makes_the_creator_coordinator_whatever_the_body_says(alice, charlie, api) -> None:
    from tests.factories import CityFactory

    CityFactory(name="Utrecht", slug="utrecht")
    api.force_authenticate(charlie)
    response = api.post(
        "/api/v1/projects/",
        {
            "title": "Mine now",
            "summary": "x",
            "themes": ["air"],
            "primary_theme": "air",
            "cities": ["utrecht"],
            "initiator_type": "residents",
            "moderation": "published",
            "created_by": alice.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["moderation"] == "draft"
    from projects.models import Project

    project = Project.objects.get(title="Mine now")
    assert project.created_by == charlie
    assert project.role_of(charlie) == Role.COORDINATOR
    assert project.role_of(alice) is None


def test_it_ignores_owner_and_refuses_a_foreign_project_on_sensor_registration(
    published, draft, bob, charlie, client: Client
) -> None:
    from tests.factories import MembershipFactory, ProjectFactory

    other = ProjectFactory(title="Not bobs")
    MembershipFactory(project=other, user=charlie, role=Role.COORDINATOR)
    client.force_login(bob)
    form = {
        "name": "Balcony",
        "lat": "52.1",
        "lon": "5.1",
        "location_precision": "approximate",
        "owner": charlie.pk,
    }
    refused = client.post("/sensors/new/", {**form, "project": other.pk})
    assert refused.status_code == 200
    assert not Sensor.objects.filter(project=other).exists()
    client.post("/sensors/new/", {**form, "project": published.pk})
    sensor = Sensor.objects.get(name="Balcony")
    assert sensor.owner == bob and sensor.project == published


def test_it_lists_nothing_of_a_draft_to_outsiders(draft, published, bob, charlie, api) -> None:
    hidden = SensorFactory(project=draft, owner=bob, name="Quiet one")
    shown = SensorFactory(project=published, owner=bob, name="Loud one")
    for sensor in (hidden, shown):
        Reading.objects.create(
            sensor=sensor,
            quantity=quantity("pm25"),
            time=datetime(2024, 5, 1, tzinfo=UTC),
            value=7,
            source="api",
        )
    for user in (None, charlie):
        api.force_authenticate(user)
        projects = api.get("/api/v1/projects/").json()
        slugs = {p["slug"] for p in projects["results"]}
        assert draft.slug not in slugs and published.slug in slugs
        ids = {f["id"] for f in api.get("/api/v1/sensors/").json()["features"]}
        assert hidden.pk not in ids and shown.pk in ids
        sensors = {r["sensor"] for r in api.get("/api/v1/readings/").json()["results"]}
        assert sensors == {shown.pk}
    api.force_authenticate(bob)
    ids = {f["id"] for f in api.get("/api/v1/sensors/").json()["features"]}
    assert hidden.pk in ids
