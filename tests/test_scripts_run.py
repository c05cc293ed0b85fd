"""`scripts/run`, the main command, started once as a developer starts it, in a database of its own.

- It stays healthy under concurrent use (defect 11): eight clients at once get no 5xx, and the PostgreSQL
  connections it holds stay bounded by its processes' pools (Django's development server used to open one per
  request thread until PostgreSQL refused clients; under ASGI every request has a thread of its own).
- It is not a network service: it listens on loopback only, and signs with this checkout's own keys from
  .data/dev-keys.env, never with a key from the repository (anyone could mint a superadmin token with that one).
"""

import os
import signal
import socket
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jwt
import psycopg
import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
WEB_WORKERS = 2
POOL_SIZE = 3  # connections per web process: fewer than the clients, so they must share
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


@pytest.fixture(scope="module")
def run_database():
    name = f"{connection.settings_dict['NAME']}_scripts_run"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def served(run_database, tmp_path_factory):
    """scripts/run on a free port; yields (base URL, database name, port)."""
    tmp_path = tmp_path_factory.mktemp("scripts_run")
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
        "DATABASE_POOL_MAX_SIZE": str(POOL_SIZE),
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
        yield base, run_database, port
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
    base, database, _port = served
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
    # Each web process's pool, plus the Celery processes' (at most 2 at a time each): never one per request.
    assert peak <= WEB_WORKERS * POOL_SIZE + 4, peak


# The signing key committed to config/settings.py until the fix: a token it signs must be worthless.
FORMER_COMMITTED_SIGNER = "insecure-development-only-jwt-signing-key-not-for-production"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on `port` (IPv4), read from /proc/net/tcp."""
    addresses = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, local_port = local.split(":")
        if state == "0A" and int(local_port, 16) == port:
            addresses.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return addresses


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads the listening sockets from /proc/net/tcp")
def test_scripts_run_listens_on_loopback_only(served):
    _base, _database, port = served
    assert _listening_addresses(port) == {"127.0.0.1"}


def test_scripts_run_signs_with_this_checkouts_own_keys(served):
    base, _database, _port = served
    token = _login(base)
    claims = jwt.decode(token, options={"verify_signature": False})
    forged = jwt.encode({**claims, "jti": "forged"}, FORMER_COMMITTED_SIGNER, algorithm="HS256")
    assert _call(f"{base}/api/auth/me/", forged) == 401

    keys_file = ROOT / ".data" / "dev-keys.env"
    keys = dict(line.split("=", 1) for line in keys_file.read_text().splitlines() if "=" in line)
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    assert len(keys["JWT_SIGNING_KEY"]) >= 50
    assert keys["JWT_SIGNING_KEY"] != keys["DJANGO_SECRET_KEY"]
    jwt.decode(token, keys["JWT_SIGNING_KEY"], algorithms=["HS256"])  # the server signs with this checkout's key
    assert _call(f"{base}/api/auth/me/", token) == 200
