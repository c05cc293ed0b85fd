"""The database backend: django-tenants' PostgreSQL backend, whose pooled connections are checked as they are handed
out, with the whole pool swept when one turns out dead.

Django checks a pooled connection through psycopg_pool's `check`, which retries a dead one with a backoff of 1, 2,
4… seconds: after a PostgreSQL restart every idle connection is dead, and the first request would wait for each in
turn (or time out). Here the first dead one makes the pool check all its idle connections at once, and the request
takes a fresh one. settings.py turns CONN_HEALTH_CHECKS off while the pool is on, so the check is not made twice.
"""

import psycopg
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper


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
