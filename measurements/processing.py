"""Hourly rollups, kept right by recomputing exactly the dirty hours from the raw rows.

Recomputing (instead of adding deltas) makes the job idempotent: running it twice, or
after a duplicate delivery, or after a late reading for an old hour, gives the same rows
as a direct aggregation of the raw table.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import TruncHour

from measurements.models import DirtyHour, HourlyRollup, Reading

Bucket = tuple[int, int, datetime]
BATCH = 200  # buckets per query: keeps the OR-ed filter well inside SQLite's expression limits
HOUR = timedelta(hours=1)


def _bucket_filter(buckets: Sequence[Bucket]) -> Q:
    return reduce(
        or_,
        (Q(sensor_id=s, quantity_id=q, time__gte=h, time__lt=h + HOUR) for s, q, h in buckets),
    )


def rollups_recompute(*, buckets: Sequence[Bucket]) -> int:
    """Recompute the hourly rollups of `buckets` from the raw readings; return rows written.

    count and flagged count all readings; mean/min/max use the unflagged ones only (None
    when every reading of the hour is flagged). An hour left with no readings loses its row.
    """
    if not buckets:
        return 0
    unflagged = Q(flags=0)
    aggregates = (
        Reading.objects.filter(_bucket_filter(buckets))
        .annotate(bucket=TruncHour("time", tzinfo=UTC))
        .order_by()
        .values("sensor_id", "quantity_id", "bucket")
        .annotate(
            n=Count("id"),
            n_flagged=Count("id", filter=Q(flags__gt=0)),
            v_mean=Avg("value", filter=unflagged),
            v_min=Min("value", filter=unflagged),
            v_max=Max("value", filter=unflagged),
        )
    )
    rows = [
        HourlyRollup(
            sensor_id=a["sensor_id"],
            quantity_id=a["quantity_id"],
            hour=a["bucket"],
            count=a["n"],
            flagged=a["n_flagged"],
            mean=a["v_mean"],
            min=a["v_min"],
            max=a["v_max"],
        )
        for a in aggregates
    ]
    HourlyRollup.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["sensor", "quantity", "hour"],
        update_fields=["count", "flagged", "mean", "min", "max"],
    )
    written = {(r.sensor_id, r.quantity_id, r.hour.astimezone(UTC)) for r in rows}
    empty = [b for b in buckets if (b[0], b[1], b[2].astimezone(UTC)) not in written]
    if empty:
        HourlyRollup.objects.filter(
            reduce(or_, (Q(sensor_id=s, quantity_id=q, hour=h) for s, q, h in empty))
        ).delete()
    return len(rows)


def rollups_process_dirty(*, limit: int | None = None) -> int:
    """Recompute every hour marked dirty (up to `limit` marks); return how many were processed.

    A mark is deleted only if it was not marked again meanwhile (same `marked_at`), so
    readings that land during the recompute are picked up by the next run.
    """
    processed = 0
    while limit is None or processed < limit:
        size = BATCH if limit is None else min(BATCH, limit - processed)
        marks = list(
            DirtyHour.objects.order_by("hour").values_list(
                "sensor_id", "quantity_id", "hour", "marked_at"
            )[:size]
        )
        if not marks:
            break
        rollups_recompute(buckets=[(s, q, h) for s, q, h, _ in marks])
        DirtyHour.objects.filter(
            reduce(
                or_, (Q(sensor_id=s, quantity_id=q, hour=h, marked_at=m) for s, q, h, m in marks)
            )
        ).delete()
        processed += len(marks)
    return processed
