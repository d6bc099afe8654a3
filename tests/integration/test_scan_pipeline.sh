#!/bin/bash
# A scan reads its rows in batches and writes one batch while it builds the
# next; what it writes must not depend on that. The demo ledger, a burst of
# some 550 milestones falling overdue overnight: scanned once in batches
# of 100 rows on two connections (two pipelined lanes, each on the
# projects of its parity, the project phase reading the marks the
# milestones left) and once, from a copy of the same database, in one
# batch on one connection. Both leave the same alerts, deliveries, lights, next dates,
# light history and supervision orders, and no project marked. A third
# copy loses the second lane's connection in the middle of the burst: the
# scan runs again on the main connection and writes the same.
. "$top_srcdir/tests/integration/lib.sh"

T_ADMINS="\"$(id -un)\""
RECEIVERS='receivers = (
  { name = "all"; type = "json"; url = "http://127.0.0.1:9/hooks"; secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"; },
  { name = "jianxi"; type = "wecom"; url = "http://127.0.0.1:9/send?key=k"; match = { county = [ "涧西区" ]; }; }
);'
write_config "alerts = { scan_batch_rows = 100; quiet_hours = \"\"; };
$RECEIVERS"
create_demo_db      # the demo ledger, imported
COPY_DB="${T_DB}_one"
LOST_DB="${T_DB}_lost"

# Everything a scan writes, as one checksum (delivery attempts aside: the
# receivers are unreachable and their retries are not the scan's).
digest() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
      SELECT concat_ws(':', 'a', kind, subject, stage, light, project_id, created_at, payload) AS x FROM alert
      UNION ALL SELECT concat_ws(':', 'd', a.kind, a.subject, a.stage, d.receiver)
        FROM delivery d JOIN alert a ON a.id = d.alert_id
      UNION ALL SELECT concat_ws(':', 'm', milestone_id, next_check_on, light) FROM milestone_state
      UNION ALL SELECT concat_ws(':', 'p', id, s.next_check_on, light, light_reasons, light_at,
                                 milestone_light, problem_light, entered_on)
        FROM project JOIN project_state s ON s.project_id = id
      UNION ALL SELECT concat_ws(':', 'h', project_id, month, light) FROM project_light_month
      UNION ALL SELECT concat_ws(':', 's', project_id, kind, issued_on, reply_due) FROM supervision_order) t"
}

# burst_scan — moves the clock to the night after and waits (at most 30 s)
# for the scan that starts: the burst's, alone, with no scan after it that
# could mend what it missed. Prints its alerts.
burst_scan() {
    kpctl clock set 2026-11-26T00:30:00+08:00 >/dev/null || fail "clock set"
    wait_until 60 burst_scan_over || fail "the burst's scan did not end within 60 s"
    echo "$st" | field last_scan_alerts
}
burst_scan_over() {
    st=$(kpctl --json status)
    echo "$st" | py 'not d["scanning"] and d.get("last_scan_at", "").startswith("2026-11-26")' | grep -qx True
}

# ---- the ledger, settled on 2026-11-25 ------------------------------------
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
kpctl scan >/dev/null || fail "first scan"
# The burst: pending milestones due later (in a campaign open on the day)
# made due today; this scan raises their due-soon alerts.
sql "UPDATE milestone SET due_on = '2026-11-25' WHERE id IN (
       SELECT m.id FROM milestone m JOIN campaign c ON c.id = m.campaign_id
        WHERE m.status = 'pending' AND m.due_on > '2026-11-25'
          AND '2026-11-25' BETWEEN c.starts_on AND c.ends_on
        ORDER BY m.id LIMIT 1000)" >/dev/null
burst=$(sql "SELECT count(*) FROM milestone WHERE status = 'pending' AND due_on = '2026-11-25'")
[ "$burst" -ge 500 ] || fail "the demo gave only $burst milestones for the burst"
kpctl scan >/dev/null || fail "settling scan"
stop_daemon || fail "keyprojd did not stop cleanly"
createdb -T "$T_DB" "$COPY_DB" || fail "copy of the database"
createdb -T "$T_DB" "$LOST_DB" || fail "second copy of the database"

# ---- the burst in batches of 100 -----------------------------------------
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
from=$(wc -l < "$T_LOG")
alerts=$(burst_scan)
stop_daemon || fail "keyprojd did not stop cleanly"
expect_eq "the burst's scan raised every alert it left" "$(sql "SELECT count(*) FROM alert
    WHERE created_at = '2026-11-26T00:30:00+08:00'")" "$alerts"
