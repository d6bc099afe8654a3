#!/bin/bash
# PostgreSQL refuses writes: the disk is full (SQLSTATE 53100, raised here by
# a trigger while a switch is on), or the database is read-only
# (default_transaction_read_only). keyprojd reports the error in its log
# (and status, for a scan), retries, and marks nothing delivered or done
# that was not; once the fault clears everything proceeds and nothing is
# lost: the scan makes exactly the alerts one makes on a healthy database
# of its own. A control command that writes during the read-only spell is
# refused with a clear error and changes nothing.
. "$top_srcdir/tests/faults/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"
received() {    # received SUBJECT-PREFIX → messages the receiver accepted for those alerts
    python3 -c 'import json,sys,urllib.request
ids = set(sys.argv[2].split())
print(sum(1 for e in json.load(urllib.request.urlopen(sys.argv[1])) if str(json.loads(e["body"])["data"]["alert_id"]) in ids))' \
        "$base/_received?path=/json" "$(sql "SELECT coalesce(string_agg(id::text, ' '), '') FROM alert WHERE subject LIKE '$1:%'")"
}
# alerts K PREFIX — K alerts for the receiver, due at once whatever the daemon's clock says
alerts() {
    sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
            SELECT 'milestone.overdue', '$2:' || i, 's1', 'red',
                   jsonb_build_object('message', '测试 ' || i, 'project', jsonb_build_object('code', 'E-' || i))
              FROM generate_series(1, $1) AS i RETURNING id)
         INSERT INTO delivery (alert_id, receiver, next_attempt_at) SELECT id, 'audit', '-infinity' FROM a" >/dev/null
}

NOW=2026-11-25T09:00:00+08:00
create_db
hold_leader "$T_DB"     # until the ledger is imported
write_config "
alerts = { quiet_hours = \"\"; hold_on_rest_days = false; };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; }
);"
start_daemon --now "$NOW"
wait_ready
wait_role "$T_SOCK" standby     # any instance delivers

# The fault: a switch per kind of write; while one is on, its trigger fails
# the statement as a full disk does.
sql "CREATE TABLE fault_switch (name text PRIMARY KEY, active boolean NOT NULL DEFAULT false);
     INSERT INTO fault_switch VALUES ('outcome'), ('claim'), ('alert');
     CREATE FUNCTION fault_disk_full() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN
         IF (SELECT active FROM fault_switch WHERE name = TG_ARGV[0]) THEN
             RAISE EXCEPTION 'could not extend file \"base/16384/16402\": No space left on device'
                 USING ERRCODE = 'disk_full', HINT = 'Check free disk space.';
         END IF;
         RETURN NEW;
     END \$\$;
     -- recording an outcome ends the lease; a claim takes one
     CREATE TRIGGER fault_outcome BEFORE UPDATE ON delivery FOR EACH ROW
         WHEN (OLD.claimed_by IS NOT NULL AND NEW.claimed_by IS NULL) EXECUTE FUNCTION fault_disk_full('outcome');
     CREATE TRIGGER fault_claim BEFORE UPDATE ON delivery FOR EACH ROW
         WHEN (NEW.claimed_by IS NOT NULL) EXECUTE FUNCTION fault_disk_full('claim');
     CREATE TRIGGER fault_alert BEFORE INSERT ON alert FOR EACH ROW EXECUTE FUNCTION fault_disk_full('alert');" >/dev/null
fault() {       # fault NAME on|off
    sql "UPDATE fault_switch SET active = $([ "$2" = on ] && echo true || echo false) WHERE name = '$1'" >/dev/null
}

# ---- disk full when a delivery's outcome is recorded -----------------------
fault outcome on
alerts 10 outcome
wait_until 30 is_eq "10" received outcome
expect_eq "sent while the disk is full" 10 "$(received outcome)"
wait_until 30 in_file 'could not record delivery outcomes: trying again' "$T_LOG"
expect_contains "the failed write is logged, with the database's reason" "No space left on device" \
    "$(grep 'could not record delivery outcomes: trying again' "$T_LOG")"
expect_eq "nothing marked delivered that the database could not record" "0 10" \
    "$(sql "SELECT count(*) FILTER (WHERE status = 'delivered') || ' ' || count(*) FILTER (WHERE claimed_by IS NOT NULL)
            FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE a.subject LIKE 'outcome:%'")"
fault outcome off
# The outcomes are written again every second while the rows' leases last:
# once the disk has room they are recorded, and nothing is sent twice.
wait_for 10 "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
             WHERE a.subject LIKE 'outcome:%' AND d.status = 'delivered'" 10 ||
    fail "not recorded once the disk had room: $(sql "SELECT status, count(*) FROM delivery GROUP BY 1")"
