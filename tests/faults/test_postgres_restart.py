"""PostgreSQL restarts while the site serves requests.

A private PostgreSQL cluster (never the machine's shared one) is stopped in fast mode —
connections are cut, as in a restart or failover — while clients keep asking gunicorn for
a page and an API list. Requests caught in the outage must fail cleanly (500 with the
plain error page, or 503 JSON for the API; never a traceback or a database message), and
once PostgreSQL is back the same gunicorn workers must answer 200 again.
"""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from tests.faults.conftest import ROOT, VENV_BIN, Site, site_env, wait_for

pytestmark = [pytest.mark.integration]

PATHS = ("/", "/api/v1/projects/")
LEAKS = ("Traceback", "OperationalError", "psycopg", "connection", "postgres", 'File "')


class Clients:
    """Threads requesting PATHS in turn until stopped; every answer is kept."""

    def __init__(self, site: Site, threads: int = 4) -> None:
        self.site = site
        self.answers: list[tuple[float, str, int, str]] = []
        self.lock = threading.Lock()
        self.running = threading.Event()
        self.running.set()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(threads)]

    def _run(self, offset: int) -> None:
        i = offset
        while self.running.is_set():
            path = PATHS[i % len(PATHS)]
            i += 1
            status, body = self.site.request("GET", path, headers={"Accept-Language": "en"})
            with self.lock:
                self.answers.append((time.monotonic(), path, status, body))

    def __enter__(self) -> Clients:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.running.clear()
        for t in self.threads:
            t.join(60)


def test_it_fails_cleanly_during_a_postgres_restart_and_recovers_without_a_restart(
    private_postgres, private_redis, processes
):
    env = site_env(database_url=private_postgres.url, redis_url=private_redis.url)
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    site = Site(env, workers=2)
    processes.append(site)
    for path in PATHS:
        assert site.request("GET", path)[0] == 200

    with Clients(site) as clients:
        time.sleep(1)
        private_postgres.stop("fast")  # cuts every open connection, like a restart
        down_at = time.monotonic()
        time.sleep(3)
        private_postgres.start()
        up_at = time.monotonic()
        time.sleep(3)

    during = [a for a in clients.answers if down_at <= a[0] <= up_at]
    failed = [a for a in clients.answers if a[2] != 200]
    assert during and failed, "no request met the outage: the test proved nothing"
    for _t, path, status, body in failed:
        assert status in (500, 503), (path, status, body[:300])
        assert not any(leak in body for leak in LEAKS), (path, status, body[:500])
        if path.startswith("/api/"):
            assert status == 503, body[:300]
            assert body == '{"detail":"The database is unavailable; try again shortly."}'
        else:
            assert "Something went wrong" in body

    # Recovered, by the same gunicorn master and workers: every later request answers 200.
    assert site.process.poll() is None
    assert wait_for(lambda: site.request("GET", "/")[0] == 200, 15)
    later = [site.request("GET", PATHS[i % 2])[0] for i in range(20)]
    assert later == [200] * 20
