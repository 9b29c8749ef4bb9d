"""Benchmark (c), not a test: a 30-day hourly project series from the hourly rollups (what
`GET /api/v1/series/?project=…&interval=hour` reads) against the same aggregation over the
raw readings in one SQL query → ms each and the ratio (issue 3: target ≤ 0.05).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m tests.benchmarks series [--readings N] [--sensors S] \\
        [--every SECONDS] [--repeat R] [--bench-db NAME]

It creates the database `cm_bench_series` (or NAME) next to the one DATABASE_URL names,
migrates it with `manage.py migrate` in a subprocess, fills one published project with
`S` sensors × pm25 × N/S readings, one every SECONDS back from AT (defaults: 10 M readings,
20 sensors, one a minute → 500,000 per sensor, 347 days), builds their hourly rollups
with one `INSERT … SELECT … GROUP BY` (what the rollup job computes), times the series of
the last 30 days three ways and drops the database at the end, also after a failure.

Set-up is not measured. To load 10 M rows in minutes, the readings table's secondary
indexes (the unique (sensor, quantity, time) constraint and the foreign-key indexes) are
dropped during the load and rebuilt after it, and foreign-key triggers are skipped for the
load session (the rows are valid by construction); the script checks that the table ends
with exactly the indexes the migrations made, then VACUUM ANALYZEs both tables, as
autovacuum would have done on a table that old.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from tests.benchmarks.common import line, make_project

BENCH_DB = "cm_bench_series"
ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 12, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)
ENV = {
    "SECRET_KEY": "bench-k9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vb",
    "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
    "EMAIL_HOST": "localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "REDIS_URL": "redis://127.0.0.1:6379/2",
    "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
}

#: The hourly series straight from the raw readings, with the rollups' meaning: count and
#: flagged over all readings, mean/min/max over the unflagged ones, all sensors combined.
RAW_SQL = """
SELECT date_trunc('hour', r.time) AS hour, count(*), count(*) FILTER (WHERE r.flags > 0),
       avg(r.value) FILTER (WHERE r.flags = 0), min(r.value) FILTER (WHERE r.flags = 0),
       max(r.value) FILTER (WHERE r.flags = 0)
FROM measurements_reading r JOIN measurements_sensor s ON s.id = r.sensor_id
WHERE s.project_id = %(project)s AND r.quantity_id = %(quantity)s
  AND r.time >= %(start)s AND r.time < %(end)s
