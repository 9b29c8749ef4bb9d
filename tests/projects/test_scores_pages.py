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


# --- compare page: selection, notices, the shared chart ------------------------------------


def test_it_turns_ticked_catalogue_boxes_into_one_shareable_address(client, scored):
    response = client.get(reverse("scores:compare") + "?projects=even-air&projects=rich-air")
    assert response.status_code == 302
    assert response["Location"] == reverse("scores:compare") + "?projects=even-air%2Crich-air"
    page = client.get(response["Location"]).content.decode()
    assert "Even Air" in page and "Rich Air" in page


def test_it_offers_a_compare_box_on_published_catalogue_cards(client, scored, draft, alice):
    client.force_login(alice)  # alice sees her draft in the catalogue, but cannot compare it
    text = client.get(reverse("projects:catalogue")).content.decode()
    assert 'form="compare-form" name="projects" value="even-air"' in text
    assert f'value="{draft.slug}"' not in text
    assert 'action="' + reverse("scores:compare") + '"' in text


def test_it_names_slugs_it_could_not_show(client, scored):
    text = client.get(reverse("scores:compare") + "?projects=even-air,rich-air,nope").content
    text = text.decode()
    assert "No published initiative found for: nope." in text
    assert "Even Air" in text and "Rich Air" in text


def test_it_shows_at_most_five_and_says_so(client, city, selectors):  # noqa: F811
    slugs = [_answered_project(city, slug=f"p{i}", title=f"P{i}").slug for i in range(6)]
    services_scores.scores_compute(at=AT)
    text = client.get(reverse("scores:compare") + "?projects=" + ",".join(slugs)).content
    text = text.decode()
    assert "At most 5 initiatives can be compared" in text
    assert ">P4</a>" in text and ">P5</a>" not in text


def test_it_shows_profile_answers_side_by_side(client, scored):
    text = client.get(reverse("scores:compare") + "?projects=even-air,rich-air").content.decode()
    assert "Profile answers" in text
    assert "Free to join (no fee; kits provided or lent free)" in text


def _daily(project, code: str, means: dict) -> None:
    from measurements.models import DailyRollup
    from tests.measurements.factories import SensorFactory, quantity

    sensor = SensorFactory(project=project)
    for day, mean in means.items():
        DailyRollup.objects.create(
            sensor=sensor, quantity=quantity(code), day=day, count=24, flagged=0, mean=mean
        )


def test_it_charts_the_daily_means_of_a_shared_quantity(client, scored):
    import json
    from datetime import date, timedelta

    from django.utils import timezone

    a, b = scored
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    _daily(a, "pm25", {yesterday: 10.0, today: 12.0})
    _daily(b, "pm25", {today: 20.0})
    _daily(a, "temperature", {today: 5.0})  # only one project measures it: no chart
    _daily(b, "pm25", {date(2000, 1, 1): 99.0})  # outside the 90 days
    response = client.get(reverse("scores:compare") + "?projects=even-air,rich-air")
    text = response.content.decode()
    charts = json.loads(text.split('id="compare-charts" type="application/json">')[1].split("<")[0])
    assert [c["quantity"] for c in charts] == ["pm25"]
    assert [s["label"] for s in charts[0]["series"]] == ["Even Air", "Rich Air"]
    assert charts[0]["series"][0]["y"] == [10.0, 12.0]
    assert charts[0]["series"][1]["y"] == [None, 20.0]
    assert 'data-chart="0"' in text and "compare_chart.js" in text
    assert "<script>" not in text  # strict CSP: data in json_script, code in static files


@pytest.mark.django_db
def test_it_computes_the_documented_daily_mean(scored):
    from datetime import date

    from measurements.models import DailyRollup
    from measurements.selectors import daily_means
    from tests.measurements.factories import SensorFactory, quantity

    a, _b = scored
    day = date(2025, 3, 14)
    for count, flagged, mean in [(10, 0, 20.0), (4, 2, 11.0)]:
        DailyRollup.objects.create(
            sensor=SensorFactory(project=a),
            quantity=quantity("pm25"),
            day=day,
            count=count,
            flagged=flagged,
            mean=mean,
        )
    assert daily_means([a.pk], "pm25", day, day) == {a.pk: {day: 18.5}}


