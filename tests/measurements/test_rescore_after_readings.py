"""New readings ask for a rescore of their project, at most once per 10 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from measurements.services import readings_ingest
from projects.models import RescoreMark
from projects.services_scores import rescore_windows_forget
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.measurements.factories import SensorFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)


@pytest.fixture
def sensor():
    cache.clear()
    user = UserFactory(username="writer")
    project = ProjectFactory()
    MembershipFactory(project=project, user=user)
    return SensorFactory(project=project, owner=user)


def rows(sensor, start: int, n: int):
    return [
        {
            "sensor": sensor.pk,
            "quantity": "pm25",
            "time": (T0 + timedelta(hours=h)).isoformat(),
            "value": 5,
        }
        for h in range(start, start + n)
    ]


def test_it_marks_the_project_due_at_the_end_of_the_window(sensor, monkeypatch):
    scheduled = []
    monkeypatch.setattr(
        "projects.services_scores._enqueue",
        lambda ids, countdown=None: scheduled.append((ids, countdown)),
    )
    before = timezone.now()
    readings_ingest(rows=rows(sensor, 0, 3), source="api", actor=sensor.owner)
    mark = RescoreMark.objects.get(project=sensor.project)
    assert mark.requested_at >= before + timedelta(minutes=10)


def test_it_asks_only_once_per_window_however_many_batches_arrive(
    sensor, django_capture_on_commit_callbacks, monkeypatch
):
    scheduled = []
    monkeypatch.setattr(
        "projects.services_scores._enqueue",
        lambda ids, countdown=None: scheduled.append((ids, countdown)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        readings_ingest(rows=rows(sensor, 0, 3), source="api", actor=sensor.owner)
        readings_ingest(rows=rows(sensor, 3, 3), source="api", actor=sensor.owner)
        readings_ingest(rows=rows(sensor, 6, 3), source="api", actor=sensor.owner)
    assert scheduled == [([sensor.project_id], 600)]


def test_it_does_not_rescore_for_duplicates_only(
    sensor, django_capture_on_commit_callbacks, monkeypatch
):
    readings_ingest(rows=rows(sensor, 0, 3), source="api", actor=sensor.owner)
    RescoreMark.objects.all().delete()
    cache.clear()
    rescore_windows_forget()  # a fresh window, as far as this process knows
    readings_ingest(rows=rows(sensor, 0, 3), source="api", actor=sensor.owner)
    assert not RescoreMark.objects.exists()


def test_each_process_asks_again_once_the_window_has_ended(
    sensor, django_capture_on_commit_callbacks, monkeypatch
):
    """A process remembers the window it claimed or found claimed (no cache round trip per
    batch), and only until its end: the first batch after it opens the next window."""
    from projects import services_scores

    scheduled = []
    monkeypatch.setattr(
        services_scores, "_enqueue", lambda ids, countdown=None: scheduled.append(ids)
    )
    clock = [services_scores._clock()]
    monkeypatch.setattr(services_scores, "_clock", lambda: clock[0])
    asked = []  # cache round trips
    for name in ("add", "get_many"):
        real = getattr(cache, name)
        monkeypatch.setattr(
            cache,
            name,
            lambda *a, _real=real, _name=name, **k: asked.append(_name) or _real(*a, **k),
        )

    def batch(start: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            readings_ingest(rows=rows(sensor, start, 1), source="api", actor=sensor.owner)

    batch(0)
    assert asked == ["add", "get_many"] and scheduled == [[sensor.project_id]]
    clock[0] += 300
    batch(1)
    assert len(asked) == 2  # within the window, the process does not ask the cache again
    services_scores.rescore_windows_forget()  # another process: it finds the window claimed
    batch(2)
    batch(2 + 1)
    assert asked[2:] == ["add", "get_many"]  # it asked once, and learnt the window's end
    assert scheduled == [[sensor.project_id]]

    clock[0] += 301  # the window has ended (and its cache key expired with it)
    cache.delete(f"rescore-window:{sensor.project_id}")
    batch(4)
    assert scheduled == [[sensor.project_id]] * 2
