"""`scripts/run`, the main command, stays healthy under concurrent use (defect 11).

It is started as a developer starts it, in a database of its own, and eight clients call it at once: no 5xx, and
the PostgreSQL connections it holds stay bounded by its processes (Django's development server used to open one
per request thread until PostgreSQL refused clients).
"""

import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
WEB_WORKERS = 2
CLIENTS = 8
ROUNDS = 12  # per client and path
SUPERADMIN = ("run-test@example.com", "run-test-Passw0rd-long")

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin_conninfo() -> str:
    db = connection.settings_dict
    return f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} user={db['USER']} dbname=postgres"


@pytest.fixture
def run_database():
    name = f"{connection.settings_dict['NAME']}_scripts_run"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def served(run_database, tmp_path):
    """scripts/run on a free loopback port; yields (base URL, database name)."""
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{db.get('PORT') or 5432}/{run_database}",
        "REDIS_URL": settings.REDIS_URL,  # the test Redis database, never a developer's
        "CACHE_KEY_PREFIX": f"rhms-run-test-{port}",
        "SCHEMA_POOL_SIZE": "0",
        "WEB_CONCURRENCY": str(WEB_WORKERS),
        "DJANGO_SUPERUSER_EMAIL": SUPERADMIN[0],
        "DJANGO_SUPERUSER_PASSWORD": SUPERADMIN[1],
    }
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        ["/bin/bash", str(ROOT / "scripts/run"), "--no-demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, stopped as a whole below
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, process, tmp_path / "run.log")
        yield base, run_database
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


def _wait_until_serving(base: str, process, log_path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"scripts/run exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            if _call(f"{base}/healthz") == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"scripts/run did not serve within {timeout} s:\n{log_path.read_text()[-4000:]}")


def _call(url: str, token: str | None = None) -> int:
    """One request in its own connection (as separate clients would), on the platform host."""
    headers = {"Host": "localhost"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.get(url, headers=headers, timeout=30).status_code


def _login(base: str) -> str:
    credentials = {"email": SUPERADMIN[0], "password": SUPERADMIN[1]}
    response = httpx.post(f"{base}/api/auth/login/", json=credentials, headers={"Host": "localhost"}, timeout=30)
    response.raise_for_status()
    return response.json()["access"]


def _connections(database: str) -> int:
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [database]).fetchone()[0]


def test_scripts_run_serves_concurrent_clients_with_bounded_connections(served):
    base, database = served
    token = _login(base)

    def client(_):
        statuses = []
        for _round in range(ROUNDS):
            statuses.append(_call(f"{base}/api/auth/me/", token))
            statuses.append(_call(f"{base}/healthz"))
        return statuses

    peak = 0
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(client, n) for n in range(CLIENTS)]
        while not all(future.done() for future in futures):
            peak = max(peak, _connections(database))
            time.sleep(0.05)
        statuses = [status for future in futures for status in future.result()]
    peak = max(peak, _connections(database))

    assert len(statuses) == CLIENTS * ROUNDS * 2
    assert [status for status in statuses if status >= 500] == []
    assert set(statuses) == {200}
    # One connection per web worker, plus the Celery worker's processes: never one per request.
    assert peak <= WEB_WORKERS * 2 + 4, peak
