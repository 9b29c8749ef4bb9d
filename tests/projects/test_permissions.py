"""The permission matrix for projects: who may do what, in pages and in the API.

Outsiders asking for an unpublished project get 404 (as if it did not exist), never 403.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.choices import Moderation

pytestmark = pytest.mark.django_db

WHO = ["anonymous", "charlie", "bob", "alice", "dave"]


def login(client, who, request):
    if who != "anonymous":
        user = request.getfixturevalue(who)
        client.force_login(user)
        return user
    return None


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 404), ("charlie", 404), ("bob", 200), ("alice", 200), ("dave", 200)],
)
def test_it_shows_a_draft_page_only_to_members_and_moderators(
    client, request, draft, who, expected
):
    login(client, who, request)
    assert client.get(reverse("projects:detail", args=[draft.slug])).status_code == expected


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 404), ("charlie", 404), ("bob", 200), ("alice", 200), ("dave", 200)],
)
def test_it_shows_a_draft_in_the_api_only_to_members_and_moderators(
    api, request, draft, who, expected
):
    user = request.getfixturevalue(who) if who != "anonymous" else None
    if user:
        api.force_authenticate(user)
    assert api.get(f"/api/v1/projects/{draft.slug}/").status_code == expected


@pytest.mark.parametrize("who", WHO)
def test_it_shows_a_published_project_to_everyone(client, api, request, published, who):
    user = login(client, who, request)
    if user:
        api.force_authenticate(user)
    assert client.get(reverse("projects:detail", args=[published.slug])).status_code == 200
    assert api.get(f"/api/v1/projects/{published.slug}/").status_code == 200


@pytest.mark.parametrize(
    "who, seen",
    [
        ("anonymous", {"clean-air-utrecht"}),
        ("charlie", {"clean-air-utrecht"}),
        ("bob", {"clean-air-utrecht", "secret-draft", "waiting-noise"}),
        ("alice", {"clean-air-utrecht", "secret-draft", "waiting-noise"}),
        ("dave", {"clean-air-utrecht", "secret-draft", "waiting-noise"}),
    ],
)
def test_it_lists_only_visible_projects(
    client, api, request, published, draft, submitted, who, seen
):
    user = login(client, who, request)
    if user:
        api.force_authenticate(user)
    body = api.get("/api/v1/projects/").json()
    assert {p["slug"] for p in body["results"]} == seen
    assert body["count"] == len(seen)
    page = client.get(reverse("projects:catalogue"))
    assert {p.slug for p in page.context["page"].object_list} == seen


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 302), ("charlie", 403), ("bob", 403), ("alice", 200), ("dave", 200)],
)
def test_it_lets_only_coordinators_and_moderators_open_the_edit_page(
    client, request, published, who, expected
):
    login(client, who, request)
    assert client.get(reverse("projects:edit", args=[published.slug])).status_code == expected


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 401), ("charlie", 403), ("bob", 403), ("alice", 200), ("dave", 200)],
)
def test_it_lets_only_coordinators_and_moderators_update_through_the_api(
    api, request, published, who, expected
):
    if who != "anonymous":
        api.force_authenticate(request.getfixturevalue(who))
    response = api.patch(
        f"/api/v1/projects/{published.slug}/", {"summary": "Changed"}, format="json"
    )
    assert response.status_code in (expected, 403 if expected == 401 else expected), (
        response.content
    )
    published.refresh_from_db()
    assert (published.summary == "Changed") is (expected == 200)


@pytest.mark.parametrize(
    "who, expected",
    [("anonymous", 404), ("charlie", 404), ("bob", 403), ("alice", 200), ("dave", 403)],
)
def test_it_lets_only_coordinators_submit(api, request, draft, who, expected):
    if who != "anonymous":
        api.force_authenticate(request.getfixturevalue(who))
    response = api.post(f"/api/v1/projects/{draft.slug}/submit/")
    if who == "anonymous":
        assert response.status_code in (401, 403, 404)
    else:
        assert response.status_code == expected
    draft.refresh_from_db()
    assert (draft.moderation == Moderation.SUBMITTED) is (expected == 200)


@pytest.mark.parametrize(
    "who, expected", [("charlie", 404), ("bob", 403), ("alice", 403), ("dave", 200)]
)
def test_it_lets_only_moderators_publish(api, request, submitted, who, expected):
    api.force_authenticate(request.getfixturevalue(who))
    assert api.post(f"/api/v1/projects/{submitted.slug}/publish/").status_code == expected
    submitted.refresh_from_db()
    assert (submitted.moderation == Moderation.PUBLISHED) is (expected == 200)


@pytest.mark.parametrize(
    "who, expected", [("charlie", 404), ("bob", 403), ("alice", 403), ("dave", 200)]
)
def test_it_lets_only_moderators_reject(api, request, submitted, who, expected):
    api.force_authenticate(request.getfixturevalue(who))
    response = api.post(
        f"/api/v1/projects/{submitted.slug}/reject/", {"reason": "Add a city"}, format="json"
    )
    assert response.status_code == expected
    submitted.refresh_from_db()
    assert (submitted.moderation == Moderation.REJECTED) is (expected == 200)


def test_it_refuses_anonymous_writes(api, published, submitted):
    assert api.post("/api/v1/projects/", {"title": "x"}, format="json").status_code in (401, 403)
    assert api.post(f"/api/v1/projects/{submitted.slug}/publish/").status_code in (401, 403)
    submitted.refresh_from_db()
    assert submitted.moderation == Moderation.SUBMITTED


@pytest.mark.parametrize(
    "who, expected", [("charlie", 404), ("bob", 403), ("alice", 403), ("dave", 200)]
)
def test_it_shows_the_moderation_pages_only_to_moderators(
    client, request, submitted, who, expected
):
    login(client, who, request)
    reject_page = client.get(reverse("projects:reject", args=[submitted.slug]))
    assert reject_page.status_code == expected
    queue = client.get(reverse("projects:moderation"))
    assert queue.status_code == (200 if who == "dave" else 404)


@pytest.mark.parametrize(
    "who, expected", [("charlie", 404), ("bob", 403), ("alice", 302), ("dave", 403)]
)
def test_it_lets_only_coordinators_submit_through_the_page(client, request, draft, who, expected):
    login(client, who, request)
    response = client.post(reverse("projects:submit", args=[draft.slug]))
    assert response.status_code == expected
    draft.refresh_from_db()
    assert (draft.moderation == Moderation.SUBMITTED) is (who == "alice")
