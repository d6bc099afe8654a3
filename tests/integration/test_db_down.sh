#!/bin/bash
# PostgreSQL is down when keyprojd starts: the daemon starts anyway, says
# so, answers status, refuses database commands with a clear error, and
# connects on its own once the database appears; it survives losing it.
. "$top_srcdir/tests/integration/lib.sh"

create_db
# A TCP relay stands in for the database server: no relay = server down.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
T_CONNINFO="host=127.0.0.1 port=$port user=${PGUSER:-postgres} dbname=$T_DB connect_timeout=2"
write_config
start_daemon

expect_eq "status answers with the database down" down "$(status_field database)"
expect_contains "status says why" "Connection refused" "$(status_field database_error)"
expect_contains "start-up logged the failure" "database connection failed" "$(cat "$T_LOG")"
out=$(kpctl projects 2>&1); rc=$?
expect_eq "database command exits 1 while down" 1 "$rc"
expect_contains "database command says unavailable" "database is not available" "$out"

pg_host=${PGHOST:-localhost}
case "$pg_host" in /*) target="UNIX-CONNECT:$pg_host/.s.PGSQL.${PGPORT:-5432}" ;;
                   *) target="TCP:$pg_host:${PGPORT:-5432}" ;; esac
socat TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr "$target" &
relay=$!
T_EXTRA_PIDS="$relay"
wait_ready
ok "connected once the database came up"
expect_eq "schema was migrated on connect" "$(status_field schema_expected)" "$(sql 'SELECT max(version) FROM schema_version')"

# Lose the connection: status still answers, then it comes back.
kill "$relay"; wait "$relay" 2>/dev/null
sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
wait_until 30 is_eq "down" status_field database
expect_eq "status shows the loss" down "$(status_field database)"
socat TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr "$target" &
relay=$!
T_EXTRA_PIDS="$relay"
wait_ready
ok "reconnected after the loss"
expect_contains "reconnection was logged" "database connection lost" "$(cat "$T_LOG")"
stop_daemon
