"""A bare `pytest` from the repository root works: pyproject.toml names the test settings, which need no
environment (defect 8: it used to fail with "DJANGO_SECRET_KEY must be set")."""

import os
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.cache import cache

ROOT = Path(__file__).resolve().parents[1]


def test_the_test_settings_are_safe_defaults():
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "config.settings_test"
    assert settings.CACHES["default"]["KEY_PREFIX"].startswith("rhms-test")
    assert len(settings.SECRET_KEY) >= 50
    assert settings.SIMPLE_JWT["SIGNING_KEY"] != settings.SECRET_KEY
    cache.set("bare-pytest", 1)
    assert cache.get("bare-pytest") == 1


def test_bare_pytest_runs_with_a_clean_environment():
    # Only the Redis database is passed on, so that this run clears nobody else's.
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", str(ROOT)), "TEST_REDIS_URL": settings.REDIS_URL}
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [
            str(ROOT / ".venv/bin/pytest"),
            "-q",
            "-p",
            "no:randomly",
            f"{__file__}::{test_the_test_settings_are_safe_defaults.__name__}",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
