"""The comparison and city-statistics API: what a script gets, and what it is refused."""

from __future__ import annotations

from datetime import UTC

import pytest

from projects import services_scores
from tests.projects.test_scores_pages import AT, scored  # noqa: F401  (fixtures)
from tests.projects.test_scores_service import (  # noqa: F401  (fixtures)
    _answered_project,
    _points,
    city,
    selectors,
)


def test_it_compares_two_projects_side_by_side(api, scored):  # noqa: F811
    response = api.get("/api/v1/compare/?projects=rich-air,even-air")
    assert response.status_code == 200
    body = response.json()
    assert [p["slug"] for p in body["projects"]] == ["rich-air", "even-air"]
    even = body["projects"][1]
    assert even["inclusivity"] == 75.0
    assert even["components"]["spatial_equity"] == [{"city": "Testville", "value": 68.75}]
    assert even["profile"]["licence"] == "cc-by"
    assert body["projects"][0]["profile"]["licence"] == "closed"
    # Two projects in one peer group of two: openness ranks 75 (cc-by) against 25 (closed).
    assert even["metrics"]["openness"] == {"value": 1.0, "percentile_rank": 75.0}
    assert body["projects"][0]["metrics"]["openness"]["percentile_rank"] == 25.0


def test_it_names_the_slugs_it_cannot_find(api, scored, draft):  # noqa: F811
    response = api.get(f"/api/v1/compare/?projects=even-air,nope,{draft.slug}")
    assert response.status_code == 400
    body = response.json()
    assert body["not_found"] == ["nope", draft.slug]
    assert "nope" in body["projects"][0] and draft.slug in body["projects"][0]


@pytest.mark.parametrize("query", ["even-air", "a,b,c,d,e,f", "even-air,even-air", ""])
def test_it_refuses_fewer_than_two_or_more_than_five(api, scored, query):  # noqa: F811
    response = api.get(f"/api/v1/compare/?projects={query}")
    assert response.status_code == 400
    assert "between 2 and 5" in response.json()["projects"][0]


def test_it_lets_a_member_compare_their_own_draft_nowhere(api, scored, draft, alice):  # noqa: F811
    """Compare is about published initiatives: even a member's own draft is 'not found'."""
    api.force_authenticate(alice)
    response = api.get(f"/api/v1/compare/?projects=even-air,{draft.slug}")
    assert response.status_code == 400
    assert response.json()["not_found"] == [draft.slug]


def test_it_serves_one_citys_statistics_with_counts_per_neighbourhood(api, scored):  # noqa: F811
    body = api.get("/api/v1/cities/testville/stats/").json()
    assert body["city"] == "testville"
    stats = body["stats"]
    assert stats["active_sensors"] == 6
    assert stats["sensors_per_10k"] == 150.0
    # Even Air 0/1/3 plus Rich Air 0/0/2 → 0, 1, 5 per neighbourhood.
    assert stats["neighbourhood_sensors"] == {"BU0": 0, "BU1": 1, "BU2": 5}
    assert body["history"][0]["day"] == AT.date().isoformat()


def test_it_never_sends_a_sensor_point_in_city_statistics(api, scored):  # noqa: F811
    text = api.get("/api/v1/cities/testville/stats/").content.decode()
    # The test points sit at x.xx5 degrees: neither coordinate may appear.
    assert "5.015" not in text and "52.005" not in text


def test_it_answers_404_for_an_unknown_city(api, db):
    assert api.get("/api/v1/cities/atlantis/stats/").status_code == 404


def test_it_says_so_before_a_city_is_computed(api, city):  # noqa: F811
    body = api.get("/api/v1/cities/testville/stats/").json()
    assert body["stats"] is None and body["history"] == []


def test_it_lists_all_cities_at_the_new_address_and_the_old_one(api, scored):  # noqa: F811
    new = api.get("/api/v1/cities/stats/").json()
    old = api.get("/api/v1/scores/cities/").json()
    assert new == old
    assert new["results"][0]["slug"] == "testville"
    assert "neighbourhood_sensors" not in new["results"][0]


def test_it_keeps_the_city_detail_of_the_router_working(api, city):  # noqa: F811
    assert api.get("/api/v1/cities/testville/").status_code == 200


def test_it_rescores_to_the_same_api_answer(api, scored, selectors):  # noqa: F811
    before = api.get("/api/v1/compare/?projects=even-air,rich-air").json()
    services_scores.scores_compute(at=AT)
    assert api.get("/api/v1/compare/?projects=even-air,rich-air").json() == before


def test_it_lists_each_city_once_with_its_newest_day(api, city):  # noqa: F811
    from datetime import date, datetime

    from projects.models import CityStat

    for day, active in [(date(2026, 11, 1), 3), (date(2026, 11, 2), 5), (date(2026, 10, 30), 1)]:
        CityStat.objects.create(
            city=city,
            day=day,
            values={"active_sensors": active},
            computed_at=datetime(day.year, day.month, day.day, 2, 30, tzinfo=UTC),
        )
    results = api.get("/api/v1/cities/stats/").json()["results"]
    assert [(r["slug"], r["day"], r["active_sensors"]) for r in results] == [
        ("testville", "2026-11-02", 5)
    ]
