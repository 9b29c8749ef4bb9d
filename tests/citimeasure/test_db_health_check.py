"""A kept database connection that the server has ended is replaced before a request uses
it; one the server has not ended is reused without a round trip (citimeasure.db)."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import close_old_connections, connection

from citimeasure.db.base import _readable
from projects.models import Project

# The PostgreSQL pass only: the check is the PostgreSQL backend's.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def kept_connection(postgresql):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    Project.objects.count()
    return connection.connection.info.backend_pid


def _other_session():
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def test_a_connection_the_server_ended_is_replaced_before_the_next_request(kept_connection):
    with _other_session() as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [kept_connection])
    deadline = time.monotonic() + 10
    while not _readable(connection.connection.fileno()) and time.monotonic() < deadline:
        time.sleep(0.05)

    close_old_connections()  # what every request does first
    assert Project.objects.count() >= 0  # answered, not "terminating connection"
    assert connection.connection.info.backend_pid != kept_connection


def test_a_connection_the_server_kept_is_reused_without_asking_it(kept_connection):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'last before the next request'")
    close_old_connections()
    with connection.cursor():  # the first use of a request runs the health check
        pass
    assert connection.connection.info.backend_pid == kept_connection
    with _other_session() as admin:
        (last,) = admin.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s", [kept_connection]
        ).fetchone()
    assert last == "SELECT 'last before the next request'"  # no SELECT 1 in between
