# Shared helpers for the integration tests: each test gets its own
# database on the PostgreSQL that scripts/test starts (pg_virtualenv sets
# PGHOST, PGPORT, PGUSER, PGPASSWORD), its own directory, socket and
# keyprojd, and cleans them up however it ends. Sourced, not run.

. "$top_srcdir/tests/lib/assert.sh"

if [ -z "${PGHOST:-}" ] && [ -z "${PGPORT:-}" ]; then
    echo "SKIP: no PostgreSQL (run through scripts/test, or inside pg_virtualenv)"
    exit 77
fi

KEYPROJD="$top_builddir/keyprojd"
KEYPROJCTL="$top_builddir/keyprojctl"
T_DB="kp_$(echo "$T_NAME" | tr -c 'a-z0-9_\n' _)_$$"
T_SOCK="$T_DIR/control.sock"
T_SOCKDIR=
if [ ${#T_SOCK} -ge 100 ]; then
    # A Unix socket's path must fit in 108 bytes; a deep build tree (the
    # package built inside make distcheck) does not leave room.
    T_SOCKDIR=$(mktemp -d "${TMPDIR:-/tmp}/kp.XXXXXX")
    T_SOCK="$T_SOCKDIR/control.sock"
fi
T_CONF="$T_DIR/keyprojd.conf"
T_LOG="$T_DIR/keyprojd.log"
T_PID=

# A daemon on the real clock that must send at any hour of any day says so:
# put this in its config's alerts group (start_daemon refuses a daemon that
# neither has --now nor states both holds).
T_NO_HOLDS='quiet_hours = ""; hold_on_rest_days = false;'

t_daemon_cleanup() {
    [ -n "$T_PID" ] && kill "$T_PID" 2>/dev/null && wait "$T_PID" 2>/dev/null
    dropdb --if-exists "$T_DB" >/dev/null 2>&1
    [ -n "$T_SOCKDIR" ] && rm -rf "$T_SOCKDIR"
}
at_exit t_daemon_cleanup

on_failure() {
    echo "--- keyprojd log ($T_LOG) ---"
    tail -n 40 "$T_LOG" 2>/dev/null
}

# sql "SELECT …" → the single value, unaligned
sql() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$T_DB" -c "$1"
}

# sql_is EXPECTED SQL — SQL answers EXPECTED (an error, the database being
# down, counts as not yet); for wait_until.
sql_is() {
    [ "$(sql "$2" 2>/dev/null)" = "$1" ]
}

# sql_passes SQL TEST… — SQL's answer passes `[ ANSWER TEST… ]`; for wait_until.
sql_passes() {
    local v
    v=$(sql "$1" 2>/dev/null) || return 1
    shift
    [ "$v" "$@" ]
}

create_db() {
    createdb "$T_DB" || fail "createdb $T_DB"
}

# create_demo_db [DB] — this test's database (or DB) as a copy (createdb -T) of the demo
# ledger: data/demo's projects, milestones, plans and reports imported by
# this build's keyprojd, with no scan run. The first test to ask makes it,
# once per PostgreSQL instance and build; the others wait for it.
create_demo_db() {
    local tpl
    tpl="kp_demo_$(cat "$KEYPROJD" "$DEMO"/*.csv | md5sum | cut -c1-12)"
    mkdir -p "$top_builddir/tests/tmp"
    (
        flock 9
        [ "$(psql -X -A -t -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$tpl'")" = 1 ] ||
            t_make_demo_template "$tpl"
    ) 9>"$top_builddir/tests/tmp/demo-template.lock" || fail "could not make the demo ledger's template"
    createdb -T "$tpl" "${1:-$T_DB}" || fail "createdb -T $tpl ${1:-$T_DB}"
}

# t_make_demo_template NAME — imports the demo into a database of its own
# with a keyprojd that holds no leader lock (a session of this function's
# holds it), then publishes it under NAME by renaming it.
t_make_demo_template() {
    local db="$1_making" dir="$T_DIR/demo-template" pid holder rc=0
    mkdir -p "$dir"
    dropdb --if-exists "$db" >/dev/null 2>&1
    createdb "$db" || return 1
    # (not holding the file lock: fd 9 is closed for it)
    PGAPPNAME=keyproj_template_hold psql -X -q -d "$db" -c "SELECT pg_advisory_lock(7391002)" \
        -c "SELECT pg_sleep(600)" >/dev/null 2>&1 9>&- &
    holder=$!
    # The leader lock of this database only: other tests' leaders hold theirs.
    if ! wait_until 30 is_eq 1 psql -X -A -t -d "$db" -c "SELECT count(*) FROM pg_locks
            WHERE locktype = 'advisory' AND objid = 7391002 AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"; then
        kill "$holder" 2>/dev/null
        return 1
    fi
    cat > "$dir/keyprojd.conf" <<CONF
timezone = "Asia/Shanghai";
database = { conninfo = "$(T_DB=$db conninfo)"; };
control = { socket = "$dir/control.sock"; admins = [ "$(id -un)" ]; };
alerts = { $T_NO_HOLDS };
CONF
    "$KEYPROJD" -c "$dir/keyprojd.conf" --now 2026-11-25T09:00:00+08:00 >>"$dir/keyprojd.log" 2>&1 9>&- &
    pid=$!
    wait_until 60 is_eq connected t_template_database "$dir/control.sock" || rc=1
    local kind
    for kind in projects milestones plans reports; do
        [ $rc = 0 ] || break
        "$KEYPROJCTL" -s "$dir/control.sock" import $kind "$DEMO/$kind.csv" >/dev/null 2>>"$dir/import.err" || rc=1
    done
    kill "$pid" && wait "$pid"
    kill "$holder" 2>/dev/null
    psql -X -q -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null
    wait "$holder" 2>/dev/null
    [ $rc = 0 ] || { cat "$dir/import.err" "$dir/keyprojd.log" | tail -n 20 >&2; return 1; }
    psql -X -q -d postgres -c "ALTER DATABASE \"$db\" RENAME TO \"$1\"" >/dev/null
}

t_template_database() {     # t_template_database SOCKET → database state in status
    "$KEYPROJCTL" -s "$1" --json status 2>/dev/null | field database
}

conninfo() {
    echo "host=${PGHOST:-localhost} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=$T_DB"
}

# write_config [EXTRA-LINES] — a config for this test's database and socket.
# EXTRA-LINES without an alerts group get one that holds nothing
# ($T_NO_HOLDS): a test's messages go out whatever the day and hour.
write_config() {
    local admins="${T_ADMINS-\"$(id -un)\"}"
    local operators="${T_OPERATORS-}"
    local holds=
    case "${1:-}" in
        *"alerts = {"*) ;;
        *) holds="alerts = { $T_NO_HOLDS };" ;;
    esac
    cat > "$T_CONF" <<CONF
