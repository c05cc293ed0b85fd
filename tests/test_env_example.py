""".env.example documents every variable config/settings.py reads, and holds placeholders only. No database."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETTINGS_FILE = ROOT / "config" / "settings.py"
ENV_EXAMPLE = ROOT / ".env.example"

# The first string argument of env(...), env.bool(...), env.int(...), env.list(...), env.db(...) (and siblings).
ENV_READ = re.compile(
    r"""\benv(?:\.(?:bool|int|float|str|list|db|url|json|path))?\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"""
)
# NAME=value, commented out or not.
ENV_LINE = re.compile(r"^\s*(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
SECRET_WORDS = ("SECRET", "PASSWORD", "KEY")
PLACEHOLDER_MARKS = ("change-me", "your-", "placeholder", "example")
# Names that contain one of those words but hold no credential (a cache namespace, a lifetime, a rate).
NOT_SECRETS = {"CACHE_KEY_PREFIX", "PASSWORD_LINK_TIMEOUT_SECONDS", "THROTTLE_PASSWORD"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Overrides the project-wide autouse fixture of conftest.py (which clears Redis): these checks need no service."""
    return


def _settings_variables() -> set[str]:
    return set(ENV_READ.findall(SETTINGS_FILE.read_text()))


def _example_lines() -> list[tuple[int, str, str]]:
    """(line number, name, value) of every NAME=value line of .env.example, commented or not."""
    found = []
    for number, line in enumerate(ENV_EXAMPLE.read_text().splitlines(), start=1):
        match = ENV_LINE.match(line)
        if match:
            found.append((number, match.group(1), match.group(2).strip()))
    return found


def test_the_settings_regex_sees_the_variables():
    names = _settings_variables()
    assert {"DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "DATABASE_URL", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS"} <= names


def test_every_settings_variable_is_in_env_example():
    documented = {name for _, name, _ in _example_lines()}
    missing = sorted(_settings_variables() - documented)
    assert not missing, f"add these to .env.example: {missing}"


def test_env_example_holds_no_real_secret():
    """Commented lines count too: a real key in a comment is published all the same."""
    offending = []
    for number, name, value in _example_lines():
        if name in NOT_SECRETS or not any(word in name for word in SECRET_WORDS):
            continue
        value = value.strip("\"'")
        if value and not any(mark in value.lower() for mark in PLACEHOLDER_MARKS):
            offending.append(f"line {number}: {name}")
    assert not offending, f"not an obvious placeholder: {offending}"
