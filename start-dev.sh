#!/usr/bin/env bash
# Start the production-shaped JOST stack on this machine, from a checkout:
#   PostgreSQL and Redis (the machine's own when they answer, else started here),
#   Gunicorn, N Celery workers and Celery beat (the reaper's schedule).
# Logs, pid files and the stack's settings go under one folder; ./stop-dev.sh stops exactly what
# this script started (and nothing it found already running).
#
#   ./start-dev.sh                          # 2 workers, web on http://127.0.0.1:8000
#   JOST_DEV_WORKERS=4 PORT=8001 ./start-dev.sh
#
# Settings (environment): PORT (8000), JOST_DEV_WORKERS (2), JOST_DEV_DIR (./.jost-dev),
# JOST_DEV_PG_PORT (5432), JOST_DEV_REDIS_PORT (6379), JOST_DEV_REDIS_DB (0), JOST_DEV_DB (jost_dev),
# JOST_DEV_BIND (127.0.0.1: this machine only; 0.0.0.0 to serve the network), JOST_PYTHON
# (default: .venv/bin/python, else python3), and any service
# setting (JOST_SHARD_ROUNDS, ...), passed on to every process.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEV_DIR="${JOST_DEV_DIR:-$ROOT/.jost-dev}"
WORKERS="${JOST_DEV_WORKERS:-2}"
PORT="${PORT:-8000}"
PG_PORT="${JOST_DEV_PG_PORT:-5432}"
REDIS_PORT="${JOST_DEV_REDIS_PORT:-6379}"
DB_NAME="${JOST_DEV_DB:-jost_dev}"
REDIS_DB="${JOST_DEV_REDIS_DB:-0}"
BIND="${JOST_DEV_BIND:-127.0.0.1}"

die() {
    echo "start-dev.sh: $*" >&2
    exit 1
}
say() { echo "start-dev.sh: $*"; }

[[ "$WORKERS" =~ ^[1-9][0-9]*$ ]] || die "JOST_DEV_WORKERS must be a whole number of at least 1, got '$WORKERS'"
for pair in "PORT=$PORT" "JOST_DEV_PG_PORT=$PG_PORT" "JOST_DEV_REDIS_PORT=$REDIS_PORT"; do
    [[ "${pair#*=}" =~ ^[1-9][0-9]{0,4}$ ]] || die "${pair%%=*} must be a port number, got '${pair#*=}'"
