from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections

from measurements.models import Reading
from measurements.services import readings_ingest
from tests.factories import MembershipFactory, ProjectFactory, UserFactory
from tests.measurements.factories import SensorFactory

T0 = datetime(2024, 5, 1, tzinfo=UTC)

# Integration tests run in the PostgreSQL pass; SQLite has one writer at a time.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def writer(postgresql):
    user = UserFactory(username="writer")
    project = ProjectFactory()
    MembershipFactory(project=project, user=user)
    return user, SensorFactory(project=project, owner=user)


def rows(sensor, minutes):
    return [
        {
            "sensor": sensor.pk,
            "quantity": "pm10",
            "time": (T0 + timedelta(minutes=m)).isoformat(),
            "value": m % 100,
        }
        for m in minutes
    ]


def send_at_once(user, batches):
    """Each batch from its own thread (own connection), released together."""
    reports, errors = [], []
    start = threading.Barrier(len(batches))

    def send(batch):
        try:
            start.wait()
            reports.append(readings_ingest(rows=batch, source="api", actor=user))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(b,)) for b in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    return reports


def test_it_stores_identical_batches_arriving_at_once_exactly_once(writer):
    user, sensor = writer
    reports = send_at_once(user, [rows(sensor, range(2000))] * 4)
    assert sum(r.accepted for r in reports) == 2000
    assert sum(r.duplicates for r in reports) == 3 * 2000
    assert Reading.objects.count() == 2000


def test_it_stores_overlapping_batches_in_any_row_order_exactly_once(writer):
    # Large batches are first COPYed whole, which fails as a whole when another writer
    # stored (or is storing) one of their readings; the batch is then stored row by row.
    # Whatever the interleaving, every reading is stored once and reported once as new.
    user, sensor = writer
    batches = [
        rows(sensor, range(0, 2000)),
        rows(sensor, reversed(range(1000, 3000))),
        rows(sensor, reversed(range(0, 2000))),
        rows(sensor, range(500, 2500)),
    ]
    reports = send_at_once(user, batches)
    assert sum(r.accepted for r in reports) == 3000
    assert sum(r.duplicates for r in reports) == 4 * 2000 - 3000
    stored = sorted(Reading.objects.values_list("time", flat=True))
    assert stored == [T0 + timedelta(minutes=m) for m in range(3000)]