overdue=$(sql "SELECT count(*) FROM alert WHERE kind = 'milestone.overdue' AND stage = '2026-11-25/overdue-1'
                AND created_at = '2026-11-26T00:30:00+08:00'")
expect_eq "every milestone of the burst has its overdue alert" "$burst" "$overdue"
batches=$(tail -n +"$from" "$T_LOG" | grep -c 'msg="scan batch" phase=milestones')
[ "$batches" -ge 5 ] && ok "the burst took $batches milestone batches" ||
    fail "the burst took only $batches milestone batches"
pbatches=$(tail -n +"$from" "$T_LOG" | grep -c 'msg="scan batch" phase=projects')
[ "$pbatches" -ge 2 ] && ok "and the project phase $pbatches batches" ||
    fail "the project phase took only $pbatches batches"
for ph in milestones projects; do
    for lane in 0 1; do
        n=$(tail -n +"$from" "$T_LOG" | grep -c "msg=\"scan batch\" phase=$ph lane=$lane ")
        [ "$n" -ge 1 ] && ok "lane $lane wrote $n $ph batches" || fail "lane $lane wrote no $ph batch"
    done
done
expect_eq "no project is left marked" 0 "$(sql "SELECT count(*) FROM project_mark")"
expect_eq "every project holds the light of its milestones" 0 \
    "$(sql "SELECT count(*) FROM project p WHERE p.light IS NOT NULL AND
              p.milestone_light IS DISTINCT FROM coalesce((SELECT CASE max(keyproj_light_rank(s.light))
                  WHEN 2 THEN 'red' WHEN 1 THEN 'yellow' ELSE 'green' END
              FROM milestone m JOIN milestone_state s ON s.milestone_id = m.id WHERE m.project_id = p.id), 'green')")"
small=$(digest "$T_DB")

# ---- the same burst in one batch, from the copy ---------------------------
T_CONF="$T_DIR/one.conf"
T_CONNINFO="$(conninfo | sed "s/dbname=.*/dbname=$COPY_DB/")" write_config \
    "alerts = { scan_batch_rows = 100000; scan_connections = 1; quiet_hours = \"\"; };
$RECEIVERS"
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
# scan_connections is read at start: a reload says so and keeps one lane
sed -i 's/scan_connections = 1/scan_connections = 2/' "$T_CONF"
kill -HUP "$T_PID"
wait_until 30 in_file "alerts.scan_connections changed: takes effect at the next restart" "$T_LOG" &&
    ok "a changed scan_connections needs a restart, and the log says so" ||
    fail "no log line for the changed scan_connections"
from=$(wc -l < "$T_LOG")
alerts_one=$(burst_scan)
stop_daemon || fail "keyprojd did not stop cleanly"
expect_eq "with scan_connections = 1, lane 1 writes nothing" 0 \
    "$(tail -n +"$from" "$T_LOG" | grep -c 'msg="scan batch" phase=[a-z]* lane=1 ')"
expect_eq "one batch raises as many alerts" "$alerts" "$alerts_one"
expect_eq "one batch writes exactly what the pipelined batches wrote" "$small" "$(digest "$COPY_DB")"
dropdb "$COPY_DB" || fail "dropdb $COPY_DB"

# ---- the second lane's connection lost in the middle of the burst ----------
# Lane 1's backend (keyprojd/scan2 in pg_stat_activity) ends its own
# session in its second write of milestone states, the burst's: to
# keyprojd, a connection lost with its statement. A sequence, not a
# table, counts: it is not rolled back with the write.
psql -X -q -v ON_ERROR_STOP=1 -d "$LOST_DB" -c "
    CREATE SEQUENCE kp_test_lose;
    CREATE FUNCTION kp_test_lose() RETURNS trigger LANGUAGE plpgsql AS \$\$
    BEGIN
        IF current_setting('application_name') = 'keyprojd/scan2' THEN
            IF nextval('kp_test_lose') = 2 THEN
                PERFORM pg_terminate_backend(pg_backend_pid());
            END IF;
        END IF;
        RETURN NULL;
    END \$\$;
    CREATE TRIGGER kp_test_lose AFTER UPDATE ON milestone_state REFERENCING NEW TABLE AS n
        FOR EACH STATEMENT EXECUTE FUNCTION kp_test_lose()" >/dev/null || fail "the trigger that loses lane 1"
T_CONF="$T_DIR/lost.conf"
T_CONNINFO="$(conninfo | sed "s/dbname=.*/dbname=$LOST_DB/")" write_config \
    "alerts = { scan_batch_rows = 100; quiet_hours = \"\"; };
$RECEIVERS"
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
lane1_seen() {
    [ "$(psql -X -A -t -d "$LOST_DB" -c "SELECT count(*) FROM pg_stat_activity
           WHERE application_name = 'keyprojd/scan2' AND datname = current_database()")" = 1 ]
}
wait_until 30 lane1_seen ||
    fail "the second lane's connection is not in pg_stat_activity as keyprojd/scan2"
from=$(wc -l < "$T_LOG")
kpctl clock set 2026-11-26T00:30:00+08:00 >/dev/null || fail "clock set"
burst_done() { tail -n +"$from" "$T_LOG" | grep -q 'msg="scan finished" today=2026-11-26 examined=[1-9]'; }
wait_until 60 burst_done || fail "no scan of the burst finished within 60 s"
stop_daemon || fail "keyprojd did not stop cleanly"
tail -n +"$from" "$T_LOG" | grep -q 'msg="database connection lost" conn=scan2' &&
    ok "lane 1's connection was lost during the burst" || fail "lane 1's connection was not lost"
tail -n +"$from" "$T_LOG" | grep -q 'msg="scan failed" today=2026-11-26' &&
    ok "the scan it was in failed" || fail "no scan failed"
psql -X -q -v ON_ERROR_STOP=1 -d "$LOST_DB" -c "DROP TRIGGER kp_test_lose ON milestone_state;
    DROP FUNCTION kp_test_lose(); DROP SEQUENCE kp_test_lose" ||
    fail "dropping the trigger"
expect_eq "the scan run again at once on the main connection writes exactly the same" "$small" "$(digest "$LOST_DB")"
dropdb "$LOST_DB" || fail "dropdb $LOST_DB"

