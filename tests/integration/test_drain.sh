#!/bin/bash
# Stopping keyprojd (SIGTERM) in the middle of deliveries loses nothing and
# holds nothing back: it stops claiming at once, lets the requests in flight
# finish (within alerts.drain_seconds) and records them, puts back what it
# had claimed but not sent, and exits. Every row is then delivered (and
# recorded so) or pending with no lease and no attempt used, so the next
# keyprojd sends the rest at once — not after a lease runs out — with the
# same webhook-id. A request still unanswered at the bound is cut off and
# put back the same way.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver
create_db

# config MS DRAIN — one json receiver answering after MS milliseconds.
config() {
    write_config "
alerts = { $T_NO_HOLDS drain_seconds = $2; };
receivers = (
  { name = \"slow\"; type = \"json\"; url = \"$base/fail/slow?ms=$1\"; secret = \"$secret\"; max_concurrency = 4; }
);"
}
requests() {    # requests → how many requests reached the receiver (answered or not)
    python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["requests"])' \
        "$base/_stats"
}
recorded() {    # recorded → "alert_id webhook_id" of every answered request, sorted
    python3 -c 'import json,sys,urllib.request
for e in json.load(urllib.request.urlopen(sys.argv[1])):
    print(json.loads(e["body"])["data"]["alert_id"], e["webhook_id"])' "$base/_received?path=/fail/slow" | sort -n
}
alerts() {      # alerts N → N alerts, each with its delivery to "slow"
    sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
            SELECT 'milestone.overdue', 'drain:' || i || ':' || $RANDOM, 's1', 'red',
                   jsonb_build_object('message', '测试 ' || i)
              FROM generate_series(1, $1) AS i RETURNING id)
         INSERT INTO delivery (alert_id, receiver) SELECT id, 'slow' FROM a" >/dev/null
}
wait_for() {    # wait_for COMMAND EXPECTED — until COMMAND prints EXPECTED, at most 30 s
    wait_until 30 prints "$1" "$2"
}
prints() {      # prints COMMAND EXPECTED — COMMAND, split into words, prints EXPECTED
    [ "$($1)" = "$2" ]
}
# stop → SIGTERM, wait for the exit; the seconds it took in $secs
stop() {
    local t0 t1
    t0=$(date +%s.%N)
    kill -TERM "$T_PID"
    wait "$T_PID" || fail "keyprojd exited with status $? after SIGTERM"
    T_PID=
    t1=$(date +%s.%N)
    secs=$(printf '%.2f' "$(echo "$t1 - $t0" | bc -l)")
}
leased() { sql "SELECT count(*) FROM delivery WHERE claimed_by IS NOT NULL"; }
sql_count() { sql "SELECT count(*) FROM delivery WHERE $1"; }

# ---- requests that finish within the bound --------------------------------
# (answers after 3 s: the test has that long to see the four requests
# arrive and stop keyprojd, time enough on a loaded machine; 1 s was not)
config 3000 8
start_daemon
wait_ready
alerts 12
wait_for requests 4 || fail "the first four requests did not reach the receiver: $(requests)"
stop
[ "$(echo "$secs < 7" | bc)" = 1 ] || fail "keyprojd took $secs s to stop: it should wait for the answers (3 s), not the bound (8 s)"
[ "$(echo "$secs >= 0.3" | bc)" = 1 ] || fail "keyprojd stopped in $secs s: it did not wait for the requests in flight"
ok "SIGTERM with four requests in flight: keyprojd waited for their answers and exited ($secs s)"
expect_eq "the four answered requests are recorded as delivered" "4" "$(sql_count "status = 'delivered'")"
expect_eq "… exactly those the receiver answered" "4" "$(recorded | wc -l)"
expect_eq "no lease is left behind" "0" "$(leased)"
expect_eq "the rest are pending with no attempt used (claimed but unsent ones were put back)" "8|0" \
    "$(sql "SELECT count(*) || '|' || sum(attempts) FROM delivery WHERE status = 'pending'")"
expect_contains "the drain is logged" 'msg="deliveries drained"' "$(cat "$T_LOG")"
expect_contains "… and the rows put back, each with its delivery and attempt" "reason=stopping" \
    "$(grep 'released unsent' "$T_LOG" | grep 'delivery=[0-9]* attempt=1 webhook_id=msg_' | head -n 1)"

start_daemon
wait_ready
wait_for "sql_count status='delivered'" 12 ||
    fail "the next keyprojd did not deliver the rest at once: $(sql "SELECT status, claimed_by IS NULL, count(*) FROM delivery GROUP BY 1, 2")"
ok "a new keyprojd delivers the other eight at once"
expect_eq "every alert reached the receiver exactly once" "12 12" \
    "$(recorded | awk '{ print $1 }' | sort -u | wc -l) $(recorded | wc -l)"
expect_eq "… one attempt each" "12" "$(sql "SELECT sum(attempts) FROM delivery")"
stop

# ---- requests still unanswered at the bound -------------------------------
sql "DELETE FROM delivery; DELETE FROM alert" >/dev/null
curl -s -X POST "$base/_reset" >/dev/null
config 6000 2
start_daemon
wait_ready
alerts 6
wait_for requests 4 || fail "the first four requests did not reach the receiver: $(requests)"
stop
[ "$(echo "$secs >= 1.8 && $secs < 4.5" | bc)" = 1 ] ||
    fail "keyprojd took $secs s to stop: expected the bound (2 s) and a little for the writes"
ok "SIGTERM with four requests that take 6 s (and two waiting for a slot): keyprojd exited at the bound ($secs s)"
expect_eq "none is recorded as delivered" "0" "$(sql_count "status = 'delivered'")"
expect_eq "all six are pending, no lease, no attempt used" "6|0|0" \
    "$(sql "SELECT count(*) || '|' || count(claimed_by) || '|' || sum(attempts) FROM delivery WHERE status = 'pending'")"
expect_contains "the cut is logged" "in_flight=4" "$(grep 'at the drain bound' "$T_LOG")"

config 0 2
start_daemon
wait_ready
wait_for "sql_count status='delivered'" 6 ||
    fail "the next keyprojd did not deliver them at once: $(sql "SELECT status, claimed_by IS NULL, count(*) FROM delivery GROUP BY 1, 2")"
ok "a new keyprojd delivers all six at once"
# The receiver still answers the four cut-off copies after its 6 s: ten in all.
wait_for "eval recorded | wc -l" 10 || fail "expected 10 copies at the receiver, got $(recorded | wc -l)"
got=$(recorded | python3 -c 'import collections, sys
want = dict(p.split("=", 1) for p in sys.argv[1].split())
ids = collections.defaultdict(list)
for line in sys.stdin:
    alert, wid = line.split()
    ids[alert].append(wid)
print("alerts=%d twice=%d same_id=%s" % (len(ids), sum(len(v) == 2 for v in ids.values()),
      all(w == want.get(a) for a, v in ids.items() for w in v)))' "$(webhook_ids)")
expect_eq "the four cut-off requests were sent again with the same webhook-id (the alert's)" \
    "alerts=6 twice=4 same_id=True" "$got"
stop
expect_not_contains "no secret in the log" "$secret" "$(cat "$T_LOG")"
expect_not_contains "no URL in the log" "127.0.0.1:$port" "$(cat "$T_LOG")"
