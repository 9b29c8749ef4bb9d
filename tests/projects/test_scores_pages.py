"""Score pages and API: the method text, projects and cities side by side, and who sees what."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from projects import services_scores
from projects.choices import Role
from projects.presenters_scores import project_score_context
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.projects.test_scores_service import (  # noqa: F401  (fixtures)
    _answered_project,
    _points,
    city,
    selectors,
)

AT = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def scored(city, selectors):  # noqa: F811
    """Two published projects in the worked-example city, scored."""
    a = _answered_project(city, title="Even Air", slug="even-air")
    b = _answered_project(city, title="Rich Air", slug="rich-air", licence="closed")
    selectors.points[a.pk] = _points(0, 1, 3)
    selectors.points[b.pk] = _points(0, 0, 2)
    services_scores.scores_compute(at=AT)
    return a, b


def test_it_shows_the_scoring_docstrings_on_the_method_page(client, db):
    response = client.get(reverse("scores:method"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "concentration_index" in text
    assert "Fraction(5, 16)" in text
    assert "<script>" not in text


def test_it_compares_projects_side_by_side(client, scored):
    response = client.get(reverse("scores:compare") + "?projects=even-air,rich-air")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Even Air" in text and "Rich Air" in text
    assert "68.8" in text  # spatial equity 68.75, shown to one decimal
    assert "75.0" in text  # Even Air's inclusivity


def test_it_leaves_drafts_out_of_the_comparison(client, scored, draft):
    response = client.get(reverse("scores:compare") + f"?projects=even-air,{draft.slug}")
    text = response.content.decode()
    assert draft.title not in text
    assert "Choose at least two projects" in text


def test_it_renders_the_city_comparison(client, scored, city):  # noqa: F811
    response = client.get(reverse("scores:cities"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Testville" in text
    assert "150.0" in text  # 6 sensors per 400 residents → 150 per 10,000
    assert "sortable.js" in text


def test_it_renders_the_project_block(scored):
    a, _b = scored
    html = render_to_string(
        "scores/_project_block.html", {"project": a, **project_score_context(a)}
    )
    assert "How are scores computed?" in html
    assert "75.0" in html
    assert "Concentration index 0.312" in html or "Concentration index 0.313" in html
    assert "Participants by age band" not in html  # anonymous reader


def test_it_shows_the_age_distribution_to_members_only(scored, charlie):
    a, _b = scored
    member = a.memberships.first().user
    assert project_score_context(a, user=member)["score_block"]["ages"][0]["count"] == 5
    assert project_score_context(a, user=charlie)["score_block"]["ages"] is None


def test_it_hides_the_age_distribution_below_ten_answers(city, selectors, alice):  # noqa: F811
    project = ProjectFactory(cities=[city])
    MembershipFactory(project=project, user=alice, role=Role.COORDINATOR, age_band="0-24")
    for _ in range(8):
        MembershipFactory(project=project, user=UserFactory(), age_band="65+")
    services_scores.scores_compute(at=AT)
    assert project_score_context(project, user=alice)["score_block"]["ages"] is None


def test_it_serves_project_scores_over_the_api(api, scored):
    a, _b = scored
    response = api.get(f"/api/v1/projects/{a.slug}/scores/")
    assert response.status_code == 200
    body = response.json()
    assert body["method"] == "v1"
    city_row = next(r for r in body["latest"] if r["kind"] == "inclusivity" and r["city"])
    equity = next(c for c in city_row["components"] if c["key"] == "spatial_equity")
    assert equity["value"] == 68.75
    assert equity["explanation"]
    assert "0-24" not in response.content.decode()  # no age distribution in public
    assert body["history"][0]["inclusivity"] == 75.0


def test_it_answers_404_for_a_draft_of_others(api, draft, charlie):
    api.force_authenticate(charlie)
    assert api.get(f"/api/v1/projects/{draft.slug}/scores/").status_code == 404


def test_it_shows_members_their_draft_without_scores(api, draft, alice):
    api.force_authenticate(alice)
    body = api.get(f"/api/v1/projects/{draft.slug}/scores/").json()
    assert body["published"] is False and body["latest"] == []


def test_it_serves_city_statistics_over_the_api(api, scored):
    body = api.get("/api/v1/scores/cities/").json()
    assert body["results"][0]["slug"] == "testville"
    assert body["results"][0]["active_sensors"] == 6
