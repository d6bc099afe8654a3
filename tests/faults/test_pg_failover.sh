#!/bin/bash
# PostgreSQL fails over in the middle of a delivery burst: a primary and a
# streaming standby (pg_basebackup -R, asynchronous replication), two
# keyprojd on a multi-host conninfo, the primary killed (pg_ctl stop -m
# immediate) and the standby promoted. Both daemons follow the new
# primary on their own; every alert reaches the receiver at least once;
# what arrives twice carries the same webhook-id and is among what the
# standby had not yet seen delivered when the primary died (sends in
# flight, or outcomes in the WAL that never reached the standby); the
# burst finishes on the new primary, and exactly one daemon leads there.
# Daemon a names target_session_attrs=read-write; daemon b leaves it out
# (keyprojd asks libpq for the primary by default). A daemon pointed at
# the standby alone is refused while it is in recovery, saying why. Made
# read-only (default_transaction_read_only), the new primary is left by
# a (it asked for read-write) and kept by b, whose writes are refused
# until it is writable again.
#
# Like test_pg_restart.sh, it runs private clusters of its own (as the
# postgres user when run as root), on Unix sockets in directories of its own.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# The package build (debian/rules) runs no PostgreSQL server of its own:
# the suite around it runs this test already.
if [ -n "${KEYPROJ_PACKAGE_BUILD:-}" ]; then
    echo "SKIP: inside the package's own build (debian/rules)"
    exit 77
fi
PGBIN=/usr/lib/postgresql/15/bin
[ -x "$PGBIN/initdb" ] || PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
for b in initdb pg_ctl pg_basebackup; do
    if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/$b" ]; then
        echo "SKIP: no PostgreSQL server binaries ($b) in /usr/lib/postgresql/*/bin"
        exit 77
    fi
done
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "SKIP: running as root and there is no postgres user"; exit 77; }
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi
PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/keyproj-pg-failover.XXXXXX")
[ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P1=$(free_port)
P2=$(free_port)
S1="$PG_DIR/s1"     # the primary's socket directory
S2="$PG_DIR/s2"     # the standby's
as_pg mkdir "$S1" "$S2"
pg_start() {        # pg_start N — server N (1: the primary, 2: the standby)
    local port dir
    eval "port=\$P$1 dir=\$S$1"
    as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data$1" -l "$PG_DIR/server$1.log" -w -t 30 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c port=$port -c fsync=off" start >/dev/null
}
pg_cleanup() {
    local n
    for n in 1 2; do
        as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data$n" -m immediate -w stop >/dev/null 2>&1
        cp "$PG_DIR/server$n.log" "$T_DIR/postgresql$n.log" 2>/dev/null
    done
    rm -rf "$PG_DIR"
}
pg_abort() { cat "$PG_DIR"/*.log 2>/dev/null | tail -n 20; rm -rf "$PG_DIR"; echo "FAIL: $*"; exit 1; }
as_pg "$PGBIN/initdb" -D "$PG_DIR/data1" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || pg_abort "initdb of the primary"
# Replication as it is run: WAL for a standby, the standby readable.
cat >> "$PG_DIR/data1/postgresql.conf" <<CONF
wal_level = replica
max_wal_senders = 4
hot_standby = on
CONF
pg_start 1 || pg_abort "starting the primary"
as_pg "$PGBIN/pg_basebackup" -h "$S1" -p "$P1" -U postgres -D "$PG_DIR/data2" -R -X stream \
    >"$PG_DIR/basebackup.log" 2>&1 || { as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data1" -m immediate stop >/dev/null 2>&1; pg_abort "pg_basebackup"; }
pg_start 2 || { as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data1" -m immediate stop >/dev/null 2>&1; pg_abort "starting the standby"; }

# psql follows the primary as keyprojd does.
export PGHOST="$S1,$S2" PGPORT="$P1,$P2" PGUSER=postgres PGTARGETSESSIONATTRS=read-write
unset PGPASSWORD PGDATABASE PGSERVICE

. "$top_srcdir/tests/faults/lib.sh"
started=$(date +%s)
# Every daemon goes before its clusters, so that each ends as it would in life.
pg_test_cleanup() {
    [ -n "$T_PID" ] && kill "$T_PID" 2>/dev/null && wait "$T_PID" 2>/dev/null
    T_PID=
    local p
    for p in $T_EXTRA_PIDS; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
    T_EXTRA_PIDS=
    pg_cleanup
}
at_exit pg_test_cleanup
on_failure() {
    local f
    for f in "$T_LOG" "$T_DIR"/b.log; do
        echo "--- $f ---"
        tail -n 30 "$f" 2>/dev/null
    done
}
standby_sql() {     # standby_sql SQL — on the standby (read-only, hot standby)
    PGTARGETSESSIONATTRS=any psql -X -q -A -t -h "$S2" -p "$P2" -d "$T_DB" -c "$1" 2>/dev/null
}

N=400           # deliveries in the burst
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
# Latency at the receiver: the burst lasts a couple of seconds whatever the machine.
start_receiver --json-secret "$secret" --json-delay-ms 40
RECEIVER_PIDS=$T_EXTRA_PIDS
received() {
    curl -s "$base/_stats" | sed -n 's/.*"received": *\([0-9]*\).*/\1/p'
}

create_db
NOW=2026-11-25T09:00:00+08:00
T_CONNINFO="host=$S1,$S2 port=$P1,$P2 user=postgres dbname=$T_DB target_session_attrs=read-write"
write_config "
alerts = { leader_retry_seconds = 1; quiet_hours = \"\"; hold_on_rest_days = false; };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\";
    rate_per_minute = 60000; max_concurrency = 4; }
);"
start_daemon --now "$NOW"
wait_ready
start_other() {     # start_other NAME CONNINFO — a further keyprojd (T_EXTRA_PIDS); its socket $T_DIR/NAME.sock
    local sock="$T_DIR/$1.sock"
    sed -e "s|$T_SOCK|$sock|" -e "s|conninfo = \"[^\"]*\"|conninfo = \"$2\"|" "$T_CONF" > "$T_DIR/$1.conf"
    "$KEYPROJD" -c "$T_DIR/$1.conf" --now "$NOW" >>"$T_DIR/$1.log" 2>&1 &
    LAST_PID=$!
    T_EXTRA_PIDS="$T_EXTRA_PIDS $!"
    wait_until 30 test -S "$sock" || fail "keyprojd $1 did not create its socket"
}
ctl() {             # ctl NAME ARGS… — keyprojctl on daemon NAME (a: the first)
    local sock="$T_DIR/$1.sock"
    [ "$1" = a ] && sock=$T_SOCK
    "$KEYPROJCTL" -s "$sock" "${@:2}"
}
db_of() { ctl "$1" --json status 2>/dev/null | field database; }
not_connected() { [ "$(db_of "$1")" != connected ]; }
db_error_of() { ctl "$1" --json status 2>/dev/null | field database_error; }
role_of() { role "$([ "$1" = a ] && echo "$T_SOCK" || echo "$T_DIR/$1.sock")"; }

