"""Serve the product with gunicorn (2 sync workers, production settings) and drive it with wrk over loopback."""

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from scripts.benchmarks.common import ROOT, server_database_port

PORT = int(os.environ.get("BENCH_PORT", "8100"))

# One pair of keys per benchmark run, shared by this process (which mints test tokens) and gunicorn.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(64))
os.environ.setdefault("JWT_SIGNING_KEY", secrets.token_urlsafe(64))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
GRACEFUL_SECONDS = 30  # gunicorn's default: on SIGTERM, workers still busy after this are killed by the master

WRK_REPORT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format('{"requests": %d, "seconds": %.3f, "non2xx": %d, "socket_errors": %d, '
    .. '"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f}\\n',
    summary.requests, summary.duration / 1e6, summary.errors.status, errors,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def server_environment(database: str, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:{server_database_port()}/{database}",
        DJANGO_DEBUG="false",
        WEBHOOK_ALLOW_PRIVATE="false",  # dev defaults turn it on with DEBUG; production settings refuse it without
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_HSTS_SECONDS="0",
        SITE_SCHEME="http",
        SITE_PORT=str(PORT),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        THROTTLE_ANON="100000000/min",
        THROTTLE_USER="100000000/min",
        LOG_LEVEL="WARNING",
    )
    env.update(extra or {})
    return env


@contextmanager
def gunicorn(database: str, *, workers: int = WORKERS, env: dict | None = None, asgi: bool = False):
    """A gunicorn serving `database` on 127.0.0.1:PORT; yields the Popen once /api/ping/ answers. With `asgi`, as
    scripts/run serves it (uvicorn workers, config.asgi); otherwise sync workers (the earlier benchmarks' figures)."""
    env = server_environment(database, env)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.asgi:application" if asgi else "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--worker-class",
            "uvicorn_worker.UvicornWorker" if asgi else "sync",
            "--graceful-timeout",
            str(GRACEFUL_SECONDS),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        _wait_until_up()
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM, and wait past the graceful timeout (when the master kills what is still busy). Stopping is not
    measured, but a slow stop is said: a uvicorn worker waits for every request and stream to end, and one that never
    ends holds it for the whole timeout."""
    started = time.monotonic()
    process.terminate()
    try:
        process.wait(timeout=GRACEFUL_SECONDS + 15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    seconds = time.monotonic() - started
    if seconds > 5:
        print(f"note: gunicorn took {seconds:.0f} s to stop (graceful timeout {GRACEFUL_SECONDS} s)", flush=True)


def _wait_until_up(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{PORT}/api/ping/", headers={"Host": "localhost"})
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not start")


def rotating_paths_script(paths: list[str]) -> str:
    """A wrk script that sends GET to each of `paths` in turn (each wrk thread from its own place in the list)."""
    quoted = ", ".join(f'"{p}"' for p in paths)
    return (
        f"local paths = {{{quoted}}}\n"
        "local n = 0\n"
        "function init(args) n = math.random(#paths) end\n"
        "function request()\n"
        "  n = n % #paths + 1\n"
        '  return wrk.format("GET", paths[n])\n'
        "end\n"
    )


def warm(path: str, *, requests: int = 50, headers: dict | None = None) -> None:
    for _ in range(requests):
        request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}{path}", headers={"Host": "localhost", **(headers or {})}
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback only
            pass


def wrk(path: str, *, seconds: int, connections: int = 8, headers: dict | None = None, script: str = "") -> dict:
    """Drive GET `path` (or what `script` sends) for `seconds`; returns requests/s, p50/p95/p99 and error counts."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + WRK_REPORT)
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        lua.name,
    ]
    for name, value in {"Host": "localhost", **(headers or {})}.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{PORT}{path}")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(lua.name).unlink()
    report = json.loads(output.strip().splitlines()[-1])
    report["rps"] = report["requests"] / report["seconds"]
    return report
