"""Ingestion benchmarks (PostgreSQL):

(a) batch ingest through POST /api/v1/readings/ (1,000 readings per request, in process
    through the full Django + DRF stack) versus psycopg COPY of the same rows into the same
    table (to twin sensors: the keys must differ), 10,000 rows a COPY, the two taking turns
    → readings/s each and the ratio (target ≥ 0.5);
(b) single-reading POSTs per second under concurrency through gunicorn (started here on a
    free port; BENCH_WORKERS sync workers, default 2) versus a bare Django view returning
    200 on the same server, the two loads taking turns in 4 rounds → ratio (target ≥ 0.3).
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from tests.benchmarks.common import line, make_project

T0 = datetime(2025, 1, 1, tzinfo=UTC)
BATCH = 1000
SENSORS = 10


def run(*, scale: float, database_url: str, only: str | None = None) -> None:
    total = max(BATCH * SENSORS, int(100_000 * scale) // BATCH * BATCH)
    # Twice the sensors: the API writes to the first half, the COPY baseline the same rows
    # to the second (the keys must differ, as both go into the same table).
    _project, _user, sensors = make_project(sensors=2 * SENSORS)
    writers, twins = sensors[:SENSORS], sensors[SENSORS:]
    if only != "b":
        _batch_part(total, writers, twins, database_url)
    if only != "a":
        _single_part(scale, writers, database_url)


def _batch_part(total: int, writers, twins, database_url: str) -> None:
    batches = []
    for b in range(total // BATCH):
        (sensor, token), (twin, _) = writers[b % SENSORS], twins[b % SENSORS]
        offset = (b // SENSORS) * BATCH
        rows = [
            {
                "sensor": sensor.pk,
                "quantity": "pm25",
                "time": (T0 + timedelta(minutes=offset + i)).isoformat(),
                "value": round(10 + (i % 37) / 3, 1),
            }
            for i in range(BATCH)
        ]
        batches.append((token, json.dumps(rows), twin.pk))
    print(f"\n## ingest: {total:,} readings, {SENSORS} sensors, {BATCH} per request")

    api_s, copy_s = _alternate(batches, database_url)
    api_rate, copy_rate = total / api_s, total / copy_s
    line("(a) POST /api/v1/readings/ (1,000 per request)", f"{api_rate:,.0f} readings/s")
    line(f"(a) psycopg COPY of the same rows, {BLOCK * BATCH:,} a time", f"{copy_rate:,.0f} /s")
    line("(a) ratio API / COPY (target >= 0.5)", f"{api_rate / copy_rate:.2f}")
    _time_rollup_job()


def _single_part(scale: float, writers, database_url: str) -> None:
    single = max(300, int(2000 * scale))
    bare, api, ok = _server_rates(database_url, writers, requests=single)
    line(
        f"(b) bare Django view via gunicorn ({single} POSTs, 8 clients, {WORKERS} workers)",
        f"{bare:,.0f} req/s",
    )
    line(f"(b) single-reading POST /api/v1/readings/ ({ok} stored)", f"{api:,.0f} req/s")
    line("(b) ratio API / bare (target >= 0.3)", f"{api / bare:.2f}")


# API requests per block: the API and the COPY baseline take turns block by block, so both
# meet the same table size, autovacuum runs, checkpoints and load from other processes
# (measured one after the other, the two sides of one run drifted apart by up to 40 %).
BLOCK = 10


def _alternate(batches, database_url: str) -> tuple[float, float]:
    """Seconds spent by the API on all batches and by COPY on the same rows, block by block."""
    import psycopg
    from django.test import Client

    from measurements.models import Quantity

    pm25 = Quantity.objects.get(code="pm25").pk
    client = Client()
    _warm_up(client, batches[0][0], json.loads(batches[0][1])[0]["sensor"])
    # This process stands in for a web worker, which freezes what is loaded once its first
    # request is served (out of the garbage collector's full collections; citimeasure/wsgi.py).
    gc.collect()
    gc.freeze()
    api_s = copy_s = 0.0
    with psycopg.connect(database_url) as conn:
        for first in range(0, len(batches), BLOCK):
            block = batches[first : first + BLOCK]
            started = time.perf_counter()
            responses = [
                client.post(
                    "/api/v1/readings/",
                    data=body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Token {token}",
                )
                for token, body, _twin in block
            ]
            api_s += time.perf_counter() - started
            # Checked after timing, as the COPY's rows are: reading the responses is the
            # client's work, not the API's.
            for response in responses:
                assert response.status_code == 201, response.content[:300]
                assert response.json()["accepted"] == BATCH, response.json()["accepted"]
            rows = _copy_rows(block, quantity_id=pm25)  # parsed before timing, as stored
            started = time.perf_counter()
            _copy(conn, rows)
            copy_s += time.perf_counter() - started
    return api_s, copy_s


def _copy_rows(block, *, quantity_id: int) -> list[tuple]:
    received_at = datetime.now(UTC)
    return [
        (twin, quantity_id, datetime.fromisoformat(r["time"]), r["value"], 0, "device", received_at)
        for _token, body, twin in block
        for r in json.loads(body)
    ]


def _warm_up(client, token: str, sensor_id: int) -> None:
    """One untimed request first: the first request of a process imports the URLconf (and
    numpy through the placement module) and opens the Redis client, 0.4–0.5 s that would
    otherwise be charged to the first measured block. Its reading is removed again, so the
    table holds only measured rows."""
    from measurements.models import DirtyHour, Reading

    warm = T0 - timedelta(days=1)
    row = {"sensor": sensor_id, "quantity": "pm25", "time": warm.isoformat(), "value": 1.0}
    response = client.post(
        "/api/v1/readings/",
        data=json.dumps([row]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    assert response.status_code == 201, response.content[:300]
    Reading.objects.filter(time=warm).delete()
    DirtyHour.objects.filter(hour=warm.replace(minute=0, second=0, microsecond=0)).delete()


def _time_rollup_job() -> None:
    from measurements.models import DirtyHour
    from measurements.processing import rollups_process_dirty

    marks = DirtyHour.objects.count()
    started = time.perf_counter()
    rollups_process_dirty()
    took = time.perf_counter() - started
    line(
        f"    rollup job after it (quality + hourly + daily, {marks:,} hours)",
        f"{took * 1000 / max(marks, 1):.2f} ms per dirty hour",
    )


def _copy(conn, rows: list[tuple]) -> None:
    """COPY the rows into the readings table and commit, as a bulk loader would: binary,
    with declared types (psycopg's fastest COPY, as the API's own)."""
    with (
        conn.cursor() as cursor,
        cursor.copy(
            "COPY measurements_reading (sensor_id, quantity_id, time, value, flags, source, "
            "received_at) FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["int8", "int2", "timestamptz", "float8", "int4", "text", "timestamptz"])
        for row in rows:
            copy.write_row(row)
    conn.commit()


# --- (b) through a real WSGI server -------------------------------------------------------


ROUNDS = 4  # bare and API loads alternate this many times
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))  # gunicorn sync workers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_rates(database_url, sensors, *, requests: int) -> tuple[float, float, int]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.settings",
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(
        [
            str(gunicorn),
            "citimeasure.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        _wait_ready(port)
        counter = count()
        token_of = {s.pk: t for s, t in sensors}
        ids = list(token_of)

        def api_request():
            n = next(counter)
            sensor = ids[n % len(ids)]
            body = json.dumps(
                {
                    "sensor": sensor,
                    "quantity": "pm25",
                    "time": (T0 - timedelta(days=30, seconds=n)).isoformat(),
                    "value": 12.5,
                }
            )
            return "/api/v1/readings/", body, {"Authorization": f"Token {token_of[sensor]}"}

        def bare_request():
            return "/bench/bare/", '{"value": 12.5}', {}

        _load(port, bare_request, 50)
        _load(port, api_request, 50)
        # Taking turns, like (a): both sides meet the same background load.
        bare_s = api_s = 0.0
        statuses: list[int] = []
        for _ in range(ROUNDS):
            bare_s += _load(port, bare_request, requests // ROUNDS)[0]
            took, answered = _load(port, api_request, requests // ROUNDS)
            api_s += took
            statuses += answered
        done = requests // ROUNDS * ROUNDS
        return done / bare_s, done / api_s, statuses.count(201)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_ready(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("POST", "/bench/bare/", body="{}")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer within 60 s")


def _load(port: int, make, total: int, clients: int = 8) -> tuple[float, list[int]]:
    """`total` POSTs from `clients` threads, one connection per request (gunicorn's sync
    workers close it); bounded in count, so it stops by itself. Returns the seconds taken
    and the statuses."""
    statuses: list[int] = []
    remaining = count()

    def client():
        while next(remaining) < total:
            path, body, headers = make()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
            )
            response = conn.getresponse()
            response.read()
            statuses.append(response.status)
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, statuses