start_other b "host=$S1,$S2 port=$P1,$P2 user=postgres dbname=$T_DB"
wait_until 30 is_eq connected db_of b || fail "keyprojd b did not connect: $(db_error_of b)"
wait_until 30 is_eq standby role_of b || fail "b is not a standby: $(role_of b)"
expect_eq "a leads" leader "$(role_of a)"
expect_contains "a logs which server it reached" "host=\"$S1\" port=\"$P1\"" "$(grep 'database connected' "$T_LOG")"

# The standby alone: refused while it is in recovery, by libpq (keyprojd
# asks for read-write by default) or by keyprojd's own check when the
# conninfo allows any server.
wait_for_standby_db() { [ "$(standby_sql "SELECT 1")" = 1 ]; }
wait_until 30 wait_for_standby_db || fail "the standby does not have the database"
start_other c "host=$S2 port=$P2 user=postgres dbname=$T_DB"
C_PID=$LAST_PID
start_other d "host=$S2 port=$P2 user=postgres dbname=$T_DB target_session_attrs=any"
D_PID=$LAST_PID
has_error() { [ -n "$(db_error_of "$1")" ]; }
wait_until 30 has_error c || fail "c connected to the standby"
wait_until 30 has_error d || fail "d connected to the standby"
not_connected c && ok "a daemon on the standby alone does not connect ($(db_of c))" || fail "c: $(db_of c)"
expect_contains "… and says the server is a standby" "hot standby" "$(db_error_of c)"
not_connected d && ok "with target_session_attrs=any neither ($(db_of d))" || fail "d: $(db_of d)"
expect_contains "… keyprojd refusing the standby itself" "is a standby (in recovery)" "$(db_error_of d)"
expect_contains "… and logging it" "database server refused: a standby, not the primary" "$(cat "$T_DIR/d.log")"
for p in $C_PID $D_PID; do kill "$p"; wait "$p" || fail "keyprojd c or d did not stop cleanly"; done
T_EXTRA_PIDS=$(echo " $T_EXTRA_PIDS " | sed -e "s/ $C_PID / /" -e "s/ $D_PID / /")

