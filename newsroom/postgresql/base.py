"""Django's PostgreSQL backend with a health check that costs no round trip when the connection is fine.

With `CONN_HEALTH_CHECKS`, Django checks a kept connection before each request's first query by running
`SELECT 1`: a round trip on every request, about a tenth of a short API request (BENCHMARKS.md). A
connection that the server ended (restart, `pg_terminate_backend`, an idle timeout) always leaves
something to read on its socket: the server's last error message, or the end of the stream. So an idle
connection with nothing to read is usable without asking; one with anything pending gets Django's own
check. The only failure this cannot see is a peer gone without a word (a dropped network path), which
`SELECT 1` would not see quickly either: it would hang until the TCP timeout.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base, features
from psycopg import pq


class DatabaseFeatures(features.DatabaseFeatures):
    # Django asks the server's version to know whether PostgreSQL 18's virtual generated columns exist, and
    # it asks while running the system checks, so `manage.py check` would need a database. The app's
    # generated columns are all stored (db_persist=True), which every supported version has.
    supports_virtual_generated_columns = False


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures

    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.pgconn.status != pq.ConnStatus.OK:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        if not readable:
            return True
        return bool(super().is_usable())
