"""Benchmark (not a test): the full scores recompute on PostgreSQL against one set-based SQL
pass over the hourly rollups computing the same activity metrics, and one project's
incremental recompute.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -m tests.benchmarks.bench_scores [--projects N] [--readings M] \\
        [--bench-db NAME]

It creates the database `cm_bench_scores` (or NAME, so two people on one server do not
drop each other's) next to the one DATABASE_URL names, migrates it,
fills it with generated cities, neighbourhoods, projects, sensors, raw readings (one
`INSERT … SELECT generate_series`) and their hourly rollups (one `INSERT … SELECT … GROUP BY`,
what the rollup job computes), times the three runs and drops the database at the end.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "cm_bench_scores"
CITIES = 10
NEIGHBOURHOODS_PER_CITY = 100
SENSORS_PER_PROJECT = 5
QUANTITIES = ("pm25", "pm10")
AT = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)


def _use_database(name: str) -> None:
    global BENCH_DB
    if not name.isidentifier():
        raise SystemExit(f"--bench-db: {name!r} is not a plain database name")
    BENCH_DB = name


def _admin_conn(url: str):
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    return psycopg.connect(admin, autocommit=True)


def _bench_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{BENCH_DB}"))


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = _bench_url(url)
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("SECURE_COOKIES", "false")
    os.environ.setdefault("EMAIL_HOST", "localhost")
    if not os.environ.get("REDIS_URL"):
        # Production settings need Redis; without it, run in DEBUG (eager Celery, local cache).
        os.environ["DEBUG"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "citimeasure.settings")
    import django

    django.setup()


def _fill(projects: int, readings: int) -> dict:
    """Generated data; returns the figures the report states."""
    from django.core.management import call_command
    from django.db import connection

    from measurements.models import Quantity, Sensor
    from projects.choices import Moderation
    from projects.models import City, Neighbourhood, Project, ThemeTag

    call_command("migrate", verbosity=0)
    side = int(math.sqrt(NEIGHBOURHOODS_PER_CITY))
    cities = []
    for c in range(CITIES):
        city = City.objects.create(
            name=f"Bench {c}",
            slug=f"bench-{c}",
            country="NL",
            lat=50.0 + c,
            lon=4.0,
            population=side * side * 1000,
        )
        cities.append(city)
        Neighbourhood.objects.bulk_create(
            Neighbourhood(
                city=city,
                code=f"BU{c:02d}{i:04d}",
                name=f"N{i}",
                boundary=_square(4.0 + 0.01 * (i % side), 50.0 + c + 0.01 * (i // side)),
                population=1000,
                mean_income=20_000 + 137 * ((i * 7919) % NEIGHBOURHOODS_PER_CITY),
                age_0_24=250,
                age_25_44=250,
                age_45_64=250,
                age_65_plus=250,
            )
            for i in range(side * side)
        )
    themes = list(ThemeTag.objects.filter(code__in=["air", "noise", "heat"]))
    rows = []
    for p in range(projects):
        project = Project.objects.create(
            title=f"Bench project {p}",
            slug=f"bench-project-{p}",
            summary="bench",
            primary_theme=themes[p % len(themes)].code,
            moderation=Moderation.PUBLISHED,
            licence="cc-by",
            participation_level="co-produce",
        )
        project.themes.set([themes[p % len(themes)]])
        city = cities[p % CITIES]
        project.cities.set([city])
        for s in range(SENSORS_PER_PROJECT):
            i = (p * 31 + s * 17) % (side * side)
            rows.append(
                Sensor(
                    project=project,
                    name=f"S{p}-{s}",
                    lat=50.0 + (p % CITIES) + 0.01 * (i // side) + 0.005,
                    lon=4.0 + 0.01 * (i % side) + 0.005,
                    location_precision="approximate",
                )
            )
    Sensor.objects.bulk_create(rows)
    quantity_ids = list(Quantity.objects.filter(code__in=QUANTITIES).values_list("pk", flat=True))
    sensors = projects * SENSORS_PER_PROJECT
    per_series = max(1, readings // (sensors * len(quantity_ids)))
    # Readings every 10 minutes back from AT: the series spans per_series × 10 minutes.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO measurements_reading
                (sensor_id, quantity_id, time, value, flags, source, received_at)
            SELECT s.id, q.id, %s - make_interval(mins => 10 * g), (g %% 50)::float,
                   CASE WHEN g %% 97 = 0 THEN 1 ELSE 0 END, 'api', %s
            FROM measurements_sensor s
            CROSS JOIN (SELECT unnest(%s::int[]) AS id) q
            CROSS JOIN generate_series(1, %s) g
            """,
            [AT, AT, quantity_ids, per_series],
        )
        total = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO measurements_hourlyrollup
                (sensor_id, quantity_id, hour, count, flagged, mean, min, max)
            SELECT sensor_id, quantity_id, date_trunc('hour', time), count(*),
                   count(*) FILTER (WHERE flags > 0),
                   avg(value) FILTER (WHERE flags = 0), min(value) FILTER (WHERE flags = 0),
                   max(value) FILTER (WHERE flags = 0)
            FROM measurements_reading GROUP BY 1, 2, 3
            """
        )
        hourly = cursor.rowcount
        cursor.execute("ANALYZE")
    return {
        "projects": projects,
        "cities": CITIES,
        "neighbourhoods": CITIES * side * side,
        "sensors": sensors,
        "readings": total,
        "hourly_rollups": hourly,
        "days": round(per_series * 10 / 60 / 24, 1),
    }


def _square(lon: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


#: The activity metrics of measurements.selectors (active sensors, first reading,
#: completeness, quality) for every project in one statement over the hourly rollups.
SET_BASED_SQL = """
WITH active AS (
    SELECT DISTINCT s.project_id, r.sensor_id
    FROM measurements_hourlyrollup r JOIN measurements_sensor s ON s.id = r.sensor_id
    WHERE r.hour >= %(at)s - interval '30 days' AND r.hour < %(at)s
), firsts AS (
    SELECT s.project_id, min(r.hour) AS first
    FROM measurements_hourlyrollup r JOIN measurements_sensor s ON s.id = r.sensor_id
    WHERE r.hour < %(at)s GROUP BY s.project_id
), windows AS (
    SELECT project_id, first,
           greatest(date_trunc('hour', %(at)s - interval '90 days'), first) AS start
    FROM firsts
), win AS (
    SELECT w.project_id, r.sensor_id, r.quantity_id, r.count, r.flagged,
           greatest(1, ceil(extract(epoch FROM (%(at)s - w.start)) / 3600)) AS hours
    FROM windows w
    JOIN measurements_sensor s ON s.project_id = w.project_id
    JOIN measurements_hourlyrollup r ON r.sensor_id = s.id
    WHERE r.hour >= w.start AND r.hour < %(at)s
), quality AS (
    SELECT project_id, sum(count - flagged)::float / nullif(sum(count), 0) AS quality
    FROM win GROUP BY project_id
), pairs AS (
    SELECT win.project_id, win.sensor_id, win.quantity_id, count(*) / max(hours) AS filled
    FROM win JOIN active a USING (project_id, sensor_id)
    WHERE win.count > 0 GROUP BY 1, 2, 3
), active_counts AS (
    SELECT project_id, count(*) AS n FROM active GROUP BY project_id
), completeness AS (
    SELECT project_id, avg(filled) AS completeness FROM pairs GROUP BY project_id
)
SELECT w.project_id, coalesce(a.n, 0), w.first, q.quality, c.completeness
FROM windows w
LEFT JOIN quality q USING (project_id)
LEFT JOIN active_counts a USING (project_id)
LEFT JOIN completeness c USING (project_id)
"""


def _timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(projects: int, readings: int) -> dict:
    from django.db import connection

    from projects import services_scores
    from projects.models import Project

    fill_s, figures = _timed(lambda: _fill(projects, readings))
    full_s, _ = _timed(lambda: services_scores.scores_compute(at=AT))
    # The same day again: every row exists, so this times the update side of the upsert.
    again_s, _ = _timed(lambda: services_scores.scores_compute(at=AT))

    def set_based():
        with connection.cursor() as cursor:
            cursor.execute(SET_BASED_SQL, {"at": AT})
            return cursor.fetchall()

    sql_s, rows = _timed(set_based)
    ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    incr_s, _ = _timed(lambda: services_scores.rescore_run(project_ids=ids[:1], at=AT))
    # Same activity metrics both ways for every project (a sanity check of the comparison).
    from measurements import selectors

    stats = selectors.project_reading_stats(ids, at=AT)
    for row in rows:
        mine = stats[row[0]]
        assert abs(float(mine["quality"]) - row[3]) < 1e-9, (mine, row)
        assert abs(float(mine["completeness"]) - float(row[4])) < 1e-9, (mine, row)
    assert len(rows) == len(ids), "every project has readings"
    return {
        **figures,
        "fill_s": round(fill_s, 1),
        "full_recompute_s": round(full_s, 2),
        "full_recompute_again_s": round(again_s, 2),
        "set_based_sql_s": round(sql_s, 2),
        "ratio": round(full_s / sql_s, 2) if sql_s else None,
        "incremental_one_project_s": round(incr_s, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--readings", type=int, default=1_000_000)
    parser.add_argument("--bench-db", default=BENCH_DB, help="scratch database (dropped)")
    args = parser.parse_args(argv)
    _use_database(args.bench_db)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL server (any database on it).", file=sys.stderr)
        return 2
    with _admin_conn(url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    try:
        _setup_django(url)
        result = run(args.projects, args.readings)
    finally:
        from django.db import connections

        connections.close_all()
        with _admin_conn(url) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
