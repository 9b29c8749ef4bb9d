"""Celery tasks of the measurements app: thin wrappers around one service call each."""

from __future__ import annotations

from celery import shared_task

from citimeasure.celery import app
from measurements import processing

SWEEP_SECONDS = 60.0


@shared_task(ignore_result=True)
def process_dirty_hours() -> int:
    """Recompute the rollups of all hours marked dirty (enqueued after each ingest commit)."""
    return processing.rollups_process_dirty()


@shared_task(ignore_result=True)
def sweep_dirty_hours() -> int:
    """The periodic safety net: marks whose queue message was lost are processed here."""
    return processing.rollups_process_dirty()


@app.on_after_finalize.connect
def _schedule_sweep(sender, **kwargs) -> None:
    """Register the sweep with beat from this app, so the schedule lives beside the task."""
    sender.add_periodic_task(SWEEP_SECONDS, sweep_dirty_hours.s(), name="measurements-dirty-hours-sweep")