timezone = "Asia/Shanghai";
log_level = "debug";
database = { conninfo = "${T_CONNINFO:-$(conninfo)}"; reconnect_max_seconds = 1; };
control = { socket = "$T_SOCK"; mode = "0660";
            admins = [ $admins ];
            operators = [ $operators ]; };
${1:-}
$holds
CONF
}

# status_field KEY — one member of `status`.
status_field() {
    kpctl --json status | field "$1"
}

# run ARGS… — keyprojctl --json: the answer (or the error object) in $out,
# the message on standard error in $err, the exit status in $rc (a refusal
# is part of the story, not a failure).
run() {
    out=$(kpctl --json "$@" 2>"$T_DIR/stderr")
    rc=$?
    err=$(sed 's/^keyprojctl: //' "$T_DIR/stderr")
}

kpctl() {
    "$KEYPROJCTL" -s "$T_SOCK" "$@"
}

# start_daemon [ARGS…] — starts keyprojd on $T_CONF; waits for its socket.
# The daemon must own its calendar: --now among ARGS, or both holds
# (quiet_hours, hold_on_rest_days) written in $T_CONF, so that no test
# depends on the weekday or the hour it happens to run at.
start_daemon() {
    case " $* " in
        *" --now "*) ;;
        *) grep -q 'hold_on_rest_days' "$T_CONF" && grep -q 'quiet_hours' "$T_CONF" ||
               fail "start_daemon: keyprojd would run on the real clock with the default holds: pass --now, or put \$T_NO_HOLDS (or explicit holds) in its alerts group" ;;
    esac
    "$KEYPROJD" -c "$T_CONF" "$@" >>"$T_LOG" 2>&1 &
    T_PID=$!
    wait_until 30 t_socket_up "$T_SOCK" "$T_PID" || fail "keyprojd did not create its socket in 30 s"
}

