"""Celery tasks for the scores: take ids, call one service, return.

Time limits sit below the broker's visibility timeout (2 h), so a task is never handed to a
second worker while the first still runs; database errors are retried a few times with
backoff. The services upsert, so a duplicate delivery leaves exactly the same rows.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

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
def scores_nightly() -> int:
    """Fan the daily recompute out: one task per city's chunk of projects, one shared time.

    The plan marks every published project first (the durable record of the run), so a
    chunk that never runs is still rescored by the sweep. Returns the number of chunks.
    """
    at = timezone.now()
    chunks = services_scores.scores_nightly_plan(at=at)
    for chunk in chunks:
        scores_city_chunk.delay(chunk, at.isoformat())
    return len(chunks)


@shared_task(**_OPTIONS)
def scores_city_chunk(project_ids: list[int], at: str) -> int:
    """One city's projects and then its statistics, at the run's time (ISO 8601)."""
    moment = datetime.fromisoformat(at)
    return len(services_scores.scores_chunk_run(project_ids=list(project_ids), at=moment))
