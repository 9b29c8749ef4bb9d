"""Celery tasks for the scores: take ids, call one service, return.

Time limits sit below the broker's visibility timeout (2 h), so a task is never handed to a
second worker while the first still runs; database errors are retried a few times with
backoff. The services upsert, so a duplicate delivery leaves exactly the same rows.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError

from projects import services_scores

_OPTIONS = {
    "acks_late": True,
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "max_retries": 5,
    "soft_time_limit": 20 * 60,
    "time_limit": 25 * 60,
}


@shared_task(**_OPTIONS)
def rescore_projects(project_ids: list[int]) -> int:
    """Rescore the given projects now (enqueued on commit by `rescore_request`)."""
    return len(services_scores.rescore_run(project_ids=list(project_ids)))


@shared_task(**_OPTIONS)
def rescore_sweep() -> int:
    """Rescore the projects whose marks no task has cleared (e.g. the broker was away)."""
    return len(services_scores.rescore_run())


@shared_task(**_OPTIONS)
def scores_nightly() -> dict:
    """Recompute every published project and every city with one: the daily history row."""
    return services_scores.scores_compute()
