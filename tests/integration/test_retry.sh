#!/bin/bash
# A failing receiver, end to end through the daemon's clock: each retry
# comes when the schedule says (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h,
# each ±10 %), and the delivery ends dead
# after the schedule's last attempt; one whose receiver asks to wait past
# the maximum age (48 h from the first attempt) is dead at that point
# rather than kept for ever. Nothing here sleeps for the schedule: the
# clock is moved to each retry.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"

create_db
write_config "
alerts = { $T_NO_HOLDS };
receivers = (
  { name = \"flaky\"; type = \"json\"; url = \"$base/fail/500\"; secret = \"$secret\"; },
  { name = \"late\"; type = \"json\"; url = \"$base/fail/429?retry_after=108000\"; secret = \"$secret\"; },
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; }
);"
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready

aid=$(sql "INSERT INTO alert (kind, subject, stage, light, payload)
           VALUES ('milestone.due_soon', 'milestone:2', 's1', 'yellow', '{\"message\": \"【临期】\", \"tier\": 0}') RETURNING id" | head -n 1)
id=$(sql "INSERT INTO alert (kind, subject, stage, light, payload)
          VALUES ('milestone.overdue', 'milestone:1', 's1', 'red',
                  '{\"message\": \"【逾期】涧西区 测试项目「主体封顶」已逾期4天\", \"tier\": 1}') RETURNING id" | head -n 1)
# The rows are due at once, and their insert wakes the daemon: its clock,
# running on from its start, is some seconds past 10:00 by then (more on
# a loaded machine). Each check below measures from the first attempt's
# own business time (first_attempt_at); the real seconds from here to the
# attempt seen bound how long the attempt itself took. The clock is only
# ever moved forward, so no answer is recorded before its attempt.
set_at=$(date +%s)
sql "INSERT INTO delivery (alert_id, receiver, next_attempt_at)
     VALUES ($id, 'flaky', '2026-11-25T10:00:00+08:00'), ($id, 'late', '2026-11-25T10:00:00+08:00'),
            ($aid, 'audit', '2026-11-25T10:00:00+08:00')" >/dev/null

# attempted RECEIVER N → waits until the row has N attempts and no lease
attempted() {
    wait_until 30 sql_is "$2" "SELECT attempts FROM delivery WHERE alert_id = $id AND receiver = '$1' AND claimed_by IS NULL" &&
        return 0
    fail "$1: attempt $2 not recorded: $(sql "SELECT attempts || ' ' || status || ' ' || coalesce(last_error, '') FROM delivery WHERE alert_id = $id AND receiver = '$1'")"
}
field_of() {    # field_of RECEIVER COLUMN
    sql "SELECT $2 FROM delivery WHERE alert_id = $id AND receiver = '$1'"
}

# The 429's one attempt: the real seconds from the rows' insert to it bound
# how long past its business time the answer came (checked below).
attempted late 1
late_429=$(($(date +%s) - set_at + 1))
first_429=$(field_of late "floor(extract(epoch FROM first_attempt_at))::bigint")

# The 500: every step of the schedule, then dead.
n=0
for want in 5 300 1800 7200 18000 36000 36000; do
    n=$((n + 1))
    attempted flaky "$n"
    # the first attempt's own business time (no clock set came before it)
    [ "$n" -gt 1 ] || now=$(field_of flaky "floor(extract(epoch FROM first_attempt_at))::bigint")
    expect_eq "after failure $n the row waits, pending" pending "$(field_of flaky status)"
    next=$(field_of flaky "extract(epoch FROM next_attempt_at)::bigint")
    delay=$((next - now))
    # The daemon's clock runs on from the time set (from the attempt's
    # own time for the first), so the attempt's answer came up to the real
    # seconds since then (more on a loaded machine) after it: the retry is
    # due that much later too.
    late=$(($(date +%s) - set_at + 1))
    lo=$((want * 9 / 10 - 1)) hi=$((want * 11 / 10 + 1 + late))
    [ "$delay" -ge "$lo" ] && [ "$delay" -le "$hi" ] ||
        fail "retry $n after $delay s, the schedule says $want s ±10 % (the answer up to $late s after its business time)"
    ok "retry $n comes $delay s later (schedule: $want s)"
    now=$((next + 1))
    set_at=$(date +%s)
    kpctl clock set "$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)" >/dev/null || fail "clock set"
done
attempted flaky 8
expect_eq "after the schedule's last attempt the delivery is dead" "dead|500" \
    "$(field_of flaky "status || '|' || last_http_status")"
expect_eq "…with nothing left to claim" "" "$(field_of flaky claimed_by)"
expect_contains "…and the dead letter is logged" "receiver=flaky" "$(grep 'level=error' "$T_LOG")"
expect_eq "a healthy receiver's row in the same outbox was never held up" 0 \
    "$(sql "SELECT count(*) FROM delivery WHERE receiver = 'audit' AND status <> 'delivered'")"

# The 429 asking for 30 h: honoured up to its cap of one day (the second
# attempt comes 24 h after the first, not 5 s), then a second day's wait
# would end past the 48 h maximum age: dead after the second attempt, long
# before the schedule's end.
expect_eq "the 429 was tried once and waits" "1|pending|429" "$(field_of late "attempts || '|' || status || '|' || last_http_status")"
wait_s=$(($(field_of late "extract(epoch FROM next_attempt_at)::bigint") - first_429))
[ "$wait_s" -ge 86399 ] && [ "$wait_s" -le $((86402 + late_429)) ] ||
    fail "Retry-After 108000 s not honoured as one day: waits $wait_s s (the answer up to $late_429 s after its business time)"
ok "Retry-After (30 h, capped at one day) outweighs the schedule's 5 s"
# The pause Retry-After puts on the receiver runs on the system clock (a
# real day here): a daemon started afresh at the business time of the
# retry stands for that day having passed.
next=$(field_of late "extract(epoch FROM next_attempt_at)::bigint")
stop_daemon || fail "keyprojd did not stop cleanly"
start_daemon --now "$(date -u -d "@$((next + 1))" +%Y-%m-%dT%H:%M:%SZ)"
wait_ready
attempted late 2
expect_eq "a wait past the maximum age makes the delivery dead" "dead|429" \
    "$(field_of late "status || '|' || last_http_status")"
stop_daemon || fail "keyprojd did not stop cleanly"
