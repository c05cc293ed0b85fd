"""Static checks of the container files: Dockerfile and docker-compose.yml. No database, no Docker engine."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
APP_SERVICES = ("web", "worker", "beat")
REFERENCE = re.compile(r"^\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+]).*)?\}$")
SECRET_WORDS = ("SECRET", "PASSWORD", "KEY")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Overrides the project-wide autouse fixture of conftest.py (which clears Redis): these checks need no service."""
    return


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


@pytest.fixture(scope="module")
def dockerfile_lines():
    """Instructions of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def _environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def _command_text(service: dict) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


# docker-compose.yml --------------------------------------------------------------------------------------------


def test_compose_has_no_obsolete_version_key(compose):
    assert "version" not in compose


def test_compose_defines_every_service(services):
    assert {"postgres", "pgbouncer", "redis", "web", "worker", "beat", "mailpit"} <= set(services)


def test_app_services_share_one_image(services):
    builds = {repr(services[name].get("build")) for name in APP_SERVICES}
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(builds) == 1
    assert builds != {repr(None)}
    assert len(images) == 1
    assert images != {None}


def test_app_services_differ_only_by_a_command(services):
    commands = [_command_text(services[name]) for name in APP_SERVICES]
    assert all(commands)
    assert len(set(commands)) == len(APP_SERVICES)


def test_app_services_wait_for_healthy_backends(services):
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        for backend in ("postgres", "pgbouncer", "redis"):
            assert depends_on[backend]["condition"] == "service_healthy", (name, backend)


def test_postgres_user_and_password_from_environment(services):
    env = _environment(services["postgres"])
    assert env["POSTGRES_USER"] == "rhms_user"
    assert REFERENCE.match(str(env["POSTGRES_PASSWORD"]))
    assert "healthcheck" in services["postgres"]


def test_no_literal_secret_in_any_environment(services):
    checked = 0
    for name, service in services.items():
        for key, value in _environment(service).items():
            if any(word in key.upper() for word in SECRET_WORDS):
                checked += 1
                assert value is not None, (name, key)
                assert REFERENCE.match(str(value)), f"{name}.{key} is a literal, not a ${{...}} reference"
    assert checked >= 3  # POSTGRES_PASSWORD and the app's two signing keys at least


def test_web_publishes_8000_and_migrates(services):
    web = services["web"]
    assert any(str(port).split(":")[-2:] == ["8000", "8000"] for port in web["ports"])
    assert "migrate_schemas" in _command_text(web)


def test_app_services_use_the_compose_network(services):
    env = _environment(services["web"])
    assert "@pgbouncer:6432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:")
    assert env["EMAIL_HOST"] == "mailpit"


def test_the_pooler_runs_in_session_mode_in_front_of_postgres(services):
    """Transaction mode would hand a connection, with one hospital's search_path, to another client."""
    pgbouncer = services["pgbouncer"]
    env = _environment(pgbouncer)
    assert env["POOL_MODE"] == "session"
    assert env["DB_HOST"] == "postgres"
    assert env["LISTEN_PORT"] == "6432"
    assert pgbouncer["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in pgbouncer


# Dockerfile -----------------------------------------------------------------------------------------------------


def test_dockerfile_starts_from_python_311_slim(dockerfile_lines):
    first_from = next(line for line in dockerfile_lines if line.upper().startswith("FROM "))
    image = first_from.split()[1]
    assert re.match(r"^python:3\.11[^:]*-slim", image), image


def test_dockerfile_runs_as_non_root(dockerfile_lines):
    users = [line.split(None, 1)[1].strip() for line in dockerfile_lines if line.upper().startswith("USER ")]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_serves_with_gunicorn_on_8000(dockerfile_lines):
    assert any(line.upper().startswith(("CMD ", "ENTRYPOINT ")) and "gunicorn" in line for line in dockerfile_lines)
    exposed = [line.split()[1:] for line in dockerfile_lines if line.upper().startswith("EXPOSE ")]
    assert any(port.split("/")[0] == "8000" for ports in exposed for port in ports)


def test_dockerfile_bakes_in_no_signing_key(dockerfile_lines):
    for line in dockerfile_lines:
        if line.upper().startswith(("ENV ", "ARG ")):
            assert "DJANGO_SECRET_KEY" not in line, line
            assert "JWT_SIGNING_KEY" not in line, line


# docker compose config (needs only the client, not the engine) --------------------------------------------------


def _docker() -> str | None:
    """Path of the docker client if it has the Compose v2 plugin (`docker compose`), else None."""
    docker = shutil.which("docker")
    if docker is None:
        return None
    try:
        result = subprocess.run(  # noqa: S603 (fixed arguments)
            [docker, "compose", "version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return docker if result.returncode == 0 else None


def test_docker_compose_config_validates():
    docker = _docker()
    if docker is None:
        pytest.skip("`docker compose` (the Compose v2 plugin) is not installed")
    env = {
        **os.environ,
        "POSTGRES_PASSWORD": "dummy-postgres-password",
        "DJANGO_SECRET_KEY": "dummy-secret-key-" + "s" * 50,
        "JWT_SIGNING_KEY": "dummy-jwt-signing-key-" + "j" * 50,
    }
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [docker, "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
