#!/bin/bash
# A WeCom robot takes 20 messages in any 60 seconds, whoever sends them.
# Two keyprojd share one database, and two receivers name the same robot:
# a backlog of 60 messages reaches it 20 a minute, never a 45009, and a
# restart of both daemons in the middle does not start the count again.
# The slots are rows of robot_send, on the daemons' clock, which the test
# moves (and the robot stand-in's with it) instead of sleeping. A robot
# that still answers "over the limit" (someone else sent to it) gets the
# message again once its window frees, without using up an attempt.
. "$top_srcdir/tests/integration/lib.sh"

start_receiver
create_db
url="$base/wecom?key=test-key"
write_config "
receivers = (
  { name = \"wa\"; type = \"wecom\"; url = \"$url\"; digest_window_seconds = 0; },
  { name = \"wb\"; type = \"wecom\"; url = \"$url\"; digest_window_seconds = 0; }
);"
T0=$(python3 -c 'import datetime; print(int(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8))).timestamp()))')
B_CONF="$T_DIR/b.conf" B_SOCK="$T_DIR/b.sock" B_PID=
sed -e "s|$T_SOCK|$B_SOCK|" "$T_CONF" > "$B_CONF"

start_b() {     # start_b TIME — the second keyprojd
    "$KEYPROJD" -c "$B_CONF" --now "$1" >>"$T_DIR/b.log" 2>&1 &
    B_PID=$!
    T_EXTRA_PIDS="$T_EXTRA_PIDS $B_PID"
    wait_until 30 t_socket_up "$B_SOCK" "$B_PID" || fail "the second keyprojd did not start"
}
stop_b() {
    kill -TERM "$B_PID" && wait "$B_PID"
}
# at SECONDS — the robot's clock and both daemons' read T0 + SECONDS now;
# the robot's first, as in life: a daemon whose clock ran ahead of the
# robot's would see a window free that the robot still counts.
at() {
    local t=$((T0 + $1))
    curl -sf -X POST -d "{\"now\": $t}" "$base/_clock" || fail "the robot's clock"
    kpctl clock set "@$t" >/dev/null || fail "clock set on the first daemon"
    "$KEYPROJCTL" -s "$B_SOCK" clock set "@$t" >/dev/null || fail "clock set on the second daemon"
}
stat() {        # stat KEY — the robot stand-in's counters
    curl -sf "$base/_stats" | field "$1"
}
received() { stat received; }
# The most messages the robot got in any 60 s (by its clock), and in any
# 61 s of the slots keyprojd recorded.
most_in_a_minute() {
    curl -sf "$base/_received?path=/wecom" | python3 -c 'import json, sys
t = sorted(e["clock"] for e in json.load(sys.stdin))
print(max((sum(1 for u in t if s <= u < s + 60) for s in t), default=0))'
}

start_daemon --now "@$T0"
start_b "@$T0"
wait_ready
at 0

# ---- the window, as the database counts it ----------------------------------
take() {        # take SECONDS WANT [PER_SECOND] → "granted free_at-T0"
    sql "SELECT granted || ' ' || coalesce((free_at - $T0)::numeric(10,2)::text, '-')
           FROM keyproj_robot_take('wecom:00000000000000000000000000000000', to_timestamp($T0 + $1), $2, 20,
                                   ${3:-NULL})"
}
expect_eq "an empty window grants what is asked, and says when it is full again" "20 61.00" "$(take 0 25)"
expect_eq "… 30 s later nothing is free until the first slots leave the window" "0 61.00" "$(take 30 1)"
expect_eq "… 61 s after them the window is empty again" "10 -" "$(take 61 10)"
expect_eq "… at 100 s the window holds those 10: 10 more, then full until they leave" "10 122.00" "$(take 100 12)"
sql "DELETE FROM robot_send WHERE robot = 'wecom:00000000000000000000000000000000'" >/dev/null
expect_eq "a per-second limit (Feishu's 5) counts too" "5 201.25" "$(take 200 9 5)"
sql "SELECT keyproj_robot_hold('wecom:00000000000000000000000000000000', to_timestamp($T0 + 900), 20)" >/dev/null
expect_eq "a hold after 'over the limit' keeps the robot full until it ends" "0 900.00" "$(take 400 1)"
sql "DELETE FROM robot_send" >/dev/null

# ---- a backlog of 60 messages to one robot through two receivers ------------
# Daily digests: one message each (the others merge what is due at once).
sql "WITH a AS (INSERT INTO alert (kind, subject, stage, payload)
        SELECT 'digest', 'receiver:' || r, 'daily:2026-11-25:' || i,
               jsonb_build_object('title', '每日汇总 ' || i, 'items',
                   jsonb_build_array(jsonb_build_object('kind', 'milestone.overdue', 'light', 'red',
                                                        'message', '测试节点 ' || i || ' 已逾期')))
          FROM generate_series(1, 30) AS i, unnest(ARRAY['wa', 'wb']) AS r RETURNING id, subject)
     INSERT INTO delivery (alert_id, receiver, next_attempt_at)
     SELECT id, split_part(subject, ':', 2), to_timestamp($T0) FROM a" >/dev/null
wait_until 30 is_eq 20 received || fail "the first 20 did not arrive: $(received)"
settle 3
expect_eq "60 messages due at once: 20 reach the robot, then nothing within its minute" 20 "$(received)"
expect_eq "… 20 slots recorded, one robot for both receivers, no key in its id" "20|1|0" \
    "$(sql "SELECT count(*) || '|' || count(DISTINCT robot) || '|' || count(*) FILTER (WHERE robot LIKE '%test-key%')
              FROM robot_send")"

# Both daemons stop and start again 30 s later: the count is in the database.
stop_daemon
stop_b
start_daemon --now "@$((T0 + 30))"
start_b "@$((T0 + 30))"
wait_ready
at 30
settle 3
expect_eq "restarted 30 s later, neither daemon sends before the minute is over" 20 "$(received)"

at 62
wait_until 30 is_eq 40 received || fail "the next 20 did not arrive: $(received)"
settle 2
expect_eq "a minute later, 20 more" 40 "$(received)"
at 124
wait_until 30 is_eq 60 received || fail "the last 20 did not arrive: $(received)"
expect_eq "… and the last 20 a minute after that" 60 "$(received)"
expect_eq "the robot never answered 45009" 0 "$(stat limited)"
expect_eq "… never got more than 20 in any 60 s" 20 "$(most_in_a_minute)"
expect_eq "every delivery delivered at its first attempt, no lease left" "60|60|0" \
    "$(sql "SELECT count(*) FILTER (WHERE status = 'delivered') || '|' || sum(attempts) || '|' || count(claimed_by)
              FROM delivery")"
expect_not_contains "the robot's key is not in the logs" "test-key" "$(cat "$T_LOG" "$T_DIR/b.log")"

# ---- someone else fills the robot's minute ----------------------------------
at 300
for i in $(seq 20); do
    curl -sf -X POST -H 'Content-Type: application/json' -d '{"msgtype":"text","text":{"content":"别的程序"}}' \
        "$url" >/dev/null
done
sql "WITH a AS (INSERT INTO alert (kind, subject, stage, payload)
        VALUES ('digest', 'receiver:wa', 'daily:2026-11-26', '{\"title\": \"每日汇总\", \"items\": []}') RETURNING id)
     INSERT INTO delivery (alert_id, receiver, next_attempt_at) SELECT id, 'wa', to_timestamp($T0 + 300) FROM a" \
    >/dev/null
