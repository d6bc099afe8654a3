#!/bin/bash
# Receivers that misbehave: one refuses connections (a closed port), one
# resets the connection in the middle of its answer, one answers too slowly
# (beyond the receiver's timeout), one is not an HTTP server at all, one
# accepts and never answers, and a WeCom robot answers an HTML page instead
# of its JSON. Each is retried per the schedule (5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h, 10 h; the clock is moved to each retry, not waited for) until
# it is dead, while a healthy receiver configured alongside gets every alert
# at once; keyprojd's memory stays bounded and it leaks no descriptor.
. "$top_srcdir/tests/faults/lib.sh"

N=20                    # alerts; each goes to every receiver
RSS_GROWTH_KB=16384     # bounds on keyprojd's memory (RssAnon) over the failing rounds:
RSS_MAX_KB=131072       # growth, and in all (with AddressSanitizer's shadow and a 4 MB quarantine)
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret" --hang-seconds 5
# A port nothing listens on: bound, then closed.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

FAILING="'refused','reset','slow','nothttp','hang','robot'"
create_db
json() {    # json NAME URL [EXTRA] — a signed json receiver
    echo "{ name = \"$1\"; type = \"json\"; url = \"$2\"; secret = \"$secret\"; max_concurrency = $N; ${3:-} },"
}
write_config "
alerts = { quiet_hours = \"\"; hold_on_rest_days = false; };
receivers = (
  $(json healthy "$base/json")
  $(json refused "http://127.0.0.1:$closed/hooks")
  $(json reset "$base/fail/reset")
  $(json slow "$base/fail/slow?ms=3000" "timeout_seconds = 1;")
  $(json nothttp "$base/fail/nothttp")
  $(json hang "$base/fail/hang" "timeout_seconds = 3;")
  { name = \"robot\"; type = \"wecom\"; url = \"$base/fail/garbage?key=test-key\"; digest_window_seconds = 0; }
);"
# AddressSanitizer keeps freed memory in a quarantine (256 MB by default):
# a small one, so that resident memory measures what keyprojd holds.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
# Test mode (clock set) from the real time: new rows are due at now().
clock=$(date -u +%Y-%m-%dT%H:%M:%SZ)
start_daemon --now "$clock"
wait_ready

# alerts K SUBJECT-PREFIX RECEIVERS-SQL-LIST — K alerts, each with a delivery per receiver
alerts() {
    sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
            SELECT 'milestone.overdue', '$2:' || i, 's1', 'red',
                   jsonb_build_object('message', '【逾期】故障测试 ' || i, 'project', jsonb_build_object('code', 'F-' || i))
              FROM generate_series(1, $1) AS i RETURNING id)
         INSERT INTO delivery (alert_id, receiver) SELECT a.id, r FROM a, unnest(ARRAY[$3]) AS r" >/dev/null
}
fds() { ls "/proc/$T_PID/fd" | wc -l; }
rss_kb() { awk '/^RssAnon:/ { print $2 }' "/proc/$T_PID/status"; }
healthy_received() {
    python3 -c 'import json,sys,urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))))' \
        "$base/_received?path=/json"
}

# ---- the burst: the healthy receiver is not held up by the others --------
t0=$(date +%s.%N)
alerts $N burst "'healthy',$FAILING"
wait_for 10 "SELECT count(*) FROM delivery WHERE receiver = 'healthy' AND status = 'delivered'" $N ||
    fail "the healthy receiver did not get its alerts: $(sql "SELECT status, count(*) FROM delivery WHERE receiver = 'healthy' GROUP BY 1")"
took=$(python3 -c "print('%.2f' % ($(date +%s.%N) - $t0))")
hanging=$(sql "SELECT count(*) FROM delivery WHERE receiver = 'hang' AND claimed_by IS NOT NULL")
echo "# the healthy receiver had all $N alerts after $took s; $hanging sends to the hanging receiver still open"
expect_eq "the healthy receiver got its $N alerts while the hanging receiver still held its sends" $N "$hanging"
expect_eq "… each exactly once" $N "$(healthy_received)"

# ---- every failing receiver, retried per the schedule until dead ----------
schedule=(5 300 1800 7200 18000 36000 36000)
for k in 1 2 3 4 5 6 7 8; do
    # The round ends when every failing row has had its k-th attempt.
    wait_for 30 "SELECT count(*) FROM delivery WHERE receiver IN ($FAILING) AND attempts = $k AND claimed_by IS NULL" \
        $((6 * N)) || fail "attempt $k not made or not recorded: $(sql "SELECT receiver, attempts, status, claimed_by IS NOT NULL
            FROM delivery WHERE receiver IN ($FAILING) GROUP BY 1, 2, 3, 4 ORDER BY 1")"
    if [ $k = 1 ]; then
        errors=$(sql "SELECT receiver || ': ' || min(last_error) FROM delivery WHERE receiver IN ($FAILING) GROUP BY receiver ORDER BY 1")
        echo "$errors" | sed 's/^/# /'
        for want in "refused: no response: Failed to connect" "reset: no response: Recv failure: Connection reset" \
                    "slow: no response: Operation timed out" "nothttp: no response" "hang: no response: Operation timed out" \
                    "robot: wecom answered HTTP 200 without its JSON error code"; do
            expect_contains "the error says what happened (${want%%:*})" "$want" "$errors"
        done
    fi
    if [ $k = 2 ]; then
        fds0=$(fds)
        rss0=$(rss_kb)
    fi
    if [ $k -lt 8 ]; then
        s=${schedule[$((k - 1))]}
        # Each row's next attempt is s (±10 %) after the attempt, made a few
        # real seconds after the clock was set.
        band=$(sql "SELECT count(*) FILTER (WHERE status = 'pending'
                      AND extract(epoch FROM next_attempt_at - '$clock'::timestamptz) BETWEEN 0.9 * $s AND 1.1 * $s + 15)
                    FROM delivery WHERE receiver IN ($FAILING)")
        expect_eq "attempt $k failed everywhere; the next is about $s s later" $((6 * N)) "$band"
        clock=$(sql "SELECT to_char((max(next_attempt_at) + interval '1 second') AT TIME ZONE 'UTC',
                     'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM delivery WHERE receiver IN ($FAILING)")
        kpctl clock set "$clock" >/dev/null || fail "clock set $clock"
        # Meanwhile a new alert for the healthy receiver goes at once.
        alerts 1 "round$k" "'healthy'"
        wait_for 5 "SELECT count(*) FROM delivery WHERE receiver = 'healthy' AND status = 'delivered'" $((N + k)) ||
            fail "the healthy receiver's alert of round $k did not go at once"
    fi
done
expect_eq "after the eighth attempt every failing delivery is dead" "dead $((6 * N)) 8" \
    "$(sql "SELECT string_agg(DISTINCT status, ',') || ' ' || count(*) || ' ' || string_agg(DISTINCT attempts::text, ',')
            FROM delivery WHERE receiver IN ($FAILING)")"
expect_contains "the dead letters are logged for the operators" "delivery given up after its last attempt" \
    "$(grep 'level=error' "$T_LOG")"
expect_eq "the healthy receiver got every alert, once each" "$((N + 7)) $((N + 7))" \
    "$(healthy_received) $(sql "SELECT count(*) FROM delivery WHERE receiver = 'healthy' AND status = 'delivered' AND attempts = 1")"

# ---- resources --------------------------------------------------------------
fds1=$(fds)
rss1=$(rss_kb)
echo "# descriptors: $fds0 after the second round, $fds1 after the eighth; RssAnon: $rss0 kB, $rss1 kB"
[ "$fds1" -le $((fds0 + 4)) ] || fail "descriptors grew from $fds0 to $fds1 over six failing rounds: $(ls -l /proc/$T_PID/fd)"
ok "no descriptor leak over $((6 * 6 * N)) failed attempts ($fds0 → $fds1)"
[ "$rss1" -le $((rss0 + RSS_GROWTH_KB)) ] || fail "RssAnon grew from $rss0 kB to $rss1 kB (bound: +$RSS_GROWTH_KB kB)"
ok "memory bounded: RssAnon grew $((rss1 - rss0)) kB over $((6 * 6 * N)) failed attempts (bound +$RSS_GROWTH_KB kB)"
[ "$rss1" -le "$RSS_MAX_KB" ] || fail "RssAnon is $rss1 kB (bound: $RSS_MAX_KB kB)"
ok "… and $rss1 kB in all (bound $RSS_MAX_KB kB)"
stop_daemon || fail "keyprojd did not stop cleanly (exit $?)"
ok "keyprojd stopped cleanly"