# ---- the burst, and the failover in its middle --------------------------------
sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
        SELECT 'milestone.overdue', 'failover:' || i, 's1', 'red',
               jsonb_build_object('message', '测试 ' || i, 'project', jsonb_build_object('code', 'F-' || i))
          FROM generate_series(1, $N) AS i RETURNING id)
     INSERT INTO delivery (alert_id, receiver, next_attempt_at) SELECT id, 'audit', '-infinity' FROM a" >/dev/null
# The alerts themselves are on the standby before the kill: what this test
# loses with the primary is outcomes, as in a burst of deliveries that
# began well after its alerts were written (see doc/operations.md for an
# alert row lost in the WAL's tail).
wait_until 30 is_eq "$N" standby_sql "SELECT count(*) FROM delivery" || fail "the standby did not catch up"
burst_going() { [ "$(received)" -ge $((N / 4)) ]; }
wait_until 30 burst_going || fail "the burst did not start: $(received) received"
as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data1" -m immediate -w -t 30 stop >/dev/null || fail "pg_ctl stop -m immediate"
got=$(received)
[ "$got" -lt "$N" ] || fail "the burst was over before the primary died: make it bigger"
ok "primary killed (-m immediate) with $got of $N received"
# What the standby has seen delivered is final now (nothing more comes from
# the dead primary).
seen=$(standby_sql "SELECT coalesce(string_agg(alert_id::text, ' '), '') FROM delivery WHERE status = 'delivered'")
[ "$(echo $seen | wc -w)" -lt "$N" ] || fail "the standby had seen the whole burst delivered: nothing to lose"
# Both daemons notice and wait: the standby refuses them while in recovery,
# and no send begins while no outcome can be recorded.
wait_until 30 not_connected a || fail "a did not notice the primary's death"
wait_until 30 not_connected b || fail "b did not notice the primary's death"
expect_eq "a daemon that lost its session does not lead" standby "$(ctl a --json status | field role)"
expect_contains "… and says so" "leader no more: the database session was lost" "$(cat "$T_LOG")"
quiet() { local r=$(received); settle 0.3; [ "$(received)" = "$r" ]; }
wait_until 30 quiet || fail "sends went on with the database gone"
sent=$(received)
as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data2" -w -t 30 promote >/dev/null || fail "pg_ctl promote"
ok "standby promoted: $sent sent before, $(echo $seen | wc -w) of them recorded delivered on the standby"

wait_until 30 is_eq connected db_of a || fail "a did not reconnect: $(db_error_of a)"
wait_until 30 is_eq connected db_of b || fail "b did not reconnect: $(db_error_of b)"
ok "both keyprojd connected to the new primary"
expect_contains "a logs the switch to the new primary" "host=\"$S2\" port=\"$P2\"" "$(grep 'database connected' "$T_LOG")"
expect_contains "b logs the switch to the new primary" "host=\"$S2\" port=\"$P2\"" "$(grep 'database connected' "$T_DIR/b.log")"
expect_contains "the loss was logged" "database connection lost" "$(cat "$T_LOG")"

one_leader() {
    local ra rb
    ra=$(role_of a); rb=$(role_of b)
    [ "$ra $rb" = "leader standby" ] || [ "$ra $rb" = "standby leader" ]
}
wait_until 30 one_leader || fail "not exactly one leader: a=$(role_of a) b=$(role_of b)"
expect_eq "the new primary holds one leader lock" 1 \
    "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7391002 AND granted")"
ok "exactly one keyprojd leads on the new primary (a: $(role_of a), b: $(role_of b))"
leader=a; [ "$(role_of b)" = leader ] && leader=b
ctl $leader scan >/dev/null || fail "a scan on the new primary"
ok "the leader scans on the new primary"

# Settled: every row delivered, or held by the lease of a send whose outcome
# was lost; those wait out their lease (a quarter of an hour on both clocks).
settled="SELECT count(*) FROM delivery WHERE status <> 'delivered' AND claimed_by IS NULL"
pending="SELECT count(*) FROM delivery WHERE status = 'pending'"
still() {
    local a
    a=$(sql "$pending") || return 1
    settle 0.3
    [ "$(sql "$pending")" = "$a" ] && sql_is 0 "$settled"
}
wait_until 30 still || fail "the burst did not resume: $(sql "SELECT status, claimed_by IS NULL, count(*) FROM delivery GROUP BY 1, 2")"
held=$(sql "$pending")
if [ "$held" -gt 0 ]; then
    for n in a b; do
        ctl $n clock set 2026-11-25T09:15:00+08:00 >/dev/null || fail "clock set on $n"
    done
fi
wait_until 30 sql_is "$N" "SELECT count(*) FROM delivery WHERE status = 'delivered'" ||
    fail "not everything delivered: $(sql "SELECT status, count(*) FROM delivery GROUP BY 1")"
