#!/bin/bash
# PostgreSQL restarts in the middle of a delivery burst, twice: a clean
# fast shutdown, then an immediate one (a crash: recovery on start). While
# it is down keyprojd answers status and refuses database commands; when it
# is back keyprojd reconnects on its own and every alert reaches the
# receiver at least once. Only what was in flight at the stop (sent, its
# outcome not recorded) may arrive twice, with the same webhook-id; no row
# is marked delivered that the receiver did not get. While no outcome can
# be recorded the queue sends nothing more, and outcomes that could not be
# written are written again once the database is back: in practice
# nothing arrives twice. A row whose outcome was lost anyway waits for its
# lease to end (70 s): the clock is moved past it.
#
# `make check` runs the tests against one shared PostgreSQL, which this test
# must not stop: it runs a private cluster of its own (initdb, pg_ctl) on a
# Unix socket in a directory of its own, as the postgres user when run as
# root (the server refuses to run as root), as scripts/demo does.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# The package build (debian/rules) runs no PostgreSQL server of its own:
# the suite around it runs this test already.
if [ -n "${KEYPROJ_PACKAGE_BUILD:-}" ]; then
    echo "SKIP: inside the package's own build (debian/rules)"
    exit 77
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
    echo "SKIP: no PostgreSQL server binaries (initdb, pg_ctl)"
    exit 77
fi
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "SKIP: running as root and there is no postgres user"; exit 77; }
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi
# Outside the build tree: the postgres user must be able to reach it.
PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/keyproj-pg-restart.XXXXXX")
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
pg_start() {
    as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
        -o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' -c port=$PG_PORT -c fsync=off" start >/dev/null
}
pg_stop() {     # pg_stop fast|immediate
    as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m "$1" -w -t 30 stop >/dev/null
}
pg_cleanup() {
    as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
    cp "$PG_DIR/server.log" "$T_DIR/postgresql.log" 2>/dev/null
    rm -rf "$PG_DIR"
}
if ! as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
        >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log"
    rm -rf "$PG_DIR"
    echo "FAIL: initdb of the private cluster"
    exit 1
fi
pg_start || { cat "$PG_DIR/server.log"; rm -rf "$PG_DIR"; echo "FAIL: starting the private cluster"; exit 1; }
export PGHOST="$PG_DIR" PGPORT="$PG_PORT" PGUSER=postgres
unset PGPASSWORD PGDATABASE PGSERVICE

. "$top_srcdir/tests/integration/lib.sh"
# The daemon goes before its cluster, so that it ends as it would in life.
pg_test_cleanup() {
    [ -n "$T_PID" ] && kill "$T_PID" 2>/dev/null && wait "$T_PID" 2>/dev/null
    T_PID=
    pg_cleanup
}
at_exit pg_test_cleanup

N=300           # deliveries per burst
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
# Some latency at the receiver, so that a burst lasts a second or two whatever the machine.
start_receiver --json-secret "$secret" --json-delay-ms 20
received() {    # how many messages the receiver accepted (curl: polled, and quicker to start than python)
    curl -s "$base/_stats" | sed -n 's/.*"received": *\([0-9]*\).*/\1/p'
}
burst_going() { [ $(($(received) - $1)) -ge $((N / 4)) ]; }   # burst_going BEFORE
wait_for() {    # wait_for SECONDS SQL TEST — until SQL's answer passes the test (the database may be down)
    wait_until "$1" sql_passes "$2" $3
}

create_db
write_config "
alerts = { quiet_hours = \"\"; hold_on_rest_days = false; };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\";
    rate_per_minute = 6000; max_concurrency = 4; }
);"
start_daemon --now "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
wait_ready

