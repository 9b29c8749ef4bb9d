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


@shared_task(ignore_result=True, acks_late=True)
def csv_upload_process(upload_id: int) -> None:
    """Process (or resume) one CSV upload; a no-op when it is gone or already finished."""
    from measurements import uploads

    uploads.csv_upload_process(upload_id=upload_id)


@shared_task(ignore_result=True)
def csv_uploads_sweep() -> int:
    """Re-enqueue uploads stuck queued/running for 10 minutes (lost message, dead worker)."""
    from measurements import uploads

    stale = uploads.csv_uploads_sweep()
    for upload_id in stale:
        csv_upload_process.delay(upload_id)
    return len(stale)
