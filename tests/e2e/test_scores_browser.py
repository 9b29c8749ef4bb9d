"""End to end in a real headless Chromium: tick two catalogue cards → compare page with its
chart → cities map → a city's choropleth. No console errors, no third-party requests."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from measurements.models import DailyRollup
from projects import services_scores
from tests.factories import CityFactory, NeighbourhoodFactory, ProjectFactory, square
from tests.measurements.factories import SensorFactory, quantity

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT_MS = 15_000


@pytest.fixture
def scored_data():
    utrecht = CityFactory(name="Utrecht", slug="utrecht", lat=52.09, lon=5.12, population=3000)
    for i, (population, income) in enumerate([(1000, 20_000), (2000, 40_000)]):
        NeighbourhoodFactory(
            city=utrecht,
            code=f"BU{i}",
            name=f"Wijk {i}",
            boundary=square(5.10 + 0.01 * i, 52.08),
            population=population,
            mean_income=income,
        )
    ghent = CityFactory(name="Gent", slug="gent", country="BE", lat=51.05, lon=3.72)
    air = ProjectFactory(title="Clean Air Utrecht", slug="clean-air-utrecht", cities=[utrecht])
    ghent_air = ProjectFactory(title="Lucht Gent", slug="lucht-gent", cities=[ghent])
    today = timezone.localdate()
    for project, lon, lat, base in [(air, 5.105, 52.085, 10.0), (ghent_air, 3.72, 51.05, 20.0)]:
        sensor = SensorFactory(project=project, lon=lon, lat=lat, is_active=True)
        for d in range(5):
            DailyRollup.objects.create(
                sensor=sensor,
                quantity=quantity("pm25"),
                day=today - timedelta(days=d),
                count=24,
                flagged=0,
                mean=base + d,
            )
    services_scores.scores_compute()
    return utrecht


def _clean(traffic, live_server):
    assert traffic.foreign == [], f"requests to third parties: {traffic.foreign}"
    assert traffic.page_errors == [], f"JavaScript errors: {traffic.page_errors}"
    assert traffic.console_errors == [], f"console errors (CSP?): {traffic.console_errors}"


def test_compare_from_the_catalogue_then_see_the_cities_and_a_city_map(
    page, live_server, scored_data, traffic, screenshot
):
    # The catalogue: tick two cards (no JavaScript needed) and compare.
    page.goto(live_server.url + "/projects/")
    page.locator("#compare-clean-air-utrecht").check()
    page.locator("#compare-lucht-gent").check()
    page.get_by_role("button", name="Compare selected").click()
    expect(page).to_have_url(
        re.compile(r"/scores/compare/\?projects=clean-air-utrecht%2Clucht-gent$"),
        timeout=TIMEOUT_MS,
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare initiatives")
    expect(page.locator("table.compare")).to_contain_text("Lucht Gent")
    # Both measure pm25: their daily means share one uPlot chart.
    expect(page.locator('[data-chart="0"] canvas')).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator('[data-chart="0"] .u-legend')).to_contain_text("Clean Air Utrecht")
    screenshot(page, "1-compare")

    # The cities compared, with a map of circles.
    page.goto(live_server.url + "/scores/cities/")
    expect(page.locator("#cities-map.leaflet-container")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#cities-map path.leaflet-interactive")).to_have_count(2)
    page.locator("#city-stats thead th").first.click()  # sortable
    screenshot(page, "2-cities")

    # A city: its neighbourhoods coloured by sensors per 10,000 residents.
    page.goto(live_server.url + scored_data.get_absolute_url())
    expect(page.locator("#choropleth.leaflet-container")).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator("#choropleth path.leaflet-interactive")).to_have_count(2)
    expect(page.locator('[data-score="city-ci"]')).not_to_be_empty()
    screenshot(page, "3-city")

    _clean(traffic, live_server)
