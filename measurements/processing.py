"""The job that runs after readings land: quality flags, then hourly and daily rollups.

For the hours marked dirty (`DirtyHour`), in one transaction per batch of marks:

1. `quality_apply` recomputes the neighbour-based flags (spike, stuck value, particulate
   at high humidity) of the readings in those hours, looking back at the readings just
   before them so a spike or a stuck run across an hour border is seen;
2. `rollups_recompute` rebuilds the hourly rollups of those hours (and of any other hour
   whose flags changed in step 1) from the raw rows;
3. `daily_rollups_recompute` rebuilds the daily rollups of the days touched, from the
   hourly rollups.

Recomputing (instead of adding deltas) makes the job idempotent: running it twice, or
after a duplicate delivery, or after a late reading for an old hour, gives the same rows
as a direct aggregation of the raw table.

Set-based: the buckets of a batch are grouped per sensor and quantity into runs of nearby
hours, and each step is one query over all runs (not one per bucket) plus one bulk
upsert. On PostgreSQL with 1,000 dirty hours the old per-bucket OR filter took about
0.5 ms per bucket; see tests/benchmarks/RESULTS.md for the measured gain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import TruncHour

from measurements import quality
from measurements.models import DailyRollup, DirtyHour, HourlyRollup, Quantity, Reading

Bucket = tuple[int, int, datetime]
Day = tuple[int, int, date]
BATCH = 500  # dirty marks per transaction
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Dirty hours of one sensor and quantity less than this far apart are read as one time
# range: reading a few clean hours in between is cheaper than another OR-ed condition.
RUN_GAP = timedelta(hours=6)
KNOWN_BAD = quality.OUT_OF_RANGE | quality.INVALID


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _runs(points: Iterable[tuple[int, int, datetime]], *, step: timedelta, gap: timedelta):
    """Group (sensor, quantity, start) points into (sensor, quantity, first, end) runs:
    sorted per pair, a new run starts when the next point is more than `gap` after the end.

    Example: hours 10:00, 11:00 and 20:00 of one pair, step 1 h, gap 6 h →
    (s, q, 10:00, 12:00) and (s, q, 20:00, 21:00).
    """
    per_pair: dict[tuple[int, int], list] = defaultdict(list)
    for s, q, t in points:
        per_pair[(s, q)].append(t)
    for (s, q), starts in sorted(per_pair.items()):
        starts.sort()
        first = end = None
        for t in starts:
            if first is not None and t - end <= gap:
                end = max(end, t + step)
                continue
            if first is not None:
                yield s, q, first, end
            first, end = t, t + step
        if first is not None:
            yield s, q, first, end


def _runs_filter(runs: Iterable[tuple], *, field: str) -> Q:
    return reduce(
        or_,
        (
            Q(sensor_id=s, quantity_id=q, **{f"{field}__gte": a, f"{field}__lt": b})
            for s, q, a, b in runs
        ),
        Q(pk__in=[]),
    )


def _upsert(model, rows: list[tuple], *, key: list[str], values: list[str]) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE for plain tuples (key columns, then values).

    Raw `executemany` because Django's bulk_create spends ~0.3 ms per row building SQL;
    the statement is the same on PostgreSQL and SQLite (3.24+).
    """
    if not rows:
        return
    q = connection.ops.quote_name
    columns = [*key, *values]
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(q(c) for c in key)}) DO UPDATE SET "
        + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in values)
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _flags_update(changed: list[tuple[int, int]]) -> None:
    """Set new flags on readings: (flags, pk) pairs, one executemany."""
    if not changed:
        return
    table = connection.ops.quote_name(Reading._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET flags = %s WHERE id = %s", changed)


def _db_time(moment: datetime):
    return connection.ops.adapt_datetimefield_value(moment)


# --- quality ------------------------------------------------------------------------------


def quality_apply(*, buckets: Sequence[Bucket]) -> set[Bucket]:
    """Recompute SPIKE, STUCK and HUMID on the readings of `buckets`; return the buckets
    (any hour) whose readings' flags changed, so their rollups can be rebuilt too.

    The readings just before each run of dirty hours (up to quality.STUCK_RUN of them) are
    read as context: the first new reading is compared with the last one before it, and a
    stuck run that started before the hour is recognised. Context readings may gain STUCK
    (the run reached its length only now) but are otherwise left as they were. A dirty
    humidity hour re-checks the particulate readings of the same sensor and hour.
    Readings flagged OUT_OF_RANGE or INVALID are left out of the comparisons (and keep their
    flags): the spike check compares with the previous plausible reading.
    Raw values are never changed; INVALID, OUT_OF_RANGE and FUTURE are kept as they are.
    """
    if not buckets:
        return set()
    codes = dict(Quantity.objects.values_list("id", "code"))
    ids = {code: pk for pk, code in codes.items()}
    particulate = [ids[c] for c in quality.PARTICULATE if c in ids]
    humidity_id = ids.get("humidity")
    wanted = {(s, q, _utc(h)) for s, q, h in buckets}
    for s, q, h in list(wanted):
        if q == humidity_id:
            wanted.update((s, pm, h) for pm in particulate)
    runs = list(_runs(wanted, step=HOUR, gap=timedelta(0)))
    window = Reading.objects.filter(_runs_filter(runs, field="time")).order_by(
        "sensor_id", "quantity_id", "time"
    )
    series: dict[tuple[int, int], dict[int, list]] = defaultdict(dict)
    for pk, s, q, t, value, flags in window.values_list(
        "pk", "sensor_id", "quantity_id", "time", "value", "flags"
    ):
        series[(s, q)][pk] = [pk, _utc(t), value, flags, False]
    context: dict[tuple[int, int], list] = defaultdict(list)
    for s, q, first, _end in runs:
        if q not in codes or (s, q) not in series:
            continue
        before = Reading.objects.filter(sensor_id=s, quantity_id=q, time__lt=first).order_by(
            "-time"
        )[: quality.STUCK_RUN]
        for pk, t, value, flags in before.values_list("pk", "time", "value", "flags"):
            context[(s, q)].append([pk, _utc(t), value, flags, True])
    humid = _hourly_humidity(series, humidity_id=humidity_id, particulate=set(particulate))
    changed: list[tuple[int, int]] = []
    touched: set[Bucket] = set()
    for (s, q), rows in series.items():
        merged = {r[0]: r for r in context[(s, q)]}
        merged.update(rows)  # a reading both in a run and in context counts as in the run
        # Readings already known to be bad are no yardstick for their neighbours.
        ordered = sorted((r for r in merged.values() if not r[3] & KNOWN_BAD), key=lambda r: r[1])
        computed = quality.flags_series(
            codes[q],
            [r[2] for r in ordered],
            humidity=[humid.get((s, _hour(r[1]))) for r in ordered],
        )
        for (pk, t, _value, old, is_context), bits in zip(ordered, computed, strict=True):
            new = old | (bits & quality.STUCK) if is_context else (old & ~quality.COMPUTED) | bits
            if new != old:
                changed.append((new, pk))
                touched.add((s, q, _hour(t)))
    _flags_update(changed)
    return touched


def _hour(moment: datetime) -> datetime:
    return _utc(moment).replace(minute=0, second=0, microsecond=0)


def _hourly_humidity(series, *, humidity_id, particulate: set[int]) -> dict:
    """(sensor, hour) → the highest valid relative humidity of that sensor in that hour, for
    the hours holding particulate readings in `series`."""
    if humidity_id is None:
        return {}
    hours = {
        (s, humidity_id, _hour(r[1]))
        for (s, q), rows in series.items()
        if q in particulate
        for r in rows.values()
    }
    if not hours:
        return {}
    rows = (
        Reading.objects.filter(_runs_filter(_runs(hours, step=HOUR, gap=RUN_GAP), field="time"))
        .exclude(flags__gt=0)
        .annotate(bucket=TruncHour("time", tzinfo=UTC))
        .order_by()
        .values_list("sensor_id", "bucket")
        .annotate(top=Max("value"))
    )
    return {(s, _utc(h)): top for s, h, top in rows}


# --- rollups ------------------------------------------------------------------------------


def rollups_recompute(*, buckets: Sequence[Bucket]) -> int:
    """Recompute the hourly rollups of `buckets` from the raw readings; return rows written.

    count and flagged count all readings; mean/min/max use the unflagged ones only (None
    when every reading of the hour is flagged). An hour left with no readings loses its row.
    One aggregate query over all buckets (grouped into runs of hours), one bulk upsert.
    """
    if not buckets:
        return 0
    wanted = {(s, q, _utc(h)) for s, q, h in buckets}
    unflagged = Q(flags=0)
    aggregates = (
        Reading.objects.filter(_runs_filter(_runs(wanted, step=HOUR, gap=RUN_GAP), field="time"))
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
        (
            a["sensor_id"],
            a["quantity_id"],
            _utc(a["bucket"]),
            a["n"],
            a["n_flagged"],
            a["v_mean"],
            a["v_min"],
            a["v_max"],
        )
        for a in aggregates
        # Runs may span clean hours between dirty ones; only the dirty ones are written.
        if (a["sensor_id"], a["quantity_id"], _utc(a["bucket"])) in wanted
    ]
    _upsert(
        HourlyRollup,
        [(s, q, _db_time(h), *rest) for s, q, h, *rest in rows],
        key=["sensor_id", "quantity_id", "hour"],
        values=["count", "flagged", "mean", "min", "max"],
    )
    written = {(s, q, h) for s, q, h, *_ in rows}
    empty = wanted - written
    if empty:
        per_pair: dict[tuple[int, int], list] = defaultdict(list)
        for s, q, h in empty:
            per_pair[(s, q)].append(h)
        HourlyRollup.objects.filter(
            reduce(
                or_,
                (Q(sensor_id=s, quantity_id=q, hour__in=hs) for (s, q), hs in per_pair.items()),
            )
        ).delete()
    return len(rows)


def daily_rollup_from_hours(
    hours: Sequence[tuple[int, int, float | None, float | None, float | None]],
) -> dict:
    """Combine one day's hourly rollups (count, flagged, mean, min, max) into the day's.

    count and flagged are sums; min and max the extremes of the hourly ones; the mean is
    weighted by each hour's unflagged readings, so it equals the mean of all the day's
    unflagged readings: mean = Σ mean_h·(count_h − flagged_h) / Σ (count_h − flagged_h).

    Example: 10:00 has 4 readings (1 flagged) with mean 10, 11:00 has 1 with mean 30 →
    count 5, flagged 1, mean (10·3 + 30·1) / 4 = 15.

    >>> daily_rollup_from_hours([(4, 1, 10.0, 8.0, 12.0), (1, 0, 30.0, 30.0, 30.0)])
    {'count': 5, 'flagged': 1, 'mean': 15.0, 'min': 8.0, 'max': 30.0}
    """
    count = sum(h[0] for h in hours)
    flagged = sum(h[1] for h in hours)
    clean = [(h[0] - h[1], h[2], h[3], h[4]) for h in hours if h[2] is not None]
    weight = sum(n for n, *_ in clean)
    return {
        "count": count,
        "flagged": flagged,
        "mean": sum(n * m for n, m, _, _ in clean) / weight if weight else None,
        "min": min((lo for _, _, lo, _ in clean), default=None),
        "max": max((hi for _, _, _, hi in clean), default=None),
    }


def daily_rollups_recompute(*, days: Iterable[Day]) -> int:
    """Rebuild the daily rollups of `days` (sensor, quantity, UTC date) from the hourly
    rollups; a day left without hourly rows loses its row. Returns rows written."""
    wanted = set(days)
    if not wanted:
        return 0
    starts = {(s, q, datetime.combine(d, time(), tzinfo=UTC)) for s, q, d in wanted}
    hourly = (
        HourlyRollup.objects.filter(_runs_filter(_runs(starts, step=DAY, gap=DAY), field="hour"))
        .order_by()
        .values_list("sensor_id", "quantity_id", "hour", "count", "flagged", "mean", "min", "max")
    )
    per_day: dict[Day, list] = defaultdict(list)
    for s, q, hour, *values in hourly:
        key = (s, q, _utc(hour).date())
        if key in wanted:
            per_day[key].append(values)
    rows = []
    for (s, q, d), hours in per_day.items():
        day = daily_rollup_from_hours(hours)
        rows.append(
            (
                s,
                q,
                connection.ops.adapt_datefield_value(d),
                day["count"],
                day["flagged"],
                day["mean"],
                day["min"],
                day["max"],
            )
        )
    _upsert(
        DailyRollup,
        rows,
        key=["sensor_id", "quantity_id", "day"],
        values=["count", "flagged", "mean", "min", "max"],
    )
    empty = wanted - set(per_day)
    if empty:
        DailyRollup.objects.filter(
            reduce(or_, (Q(sensor_id=s, quantity_id=q, day=d) for s, q, d in empty))
        ).delete()
    return len(rows)


def rollups_process_dirty(*, limit: int | None = None) -> int:
    """Check quality and recompute the rollups of every hour marked dirty (up to `limit`
    marks); return how many marks were processed.

    A mark is deleted only if it was not marked again meanwhile (same `marked_at`), so
    readings that land during the recompute are picked up by the next run.
    """
    processed = 0
    while limit is None or processed < limit:
        size = BATCH if limit is None else min(BATCH, limit - processed)
        marks = list(
            # Per sensor and quantity, so a batch holds long runs of hours (few conditions).
            DirtyHour.objects.order_by("sensor_id", "quantity_id", "hour").values_list(
                "pk", "sensor_id", "quantity_id", "hour", "marked_at"
            )[:size]
        )
        if not marks:
            break
        with transaction.atomic():
            buckets = {(s, q, _utc(h)) for _, s, q, h, _ in marks}
            buckets |= quality_apply(buckets=sorted(buckets))
            rollups_recompute(buckets=sorted(buckets))
            daily_rollups_recompute(days={(s, q, h.date()) for s, q, h in buckets})
            by_time: dict[datetime, list[int]] = defaultdict(list)
            for pk, _, _, _, marked_at in marks:
                by_time[marked_at].append(pk)
            DirtyHour.objects.filter(
                reduce(or_, (Q(pk__in=pks, marked_at=m) for m, pks in by_time.items()))
            ).delete()
        processed += len(marks)
    return processed


def buckets_process(*, buckets: Iterable[Bucket]) -> int:
    """Check quality and roll up the given (sensor, quantity, hour) buckets directly, in
    batches per sensor and quantity, without going through DirtyHour marks. For loaders that
    write many hours at once (the demo data); live data goes through the marks. Returns the
    number of buckets processed."""
    ordered = sorted({(s, q, _hour(h)) for s, q, h in buckets})
    for start in range(0, len(ordered), BATCH * 4):
        batch = set(ordered[start : start + BATCH * 4])
        batch |= quality_apply(buckets=sorted(batch))
        rollups_recompute(buckets=sorted(batch))
        daily_rollups_recompute(days={(s, q, h.date()) for s, q, h in batch})
    return len(ordered)
