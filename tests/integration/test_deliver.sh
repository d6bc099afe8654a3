#!/bin/bash
# The receivers' story: an alert written to the outbox reaches every
# receiver it is routed to — signed JSON, WeCom, DingTalk and Feishu robots
# that check what the real ones check — exactly once when they accept it;
# failures are retried per the schedule, refusals end as dead letters, and
# a chat robot never gets more than its rate limit.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
python3 "$top_srcdir/tests/receivers/receiver.py" --json-secret "$secret" \
    --dingtalk-secret SECdingtalk --feishu-secret feishu-secret > "$T_DIR/receiver.out" 2>"$T_DIR/receiver.err" &
T_EXTRA_PIDS=$!
for i in $(seq 1 100); do [ -s "$T_DIR/receiver.out" ] && break; sleep 0.05; done
port=$(head -n 1 "$T_DIR/receiver.out")
[ -n "$port" ] || fail "receiver did not start"
base="http://127.0.0.1:$port"
received() {    # received PATH → how many messages the receiver accepted there
    python3 -c 'import json,sys,urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))))' \
        "$base/_received?path=$1"
}

create_db
write_config "
alerts = { quiet_hours = \"\"; };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; },
  { name = \"office\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; },
  { name = \"jianxi\"; type = \"dingtalk\"; url = \"$base/dingtalk?access_token=test-token\"; secret = \"SECdingtalk\"; },
  { name = \"feishu\"; type = \"feishu\"; url = \"$base/feishu/test-hook\"; secret = \"feishu-secret\"; },
  { name = \"flaky\"; type = \"json\"; url = \"$base/fail/500\"; secret = \"$secret\"; },
  { name = \"gone\"; type = \"json\"; url = \"$base/fail/410\"; secret = \"$secret\"; }
);"
start_daemon
wait_ready

# alert KIND SUBJECT RECEIVER... → writes one alert and its deliveries.
alert() {
    local kind=$1 subject=$2; shift 2
    local id
    id=$(sql "INSERT INTO alert (kind, subject, stage, light, payload) VALUES ('$kind', '$subject', 's1', 'red',
        '{\"message\": \"【逾期】涧西区 测试项目「主体封顶」已逾期4天\", \"tier\": 1,
          \"project\": {\"code\": \"T-1\", \"name\": \"测试项目\", \"county\": \"涧西区\", \"sector\": \"industry\",
                        \"level\": \"city\", \"unit\": \"涧西区政府\", \"leader\": \"王某\", \"leader_mobile\": \"13800000001\"},
          \"milestone\": {\"id\": 1, \"title\": \"主体封顶\", \"kind\": \"topping\", \"due\": \"2026-11-20\",
                          \"days_overdue\": 4, \"campaign\": \"2026-B6\"}}') RETURNING id" | head -n 1)
    for r in "$@"; do
        sql "INSERT INTO delivery (alert_id, receiver) VALUES ($id, '$r')" >/dev/null
    done
    echo "$id"
}
wait_for() {    # wait_for SQL EXPECTED — bounded wait for the outbox to settle
    for i in $(seq 1 200); do
        [ "$(sql "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

id=$(alert milestone.overdue milestone:1 audit office jianxi feishu)
wait_for "SELECT count(*) FROM delivery WHERE alert_id = $id AND status = 'delivered'" 4 ||
    fail "not delivered: $(sql "SELECT receiver || ' ' || status || ' ' || coalesce(last_error, '') FROM delivery WHERE alert_id = $id")"
ok "one alert reached four receivers"
expect_eq "signed JSON verified by the receiver" 1 "$(received /json)"
expect_eq "WeCom robot accepted it" 1 "$(received /wecom)"
expect_eq "DingTalk robot verified its signature" 1 "$(received /dingtalk)"
expect_eq "Feishu robot verified its signature" 1 "$(received /feishu)"
wid=$(python3 -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))[0]["webhook_id"])' "$base/_received?path=/json")
expect_eq "webhook-id is the alert's stable id" "msg_$id" "$wid"
expect_eq "each delivered once, one attempt" "4 4" "$(sql "SELECT count(*) || ' ' || sum(attempts) FROM delivery WHERE alert_id = $id")"

# A 500 is retried later per the schedule; a 410 is a dead letter at once.
id=$(alert milestone.overdue milestone:2 flaky gone)
wait_for "SELECT count(*) FROM delivery WHERE alert_id = $id AND attempts = 1 AND claimed_by IS NULL" 2 ||
    fail "failures not recorded"
expect_eq "a 500 stays pending for a retry" "pending|500" \
    "$(sql "SELECT status || '|' || last_http_status FROM delivery WHERE alert_id = $id AND receiver = 'flaky'")"
delay=$(sql "SELECT round(extract(epoch FROM next_attempt_at - now())) FROM delivery WHERE alert_id = $id AND receiver = 'flaky'")
[ "$delay" -ge 2 ] && [ "$delay" -le 6 ] || fail "first retry should be about 5 s away, is $delay"
ok "the first retry is scheduled about 5 s later"
expect_eq "a 410 is dead at once" "dead|410" \
    "$(sql "SELECT status || '|' || last_http_status FROM delivery WHERE alert_id = $id AND receiver = 'gone'")"
expect_contains "the dead letter is logged for the operators" "receiver=gone" "$(grep 'level=error' "$T_LOG")"

# A chat robot gets at most its rate limit (20 a minute); the rest wait.
for i in $(seq 1 25); do alert milestone.due_soon "milestone:$((100 + i))" office >/dev/null; done
wait_for "SELECT count(*) FROM delivery WHERE receiver = 'office' AND status = 'delivered'" 20 ||
    fail "rate-limited receiver did not get its 20"
sleep 0.5
expect_eq "no more than 20 a minute to one robot" 20 "$(received /wecom)"
expect_eq "the rest wait, not lost" 6 "$(sql "SELECT count(*) FROM delivery WHERE receiver = 'office' AND status = 'pending'")"
expect_eq "the robot never had to refuse (45009)" 0 "$(grep -c 45009 "$T_DIR/receiver.err" || true)"

# Secrets never reach the log.
expect_not_contains "no secret in the log" "$secret" "$(cat "$T_LOG")"
expect_not_contains "no robot key in the log" "test-key" "$(cat "$T_LOG")"
stop_daemon