ok "once the disk has room, the outcomes are recorded"
expect_eq "… and each alert was sent once" "10 10" \
    "$(python3 -c 'import json,sys,urllib.request
ids = set(sys.argv[2].split())
r = [e for e in json.load(urllib.request.urlopen(sys.argv[1])) if str(json.loads(e["body"])["data"]["alert_id"]) in ids]
print(len(r), len({e["webhook_id"] for e in r}))' "$base/_received?path=/json" \
        "$(sql "SELECT string_agg(id::text, ' ') FROM alert WHERE subject LIKE 'outcome:%'")")"

# ---- disk full when deliveries are claimed ---------------------------------
fault claim on
alerts 10 claim
wait_until 30 in_file 'claiming deliveries failed' "$T_LOG"
expect_contains "a failed claim is logged, with the database's reason" "No space left on device" \
    "$(grep 'claiming deliveries failed' "$T_LOG")"
settle 1
expect_eq "nothing sent, no attempt counted, no lease taken" "0 0 0" \
    "$(received claim) $(sql "SELECT coalesce(sum(attempts), 0) || ' ' || count(*) FILTER (WHERE claimed_by IS NOT NULL OR status <> 'pending')
            FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE a.subject LIKE 'claim:%'")"
fault claim off
wait_for 10 "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
             WHERE a.subject LIKE 'claim:%' AND d.status = 'delivered' AND d.attempts = 1" 10 ||
    fail "claims not retried once the disk had room"
ok "claims are retried: once the disk has room all are delivered, one attempt each"
expect_eq "… each once" 10 "$(received claim)"

# ---- disk full during a scan -------------------------------------------------
fault alert on
for kind in projects milestones plans reports; do
    out=$(kpctl import $kind "$DEMO/$kind.csv" 2>&1) || fail "import $kind: $out"
done
release_leader "$T_DB"
wait_role "$T_SOCK" leader
before=$(sql "SELECT md5(string_agg(row(m.*)::text, '|' ORDER BY id)) FROM milestone m")
out=$(kpctl scan 2>&1); rc=$?
expect_eq "a scan on a full disk fails (exit 1)" 1 "$rc"
expect_contains "… saying why" "No space left on device" "$out"
expect_contains "status shows the scan's error" "No space left on device" "$(status_field last_scan_error)"
expect_contains "the log too" "No space left on device" "$(grep 'scan failed' "$T_LOG")"
expect_eq "the failed scan wrote no alert" 0 "$(sql "SELECT count(*) FROM alert WHERE subject !~ '^(outcome|claim):'")"
expect_eq "… and marked no milestone checked" "$before" \
    "$(sql "SELECT md5(string_agg(row(m.*)::text, '|' ORDER BY id)) FROM milestone m")"
fault alert off
out=$(kpctl --json scan) || fail "scan once the disk has room: $out"
expect_eq "once the disk has room the scan succeeds" "" "$(status_field last_scan_error)"

# ---- read-only ----------------------------------------------------------------
# ALTER DATABASE applies to new sessions: keyprojd's are ended, and it
# reconnects into read-only ones. This shell's own sessions stay writable.
export PGOPTIONS="-c default_transaction_read_only=off"
not_connected() { [ "$(status_field database)" != connected ]; }
kick_sessions() {
    sql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name <> 'psql'" >/dev/null
    wait_until 30 not_connected
    wait_ready
}
psql -X -q -d postgres -c "ALTER DATABASE \"$T_DB\" SET default_transaction_read_only = on" || fail "ALTER DATABASE"
kick_sessions
expect_eq "new sessions (keyprojd's too) are read-only" on "$(PGOPTIONS= sql 'SHOW default_transaction_read_only')"
id=$(sql "SELECT min(id) FROM milestone WHERE status = 'pending'")
digest=$(ledger_digest)
run done "$id"
expect_eq "done during read-only exits 1" 1 "$rc"
expect_contains "… with a clear error" "read-only" "$err"
echo "# $err"
expect_eq "… and changes nothing" "$digest" "$(ledger_digest)"
# an import (its rows stream into a temporary table first) is refused too
sed 's/,2026,/,2027,/' "$DEMO/projects.csv" > "$T_DIR/projects_2027.csv"
run import projects "$T_DIR/projects_2027.csv"
expect_eq "an import during read-only exits 1" 1 "$rc"
expect_contains "… with a clear error" "read-only" "$err"
echo "# $err"
expect_eq "… and changes nothing" "$digest 0" "$(ledger_digest) $(sql "SELECT count(*) FROM project WHERE year = 2027")"
alerts 5 readonly
settle 1
expect_eq "no delivery goes while claims cannot be written" "0 0" \
    "$(received readonly) $(sql "SELECT coalesce(sum(attempts), 0) FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE a.subject LIKE 'readonly:%'")"