GROUP BY 1 ORDER BY 1
"""


def _url(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin(url: str):
    import psycopg

    return psycopg.connect(_url(url, "postgres"), autocommit=True)


def _migrate(bench_url: str) -> float:
    started = time.monotonic()
    env = {**os.environ, **ENV, "DATABASE_URL": bench_url}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    return time.monotonic() - started


def _reading_indexes(cursor) -> list[str]:
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'measurements_reading' ORDER BY 1"
    )
    return [r[0] for r in cursor.fetchall()]


def _fill(*, readings: int, sensors: int, every: int) -> dict:
    """One project with `sensors` pm25 sensors and readings // sensors readings each, one
    every `every` seconds back from AT; then the hourly rollups. Returns the figures."""
    from django.db import connection

    from measurements.models import Quantity

    project, _user, _made = make_project(sensors=sensors)
    quantity = Quantity.objects.get(code="pm25")
    per_sensor = readings // sensors
    with connection.cursor() as cursor:
        before = _reading_indexes(cursor)
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'measurements_reading'::regclass AND contype = 'u'"
        )
        uniques = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'measurements_reading' "
            "AND indexname NOT LIKE '%%_pkey' AND indexname <> ALL(%s)",
            [[name for name, _ in uniques]],
        )
        plain = cursor.fetchall()
        cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET work_mem = '256MB'")
        for name, _ in uniques:
            cursor.execute(f'ALTER TABLE measurements_reading DROP CONSTRAINT "{name}"')
        for name, _ in plain:
            cursor.execute(f'DROP INDEX "{name}"')
        started = time.monotonic()
        # Values cycle 5.0 … 54.0 with a per-sensor offset; every 97th reading is flagged.
        cursor.execute(
            """
            INSERT INTO measurements_reading
                (sensor_id, quantity_id, time, value, flags, source, received_at)
            SELECT s.id, %s, %s - make_interval(secs => %s * g),
                   ((g + s.id * 7) %% 50 + 5)::float, CASE WHEN g %% 97 = 0 THEN 1 ELSE 0 END,
                   'device', %s
            FROM measurements_sensor s CROSS JOIN generate_series(1, %s) g
            WHERE s.project_id = %s
            ORDER BY s.id, g DESC
            """,
            [quantity.pk, AT, every, AT, per_sensor, project.pk],
        )
        total = cursor.rowcount
        load_s = time.monotonic() - started
        started = time.monotonic()
        for name, definition in uniques:
            cursor.execute(f'ALTER TABLE measurements_reading ADD CONSTRAINT "{name}" {definition}')
        for _, definition in plain:
            cursor.execute(definition)
        index_s = time.monotonic() - started
        after = _reading_indexes(cursor)
        assert after == before, f"indexes differ after the load:\n{before}\n{after}"
        started = time.monotonic()
        cursor.execute(
            """
            INSERT INTO measurements_hourlyrollup
                (sensor_id, quantity_id, hour, count, flagged, mean, min, max)
            SELECT sensor_id, quantity_id, date_trunc('hour', time), count(*),
                   count(*) FILTER (WHERE flags > 0), avg(value) FILTER (WHERE flags = 0),
                   min(value) FILTER (WHERE flags = 0), max(value) FILTER (WHERE flags = 0)
            FROM measurements_reading GROUP BY 1, 2, 3
            """
        )
        hourly = cursor.rowcount
        rollup_s = time.monotonic() - started
        cursor.execute("RESET session_replication_role")
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("RESET work_mem")
        started = time.monotonic()
        cursor.execute("VACUUM (ANALYZE) measurements_reading, measurements_hourlyrollup")
        vacuum_s = time.monotonic() - started
    return {
        "project": project,
        "quantity": quantity,
        "readings": total,
        "hourly": hourly,
        "days": per_sensor * every / 86400,
        "indexes": after,
        "load_s": load_s,
        "index_s": index_s,
        "rollup_s": rollup_s,
        "vacuum_s": vacuum_s,
    }


def _measure(project, quantity, *, repeat: int) -> dict:
    """Median ms of the three ways (each after a warm-up), interleaved so that a burst of
    load on the shared machine hits all three alike; checks they give the same series."""
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection, transaction
    from django.test import Client

    from measurements.api_series import _table, project_sensor_ids, project_series

    start, end = AT - WINDOW, AT
    client = Client()
    query = urlencode(
        {
            "project": project.slug,
            "quantity": quantity.code,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "interval": "hour",
        }
    )

    def via_http():
        response = client.get(f"/api/v1/series/?{query}")
        assert response.status_code == 200, response.content[:300]
        return response.json()["points"]

    def via_function():
        # What SeriesView.get builds for ?project=… for an anonymous caller.
        rollups, column = _table("hour", start, end)
        rollups = rollups.filter(quantity=quantity)
        ids = project_sensor_ids(AnonymousUser(), project.slug)
        return project_series(rollups.filter(sensor_id__in=ids), column)

    def via_raw():
        with connection.cursor() as cursor:
            params = {"project": project.pk, "quantity": quantity.pk, "start": start, "end": end}
            cursor.execute(RAW_SQL, params)
            return cursor.fetchall()

    def via_raw_bitmap():
        # The planner prefers the sensor_id index and filters every reading of each sensor;
        # without plain index scans it takes a bitmap scan of reading_unique (sensor,
        # quantity, time), which reads only the window: the raw side's best plan here.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
            params = {"project": project.pk, "quantity": quantity.pk, "start": start, "end": end}
            cursor.execute(RAW_SQL, params)
            return cursor.fetchall()

    ways = {
        "http": via_http,
        "function": via_function,
        "raw": via_raw,
        "raw_bitmap": via_raw_bitmap,
    }
    results = {name: fn() for name, fn in ways.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeat):
        for name, fn in ways.items():
            began = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - began) * 1000)
    _check_same(results)
    with connection.cursor() as cursor:
        params = {"project": project.pk, "quantity": quantity.pk, "start": start, "end": end}
        cursor.execute("EXPLAIN " + RAW_SQL, params)
        plan = [r[0] for r in cursor.fetchall()]
        with transaction.atomic():
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + RAW_SQL, params)
            plan_bitmap = [r[0] for r in cursor.fetchall()]
        cursor.execute(
            "SELECT count(*) FROM measurements_reading r JOIN measurements_sensor s "
            "ON s.id = r.sensor_id WHERE s.project_id = %(project)s "
            "AND r.time >= %(start)s AND r.time < %(end)s",
            params,
        )
        in_window = cursor.fetchone()[0]
    return {
        "points": len(results["http"]),
        "in_window": in_window,
        "plan": plan,
        "plan_bitmap": plan_bitmap,
        **{f"{name}_ms": statistics.median(ts) for name, ts in times.items()},
        **{f"{name}_all": ts for name, ts in times.items()},
    }


def _check_same(results: dict) -> None:
    """The endpoint, the function and the raw query agree point by point (a sanity check
    that the comparison is like for like)."""
    assert results["raw"] == results["raw_bitmap"]
    raw = {
        hour.astimezone(UTC).isoformat().replace("+00:00", "Z"): (n, f, mean, low, high)
        for hour, n, f, mean, low, high in results["raw"]
    }
    for name in ("http", "function"):
        points = results[name]
        assert len(points) == len(raw), (name, len(points), len(raw))
        for p in points:
            n, f, mean, low, high = raw[p["time"]]
            assert (p["count"], p["flagged"], p["min"], p["max"]) == (n, f, low, high), (p, n)
            assert (p["mean"] is None) == (mean is None), (p, mean)
            assert mean is None or abs(p["mean"] - mean) < 1e-9, (p, mean)


def run(*, readings: int, sensors: int, every: int, repeat: int) -> dict:
    started = time.monotonic()
    figures = _fill(readings=readings, sensors=sensors, every=every)
    setup_s = time.monotonic() - started
    print(
        f"\n## series: {figures['readings']:,} readings, {sensors} sensors × pm25, one every "
        f"{every} s ({figures['days']:.0f} days) → {figures['hourly']:,} hourly rollups"
    )
    line(
        "set-up (not measured): load / indexes / rollups / vacuum",
        f"{figures['load_s']:.0f} / {figures['index_s']:.0f} / {figures['rollup_s']:.0f} / "
        f"{figures['vacuum_s']:.0f} s, {setup_s:.0f} s in all",
    )
    for definition in figures["indexes"]:
        print(f"#   {definition}")
    result = _measure(figures["project"], figures["quantity"], repeat=repeat)
    print(
        f"# 30-day window: {result['points']} hourly points from {result['in_window']:,} raw "
        f"readings; median of {repeat} interleaved runs after a warm-up"
    )
    line("(c) GET /api/v1/series/?project=…&interval=hour", f"{result['http_ms']:.1f} ms")
    line("    project_series() on the view's queryset", f"{result['function_ms']:.1f} ms")
    line("    one SQL query over the raw readings", f"{result['raw_ms']:.1f} ms")
    ratio = result["http_ms"] / result["raw_ms"]
    fair = result["http_ms"] / result["raw_bitmap_ms"]
    line("    the same SQL, bitmap scan of reading_unique", f"{result['raw_bitmap_ms']:.1f} ms")
    line("(c) ratio GET / raw SQL (target ≤ 0.05)", f"{ratio:.3f}")
    line("    ratio project_series() / raw SQL", f"{result['function_ms'] / result['raw_ms']:.3f}")
    line("    ratio GET / raw SQL with the bitmap plan", f"{fair:.3f}")
    for name in ("http", "function", "raw", "raw_bitmap"):
        print(f"#   {name}: " + ", ".join(f"{t:.1f}" for t in result[f"{name}_all"]) + " ms")
    print("# raw query plan:")
    for row in result["plan"]:
        print(f"#   {row}")
    print("# raw query plan with enable_indexscan = off:")
    for row in result["plan_bitmap"]:
        print(f"#   {row}")
    return {**figures, **result, "ratio": ratio, "ratio_bitmap": fair, "setup_s": setup_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks series")
    parser.add_argument("--readings", type=int, default=10_000_000)
    parser.add_argument("--sensors", type=int, default=20)
    parser.add_argument("--every", type=int, default=60, help="seconds between readings")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--bench-db", default=BENCH_DB, help="scratch database (dropped)")
    args = parser.parse_args(argv)
    if not args.bench_db.isidentifier():
        parser.error(f"--bench-db: {args.bench_db!r} is not a plain database name")
    if args.readings // args.sensors * args.every < WINDOW.total_seconds():
        parser.error("--readings/--sensors/--every: the data must span at least 30 days")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL server (any database on it).", file=sys.stderr)
        return 2
    bench_url = _url(url, args.bench_db)
    with _admin(url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {args.bench_db} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {args.bench_db}")
    try:
        print(f"# database {args.bench_db} migrated in {_migrate(bench_url):.1f} s")
        os.environ["DATABASE_URL"] = bench_url
        for key, value in ENV.items():
            os.environ.setdefault(key, value)
        import django

        django.setup()
        run(readings=args.readings, sensors=args.sensors, every=args.every, repeat=args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        with _admin(url) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {args.bench_db} WITH (FORCE)")
        print(f"# database {args.bench_db} dropped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
