#!/usr/bin/env bash
# Stop exactly what ./start-dev.sh started: the processes in its pid files (each with its own
# process group: Gunicorn's and Celery's children go with them) and PostgreSQL if it was
# started there. A PostgreSQL or Redis that was already running is left alone.
#   ./stop-dev.sh                      (JOST_DEV_DIR as for start-dev.sh, default ./.jost-dev)
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DEV_DIR="${JOST_DEV_DIR:-$ROOT/.jost-dev}"
say() { echo "stop-dev.sh: $*"; }

[[ -d "$DEV_DIR" ]] || {
    say "nothing to stop ($DEV_DIR does not exist)"
    exit 0
}

# `ours PID START`: the pid is still the process start-dev.sh started (not a reused pid).
ours() {
    [[ -n "$1" && -n "$2" ]] && [[ "$(awk '{print $22}' "/proc/$1/stat" 2>/dev/null)" == "$2" ]]
}

stop_one() {
    local pidfile="$1" name pid start
    name="$(basename "$pidfile" .pid)"
    read -r pid start <"$pidfile" || true
    if [[ -z "${pid:-}" ]] || ! ours "$pid" "${start:-}"; then
        say "$name: not running"
        rm -f "$pidfile"
        return
    fi
    # start-dev.sh ran it with setsid: its process group is its own, and holds only its children
    local target="$pid"
    [[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" == "$pid" ]] && target="-$pid"
    kill -TERM -- "$target" 2>/dev/null
    for _ in $(seq 150); do
        ours "$pid" "$start" || break
        sleep 0.1
    done
    if ours "$pid" "$start"; then
        kill -KILL -- "$target" 2>/dev/null
        say "$name: killed (pid $pid did not stop within 15 s)"
    else
        say "$name: stopped (pid $pid)"
    fi
    rm -f "$pidfile"
}

# the web server and beat first (no new work), then the workers, then Redis
for pidfile in "$DEV_DIR/web.pid" "$DEV_DIR/beat.pid" "$DEV_DIR"/worker*.pid "$DEV_DIR/redis.pid"; do
    [[ -e "$pidfile" ]] && stop_one "$pidfile"
done

if [[ -e "$DEV_DIR/postgres.started" ]]; then
    read -r pg_bin pg_data <"$DEV_DIR/postgres.started"
    as_pg=()
    [[ "$(id -u)" == 0 ]] && as_pg=(runuser -u postgres --)
    if "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
        "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w stop >/dev/null && say "PostgreSQL: stopped"
    else
        say "PostgreSQL: not running"
    fi
    rm -f "$DEV_DIR/postgres.started"
fi
exit 0