wait_until 30 grep -q 'robot rate limit answered despite pacing' "$T_LOG" "$T_DIR/b.log" ||
    fail "no warning after a 45009"
line=$(grep -h 'robot rate limit answered despite pacing' "$T_LOG" "$T_DIR/b.log" | head -n 1)
expect_contains "a 45009 is logged as a warning, naming the receiver" "receiver=wa" "$line"
expect_contains "… and saying it may come from another sender" "another sender uses the same robot" "$line"
wait_until 10 sql_is "0|true|true" "SELECT attempts || '|' || (next_attempt_at >= to_timestamp($T0 + 359)) || '|'
                              || (last_error LIKE '%45009%') FROM delivery WHERE receiver = 'wa' AND status = 'pending'
                              AND claimed_by IS NULL" ||
    fail "the delivery is not waiting for the window: $(sql "SELECT status, attempts, next_attempt_at, last_error FROM delivery WHERE status <> 'delivered'")"
ok "… the delivery waits for the robot's window to free, no attempt used"
at 362
wait_until 30 sql_is 61 "SELECT count(*) FROM delivery WHERE status = 'delivered'" ||
    fail "not delivered once the window freed: $(sql "SELECT status, attempts, last_error FROM delivery WHERE status <> 'delivered'")"
ok "… and is delivered once it has"

stop_b
stop_daemon
