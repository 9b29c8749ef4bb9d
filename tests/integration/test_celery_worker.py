"""Background work through a real Celery worker and Redis broker (second CI pass).

Nothing here runs eagerly: the request only commits rows and queues a message; the worker
thread, with its own database connection, does the work.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from celery.contrib.testing.worker import start_worker

from citimeasure.celery import app
from measurements.models import HourlyRollup, Reading
from projects.models import Score
from tests.factories import MembershipFactory, NeighbourhoodFactory, ProjectFactory, UserFactory
from tests.measurements.factories import SensorFactory

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

T0 = datetime(2026, 11, 30, 10, tzinfo=UTC)


@pytest.fixture
def celery_worker(postgresql):
    """A real worker thread consuming from the configured Redis broker."""
    assert app.conf.broker_url.startswith("redis://"), "integration tests need REDIS_URL"
    app.conf.task_always_eager = False
    with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
        yield
    app.conf.task_always_eager = True


def wait_for(predicate, seconds: float = 30.0):
    """Poll until the worker has done its part (it runs in another thread)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_it_computes_rollups_in_the_worker_after_readings_arrive(celery_worker, api):
    user = UserFactory(username="writer")
    project = ProjectFactory()
    MembershipFactory(project=project, user=user)
    sensor = SensorFactory(project=project, owner=user)
    rows = [
        {
            "sensor": sensor.pk,
            "quantity": "pm25",
            "time": (T0 + timedelta(minutes=10 * i)).isoformat(),
            "value": value,
        }
        for i, value in enumerate([4.0, 6.0, 8.0])
    ]
    api.force_authenticate(user)
    response = api.post("/api/v1/readings/", rows, format="json")
    assert response.status_code in (200, 201), response.content
    assert Reading.objects.filter(sensor=sensor).count() == 3

    assert wait_for(lambda: HourlyRollup.objects.filter(sensor=sensor).exists())
    rollup = HourlyRollup.objects.get(sensor=sensor)
    assert (rollup.count, rollup.mean, rollup.min, rollup.max) == (3, 6.0, 4.0, 8.0)


def test_it_rescores_a_project_in_the_worker_when_its_profile_changes(celery_worker, alice, api):
    project = ProjectFactory(
        free_to_join=True,
        non_digital_option=True,
        recruits_underrepresented=False,
        results_shared=True,
        locations_protected=True,
        licence="cc0",
        participation_level="co-decide",
        languages_offered=["nl", "en"],
    )
    NeighbourhoodFactory(city=project.cities.first())
    MembershipFactory(project=project, user=alice, role="coordinator")
    api.force_authenticate(alice)
    response = api.patch(
        f"/api/v1/projects/{project.slug}/", {"summary": "Now with paper forms"}, format="json"
    )
    assert response.status_code == 200, response.content

    def scored():
        return Score.objects.filter(project=project, kind="inclusivity", city__isnull=True).exists()

    assert wait_for(scored)
    score = Score.objects.get(project=project, kind="inclusivity", city__isnull=True)
    # Access & process alone: 15 + 10 + 10 + 0 + 10 + 20 + 10 + 10 = 85 points.
    assert float(score.value) == pytest.approx(85.0)
