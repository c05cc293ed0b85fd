"""A database restart: 503 with Retry-After while PostgreSQL cannot be reached, and the first request after it is
back succeeds. Driven against the project served by one server thread that takes its connections from the
process's pool (as every web process does), never by stopping the shared PostgreSQL: the pooled connections are
killed with pg_terminate_backend, and "down" is the pool rebuilt for the database's address pointing at a closed
port.
"""

import socket
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import requests
from django.core.wsgi import get_wsgi_application
from django.db import connection, connections

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _kill_other_connections() -> int:
    """What a PostgreSQL restart does to every connection but the test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def _serve(httpd) -> None:
    try:
        httpd.serve_forever(poll_interval=0.05)
    finally:
        connections.close_all()


def _database_at(port) -> None:
    """Point the database settings at `port` and drop the pool, so the server's next request builds one there."""
    connection.settings_dict["PORT"] = str(port)
    connection.close_pool()


@pytest.fixture
def server(db):
    """The project on 127.0.0.1:<port>, one request at a time in one thread, its connections from the pool."""
    database = connection.settings_dict  # shared by the server thread's connection
    saved = {**database, "OPTIONS": {**database["OPTIONS"]}}
    database["OPTIONS"]["pool"] = {**database["OPTIONS"]["pool"], "timeout": 1}  # a pool that cannot connect: 1 s
    connection.close_pool()
    httpd = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_QuietHandler)
    thread = threading.Thread(target=_serve, args=(httpd,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        database.update(saved)
        connection.close_pool()
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def get(server, path, host="localhost"):
    return requests.get(server + path, headers={"Host": host}, timeout=10)


def test_a_dead_pooled_connection_is_replaced_not_reported(server):
    assert get(server, "/api/hospitals/").status_code == 200  # the pool now holds a connection
    assert _kill_other_connections() >= 1

    response = get(server, "/api/hospitals/")

    assert response.status_code == 200


def test_while_the_database_is_down_the_api_answers_503_with_retry_after(server):
    assert get(server, "/api/hospitals/").status_code == 200
    _database_at(_closed_port())
    _kill_other_connections()

    down = get(server, "/api/hospitals/")

    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    assert down.json()["error"]["code"] == "service_unavailable"


def test_while_the_database_is_down_the_dashboard_answers_503(server):
    _database_at(_closed_port())
    _kill_other_connections()

    down = get(server, "/", host="alpha.localhost")

    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    assert "unavailable" in down.text


def test_the_first_request_after_the_database_is_back_succeeds(server):
    port = connection.settings_dict["PORT"]
    _database_at(_closed_port())
    _kill_other_connections()
    assert get(server, "/api/hospitals/").status_code == 503

    _database_at(port)

    assert get(server, "/api/hospitals/").status_code == 200