expect_contains "the refused claim is logged" "read-only transaction" "$(grep 'claiming deliveries failed' "$T_LOG" | tail -n 1)"
sql "UPDATE milestone_state s SET next_check_on = '-infinity' FROM milestone m WHERE m.id = s.milestone_id AND m.status = 'pending'" >/dev/null
checks=$(sql "SELECT md5(string_agg(milestone_id || ':' || next_check_on, '|' ORDER BY milestone_id)) FROM milestone_state")
alerts_before=$(sql "SELECT count(*) FROM alert")
out=$(kpctl clock set 2026-11-26T09:00:00+08:00 2>&1) || fail "clock set: $out"
out=$(kpctl scan 2>&1); rc=$?
expect_eq "a scan on a read-only database fails (exit 1)" 1 "$rc"
expect_contains "… saying why" "read-only" "$out"
echo "# $out"
expect_contains "status shows it" "read-only" "$(status_field last_scan_error)"
expect_eq "… and nothing was marked checked" "$checks $alerts_before" \
    "$(sql "SELECT md5(string_agg(milestone_id || ':' || next_check_on, '|' ORDER BY milestone_id)) FROM milestone_state") $(sql "SELECT count(*) FROM alert")"

psql -X -q -d postgres -c "ALTER DATABASE \"$T_DB\" RESET default_transaction_read_only" || fail "ALTER DATABASE RESET"
kick_sessions
wait_for 10 "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
             WHERE a.subject LIKE 'readonly:%' AND d.status = 'delivered' AND d.attempts = 1" 5 ||
    fail "deliveries did not resume after read-only: $(sql "SELECT status, count(*) FROM delivery GROUP BY 1")"
ok "writable again: the waiting deliveries go, one attempt each"
out=$(kpctl --json scan) || fail "scan once writable: $out"
ok "… the scan succeeds"

# ---- nothing lost: the same alerts as on a healthy database of its own --------
REF_DB="${T_DB}_ref"
createdb "$REF_DB" || fail "createdb $REF_DB"
ref_cleanup() {
    [ -n "${REF_PID:-}" ] && kill "$REF_PID" 2>/dev/null && wait "$REF_PID" 2>/dev/null
    release_leader "$REF_DB" 2>/dev/null
    dropdb --if-exists "$REF_DB" >/dev/null 2>&1
}
at_exit ref_cleanup
hold_leader "$REF_DB"
sed -e "s|$T_SOCK|$T_DIR/ref.sock|" -e "s|dbname=$T_DB|dbname=$REF_DB|" "$T_CONF" > "$T_DIR/ref.conf"
"$KEYPROJD" -c "$T_DIR/ref.conf" --now "$NOW" >>"$T_DIR/ref.log" 2>&1 &
REF_PID=$!
ref() { "$KEYPROJCTL" -s "$T_DIR/ref.sock" "$@"; }
ref_database() { ref --json status 2>/dev/null | field database; }
wait_until 60 is_eq connected ref_database || fail "the reference keyprojd did not become ready in 60 s"
for kind in projects milestones plans reports; do
    ref import $kind "$DEMO/$kind.csv" >/dev/null || fail "reference import $kind"
done
release_leader "$REF_DB"
wait_role "$T_DIR/ref.sock" leader
ref scan >/dev/null || fail "reference scan"
psql -X -q -A -t -d "$REF_DB" -c "UPDATE milestone_state s SET next_check_on = '-infinity' FROM milestone m WHERE m.id = s.milestone_id AND m.status = 'pending'" >/dev/null
ref clock set 2026-11-26T09:00:00+08:00 >/dev/null || fail "reference clock set"
ref scan >/dev/null || fail "reference scan, next day"
q="SELECT kind || ' ' || subject || ' ' || stage FROM alert WHERE subject !~ '^(outcome|claim|readonly):' ORDER BY 1"
want=$(psql -X -q -A -t -d "$REF_DB" -c "$q" | md5sum)
echo "# alerts from the scans: $(sql "SELECT count(*) FROM alert WHERE subject !~ '^(outcome|claim|readonly):'") here, $(psql -X -q -A -t -d "$REF_DB" -c "SELECT count(*) FROM alert") on the healthy database"
expect_eq "the scans made the very alerts a healthy database gets" "$want" "$(sql "$q" | md5sum)"
kill "$REF_PID"; wait "$REF_PID" || fail "the reference keyprojd did not stop cleanly"; REF_PID=
run done "$id"
expect_eq "done, refused while read-only, works now" 0 "$rc"
stop_daemon || fail "keyprojd did not stop cleanly"
ok "keyprojd stopped cleanly"
