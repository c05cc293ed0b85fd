"""The database backend: django-tenants' PostgreSQL backend, whose pooled connections are checked as they are handed
out, with the whole pool swept when one turns out dead.

Django checks a pooled connection through psycopg_pool's `check`, which retries a dead one with a backoff of 1, 2,
4… seconds: after a PostgreSQL restart every idle connection is dead, and the first request would wait for each in
turn (or time out). Here the first dead one makes the pool check all its idle connections at once, and the request
takes a fresh one. settings.py turns CONN_HEALTH_CHECKS off while the pool is on, so the check is not made twice.

Each connection also remembers the search_path its session holds for certain, so that a request on the platform
host, which stays in the public schema, sends no `SET search_path` when the connection's session is already there.
"""

import psycopg
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.utils import get_limit_set_calls
from psycopg.pq import TransactionStatus

# On the psycopg connection (it outlives this wrapper in the pool): the search_path its session has committed.
_COMMITTED_PATH = "rhms_committed_search_path"


class DatabaseWrapper(TenantDatabaseWrapper):
    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if self.pool is None:
            return connection
        try:
            connection.execute("")
        except psycopg.Error:
            self.pool.putconn(connection)  # broken: the pool discards it and opens another
            self.pool.check()  # a restart ended the idle ones too
            connection = super().get_new_connection(conn_params)
        return connection

    def _handle_search_path(self, cursor=None):
        """django-tenants' `SET search_path`, skipped when the session already holds the wanted path for certain.

        django-tenants forgets the path at every schema switch (each request switches at least once) and on each
        connection checkout. A path is held for certain only when its SET ran outside a transaction: PostgreSQL undoes
        a SET with the transaction or savepoint that ran it, so a SET inside one leaves the path unknown until the
        next SET outside one. Nothing else in the code sets the path for the session (clone_schema restores it;
        snapshot.py sets it LOCAL); a pool reset hook or a session-level SET added elsewhere must clear
        _COMMITTED_PATH. Sound only where one client connection is one server session: directly, or through a
        pooler in session mode (never transaction mode, README "Connection pooling").
        """
        if self._setting_search_path or (get_limit_set_calls() and self.search_path_set_schemas):
            return  # already set for this wrapper, or being set
        if not self.schema_name:
            return super()._handle_search_path(cursor)  # django-tenants says what is missing
        wanted = self._get_cursor_search_paths()
        if getattr(self.connection, _COMMITTED_PATH, None) == wanted:
            self.search_path_set_schemas = wanted
            return
        committed_at_once = self.connection.autocommit and (
            self.connection.info.transaction_status == TransactionStatus.IDLE
        )
        super()._handle_search_path(cursor)
        setattr(self.connection, _COMMITTED_PATH, self.search_path_set_schemas if committed_at_once else None)
