"""A Celery worker is killed (SIGKILL) in the middle of a score job.

The message is acknowledged only after the job (acks_late), so Redis hands it to the next
worker once the visibility timeout has passed (shortened to a few seconds here through
tests.faults.settings). The killed job's transaction never committed, and the job rewrites
its rows from scratch, so the database ends exactly as after one clean run.
"""

from __future__ import annotations

import uuid

import pytest

from projects.models import CityStat, RescoreMark, Score
from projects.services_scores import rescore_request, rescore_run
from tests.faults.conftest import Worker, broker, shared_database_url, site_env, succeeded, wait_for
from tests.faults.world import make_world, snapshot

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_it_completes_a_score_job_after_its_worker_is_killed_mid_job(
    private_redis, processes, tmp_path
):
    world = make_world()
    rescore_request(project_ids=[world.project.pk])  # eager here: computes once…
    Score.objects.all().delete()  # …so start from no scores, with the durable mark kept
    CityStat.objects.all().delete()
    RescoreMark.objects.get_or_create(project=world.project)
    marker = tmp_path / "writing"
    env = site_env(
        database_url=shared_database_url(),
        redis_url=private_redis.url,
        FAULT_VISIBILITY_TIMEOUT="3",
        FAULT_MARKER=str(marker),
        FAULT_DELAY="3",
    )
    slow = Worker(env, "doomed", module="tests.faults.slow_worker")
    processes.append(slow)

    task_id = str(uuid.uuid4())
    broker(private_redis.url).send_task(
        "projects.tasks.rescore_projects", args=[[world.project.pk]], task_id=task_id
    )
    assert wait_for(marker.exists, 30), "the job never reached its writes"
    slow.kill()  # SIGKILL, mid-transaction
    assert not Score.objects.exists(), "a killed job must leave no half-written scores"

    fresh = Worker(env, "rescuer")
    processes.append(fresh)
    assert wait_for(lambda: succeeded([fresh], task_id) == 1, 45), "the job was not redelivered"
    after_kill = snapshot()
    assert after_kill["scores"] and after_kill["city_stats"]
    assert after_kill["rescore_marks"] == []

    # One clean run, from the same starting point, writes exactly the same rows.
    Score.objects.all().delete()
    CityStat.objects.all().delete()
    rescore_run(project_ids=[world.project.pk])
    assert snapshot() == after_kill
