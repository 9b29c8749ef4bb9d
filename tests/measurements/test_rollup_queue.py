"""How often ingestion queues the rollup job: once per ROLLUP_DELAY per web process when a
worker runs the jobs, every time when jobs run eagerly (embedded mode)."""

from __future__ import annotations

import pytest
from kombu.exceptions import OperationalError

from citimeasure.celery import app
from measurements import services
from measurements.tasks import process_dirty_hours


@pytest.fixture
def queued(monkeypatch):
    calls: list[dict] = []
    clock = [1000.0]
    monkeypatch.setattr(process_dirty_hours, "apply_async", lambda **kw: calls.append(kw))
    monkeypatch.setattr(services.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(services, "_rollup_job_starts_at", 0.0)
    return calls, clock


@pytest.fixture
def with_worker():
    """Jobs go to a worker (the autouse `_eager_celery` fixture restores eager mode)."""
    app.conf.task_always_eager = False


def test_a_busy_process_queues_one_delayed_job_that_covers_the_readings_after_it(
    queued, with_worker
):
    calls, clock = queued
    services._enqueue_rollups()
    clock[0] += 1.0  # before the job may start: it will see this ingest's marks
    services._enqueue_rollups()
    assert calls == [calls[0]] and calls[0]["countdown"] == services.ROLLUP_DELAY
    # Close to the job's start, a new one is queued: a late commit is never left behind.
    clock[0] += services.ROLLUP_DELAY - services.ROLLUP_MARGIN - 1.0
    services._enqueue_rollups()
    assert len(calls) == 2


def test_a_failed_publish_is_tried_again_by_the_next_ingest(queued, with_worker, monkeypatch):
    calls, _clock = queued

    def broker_down(**kw):
        raise OperationalError("redis is away")

    monkeypatch.setattr(process_dirty_hours, "apply_async", broker_down)
    services._enqueue_rollups()  # logged, left to the sweep
    monkeypatch.setattr(process_dirty_hours, "apply_async", lambda **kw: calls.append(kw))
    services._enqueue_rollups()
    assert len(calls) == 1


def test_eager_jobs_run_after_every_ingest(queued):
    calls, _clock = queued
    for _ in range(3):
        services._enqueue_rollups()
    assert len(calls) == 3 and all(c["countdown"] is None for c in calls)
