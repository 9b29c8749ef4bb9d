"""End to end in a real headless Chromium: upload a CSV, watch the progress bar reach done,
then open the sensor page and see the chart drawn from the uploaded readings.

Celery is eager in tests, so the job runs in the upload request's on_commit; the live server
serves another thread, hence the transactional database (see test_browser.py).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from measurements.models import CsvUpload, Reading
from projects.choices import Role
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.measurements.factories import SensorFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TIMEOUT_MS = 15_000


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def login(page, live_server, user) -> None:
    """Give the browser the session of `user` (the login form is tested elsewhere)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def readings_csv(sensor_pk: int, hours: int = 24) -> bytes:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    lines = ["sensor,quantity,time,value"]
    for i in range(hours):
        time = (now - timedelta(hours=hours - i)).isoformat()
        lines.append(f"{sensor_pk},pm25,{time},{8 + (i % 6)}")
    lines.append(f"{sensor_pk},pm25,{now.isoformat()},lots")  # one bad line for the report
    return ("\n".join(lines) + "\n").encode()


def test_upload_a_csv_see_the_progress_finish_and_the_chart_render(
    page, live_server, traffic, screenshot
):
    bob = UserFactory(username="bob")
    project = ProjectFactory(title="Clean Air Utrecht", slug="clean-air-utrecht")
    MembershipFactory(project=project, user=bob, role=Role.PARTICIPANT)
    sensor = SensorFactory(project=project, owner=bob, name="Balcony")
    login(page, live_server, bob)

    page.goto(f"{live_server.url}/uploads/new/?project={project.slug}")
    page.get_by_label("Project").select_option(label=project.title)
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "readings.csv", "mimeType": "text/csv", "buffer": readings_csv(sensor.pk)}]
    )
    screenshot(page, "1-form")
    page.get_by_role("button", name="Upload").click()

    expect(page).to_have_url(re.compile(r"/uploads/\d+/$"), timeout=TIMEOUT_MS)
    progress = page.locator("progress#upload-progress")
    expect(progress).to_have_attribute("value", "100", timeout=TIMEOUT_MS)
    expect(page.locator("#upload")).to_have_attribute("data-state", "done", timeout=TIMEOUT_MS)
    expect(page.locator("[data-field=accepted]")).to_have_text("24")
    expect(page.locator("[data-field=rejected]")).to_have_text("1")
    expect(page.locator("#upload-errors")).to_be_visible()
    screenshot(page, "2-done")
    assert CsvUpload.objects.get().state == "done"
    assert Reading.objects.filter(sensor=sensor).count() == 24

    page.goto(f"{live_server.url}/sensors/{sensor.pk}/")
    expect(page.locator("#charts canvas").first).to_be_visible(timeout=TIMEOUT_MS)
    screenshot(page, "3-chart")

    assert traffic.foreign == []
    assert traffic.page_errors == []
    assert traffic.console_errors == []
