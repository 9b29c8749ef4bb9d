"""End to end in a real headless Chromium: home map → filtered catalogue → project map.

Pages are served by pytest-django's `live_server` (another thread), so the data is committed
with `transaction=True`; `serialized_rollback` brings back the rows the migrations seed (themes,
the moderators group) for the tests that run after this one.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from projects.choices import Moderation
from tests.factories import CityFactory, ProjectFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT_MS = 15_000


@pytest.fixture
def catalogue_data():
    utrecht = CityFactory(name="Utrecht", slug="utrecht", country="NL", lat=52.09, lon=5.12)
    ghent = CityFactory(name="Gent", slug="gent", country="BE", lat=51.05, lon=3.72)
    return {
        "air-utrecht": ProjectFactory(
            title="Clean Air Utrecht",
            slug="clean-air-utrecht",
            primary_theme="air",
            cities=[utrecht],
        ),
        "noise-utrecht": ProjectFactory(
            title="Quiet Streets Utrecht",
            slug="quiet-streets-utrecht",
            primary_theme="noise",
            cities=[utrecht],
        ),
        "noise-ghent": ProjectFactory(
            title="Stille Nachten Gent",
            slug="stille-nachten-gent",
            primary_theme="noise",
            cities=[ghent],
        ),
        "draft": ProjectFactory(
            title="Unpublished Noise Draft",
            slug="unpublished-noise-draft",
            primary_theme="noise",
            cities=[utrecht],
            moderation=Moderation.DRAFT,
        ),
    }


def expect_map_with_markers(page, minimum: int = 1) -> None:
    """Leaflet took over #map and drew at least `minimum` markers from the page's GeoJSON."""
    expect(page.locator("#map.leaflet-container")).to_be_visible(timeout=TIMEOUT_MS)
    markers = page.locator("#map .leaflet-marker-icon")
    expect(markers.first).to_be_visible(timeout=TIMEOUT_MS)
    assert markers.count() >= minimum


def test_browse_from_home_map_through_filtered_catalogue_to_a_project_map(
    page, live_server, catalogue_data, traffic, screenshot
):
    # Home: the map of published projects renders with its markers.
    page.goto(live_server.url + "/")
    expect_map_with_markers(page, minimum=2)  # Utrecht and Gent
    screenshot(page, "1-home")

    # The catalogue, reached from the main navigation.
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Catalogue", exact=True
    ).click()
    expect(page).to_have_url(re.compile(r"/projects/$"), timeout=TIMEOUT_MS)
    filters = page.locator("form#filters")
    expect(filters).to_be_visible()
    cards = page.locator("ul.cards > li")
    expect(cards).to_have_count(3)  # the draft is not listed
    screenshot(page, "2-catalogue")

    # Filter by theme and city through the form.
    filters.locator("select[name=theme]").select_option("noise")
    filters.locator("select[name=city]").select_option("utrecht")
    filters.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"[?&]city=utrecht"), timeout=TIMEOUT_MS)

    query = parse_qs(urlsplit(page.url).query)
    assert query["theme"] == ["noise"]
    assert query["city"] == ["utrecht"]
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Quiet Streets Utrecht")
    # The form shows the filters it applied, so the view can be refined further.
    expect(filters.locator("select[name=theme]")).to_have_value("noise")
    expect(filters.locator("select[name=city]")).to_have_value("utrecht")
    expect_map_with_markers(page)
    screenshot(page, "3-catalogue-filtered")

    # Open the project and see its map.
    cards.first.get_by_role("link", name="Quiet Streets Utrecht").click()
    expect(page).to_have_url(
        live_server.url + "/projects/quiet-streets-utrecht/", timeout=TIMEOUT_MS
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Quiet Streets Utrecht")
    expect_map_with_markers(page)
    screenshot(page, "4-project")

    # The browser talked to nobody but the site itself and the configured tile server.
    assert traffic.foreign == [], f"requests to third parties: {traffic.foreign}"
    assert all(
        url.startswith(live_server.url + "/") or url in traffic.tiles or url.startswith("data:")
        for url in traffic.requests
    ), traffic.requests
    assert traffic.tiles, "the maps asked for no tiles"
    assert traffic.page_errors == [], f"JavaScript errors: {traffic.page_errors}"
    assert traffic.console_errors == [], (
        f"console errors (a CSP violation?): {traffic.console_errors}"
    )
