#!/bin/bash
# A burst to a json receiver: keyprojd claims rows ahead of its free slots
# (a queue per receiver) and writes verdicts in batches, yet every alert
# arrives exactly once, each row is recorded, and no lease is left. A
# receiver that asks for a pause (429 with Retry-After) gets nothing more
# until it ends: what was queued for it goes back unsent, no attempt used.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"
create_db
write_config "
alerts = { $T_NO_HOLDS };
receivers = (
  { name = \"burst\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; max_concurrency = 8;
    rate_per_minute = 100000; match = { kind = [ \"milestone.overdue\" ]; }; },
  { name = \"paused\"; type = \"json\"; url = \"$base/fail/429?retry_after=30\"; secret = \"$secret\";
    max_concurrency = 2; match = { kind = [ \"milestone.overdue\" ]; }; }
);"
start_daemon
wait_ready

alerts() {      # alerts N RECEIVER → N alerts, each with its delivery
    sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
            SELECT 'milestone.overdue', '$2:' || i, 's1', 'red', jsonb_build_object('message', '测试 ' || i)
              FROM generate_series(1, $1) AS i RETURNING id)
         INSERT INTO delivery (alert_id, receiver) SELECT id, '$2' FROM a" >/dev/null
}
wait_for() {    # wait_for SQL EXPECTED — until SQL answers EXPECTED, at most 30 s
    wait_until 30 sql_is "$2" "$1"
}

alerts 600 burst
wait_for "SELECT count(*) FROM delivery WHERE receiver = 'burst' AND status = 'delivered'" 600 ||
    fail "the burst was not delivered: $(sql "SELECT status, count(*) FROM delivery GROUP BY 1")"
ok "600 alerts to one json receiver: all delivered"
got=$(python3 -c 'import collections, json, sys, urllib.request
c = collections.Counter(e["webhook_id"] for e in json.load(urllib.request.urlopen(sys.argv[1])))
print(len(c), max(c.values()))' "$base/_received?path=/json")
expect_eq "… each exactly once at the receiver" "600 1" "$got"
expect_eq "… one attempt each, no lease left, every verdict recorded with its time and status" "600|0|600" \
    "$(sql "SELECT sum(attempts) || '|' || count(claimed_by) || '|' || count(*) FILTER (WHERE delivered_at IS NOT NULL
              AND last_http_status = 204) FROM delivery WHERE receiver = 'burst'")"
expect_eq "… nothing was put back" "" "$(grep 'released unsent' "$T_LOG" | grep 'receiver=burst' || true)"

alerts 20 paused
wait_for "SELECT count(*) FROM delivery WHERE receiver = 'paused' AND status = 'pending' AND claimed_by IS NULL
          AND attempts = 1" 2 || fail "the first requests were not answered: $(sql "SELECT attempts, claimed_by IS NULL, count(*) FROM delivery WHERE receiver = 'paused' GROUP BY 1, 2")"
wait_for "SELECT count(*) FROM delivery WHERE receiver = 'paused' AND claimed_by IS NULL" 20 ||
    fail "leases left: $(sql "SELECT attempts, claimed_by IS NULL, count(*) FROM delivery WHERE receiver = 'paused' GROUP BY 1, 2")"
settle 1
requests=$(python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["requests"])' \
    "$base/_stats")
expect_eq "a receiver answering 429 (Retry-After: 30) got only the two requests its slots held" 602 "$requests"
expect_eq "… those two wait at least 25 s; the other 18 are untouched: no attempt, no lease" "2|18" \
    "$(sql "SELECT count(*) FILTER (WHERE attempts = 1 AND next_attempt_at > now() + interval '25 s') || '|' ||
              count(*) FILTER (WHERE attempts = 0 AND claimed_by IS NULL) FROM delivery WHERE receiver = 'paused'")"
expect_contains "… the queued ones were put back, and the log says why" "reason=receiver_paused" \
    "$(grep 'released unsent' "$T_LOG" | grep 'receiver=paused')"
expect_not_contains "no secret in the log" "$secret" "$(cat "$T_LOG")"
stop_daemon