# burst NAME MODE — N deliveries; PostgreSQL stopped (MODE) once a quarter
# of them has arrived, status and a database command checked while it is
# down, then started again.
burst() {
    local before
    before=$(received)
    sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
            SELECT 'milestone.overdue', '$1:' || i, 's1', 'red',
                   jsonb_build_object('message', '测试 ' || i, 'project', jsonb_build_object('code', 'P-' || i))
              FROM generate_series(1, $N) AS i RETURNING id)
         INSERT INTO delivery (alert_id, receiver) SELECT id, 'audit' FROM a" >/dev/null
    wait_until 30 burst_going "$before"
    pg_stop "$2" || fail "pg_ctl stop -m $2"
    local got=$(($(received) - before))
    [ "$got" -lt "$N" ] || fail "the burst was over before PostgreSQL stopped: make it bigger"
    ok "$1: PostgreSQL stopped (-m $2) with $got of $N delivered"
    wait_until 30 is_eq "down" status_field database
    out=$(kpctl --json status) || fail "status failed with the database down: $out"
    expect_eq "$1: status answers with the database down" down "$(echo "$out" | field database)"
    why=$(echo "$out" | field database_error)
    [ -n "$why" ] || fail "$1: status does not say why the database is down: $out"
    ok "$1: … and says why ($why)"
    out=$(kpctl projects 2>&1); rc=$?
    expect_eq "$1: a database command exits 1 while it is down" 1 "$rc"
    expect_contains "$1: … saying the database is not available" "database is not available" "$out"
    # Sends begun with the database down could not have their outcome
    # recorded (each would be sent again when its lease ends): the queue
    # waits instead, so what arrives meanwhile is what was in flight at the
    # stop (max_concurrency = 4), and a few begun before the loss was seen.
    local more=$(($(received) - before - got))
    echo "# $1: $more more arrived while PostgreSQL was down"
    [ "$more" -le 8 ] || fail "$1: $more sends while the database was down: the queue kept sending"
    ok "$1: the queue stops sending while no outcome can be recorded"
    pg_start || fail "pg_ctl start"
    wait_ready
    ok "$1: keyprojd reconnected on its own"
}
burst fast fast
burst crash immediate
expect_contains "the loss was logged" "database connection lost" "$(cat "$T_LOG")"

# Settled: every row delivered, or held by the lease of a send whose
# outcome could not be recorded (in flight at a stop).
settled="SELECT count(*) FROM delivery WHERE status <> 'delivered' AND claimed_by IS NULL"
wait_for 20 "$settled" "= 0" || fail "deliveries did not resume: $(sql "SELECT status, claimed_by IS NULL, count(*) FROM delivery GROUP BY 1, 2")"
held="SELECT count(*) FROM delivery WHERE status = 'pending' AND claimed_by IS NOT NULL"
# still: the leases held stay the same over 0.2 s and nothing is left unsettled.
still() {
    local a b
    a=$(sql "$held"); sleep 0.2; b=$(sql "$held")
    [ "$a" = "$b" ] && [ "$(sql "$settled")" = 0 ]
}
wait_until 30 still
inflight=$(sql "SELECT coalesce(string_agg(alert_id::text, ' '), '') FROM delivery WHERE status = 'pending'")
delivered=$(sql "SELECT coalesce(string_agg(alert_id::text, ' '), '') FROM delivery WHERE status = 'delivered'")
lost_outcomes=$(grep -c 'could not record a delivery outcome' "$T_LOG")
echo "# after the restarts: $(echo $delivered | wc -w) delivered, $(echo $inflight | wc -w) held by the leases of sends in flight at a stop ($lost_outcomes outcomes not recorded)"

got=$(received_tally "$inflight" "$delivered")
expect_contains "no row marked delivered that the receiver did not get" "delivered_not_received=0" "$got"

# The leases end: what was in flight is sent again.
kpctl clock set "$(date -u -d '+15 minutes' +%Y-%m-%dT%H:%M:%SZ)" >/dev/null || fail "clock set"
wait_for 20 "SELECT count(*) FROM delivery WHERE status = 'delivered'" "= $((2 * N))" ||
    fail "not everything delivered: $(sql "SELECT status, count(*) FROM delivery GROUP BY 1")"
ok "every delivery is delivered in the end"
got=$(received_tally "$inflight" "$(sql "SELECT string_agg(alert_id::text, ' ') FROM delivery WHERE status = 'delivered'")")
echo "# $got"
expect_contains "every alert arrived at least once" "missing=0" "$got"
expect_contains "duplicates only for what was in flight at a stop" "dups_outside_inflight=0" "$got"
expect_contains "every copy of an alert carries the same webhook-id" "one_webhook_id_each=True" "$got"
expect_contains "… and no row marked delivered that the receiver did not get" "delivered_not_received=0" "$got"
stop_daemon || fail "keyprojd did not stop cleanly"
ok "keyprojd stopped cleanly"
