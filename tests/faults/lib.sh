# Helpers the fault tests share, on top of tests/integration/lib.sh (which
# this sources). Sourced, not run.
. "$top_srcdir/tests/integration/lib.sh"

T_HELD=         # databases whose leader lock hold_leader holds

# wait_for SECONDS SQL EXPECTED — bounded poll until SQL answers EXPECTED
# (an error, the database being down, counts as not yet).
wait_for() {
    wait_until "$1" sql_is "$3" "$2"
}

# role SOCKET — "leader" or "standby" once the database is connected, else "".
role() {
    "$KEYPROJCTL" -s "$1" --json status 2>/dev/null |
        python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("role", "") if d.get("database") == "connected" else "")' 2>/dev/null
}

# wait_role SOCKET ROLE — at most 30 s.
wait_role() {
    wait_until 30 is_eq "$2" role "$1" || fail "$1 did not become $2 in 30 s (role: '$(role "$1")')"
}

# hold_leader DB — takes the leader lock in a session of its own, so that no
# keyprojd scans while a ledger is imported file by file: each import wakes
# the leader, and what a scan of half a ledger decides stays decided, which
# would make two runs differ. release_leader DB gives it up.
hold_leader() {
    PGAPPNAME=keyproj_hold_leader psql -X -q -d "$1" -c "SELECT pg_advisory_lock(7391002)" \
        -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
    T_HELD="$T_HELD $1"
    wait_until 30 is_eq 1 psql -X -q -A -t -d "$1" -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
              WHERE l.locktype = 'advisory' AND l.objid = 7391002 AND l.granted
              AND a.application_name = 'keyproj_hold_leader' AND a.datname = current_database()" ||
        fail "could not take the leader lock of $1 in 30 s"
}

release_leader() {
    psql -X -q -A -t -d "$1" -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
        WHERE application_name = 'keyproj_hold_leader' AND datname = current_database()" >/dev/null
}

# Whatever happens, no held lock outlives the test (its session would keep
# the database from being dropped).
f_release_all() {
    local db
    for db in $T_HELD; do release_leader "$db" 2>/dev/null; done
}
at_exit f_release_all
