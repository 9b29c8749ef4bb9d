"""Private services for the fault tests: Redis, PostgreSQL, gunicorn and Celery workers.

The machine's shared PostgreSQL and Redis are never stopped: each test that breaks a
service starts its own copy on a free port and breaks that. The site under test runs as
real subprocesses (gunicorn, `celery worker`) configured by environment variables, exactly
as in production, with `tests.faults.settings` on top (see there). A missing binary fails
the test: these tests prove behaviour, they are not optional.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
SECRET = "k9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vbk9Lm2Qx7Vb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], object], seconds: float = 30.0, step: float = 0.2):
    """Poll until `predicate()` is truthy; return its value, or None after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def binary(path: str | Path) -> str:
    found = shutil.which(str(path))
    assert found, f"{path} is needed for the fault tests (install it; they must not skip)"
    return found


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, seconds: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


# --- Redis ----------------------------------------------------------------------------------


class PrivateRedis:
    """A throw-away redis-server (no persistence); stop() and start() again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [binary("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--daemonize", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self._answers, 10), "private redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process, signal.SIGKILL)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    yield redis
    redis.stop()


# --- PostgreSQL -----------------------------------------------------------------------------


class PrivateCluster:
    """A PostgreSQL 15 cluster in a temporary directory, run as the `postgres` OS user with
    trust authentication on a free port, so a test may stop and start it at will."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.data = directory / "data"
        self.log = directory / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/citimeasure"

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [binary("runuser"), "-u", "postgres", "--", *args]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)

    def init(self) -> None:
        binary(PG_BIN / "initdb")
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip

    def start(self) -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
            "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False
        )

    def createdb(self) -> None:
        subprocess.run(
            [binary("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
            + ["-c", "CREATE DATABASE citimeasure"],
            check=True,
            capture_output=True,
            timeout=30,
        )


@pytest.fixture
def private_postgres() -> Iterator[PrivateCluster]:
    directory = Path(tempfile.mkdtemp(prefix="cm-faults-pg-"))
    os.chmod(directory, 0o777)
    subprocess.run(["chown", "postgres", str(directory)], check=True)
    cluster = PrivateCluster(directory)
    cluster.init()
    cluster.start()
    cluster.createdb()
    yield cluster
    cluster.stop("immediate")
    shutil.rmtree(directory, ignore_errors=True)


# --- the site as subprocesses ---------------------------------------------------------------


def shared_database_url() -> str:
    """The URL of the test database pytest-django created (the subprocesses share it)."""
    assert connection.vendor == "postgresql", "fault tests need DATABASE_URL (PostgreSQL)"
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def site_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.faults.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        EMAIL_HOST="localhost",
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.pop("DEBUG", None)
    env.update(extra)
    return env


class Site:
    """gunicorn serving citimeasure.wsgi on a free loopback port."""

    def __init__(self, env: dict[str, str], workers: int = 2, log: Path | None = None) -> None:
        self.port = free_port()
        self.log = log or Path(tempfile.mkstemp(prefix="cm-gunicorn-", suffix=".log")[1])
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "citimeasure.wsgi", "-b", f"127.0.0.1:{self.port}"]
            + ["-w", str(workers), "--timeout", "30", "--graceful-timeout", "5"],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        ready = wait_for(lambda: self._answers(), 30)
        assert ready, f"gunicorn did not start:\n{self.log.read_text()[-3000:]}"

    def _answers(self) -> bool:
        assert self.process.poll() is None, f"gunicorn exited:\n{self.log.read_text()[-3000:]}"
        try:
            self.request("GET", "/api/v1/")
            return True
        except OSError:
            return False

    def request(
        self, method: str, path: str, body: object = None, headers: dict | None = None
    ) -> tuple[int, str]:
        """One request on a fresh connection; returns (status, body text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = None if body is None else json.dumps(body)
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=data, headers=all_headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            conn.close()

    def stop(self) -> None:
        stop(self.process)


class Worker:
    """A `celery worker --pool=solo` subprocess; `module` replaces `celery` for a patched one."""

    def __init__(self, env: dict[str, str], name: str, module: str | None = None) -> None:
        self.log = Path(tempfile.mkstemp(prefix=f"cm-{name}-", suffix=".log")[1])
        command = [str(VENV_BIN / "python"), "-m", module or "celery", "-A", "citimeasure"]
        command += ["worker", "--pool=solo", "-l", "INFO", "-n", f"{name}@%h"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT
        )
        ready = wait_for(lambda: self._ready(), 30)
        assert ready, f"celery worker {name} did not start:\n{self.log.read_text()[-3000:]}"

    def _ready(self) -> bool:
        assert self.process.poll() is None, f"worker exited:\n{self.log.read_text()[-3000:]}"
        return " ready." in self.log.read_text()

    def kill(self) -> None:
        stop(self.process, signal.SIGKILL)

    def stop(self) -> None:
        stop(self.process, signal.SIGTERM, 20)


def broker(redis_url: str) -> Celery:
    """A bare Celery client for the private broker: sends task messages by name. Not made
    the current app: shared tasks (`process_dirty_hours`, …) resolve through the current
    app, and later tests in this process would find the client's settings (not eager)."""
    return Celery("fault-client", broker=redis_url, set_as_current=False)


@pytest.fixture
def processes() -> Iterator[list]:
    """Every Site/Worker a test starts is appended here and stopped at the end."""
    started: list = []
    yield started
    for process in reversed(started):
        process.stop()


def succeeded(workers: list[Worker], task_id: str) -> int:
    """How many times the workers logged `task_id` as succeeded."""
    return sum(w.log.read_text().count(f"[{task_id}] succeeded") for w in workers)