done
[[ "$DB_NAME" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "JOST_DEV_DB must be a plain name, got '$DB_NAME'"
[[ "$REDIS_DB" =~ ^([0-9]|1[0-5])$ ]] || die "JOST_DEV_REDIS_DB must be a Redis database number 0-15, got '$REDIS_DB'"
[[ "$BIND" =~ ^[0-9.]+$|^\[?[0-9a-fA-F:]+\]?$ ]] || die "JOST_DEV_BIND must be an IP address, got '$BIND'"

if [[ -n "${JOST_PYTHON:-}" ]]; then
    PYTHON="$JOST_PYTHON"
    export PATH="$(dirname "$PYTHON"):$PATH"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then
    PYTHON="$ROOT/.venv/bin/python"
    export PATH="$ROOT/.venv/bin:$PATH"
else
    PYTHON="$(command -v python3 || true)"
fi
[[ -n "$PYTHON" ]] || die "no Python found: create .venv and pip install -e '.[service]'"
"$PYTHON" -c "import django, celery, gunicorn, psycopg, redis" 2>/dev/null ||
    die "the service packages are missing: pip install -e '.[service]'"

mkdir -p "$DEV_DIR"
DEV_DIR="$(cd "$DEV_DIR" && pwd)"
for pidfile in "$DEV_DIR"/*.pid; do
    [[ -e "$pidfile" ]] || continue
    die "a stack already runs from $DEV_DIR ($(basename "$pidfile")); run ./stop-dev.sh first"
done
[[ ! -e "$DEV_DIR/postgres.started" ]] || die "PostgreSQL started here is still recorded in $DEV_DIR; run ./stop-dev.sh first"

# `record NAME PID`: the pid and its start time (so stop-dev.sh never signals a reused pid).
record() {
    local start
    start="$(awk '{print $22}' "/proc/$2/stat" 2>/dev/null || echo 0)"
    echo "$2 $start" >"$DEV_DIR/$1.pid"
}

# `launch NAME COMMAND...`: in its own session (its pid is its process group), logs to NAME.log.
launch() {
    local name="$1"
    shift
    setsid "$@" >>"$DEV_DIR/$name.log" 2>&1 </dev/null &
    record "$name" "$!"
}

# ---- PostgreSQL -------------------------------------------------------------------------------
if pg_isready -h 127.0.0.1 -p "$PG_PORT" -q 2>/dev/null ||
    "$PYTHON" -c "import psycopg; psycopg.connect('postgres://postgres@127.0.0.1:$PG_PORT/postgres', connect_timeout=3).close()" 2>/dev/null; then
    say "PostgreSQL: using the one on 127.0.0.1:$PG_PORT"
else
    PG_BIN="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
        PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    fi
    if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
        PG_BIN="$(dirname "$(command -v initdb || echo /nonexistent/initdb)")"
    fi
    [[ -x "$PG_BIN/initdb" ]] || die "no PostgreSQL on 127.0.0.1:$PG_PORT and no initdb to start one (install postgresql)"
    as_pg=()
    if [[ "$(id -u)" == 0 ]]; then
        id postgres >/dev/null 2>&1 || die "PostgreSQL will not run as root and there is no 'postgres' user"
        as_pg=(runuser -u postgres --)
    fi
    PG_DATA="$DEV_DIR/postgres"
    if [[ ! -s "$PG_DATA/PG_VERSION" ]]; then
        mkdir -p "$PG_DATA"
        [[ ${#as_pg[@]} -eq 0 ]] || chown -R postgres "$PG_DATA" "$DEV_DIR"
        "${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust >"$DEV_DIR/postgres-initdb.log" 2>&1 ||
            die "initdb failed; see $DEV_DIR/postgres-initdb.log"
    fi
    [[ ${#as_pg[@]} -eq 0 ]] || chown postgres "$DEV_DIR"
    "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$DEV_DIR/postgres.log" -w -t 60 \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $DEV_DIR" start >/dev/null ||
        die "PostgreSQL did not start; see $DEV_DIR/postgres.log"
    echo "$PG_BIN $PG_DATA" >"$DEV_DIR/postgres.started"
    say "PostgreSQL: started on 127.0.0.1:$PG_PORT (data in $PG_DATA)"
fi

# ---- Redis ------------------------------------------------------------------------------------
if "$PYTHON" -c "import redis; redis.Redis(host='127.0.0.1', port=$REDIS_PORT, socket_connect_timeout=2).ping()" 2>/dev/null; then
    say "Redis: using the one on 127.0.0.1:$REDIS_PORT"
else
    command -v redis-server >/dev/null || die "no Redis on 127.0.0.1:$REDIS_PORT and no redis-server to start one (install redis)"
    launch redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$DEV_DIR"
    for _ in $(seq 50); do
        "$PYTHON" -c "import redis; redis.Redis(host='127.0.0.1', port=$REDIS_PORT).ping()" 2>/dev/null && break
        sleep 0.1
    done
    "$PYTHON" -c "import redis; redis.Redis(host='127.0.0.1', port=$REDIS_PORT).ping()" 2>/dev/null ||
        die "Redis did not start; see $DEV_DIR/redis.log (./stop-dev.sh cleans up)"
    say "Redis: started on 127.0.0.1:$REDIS_PORT"
fi

# ---- The service ------------------------------------------------------------------------------
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$DB_NAME"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/$REDIS_DB"
export JOST_DATA_DIR="${JOST_DATA_DIR:-$DEV_DIR/data}"
export DJANGO_SETTINGS_MODULE=service.settings
export PORT PYTHONUNBUFFERED=1
cat >"$DEV_DIR/env" <<EOF
# . $DEV_DIR/env   — then e.g.: python -m service.manage jost_token alice
export DATABASE_URL=$DATABASE_URL
export REDIS_URL=$REDIS_URL
export JOST_DATA_DIR=$JOST_DATA_DIR
export DJANGO_SETTINGS_MODULE=service.settings
EOF

cd "$ROOT"
"$PYTHON" - "$PG_PORT" "$DB_NAME" <<'EOF' || die "could not create the database (see above)"
import sys

import psycopg

port, name = sys.argv[1], sys.argv[2]
with psycopg.connect(f"postgres://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
EOF
"$PYTHON" -m service.manage migrate --noinput -v 0 >>"$DEV_DIR/migrate.log" 2>&1 ||
    die "migrate failed; see $DEV_DIR/migrate.log (./stop-dev.sh cleans up)"

# The commands are the Procfile's, so this stack runs what production runs.
procfile() { sed -n "s/^$1: //p" "$ROOT/Procfile"; }
WEB="$(procfile web)"
WORKER="$(procfile worker)"
BEAT="$(procfile beat)"
[[ -n "$WEB" && -n "$WORKER" && -n "$BEAT" ]] || die "the Procfile lacks a web, worker or beat line"

# the Procfile serves the network (0.0.0.0); this stack binds JOST_DEV_BIND (this machine only)
WEB="${WEB//0.0.0.0:/$BIND:}"
launch web bash -c "exec ${WEB//\$PORT/$PORT}"
for i in $(seq "$WORKERS"); do
    # one job or shard at a time per worker: add workers (or machines) to scale
    launch "worker$i" bash -c "exec $WORKER --concurrency 1 -n dev$i@%h"
done
launch beat bash -c "exec $BEAT --schedule '$DEV_DIR/celerybeat-schedule'"

for _ in $(seq 300); do
    if "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$PORT/readyz', timeout=2)" 2>/dev/null; then
        say "ready: http://$BIND:$PORT  ($WORKERS workers + beat; logs and pids in $DEV_DIR)"
        say "a token: . $DEV_DIR/env && python -m service.manage jost_token alice"
        say "stop:    ./stop-dev.sh"
        exit 0
    fi
    sleep 0.2
done
die "the web server did not become ready; see $DEV_DIR/web.log (./stop-dev.sh cleans up)"