ok "the burst finished on the new primary ($held rows waited out a lease)"

# ---- the new primary made read-only ---------------------------------------------
rw() { PGOPTIONS="-c default_transaction_read_only=off" sql "$1"; }
rw "ALTER SYSTEM SET default_transaction_read_only = on" >/dev/null && rw "SELECT pg_reload_conf()" >/dev/null ||
    fail "ALTER SYSTEM"
before=$(received)
rw "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
       SELECT 'milestone.overdue', 'readonly:' || i, 's1', 'red',
              jsonb_build_object('message', '只读 ' || i, 'project', jsonb_build_object('code', 'R-' || i))
         FROM generate_series(1, 5) AS i RETURNING id)
    INSERT INTO delivery (alert_id, receiver, next_attempt_at) SELECT id, 'audit', '-infinity' FROM a" >/dev/null
# Each connection finds out at its first refused write: a's claims.
left() { grep -q 'no longer a usable primary: reconnecting" conn=deliver' "$T_LOG"; }
wait_until 30 left || fail "a's delivery connection stayed on a read-only server"
ok "a (read-write) leaves the read-only primary"
back_refused() { grep -q 'connection failed" conn=deliver .*session is read-only' "$T_LOG"; }
wait_until 30 back_refused || fail "a's delivery connection was not refused by the read-only server"
ok "… and libpq refuses it a read-only server"
expect_eq "b (primary) stays connected" connected "$(db_of b)"
refused() { grep -q "claiming deliveries failed.*read-only" "$T_DIR/b.log"; }
wait_until 30 refused || fail "b's claims were not refused"
ok "… its claims refused"
expect_eq "nothing is sent while no claim can be written" "$before" "$(received)"
rw "ALTER SYSTEM RESET default_transaction_read_only" >/dev/null && rw "SELECT pg_reload_conf()" >/dev/null ||
    fail "ALTER SYSTEM RESET"
back() { [ "$(grep -c 'database connected" conn=deliver ' "$T_LOG")" -ge 3 ]; }
wait_until 30 back || fail "a's delivery connection did not come back: $(grep 'conn=deliver ' "$T_LOG" | tail -n 1)"
wait_until 30 sql_is "$((N + 5))" "SELECT count(*) FROM delivery WHERE status = 'delivered'" ||
    fail "the read-only spell's deliveries did not go: $(sql "SELECT status, count(*) FROM delivery GROUP BY 1")"
ok "writable again: a is back and the waiting deliveries went"

# May arrive twice: what was sent before the promotion and is not recorded
# delivered on the standby (in flight at the kill, or its outcome in the
# WAL the standby never got).
got=$(python3 - "$base/_received?path=/json" "$(sql "SELECT string_agg(id::text, ' ') FROM alert")" "$sent" "$seen" \
    "$(webhook_ids)" <<'PY'
import collections, json, sys, urllib.request
received = json.load(urllib.request.urlopen(sys.argv[1]))
alerts = set(sys.argv[2].split())
sent, seen = int(sys.argv[3]), set(sys.argv[4].split())
wid = dict(p.split("=", 1) for p in sys.argv[5].split())
ids = collections.defaultdict(set)
count = collections.Counter()
before = set()
for n, e in enumerate(received):
    a = str(json.loads(e["body"])["data"]["alert_id"])
    ids[a].add(e["webhook_id"])
    count[a] += 1
    if n < sent:
        before.add(a)
may = before - seen
dups = {a for a, c in count.items() if c > 1}
print("missing=%d unknown=%d dups_outside_unrecorded=%d one_webhook_id_each=%s dups=%d unrecorded=%d" % (
    len(alerts - set(count)), len(set(count) - alerts), len(dups - may),
    all(v == {wid.get(a)} for a, v in ids.items()), len(dups), len(may)))
PY
)
echo "# $got"
expect_contains "every alert arrived at least once" "missing=0" "$got"
expect_contains "nothing arrived that is not an alert" "unknown=0" "$got"
expect_contains "duplicates only among sends the standby had no outcome of" "dups_outside_unrecorded=0" "$got"
expect_contains "every copy of an alert carries the same webhook-id" "one_webhook_id_each=True" "$got"

for n in a b; do
    expect_eq "keyprojctl status on $n: the database connected" connected "$(db_of $n)"
done
stop_daemon || fail "keyprojd a did not stop cleanly"
for p in $T_EXTRA_PIDS; do
    case " $RECEIVER_PIDS " in *" $p "*) continue ;; esac
    kill "$p"; wait "$p" || fail "keyprojd b did not stop cleanly"
done
ok "both keyprojd stopped cleanly ($(( $(date +%s) - started )) s)"
