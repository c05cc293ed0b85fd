"""Production settings: refuse the development keys, and pass `check --deploy` when configured properly."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PRODUCTION_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "prod-like-" + "k" * 60,
    "JWT_SIGNING_KEY": "prod-like-jwt-" + "j" * 60,
    "BASE_DOMAIN": "rhms.example.com",
    "DJANGO_ALLOWED_HOSTS": "rhms.example.com,.rhms.example.com",
    "WEBHOOK_ALLOW_PRIVATE": "false",
}


def manage(*args, env_overrides, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(env_overrides)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"  # the real settings, not the test suite's
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_off_refuses_to_start_on_the_development_secret_key():
    env = {**PRODUCTION_ENV}
    result = manage("check", env_overrides=env)
    assert result.returncode == 0
    env.pop("DJANGO_SECRET_KEY")
    result = manage("check", env_overrides=env, drop=("DJANGO_SECRET_KEY",))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_debug_off_refuses_a_jwt_key_equal_to_the_secret_key():
    env = {**PRODUCTION_ENV, "JWT_SIGNING_KEY": PRODUCTION_ENV["DJANGO_SECRET_KEY"]}
    result = manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "JWT_SIGNING_KEY must differ" in result.stderr


def test_development_without_redis_passes_the_checks():
    result = manage("check", env_overrides={"DJANGO_DEBUG": "true", "CACHE_BACKEND": "locmem"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_debug_off_refuses_webhooks_to_private_addresses():
    result = manage("check", env_overrides={**PRODUCTION_ENV, "WEBHOOK_ALLOW_PRIVATE": "true"})
    assert result.returncode != 0
    assert "WEBHOOK_ALLOW_PRIVATE=true is for development only" in result.stderr
