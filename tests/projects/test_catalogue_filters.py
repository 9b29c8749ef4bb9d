"""The catalogue page and the API filter and search the same way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.choices import Moderation
from tests.factories import CityFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    breda = CityFactory(name="Breda", slug="breda", country="NL")
    ghent = CityFactory(name="Ghent", slug="ghent", country="BE")
    ProjectFactory(
        title="Breda Breathes",
        slug="breda-breathes",
        cities=[breda],
        themes=["air", "heat"],
        status="active",
        participation_level="co-produce",
        licence="cc0",
        initiator_type="residents",
    )
    ProjectFactory(
        title="Quiet Ghent",
        slug="quiet-ghent",
        cities=[ghent],
        primary_theme="noise",
        status="completed",
        participation_level="consult",
        licence="odbl",
        initiator_type="research",
        description="Decibel meters on window sills.",
    )
    ProjectFactory(
        title="Rain Twin Cities",
        slug="rain-twin",
        cities=[breda, ghent],
        primary_theme="water",
        status="active",
        participation_level="inform",
        licence="closed",
        initiator_type="municipality",
    )
    ProjectFactory(
        title="Hidden Breda Draft", slug="hidden-draft", cities=[breda], moderation=Moderation.DRAFT
    )


QUERIES = [
    ("", {"breda-breathes", "quiet-ghent", "rain-twin"}),
    ("city=breda", {"breda-breathes", "rain-twin"}),
    ("country=BE", {"quiet-ghent", "rain-twin"}),
    ("theme=heat", {"breda-breathes"}),
    ("theme=air&city=ghent", set()),
    ("status=active", {"breda-breathes", "rain-twin"}),
    ("participation=consult", {"quiet-ghent"}),
    ("licence=cc0", {"breda-breathes"}),
    ("initiator=municipality", {"rain-twin"}),
    ("q=decibel", {"quiet-ghent"}),
    ("q=breda", {"breda-breathes", "rain-twin"}),
    ("q=BREATHES+breda", {"breda-breathes"}),
]


@pytest.mark.parametrize("query, expected", QUERIES)
def test_it_returns_the_same_projects_in_the_page_and_the_api(client, catalogue, query, expected):
    page = client.get(reverse("projects:catalogue") + "?" + query)
    api = client.get("/api/v1/projects/?" + query).json()
    assert {p.slug for p in page.context["page"].object_list} == expected
    assert {p["slug"] for p in api["results"]} == expected
    assert api["count"] == page.context["count"] == len(expected)


def test_it_lists_a_project_in_two_cities_once(client, catalogue):
    api = client.get("/api/v1/projects/?country=BE").json()
    assert [p["slug"] for p in api["results"]].count("rain-twin") == 1


def test_it_sorts_in_the_same_order(client, catalogue):
    page = client.get(reverse("projects:catalogue") + "?sort=-start")
    api = client.get("/api/v1/projects/?sort=title").json()
    assert [p["title"] for p in api["results"]] == [
        "Breda Breathes",
        "Quiet Ghent",
        "Rain Twin Cities",
    ]
    assert page.status_code == 200


def test_it_keeps_the_filters_in_the_pagination_links(client):
    city = CityFactory(name="Breda", slug="breda")
    for n in range(25):
        ProjectFactory(title=f"Air {n:02}", slug=f"air-{n}", cities=[city])
    html = client.get(reverse("projects:catalogue") + "?city=breda&theme=air").content.decode()
    assert "city=breda&amp;theme=air&amp;page=2" in html


def test_it_explains_an_unknown_filter_value(client, catalogue):
    response = client.get("/api/v1/projects/?theme=lava")
    assert response.status_code == 400
    assert "theme" in response.json()
    page = client.get(reverse("projects:catalogue") + "?theme=lava")
    assert page.status_code == 200
    assert "lava" in page.content.decode()


def test_it_caps_the_api_page_size(client):
    city = CityFactory(name="Breda", slug="breda")
    for n in range(105):
        ProjectFactory(title=f"P {n:03}", slug=f"p-{n}", cities=[city])
    body = client.get("/api/v1/projects/?page_size=1000").json()
    assert len(body["results"]) == 100
    assert body["count"] == 105
