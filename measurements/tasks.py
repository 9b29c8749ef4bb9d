"""Celery tasks of the measurements app: thin wrappers around one service call each."""

from __future__ import annotations

from celery import shared_task

from measurements import processing


@shared_task(ignore_result=True)
def process_dirty_hours() -> int:
    """Recompute the rollups of all hours marked dirty (enqueued after each ingest commit)."""
    return processing.rollups_process_dirty()


@shared_task(ignore_result=True)
def sweep_dirty_hours() -> int:
    """The periodic safety net: marks whose queue message was lost are processed here."""
    return processing.rollups_process_dirty()
