#!/bin/bash
# Several keyprojd on one database: exactly one is the leader (a session
# advisory lock) and scans, the others are standbys and refuse to; when the
# leader is killed with SIGKILL — here in the middle of a scan — a standby
# takes the lock within a few seconds and scans, and the alerts and
# deliveries at the end are exactly those one daemon alone makes on a
# database of its own: nothing lost, nothing twice. Both databases start
# from the whole demo ledger (create_demo_db): a ledger imported file by
# file with a leader scanning between the files would leave what a scan of
# half a ledger decided, which differs from run to run.
. "$top_srcdir/tests/integration/lib.sh"

T_ADMINS="\"$(id -un)\""
write_config '
alerts = { leader_retry_seconds = 1; scan_batch_rows = 200; };
receivers = (
  { name = "all"; type = "json"; url = "http://127.0.0.1:9/hooks"; secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; }
);'
create_demo_db

j() {
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
role() {    # role SOCKET
    "$KEYPROJCTL" -s "$1" --json status 2>/dev/null | j 'd.get("role", "") if d.get("database") == "connected" else ""'
}
wait_role() {   # wait_role SOCKET ROLE — at most 30 s; prints the seconds it took
    local t0
    t0=$(date +%s.%N)
    wait_until 30 is_eq "$2" role "$1" || fail "$1 did not become $2 in 30 s (role: '$(role "$1")')"
    python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))"
}
# start_other NAME DB — a further keyprojd (T_EXTRA_PIDS) on database DB.
start_other() {
    local sock="$T_DIR/$1.sock"
    sed -e "s|$T_SOCK|$sock|" -e "s|dbname=$T_DB|dbname=$2|" "$T_CONF" > "$T_DIR/$1.conf"
    "$KEYPROJD" -c "$T_DIR/$1.conf" --now 2026-11-25T09:00:00+08:00 >>"$T_DIR/$1.log" 2>&1 &
    T_EXTRA_PIDS="$T_EXTRA_PIDS $!"
    local i
    wait_until 30 test -S "$sock" && return 0
    fail "keyprojd $1 did not create its socket"
}
counts() {  # counts DB
    psql -X -q -A -t -d "$1" -c "SELECT (SELECT count(*) FROM alert) || ' ' || (SELECT count(*) FROM delivery)
        || ' ' || (SELECT count(*) FROM supervision_order)"
}

# ---- two daemons: one leader ----------------------------------------------
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
wait_role "$T_SOCK" leader >/dev/null
start_other b "$T_DB"
B="$T_DIR/b.sock"
wait_role "$B" standby >/dev/null
ok "the second daemon is a standby"
expect_eq "exactly one leader" "leader standby" "$(role "$T_SOCK") $(role "$B")"
expect_eq "one session holds the leader lock" 1 \
    "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7391002 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")"
out=$("$KEYPROJCTL" -s "$B" scan 2>&1); rc=$?
expect_eq "the standby refuses to scan" 1 "$rc"
expect_contains "…saying it is a standby" "standby" "$out"

# A ledger file imported through the standby (any instance imports); the
# leader, woken by NOTIFY, scans.
out=$("$KEYPROJCTL" -s "$B" --json import projects "$DEMO/projects.csv" 2>&1) || fail "import through the standby: $out"
expect_eq "the standby imports (the ledger it already has: nothing changes)" 515 "$(echo "$out" | j 'd["unchanged"]')"
kpctl scan >/dev/null || fail "scan on the leader"
expect_eq "the standby never scanned" "" \
    "$("$KEYPROJCTL" -s "$B" --json status | j 'd.get("last_scan_at", "")')"

# ---- the leader killed in the middle of the next day's scan ----------------
sql "UPDATE milestone_state SET next_check_on = '-infinity'; UPDATE project_state SET next_check_on = '-infinity'" >/dev/null
kpctl clock set 2026-11-26T09:00:00+08:00 >/dev/null || fail "clock set on the leader"
settle 0.05
kill -KILL "$T_PID"
wait "$T_PID" 2>/dev/null
T_PID=
took=$(wait_role "$B" leader)
echo "# the standby became leader ${took} s after the leader was killed"
expect_eq "…within a few seconds" True "$(python3 -c "print($took < 5)")"
"$KEYPROJCTL" -s "$B" clock set 2026-11-26T09:00:00+08:00 >/dev/null || fail "clock set on the new leader"
out=$("$KEYPROJCTL" -s "$B" --json scan) || fail "scan on the new leader: $out"
expect_eq "the new leader scans" "" "$(echo "$out" | j 'd.get("error", "")')"
got=$(counts "$T_DB")

# ---- the same two days with one daemon on a database of its own ------------
REF_DB="${T_DB}_ref"
create_demo_db "$REF_DB"
ref_cleanup() { dropdb --if-exists "$REF_DB" >/dev/null 2>&1; }
at_exit ref_cleanup
start_other c "$REF_DB"
C="$T_DIR/c.sock"
wait_role "$C" leader >/dev/null
"$KEYPROJCTL" -s "$C" import projects "$DEMO/projects.csv" >/dev/null || fail "reference import"
"$KEYPROJCTL" -s "$C" scan >/dev/null || fail "reference scan"
"$KEYPROJCTL" -s "$C" clock set 2026-11-26T09:00:00+08:00 >/dev/null || fail "reference clock set"
"$KEYPROJCTL" -s "$C" scan >/dev/null || fail "reference scan, next day"
want=$(counts "$REF_DB")
echo "# alerts, deliveries, supervision orders: $got (two daemons, one killed), $want (one daemon)"
expect_eq "the same alerts, deliveries and orders as one daemon alone" "$want" "$got"
q="SELECT kind || ' ' || subject || ' ' || stage FROM alert"
expect_eq "…the very same alerts" "$(psql -X -q -A -t -d "$REF_DB" -c "$q ORDER BY 1" | md5sum)" \
    "$(sql "$q ORDER BY 1" | md5sum)"
expect_eq "one delivery per alert, never two" 0 \
    "$(sql "SELECT count(*) FROM (SELECT alert_id FROM delivery GROUP BY alert_id HAVING count(*) <> 1) x")"
expect_eq "every alert has its delivery" 0 \
    "$(sql "SELECT count(*) FROM alert a WHERE NOT EXISTS (SELECT 1 FROM delivery d WHERE d.alert_id = a.id)")"

for p in $T_EXTRA_PIDS; do kill "$p"; wait "$p" || fail "a keyprojd did not stop cleanly"; done
T_EXTRA_PIDS=
