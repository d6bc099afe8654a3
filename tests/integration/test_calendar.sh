#!/bin/bash
# The suite runs alike on any day: its daemons either run on a set clock
# (--now) or say that nothing is held ($T_NO_HOLDS), and this test shows
# the second kind delivering on the days the real calendar would hold: an
# ordinary Saturday and Sunday, a 调休 Saturday, a day of 国庆, and at
# 23:30. The same daemon with the holds a deployment has (quiet hours
# 22:00-08:00, rest days from holidays.conf) holds on exactly the days and
# hours it should, and sends on the working ones: the holds are real, and
# the suite's tests stand outside them by choice, not by the weekday CI
# happens to run on.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"
cp "$top_srcdir/etc/holidays.conf" "$T_DIR/holidays.conf"
create_db

# config HOLDS — one json receiver and one WeCom robot; HOLDS goes in the
# alerts group.
config() {
    write_config "
alerts = { holidays = \"holidays.conf\"; $1 };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; },
  { name = \"office\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0; }
);"
}

# at TIME — moves the daemon's clock (keyprojctl clock set) and sets NOW.
at() {
    NOW=$1
    kpctl clock set "$NOW" >/dev/null || fail "clock set $NOW"
}

# alert → one red alert raised at NOW with a delivery to each receiver,
# due at NOW (as the alert engine writes them); prints its id.
alert() {
    local id
    id=$(sql "INSERT INTO alert (kind, subject, stage, light, created_at, payload)
              VALUES ('milestone.overdue', 'calendar:' || gen_random_uuid(), 's1', 'red', '$NOW',
                      '{\"message\": \"【逾期】涧西区 日历测试项目「主体封顶」已逾期4天\", \"tier\": 1,
                        \"project\": {\"code\": \"CAL-1\", \"name\": \"日历测试项目\", \"county\": \"涧西区\"}}')
              RETURNING id" | head -n 1)
    [ -n "$id" ] || fail "no alert written"
    sql "INSERT INTO delivery (alert_id, receiver, next_attempt_at, created_at)
         SELECT $id, r, '$NOW', '$NOW' FROM unnest(ARRAY['audit', 'office']) r" >/dev/null
    echo "$id"
}
states() {      # states ALERT → "receiver:status …" by receiver
    sql "SELECT string_agg(receiver || ':' || status, ' ' ORDER BY receiver) FROM delivery WHERE alert_id = $1"
}
sent() {        # sent ALERT — both deliveries delivered, within 30 s
    wait_until 30 sql_is "audit:delivered office:delivered" "SELECT string_agg(receiver || ':' || status, ' '
        ORDER BY receiver) FROM delivery WHERE alert_id = $1"
}
# held ALERT UNTIL REASON — the log says deliveries wait until UNTIL for
# REASON, and the alert's deliveries are still pending with no attempt.
held() {
    wait_until 30 in_file "holding deliveries.*until=$2 reason=$3" "$T_LOG" ||
        fail "no hold until $2 ($3) in the log: $(grep 'holding deliveries' "$T_LOG" | tail -n 1)"
    expect_eq "… held until $2 ($3), nothing attempted" "audit:pending office:pending|0" \
        "$(states "$1")|$(sql "SELECT sum(attempts) FROM delivery WHERE alert_id = $1")"
}

# ---- the suite's setting: nothing held, whatever the day -------------------
config "$T_NO_HOLDS"
start_daemon --now 2026-12-05T10:00:00+08:00
wait_ready
for when in "2026-12-05T10:00:00+08:00 an ordinary Saturday" \
            "2026-12-06T10:00:00+08:00 an ordinary Sunday" \
            "2026-10-10T10:00:00+08:00 a 调休 Saturday (a working day)" \
            "2026-10-02T10:00:00+08:00 国庆 (a holiday)" \
            "2026-12-06T23:30:00+08:00 a Sunday at 23:30"; do
    at "${when%% *}"
    id=$(alert)
    sent "$id" || fail "not sent on ${when#* }: $(states "$id")"
    ok "with \$T_NO_HOLDS an alert goes out at once on ${when#* }"
done
expect_eq "… and the log never held anything" 0 "$(grep -c 'holding deliveries' "$T_LOG")"
stop_daemon

# ---- a deployment's holds: rest days and quiet hours ------------------------
config 'quiet_hours = "22:00-08:00"; hold_on_rest_days = true;'
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready
at 2026-11-25T10:00:00+08:00
id=$(alert)
sent "$id" || fail "not sent on a working Wednesday: $(states "$id")"
ok "with the holds on, an alert goes out at once on a working Wednesday"
at 2026-10-10T10:00:00+08:00
id=$(alert)
sent "$id" || fail "not sent on the 调休 Saturday: $(states "$id")"
ok "… and on a 调休 Saturday, a working day"

at 2026-12-05T10:00:00+08:00
sat=$(alert)
held "$sat" 2026-12-07T08:00:00+08:00 rest_day
ok "on an ordinary Saturday it waits for Monday 08:00"
at 2026-12-06T10:00:00+08:00
sun=$(alert)
expect_eq "… on the Sunday the Saturday's and the Sunday's alerts still wait" \
    "audit:pending office:pending audit:pending office:pending" "$(states "$sat") $(states "$sun")"
at 2026-10-02T10:00:00+08:00
hol=$(alert)
held "$hol" 2026-10-08T08:00:00+08:00 rest_day
ok "on 国庆 it waits for the first working day's 08:00"
at 2026-11-25T23:30:00+08:00
night=$(alert)
held "$night" 2026-11-26T08:00:00+08:00 quiet_hours
ok "at 23:30 on a working day it waits for 08:00 (quiet hours)"

at 2026-12-07T08:00:01+08:00
for a in "$sat" "$sun" "$hol" "$night"; do
    sent "$a" || fail "alert $a not sent on Monday 08:00: $(states "$a")"
done
ok "on Monday 08:00 everything held goes out: delayed, never dropped"
expect_eq "the json receiver got each of the 11 alerts once" "11 11" \
    "$(python3 -c 'import collections, json, sys, urllib.request
c = collections.Counter(e["webhook_id"] for e in json.load(urllib.request.urlopen(sys.argv[1])))
print(len(c), sum(1 for v in c.values() if v == 1))' "$base/_received?path=/json")"
stop_daemon