# t_socket_up SOCKET PID — the socket exists; fails the test if PID exited.
t_socket_up() {
    [ -S "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || fail "keyprojd exited during start-up: $(tail -n 5 "$T_LOG")"
    return 1
}

# wait_ready — until status says the database is connected and migrated.
wait_ready() {
    wait_until 60 is_eq connected status_field database ||
        fail "keyprojd did not become ready in 60 s: $(kpctl status 2>&1)"
}

stop_daemon() {
    [ -n "$T_PID" ] || return 0
    kill -TERM "$T_PID"
    wait "$T_PID"
    local rc=$?
    T_PID=
    return $rc
}

# start_receiver ARGS… — tests/receivers/receiver.py with ARGS in the
# background (stopped when the test ends); sets port, and base: its URL.
start_receiver() {
    python3 "$top_srcdir/tests/receivers/receiver.py" "$@" > "$T_DIR/receiver.out" 2>"$T_DIR/receiver.err" &
    T_EXTRA_PIDS="$T_EXTRA_PIDS $!"
    wait_until 30 test -s "$T_DIR/receiver.out"
    port=$(head -n 1 "$T_DIR/receiver.out")
    [ -n "$port" ] || fail "receiver did not start: $(cat "$T_DIR/receiver.err")"
    base="http://127.0.0.1:$port"
}

# webhook_ids → "ID=WEBHOOK_ID …": the webhook-id of each alert's message
# (keyproj_webhook_id: from its kind, subject and stage, not its id).
webhook_ids() {
    sql "SELECT coalesce(string_agg(id || '=' || keyproj_webhook_id(kind, subject, stage), ' '), '') FROM alert"
}

# received_tally INFLIGHT [DELIVERED] — what the receiver's json path got
# against the outbox: "missing=N dups_outside_inflight=N
# one_webhook_id_each=True|False delivered_not_received=N dups=N". INFLIGHT:
# the alert ids whose send may have been repeated (a stop or a kill while
# in flight); DELIVERED: the alert ids marked delivered (none: 0 missing).
received_tally() {
    python3 - "$base/_received?path=/json" "$1" "$(sql "SELECT string_agg(id::text, ' ') FROM alert")" "${2:-}" \
        "$(webhook_ids)" <<'PY'
import collections, json, sys, urllib.request
received = json.load(urllib.request.urlopen(sys.argv[1]))
inflight = set(sys.argv[2].split())
alerts = set(sys.argv[3].split())
delivered = set(sys.argv[4].split())
wid = dict(p.split("=", 1) for p in sys.argv[5].split())
ids = collections.defaultdict(set)
count = collections.Counter()
for e in received:
    a = str(json.loads(e["body"])["data"]["alert_id"])
    ids[a].add(e["webhook_id"])
    count[a] += 1
dups = {a for a, c in count.items() if c > 1}
print("missing=%d dups_outside_inflight=%d one_webhook_id_each=%s delivered_not_received=%d dups=%d" % (
    len(alerts - set(count)), len(dups - inflight),
    all(v == {wid.get(a)} for a, v in ids.items()), len(delivered - set(count)), len(dups)))
PY
}

# The state of the ledger as one checksum, to prove a refused import
# changed nothing.
ledger_digest() {
    sql "SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
           SELECT 'p' || row(p.*)::text AS t FROM project p
           UNION ALL SELECT 'm' || row(m.*)::text FROM milestone m
           UNION ALL SELECT 'r' || row(r.*)::text FROM investment_report r
           UNION ALL SELECT 'a' || count(*)::text FROM audit_log) s"
}

DEMO="$top_srcdir/data/demo"

# free_port — a TCP port free on 127.0.0.1 now (for a listener a test sets up).
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# http METHOD URL [HEADER] → "CODE|CONTENT-TYPE|BODY's first line", or
# HEADER's value instead of the body.
http() {
    python3 - "$1" "$2" "${3:-}" <<'PY'
import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[2], method=sys.argv[1])
try:
    r = urllib.request.urlopen(req, timeout=10)
    code, headers, body = r.status, r.headers, r.read()
except urllib.error.HTTPError as e:
    code, headers, body = e.code, e.headers, e.read()
last = headers.get(sys.argv[3], "") if sys.argv[3] else body.decode().split("\n")[0]
print("%d|%s|%s" % (code, headers.get("Content-Type", ""), last))
PY
}

# tcp_listeners PID → how many TCP sockets the process listens on
tcp_listeners() {
    python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
inodes = set()
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        t = os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError:
        continue
    if t.startswith("socket:["):
        inodes.add(t[8:-1])
n = 0
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    for line in open(f).readlines()[1:]:
        col = line.split()
        if col[3] == "0A" and col[9] in inodes:
            n += 1
print(n)
PY
}
