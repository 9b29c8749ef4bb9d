"""Load: 64 concurrent clients post readings through gunicorn for 60 s against PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x python -m tests.benchmarks.bench_load

A benchmark, not a test. It creates a dedicated database (`cm_load`, dropped afterwards) on
the PostgreSQL server of DATABASE_URL, starts a private redis-server, gunicorn (4 sync
workers: 2 × the 2 cores) and one Celery worker (so rollups run for real, not eagerly), and
runs a loop of Python client threads (http.client, one connection per request). Each
client is a sensor: 80 % of its requests post one reading, 20 % a batch of 50. It checks
that no answer was a 5xx and that the readings stored equal the readings acknowledged,
prints throughput and latency percentiles, and writes them to the "Load" section of
tests/benchmarks/RESULTS.md (`--no-write` to skip).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
DATABASE = "cm_load"
BATCH = 50


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return url.rsplit("/", 1)[0]


def _psql(sql: str) -> None:
    subprocess.run(
        ["psql", f"{_server_url()}/postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
    )


def _environment(redis_url: str) -> dict[str, str]:
    from tests.faults.conftest import site_env

    return site_env(database_url=f"{_server_url()}/{DATABASE}", redis_url=redis_url)


def _prepare(clients: int) -> tuple[str, list[int]]:
    """Migrate the load database; create one coordinator, a project and one sensor per client."""
    import django

    django.setup()
    from django.core.management import call_command

    from citimeasure.models import ApiToken
    from measurements.models import Sensor
    from projects.models import Membership, Project

    call_command("migrate", verbosity=0, interactive=False)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("loader", "loader@example.org", "x")
    project = Project.objects.create(title="Load", slug="load", summary="Load test")
    Membership.objects.create(project=project, user=user, role="coordinator")
    sensors = [
        Sensor.objects.create(project=project, owner=user, name=f"S{i}", lat=52.1, lon=5.1)
        for i in range(clients)
    ]
    _row, token = ApiToken.issue(user=user, name="load")
    return token, [s.pk for s in sensors]


class Client(threading.Thread):
    """One sensor: posts until the deadline, each reading one second before the last."""

    def __init__(self, port: int, token: str, sensor: int, deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.sensor, self.deadline = port, token, sensor, deadline
        self.random = random.Random(seed)
        self.next_time = datetime.now(UTC) - timedelta(hours=1)
        self.latencies: dict[str, list[float]] = {"single": [], "batch": []}
        self.statuses: dict[int, int] = {}
        self.acknowledged = 0
        self.sent = 0

    def _rows(self, n: int) -> list[dict]:
        rows = []
        for _ in range(n):
            rows.append(
                {
                    "sensor": self.sensor,
                    "quantity": "pm25",
                    "time": self.next_time.isoformat(),
                    "value": round(self.random.uniform(2, 60), 1),
                }
            )
            self.next_time -= timedelta(seconds=1)
        return rows

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            kind = "batch" if self.random.random() < 0.2 else "single"
            rows = self._rows(BATCH if kind == "batch" else 1)
            body = json.dumps(rows if kind == "batch" else rows[0])
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.request(
                    "POST",
                    "/api/v1/readings/",
                    body=body,
                    headers={
                        "Content-Type": "application/json",
                        "Authorization": f"Token {self.token}",
                    },
                )
                response = conn.getresponse()
                data = response.read()
                conn.close()
                status = response.status
            except OSError:
                status, data = 0, b""
            self.latencies[kind].append(time.perf_counter() - started)
            self.statuses[status] = self.statuses.get(status, 0) + 1
            self.sent += len(rows)
            if 200 <= status < 300:
                self.acknowledged += json.loads(data)["accepted"]


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _write_results(text: str) -> None:
    """Replace (or add) the "## Load" section; other sections belong to other benchmarks."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    section = re.compile(r"^## Load\n.*?(?=^## |\Z)", re.M | re.S)
    if section.search(current):
        updated = section.sub(lambda _m: text + "\n", current)
    else:
        updated = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(updated)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    from tests.faults.conftest import PrivateRedis, Site, Worker

    redis = PrivateRedis()
    redis.start()
    env = _environment(redis.url)
    os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
    _psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    _psql(f"CREATE DATABASE {DATABASE}")
    site = worker = None
    try:
        token, sensors = _prepare(args.clients)
        from django.db import connections

        connections.close_all()
        site = Site(env, workers=args.gunicorn_workers)
        worker = Worker(env, "load")
        deadline = time.monotonic() + args.seconds
        clients = [
            Client(site.port, token, sensors[i], deadline, seed=i) for i in range(args.clients)
        ]
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        elapsed = time.monotonic() - started

        from measurements.models import Reading

        stored = Reading.objects.count()
        connections.close_all()
    finally:
        for process in (worker, site):
            if process is not None:
                process.stop()
        redis.stop()
        from django.db import connections

        connections.close_all()
        _psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")

    statuses: dict[int, int] = {}
    for c in clients:
        for s, n in c.statuses.items():
            statuses[s] = statuses.get(s, 0) + n
    requests = sum(statuses.values())
    server_errors = sum(n for s, n in statuses.items() if s >= 500 or s == 0)
    acknowledged = sum(c.acknowledged for c in clients)
    single = [x for c in clients for x in c.latencies["single"]]
    batch = [x for c in clients for x in c.latencies["batch"]]

    def p50_p99(values: list[float]) -> str:
        return " / ".join(f"{_percentile(values, p) * 1000:.0f} ms" for p in (50, 99))

    ok = server_errors == 0 and stored == acknowledged
    text = f"""## Load

Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `python -m tests.benchmarks.bench_load`:
{args.clients} concurrent clients (Python threads, http.client, a new connection per request)
for {args.seconds:.0f} s; each client is one sensor posting 1 reading (80 % of requests) or a
batch of {BATCH} (20 %) to `POST /api/v1/readings/` with a personal token. Machine: 2 cores,
24 GiB, {platform.python_implementation()} {platform.python_version()}; PostgreSQL 15
(shared local server, dedicated database `{DATABASE}`, dropped after); gunicorn
{args.gunicorn_workers} sync workers (2 × cores); one Celery worker (solo pool) on a private
Redis, so rollups and rescores really run alongside; production settings (DEBUG off). The
load generator runs on the same 2 cores; 1-minute load average at the start: {load_before:.1f}
(other work on the machine slows the numbers down).

| measure | value |
| --- | --- |
| requests | {requests} ({requests / elapsed:.0f}/s) |
| status counts | {", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))} |
| 5xx or no answer | {server_errors} |
| readings acknowledged (accepted) | {acknowledged} ({acknowledged / elapsed:.0f}/s) |
| readings stored in PostgreSQL | {stored} |
| single reading latency p50 / p99 | {p50_p99(single)} |
| batch of {BATCH} latency p50 / p99 | {p50_p99(batch)} |
| all requests p50 / p99 | {p50_p99(single + batch)} |
| result | {"PASS: zero 5xx, stored == acknowledged" if ok else "FAIL"} |
"""
    print(text)
    if not args.no_write:
        _write_results(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.faults.settings"
    sys.exit(main())
