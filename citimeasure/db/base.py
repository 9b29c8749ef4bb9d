"""Django's PostgreSQL backend, with a cheaper connection health check.

Connections are kept between requests (CONN_MAX_AGE) and checked before each request reuses
one (CONN_HEALTH_CHECKS), so that a connection the server dropped — a restart, a failover,
an administrator ending sessions — is replaced instead of failing that request. Django checks
with a `SELECT 1` round trip: on a device's single-reading POST that was 12 % of a web
worker's time (py-spy; tests/benchmarks/RESULTS.md).

An idle connection has nothing to read: the server speaks on it only to end it (it sends
the error "terminating connection …" and closes the socket) or, rarely, with a notice. So
the socket is polled first, without waiting: nothing to read, the connection is as usable
as `SELECT 1` would find it; anything to read, or a connection inside a transaction, gets
Django's own check, which reads it and answers for it.

What the poll cannot see, `SELECT 1` would have: a termination notice already read into
libpq's (or TLS's) buffer along with the previous reply, and a dead server behind a pooler
or proxy (pgbouncer, HAProxy) that only says so once a query is sent. Then that request
fails (503 for the API) and the connection, marked broken, is replaced for the next one.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != TransactionStatus.IDLE:
            return super().is_usable()
        if _readable(connection.fileno()):
            return super().is_usable()
        return True


def _readable(fd: int) -> bool:
    """Whether the server has sent anything on the socket, without waiting for it."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))
