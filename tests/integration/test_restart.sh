#!/bin/bash
# Nothing is lost when keyprojd dies mid-burst: a couple of thousand deliveries to a
# json receiver, SIGKILL in the middle, restart; at the receiver every alert
# arrived at least once, and only what was in flight at the kill (claimed,
# outcome not recorded) may have arrived twice — with the same webhook-id.
# A killed daemon's leases end on their own (claimed_until: twice the
# receiver's timeout plus 30 s): the restarted one runs its clock past them
# (--now) instead of sleeping.
. "$top_srcdir/tests/integration/lib.sh"

N=2000
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"
wait_for() {    # wait_for SQL TEST — until SQL's answer passes the test, at most 30 s
    wait_until 30 sql_passes "$1" $2
}

create_db
write_config "
alerts = { $T_NO_HOLDS };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\";
    rate_per_minute = 3000; max_concurrency = 4; match = { kind = [ \"campaign.missed\" ]; }; }
);"
start_daemon
wait_ready
sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
        SELECT 'milestone.overdue', 'restart:' || i, 's1', 'red',
               jsonb_build_object('message', '测试 ' || i, 'project', jsonb_build_object('code', 'R-' || i))
          FROM generate_series(1, $N) AS i RETURNING id)
     INSERT INTO delivery (alert_id, receiver) SELECT id, 'audit' FROM a" >/dev/null
wait_for "SELECT count(*) FROM delivery WHERE status = 'delivered'" "-ge $((N / 3))" ||
    fail "the burst did not get going: $(sql "SELECT status, count(*) FROM delivery GROUP BY 1")"
kill -KILL "$T_PID"
wait "$T_PID" 2>/dev/null
T_PID=
delivered=$(sql "SELECT count(*) FROM delivery WHERE status = 'delivered'")
inflight=$(sql "SELECT coalesce(string_agg(alert_id::text, ' '), '') FROM delivery WHERE status = 'pending' AND claimed_by IS NOT NULL")
[ "$delivered" -lt "$N" ] || fail "the burst was over before the kill: make it bigger"
ok "killed mid-burst: $delivered of $N delivered, $(echo $inflight | wc -w) in flight"

start_daemon --now "$(date -u -d '+15 minutes' +%Y-%m-%dT%H:%M:%SZ)"
wait_ready
wait_for "SELECT count(*) FROM delivery WHERE status = 'delivered'" "= $N" ||
    fail "not everything delivered after the restart: $(sql "SELECT status, count(*) FROM delivery GROUP BY 1")"
ok "after the restart every delivery is delivered"

got=$(received_tally "$inflight")
expect_contains "every alert arrived at least once" "missing=0" "$got"
expect_contains "duplicates only for what was in flight" "dups_outside_inflight=0" "$got"
expect_contains "every copy of an alert carries the same webhook-id" "one_webhook_id_each=True" "$got"
echo "# $got"
stop_daemon
