"""The same task message delivered twice has one effect.

Redis redelivers a message whose worker vanished before acknowledging it, so every job
must be safe to run twice — one after the other, or at the same time on two workers. The
jobs recompute from the raw rows and upsert, so the second run must leave every row as
the first left it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta

import pytest

from measurements.models import DirtyHour, HourlyRollup, Reading
from measurements.services import readings_ingest
from projects.models import CityStat, Score
from projects.services_scores import rescore_run
from tests.faults.conftest import Worker, broker, shared_database_url, site_env, succeeded, wait_for
from tests.faults.world import T0, make_world, rollups_from_raw, rollups_stored, snapshot

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _readings_waiting_for_rollups(world) -> int:
    """Store readings over six hours, then put the rollup job back to 'not run yet'."""
    rows = [
        {
            "sensor": world.sensors[i % 2].pk,
            "quantity": "pm25",
            "time": (T0 - timedelta(hours=6) + timedelta(minutes=7 * i)).isoformat(),
            "value": 3.0 + (i * 7) % 11,
        }
        for i in range(50)
    ]
    assert readings_ingest(rows=rows, source="api", actor=world.user).accepted == 50
    HourlyRollup.objects.all().delete()
    hours = {
        (r.sensor_id, r.quantity_id, r.time.astimezone(UTC).replace(minute=0, second=0))
        for r in Reading.objects.all()
    }
    DirtyHour.objects.bulk_create(
        [DirtyHour(sensor_id=s, quantity_id=q, hour=h) for s, q, h in hours],
        ignore_conflicts=True,
    )
    return len(hours)


def test_it_computes_rollups_once_when_the_message_arrives_twice_at_once(private_redis, processes):
    world = make_world()
    assert _readings_waiting_for_rollups(world) >= 6
    env = site_env(database_url=shared_database_url(), redis_url=private_redis.url)
    workers = [Worker(env, "dup-a"), Worker(env, "dup-b")]
    processes.extend(workers)
    client = broker(private_redis.url)

    # The same message twice, at once: two workers may run it concurrently.
    task_id = str(uuid.uuid4())
    for _ in range(2):
        client.send_task("measurements.tasks.process_dirty_hours", task_id=task_id)
    assert wait_for(lambda: succeeded(workers, task_id) == 2, 30), "both deliveries should run"
    assert not DirtyHour.objects.exists()
    assert rollups_stored() == rollups_from_raw()
    first = snapshot()

    # And once more, later (a redelivery after a lost acknowledgement).
    client.send_task("measurements.tasks.process_dirty_hours", task_id=task_id)
    assert wait_for(lambda: succeeded(workers, task_id) == 3, 30)
    assert snapshot() == first


def test_it_rescores_once_when_the_message_arrives_twice(private_redis, processes):
    world = make_world()
    _readings_waiting_for_rollups(world)
    Score.objects.all().delete()
    CityStat.objects.all().delete()
    env = site_env(database_url=shared_database_url(), redis_url=private_redis.url)
    workers = [Worker(env, "dup-c"), Worker(env, "dup-d")]
    processes.extend(workers)
    client = broker(private_redis.url)

    task_id = str(uuid.uuid4())
    args = [[world.project.pk]]
    for _ in range(2):
        client.send_task("projects.tasks.rescore_projects", args=args, task_id=task_id)
    assert wait_for(lambda: succeeded(workers, task_id) == 2, 30), "both deliveries should run"
    twice = snapshot()
    assert twice["scores"], "the rescore wrote no scores"
    # One row per project, city, kind and day — not one per delivery.
    assert Score.objects.filter(project=world.project, city__isnull=True).count() == 2

    # Exactly what one clean run produces.
    Score.objects.all().delete()
    CityStat.objects.all().delete()
    rescore_run(project_ids=[world.project.pk])
    assert snapshot() == twice