# --- city pages --------------------------------------------------------------------------


def test_it_draws_the_cities_on_a_map(client, scored):
    import json

    text = client.get(reverse("scores:cities")).content.decode()
    assert 'id="cities-map"' in text and "cities_map.js" in text and "leaflet.js" in text
    data = json.loads(text.split('id="city-features" type="application/json">')[1].split("<")[0])
    assert data["features"][0]["properties"]["sensors_per_10k"] == 150.0
    assert data["features"][0]["properties"]["name"] == "Testville"


def test_it_shows_a_city_its_equity_index_and_choropleth(client, scored, city):  # noqa: F811
    import json

    text = client.get(city.get_absolute_url()).content.decode()
    assert "Even Air" in text and "Rich Air" in text
    # All six sensors together: 0, 1, 5 over 100/100/200 residents →
    # CI = 2·(0·.125 + 1/6·.375 + 5/6·.75) − 1 = 0.375
    assert 'data-score="city-ci">0.375<' in text
    assert "sensors lean towards neighbourhoods where richer residents live" in text
    data = json.loads(text.split('id="choropleth-data" type="application/json">')[1].split("<")[0])
    per = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert per["BU2"]["sensors"] == 5 and per["BU2"]["per_10k"] == 250.0
    assert per["BU0"]["sensors"] == 0
    assert "choropleth.js" in text


def test_it_never_puts_a_sensor_point_on_the_city_page(client, scored, city):  # noqa: F811
    text = client.get(city.get_absolute_url()).content.decode()
    for lon, _lat in [(5.005, 52.005), (5.015, 52.005), (5.025, 52.005)]:
        assert str(lon) not in text


def test_it_says_when_the_city_is_not_computed_yet(client, city):  # noqa: F811
    text = client.get(city.get_absolute_url()).content.decode()
    assert "statistics have not been computed yet." in text
    assert 'id="choropleth"' in text  # the boundaries, with every count unknown


# --- project block -----------------------------------------------------------------------


def test_it_explains_the_richest_fifth_in_plain_words():
    from projects.explanations import explain_spatial_equity

    text = explain_spatial_equity(
        {"ci": 0.31, "richest": {"sensors": 0.62, "residents": 0.2, "fifth": 4}}
    )
    assert text.endswith(
        "62 % of this project's sensors stand in the richest fifth of neighbourhoods, "
        "where 20 % of residents live."
    )


def test_it_names_the_richest_neighbourhoods_when_the_top_fifth_is_empty(scored):
    _a, b = scored
    html = render_to_string(
        "scores/_project_block.html", {"project": b, **project_score_context(b)}
    )
    # Rich Air: both sensors in BU2, whose 200 residents (half) sit in the fourth fifth
    # (r = 0.75), so no neighbourhood falls in the top fifth; the sentence says so plainly.
    assert (
        "100 % of this project&#x27;s sensors stand in the richest neighbourhoods, "
        "where 50 % of residents live." in html
    )
    assert "<meter" in html  # sensors vs residents per income fifth


def test_it_links_similar_initiatives_in_other_cities(city, selectors):  # noqa: F811
    from tests.factories import CityFactory

    elsewhere = CityFactory(name="Elsewhere", slug="elsewhere")
    here = _answered_project(city, title="Here Air", slug="here-air")
    there = _answered_project(elsewhere, title="There Air", slug="there-air")
    _answered_project(city, title="Same City Air", slug="same-city-air")
    services_scores.scores_compute(at=AT)
    html = render_to_string(
        "scores/_project_block.html", {"project": here, **project_score_context(here)}
    )
    assert f'<a href="{there.get_absolute_url()}">There Air</a>' in html
    assert "Same City Air" not in html


def test_it_draws_the_score_trend_from_the_history(city, selectors):  # noqa: F811
    from datetime import timedelta

    project = _answered_project(city, title="Trend", slug="trend")
    services_scores.scores_compute(at=AT - timedelta(days=1))
    services_scores.scores_compute(at=AT)
    html = render_to_string(
        "scores/_project_block.html", {"project": project, **project_score_context(project)}
    )
    assert 'id="score-trend"' in html and "trend.js" in html and "uPlot.iife.min.js" in html
    assert '"day": "2025-03-14"' in html and '"day": "2025-03-15"' in html
