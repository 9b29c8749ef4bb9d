"""Redis stops while readings are being posted: nothing is lost, and the jobs catch up.

gunicorn and a Celery worker run as subprocesses against a private redis-server, which the
test kills mid-stream (and restarts empty, as a crashed Redis without persistence comes
back). Every POST must still be acknowledged with its per-row report and every acknowledged
reading must be in PostgreSQL; the outbox (DirtyHour, RescoreMark) swept by the periodic
tasks then brings the rollups and scores up to date.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from measurements.models import DirtyHour, Reading
from projects.models import RescoreMark, Score
from projects.services_scores import rescore_run
from tests.faults.conftest import Site, Worker, broker, shared_database_url, site_env, wait_for
from tests.faults.world import T0, make_world, rollups_from_raw, rollups_stored, snapshot

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Poster:
    """Threads posting batches of new readings until told to stop; records every answer."""

    def __init__(self, site: Site, world, threads: int = 4, batch: int = 5) -> None:
        self.site, self.world, self.batch = site, world, batch
        self.minutes = itertools.count()
        self.lock = threading.Lock()
        self.answers: list[tuple[int, dict | str]] = []
        self.running = threading.Event()
        self.running.set()
        self.threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _rows(self) -> list[dict]:
        with self.lock:
            minutes = [next(self.minutes) for _ in range(self.batch)]
        return [
            {
                "sensor": self.world.sensors[m % len(self.world.sensors)].pk,
                "quantity": "pm25",
                # Spread over ~10 hours of yesterday, one reading per sensor and minute.
                "time": (T0 - timedelta(hours=10) + timedelta(minutes=m)).isoformat(),
                "value": float(m % 37) + 0.5,
            }
            for m in minutes
        ]

    def _run(self) -> None:
        while self.running.is_set():
            status, body = self.site.request(
                "POST", "/api/v1/readings/", self._rows(), self.world.auth
            )
            try:
                answer = json.loads(body)
            except ValueError:
                answer = body
            with self.lock:
                self.answers.append((status, answer))

    def __enter__(self) -> Poster:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.running.clear()
        for t in self.threads:
            t.join(60)

    def count(self) -> int:
        with self.lock:
            return len(self.answers)


def test_it_stores_every_reading_and_catches_up_when_redis_stops_mid_stream(
    private_redis, processes
):
    world = make_world()
    env = site_env(database_url=shared_database_url(), redis_url=private_redis.url)
    site = Site(env)
    processes.append(site)

    with Poster(site, world) as poster:
        assert wait_for(lambda: poster.count() >= 20, 20), "posting did not get going"
        private_redis.stop()
        during = poster.count()
        assert wait_for(lambda: poster.count() >= during + 30, 30), "posting stalled without Redis"
    sent_during_outage = poster.count() - during

    failures = [(s, a) for s, a in poster.answers if s >= 300]
    assert not failures, f"{len(failures)} requests failed, e.g. {failures[:2]}"
    assert all(isinstance(a, dict) and len(a["results"]) == 5 for _s, a in poster.answers)
    acknowledged = sum(a["accepted"] for _s, a in poster.answers)
    assert acknowledged == 5 * len(poster.answers)
    assert sent_during_outage >= 30
    assert Reading.objects.count() == acknowledged

    # The work that could not be queued is recorded in the database, not only in Redis.
    assert DirtyHour.objects.exists()
    assert RescoreMark.objects.filter(project=world.project).exists()

    # Redis comes back empty (its queue is gone); a worker starts; the beat sweeps run.
    private_redis.start()
    processes.append(Worker(env, "catchup"))
    client = broker(private_redis.url)
    client.send_task("measurements.tasks.sweep_dirty_hours")
    assert wait_for(lambda: not DirtyHour.objects.exists(), 30), "dirty hours not swept"
    assert rollups_stored() == rollups_from_raw()

    # The rescore mark is due once the readings window has passed; let that time pass.
    RescoreMark.objects.update(requested_at=timezone.now() - timedelta(minutes=15))
    client.send_task("projects.tasks.rescore_sweep")
    assert wait_for(lambda: not RescoreMark.objects.exists(), 30), "rescore marks not swept"
    assert Score.objects.filter(project=world.project).exists()

    # Nothing is computed twice with a different result: sweeping and rescoring once more
    # (as a late duplicate would) leaves exactly the same rows.
    caught_up = snapshot()
    client.send_task("measurements.tasks.sweep_dirty_hours")
    client.send_task("projects.tasks.rescore_sweep")
    time.sleep(2)
    rescore_run(project_ids=[world.project.pk])
    assert snapshot() == caught_up
