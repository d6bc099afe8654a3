#!/bin/bash
# The receivers' story: an alert written to the outbox reaches every
# receiver it is routed to — signed JSON, WeCom, DingTalk and Feishu robots
# that check what the real ones check — exactly once when they accept it;
# failures are retried per the schedule, refusals end as dead letters, and
# a chat robot never gets more than its rate limit.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret" --wecom-key test-key --wecom-key slow-key \
    --dingtalk-secret SECdingtalk --feishu-secret feishu-secret
received() {    # received PATH → how many messages the receiver accepted there
    python3 -c 'import json,sys,urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))))' \
        "$base/_received?path=$1"
}

create_db
write_config "
alerts = { $T_NO_HOLDS };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; },
  { name = \"office\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0; },
  { name = \"jianxi\"; type = \"dingtalk\"; url = \"$base/dingtalk?access_token=test-token\"; secret = \"SECdingtalk\";
    digest_window_seconds = 0; },
  { name = \"feishu\"; type = \"feishu\"; url = \"$base/feishu/test-hook\"; secret = \"feishu-secret\"; digest_window_seconds = 0; },
  { name = \"slowbot\"; type = \"wecom\"; url = \"$base/wecom?key=slow-key\"; rate_per_minute = 2; digest_window_seconds = 0; },
  { name = \"group\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 3; },
  { name = \"flaky\"; type = \"json\"; url = \"$base/fail/500\"; secret = \"$secret\"; },
  { name = \"gone\"; type = \"json\"; url = \"$base/fail/410\"; secret = \"$secret\"; }
);"
start_daemon
wait_ready

# alert KIND SUBJECT RECEIVER... → writes one alert and its deliveries.
alert() {
    local kind=$1 subject=$2; shift 2
    local id
    id=$(sql "INSERT INTO alert (kind, subject, stage, light, payload) VALUES ('$kind', '$subject', 's1', '${LIGHT:-red}',
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
wait_for() {    # wait_for SQL EXPECTED — until SQL answers EXPECTED, at most 30 s
    wait_until 30 sql_is "$2" "$1"
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
expect_eq "webhook-id is the alert's stable id (from its kind, subject and stage)" \
    "$(sql "SELECT keyproj_webhook_id(kind, subject, stage) FROM alert WHERE id = $id")" "$wid"
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

# A json receiver gets each alert as its own request, at once.
before=$(received /json)
for i in 1 2 3 4 5; do alert milestone.due_soon "milestone:$((200 + i))" audit >/dev/null; done
wait_for "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
          WHERE d.receiver = 'audit' AND d.status = 'delivered' AND a.subject LIKE 'milestone:20_'" 5 ||
    fail "json alerts not delivered"
expect_eq "a json receiver gets one request per alert" $((before + 5)) "$(received /json)"

# A chat robot gets at most its rate limit, one merged message being one
# slot; the rest wait (rate_per_minute = 2 here, on a robot of its own: the
# count is the robot's, whichever receiver sends to it).
wecom_before=$(received /wecom)
id=$(alert milestone.due_soon milestone:301 slowbot)
wait_for "SELECT status FROM delivery WHERE alert_id = $id" delivered || fail "slowbot: first not delivered"
id=$(alert milestone.due_soon milestone:302 slowbot)
wait_for "SELECT status FROM delivery WHERE alert_id = $id" delivered || fail "slowbot: second not delivered"
for i in 3 4 5; do alert milestone.due_soon "milestone:30$i" slowbot >/dev/null; done
settle 1
expect_eq "no more than its rate to one robot" $((wecom_before + 2)) "$(received /wecom)"
expect_eq "the rest wait, not lost" 3 "$(sql "SELECT count(*) FROM delivery WHERE receiver = 'slowbot' AND status = 'pending'")"
expect_eq "… with no attempt used" 0 "$(sql "SELECT sum(attempts) FROM delivery WHERE receiver = 'slowbot' AND status = 'pending'")"
expect_eq "the robot never had to refuse (45009)" 0 "$(grep -c 45009 "$T_DIR/receiver.err" || true)"

# Grouping: what becomes due within a chat receiver's window goes out as
# ONE message listing all of it, reds first; every row is marked together.
messages() {    # messages → the /wecom messages' markdown, one JSON list
    python3 -c 'import json,sys,urllib.request
print(json.dumps([(e["json"].get("markdown") or e["json"].get("text") or {}).get("content", "")
                  for e in json.load(urllib.request.urlopen(sys.argv[1]))], ensure_ascii=False))' \
        "$base/_received?path=/wecom"
}
n0=$(received /wecom)
for i in 1 2 3 4 5; do
    LIGHT=$([ $((i % 2)) = 1 ] && echo yellow || echo red) alert milestone.overdue "milestone:$((400 + i))" group >/dev/null
done
wait_for "SELECT count(*) FROM delivery WHERE receiver = 'group' AND status = 'delivered'" 5 ||
    fail "grouped alerts not delivered: $(sql "SELECT status || ' ' || coalesce(last_error, '') FROM delivery WHERE receiver = 'group'")"
expect_eq "five alerts in one window: one chat message" $((n0 + 1)) "$(received /wecom)"
last=$(messages | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1])')
expect_contains "… that counts them" "共 5 条：红灯 2 条，黄灯 3 条" "$last"
# all five are about one project: one line for it, its worst light once
expect_eq "… one line for their one project, said once" "1. 【红灯】测试项目：" \
    "$(echo "$last" | grep -o '^[0-9]*\. 【.灯】测试项目：')"
ids=$(echo "$last" | grep -o '编号：[0-9、]*' | sed 's/编号：//; s/、/,/g')
expect_eq "… listing every one, reds first" "red red yellow yellow yellow" \
    "$(sql "SELECT string_agg(light, ' ' ORDER BY array_position(ARRAY[$ids]::bigint[], id)) FROM alert WHERE id IN ($ids)")"
expect_eq "every row delivered together, one attempt each, each its own row" "5|1|5" \
    "$(sql "SELECT count(*) || '|' || count(DISTINCT delivered_at) || '|' || sum(attempts) FROM delivery WHERE receiver = 'group'")"
expect_contains "the merge is logged" "rows=5" "$(grep 'merged deliveries' "$T_LOG")"

# Over the robot's size limit (WeCom markdown: 4096 bytes): split into
# several messages, none too long, together listing every alert once.
n0=$(received /wecom)
sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
        SELECT 'milestone.overdue', 'milestone:' || (500 + i), 's1', CASE WHEN i % 3 = 0 THEN 'red' ELSE 'yellow' END,
               jsonb_build_object('message', '涧西区 第' || i || '个测试项目「主体结构封顶」已逾期 4 天，请分包领导督促',
                                  'project', jsonb_build_object('county', '涧西区'))
          FROM generate_series(1, 60) AS i RETURNING id)
     INSERT INTO delivery (alert_id, receiver) SELECT id, 'group' FROM a" >/dev/null
wait_for "SELECT count(*) FROM delivery WHERE receiver = 'group' AND status = 'delivered'" 65 ||
    fail "split alerts not delivered"
got=$(messages | python3 -c 'import json,re,sys
m = json.load(sys.stdin)[int(sys.argv[1]):]
ids = [x for c in m for g in re.findall(r"编号：([\d、]+)", c) for x in g.split("、")]
print(len(m) > 1, max(len(c.encode()) for c in m) <= 4096, len(ids), len(set(ids)),
      all("【红灯】" not in c.split("【黄灯】", 1)[1] for c in m if "【黄灯】" in c))' "$n0")
expect_eq "sixty alerts: several messages, each within 4096 bytes, listing all 60 once, reds before yellows" \
    "True True 60 60 True" "$got"

# The control commands: alerts, receivers, test.
out=$(kpctl --json alerts --kind milestone.overdue --light 黄 --limit 2) || fail "alerts: $out"
expect_eq "alerts --kind --light --limit: newest first, filtered" "2 milestone.overdue yellow True" \
    "$(echo "$out" | py '"%d %s %s %s" % (len(d), d[0]["kind"], d[1]["light"], d[0]["id"] > d[1]["id"])')"
expect_eq "… with how its deliveries stand" "delivered 1" "$(echo "$out" | py 'd[0]["deliveries"]')"
out=$(kpctl --json alerts --county 涧西区 --since -1h --limit 10000) || fail "alerts --county: $out"
expect_eq "alerts --county --since" 77 "$(echo "$out" | py 'len(d)')"
kpctl alerts --kind nosuch >/dev/null 2>"$T_DIR/err" && fail "alerts --kind nosuch succeeded"
expect_contains "an unknown kind is a usage error naming the kinds" "milestone.overdue" "$(cat "$T_DIR/err")"
out=$(kpctl --json receivers) || fail "receivers: $out"
expect_eq "receivers: every configured one, in order, with its type" \
    "audit:json office:wecom jianxi:dingtalk feishu:feishu slowbot:wecom group:wecom flaky:json gone:json" \
    "$(echo "$out" | py '" ".join(r["receiver"] + ":" + r["type"] for r in d)')"
expect_eq "… its backlog: pending, dead" "1 0 0 1" \
    "$(echo "$out" | py '"%d %d %d %d" % tuple([r for r in d if r["receiver"] == x][0][k] for x, k in (("flaky", "pending"), ("flaky", "dead"), ("gone", "pending"), ("gone", "dead")))')"
expect_eq "… last success, last error" "True HTTP 410" \
    "$(echo "$out" | py '"%s %s" % ([r for r in d if r["receiver"] == "group"][0]["last_success"] is not None, [r for r in d if r["receiver"] == "gone"][0]["last_error"][:8])')"
expect_not_contains "… never a URL" "127.0.0.1" "$out"
expect_not_contains "… never a secret" "SECdingtalk" "$out"
out=$(kpctl --json test audit) || fail "test audit: $out"
expect_eq "test RECEIVER sends a test message and shows the answer" "ok 204" \
    "$(echo "$out" | py '"%s %s" % (d["verdict"], d["http_status"])')"

# The listings' and retry's arguments: a bad one is a usage error (exit 2)
# saying what is expected.
for args in "deliveries --limit 0|--limit: expected a number of rows from 1 to 10000" \
            "alerts --limit 12x|--limit: expected a number of rows from 1 to 10000" \
            "audit --limit 99999999|--limit: expected a number of rows from 1 to" \
            "alerts --since yesterday|--since: cannot read 'yesterday'" \
            "deliveries --since 2026-13-01|--since: cannot read '2026-13-01'" \
            "retry --since soon|--since: cannot read 'soon'" \
            "retry 12abc|delivery ID must be a whole number as 'deliveries' shows it (got '12abc')"; do
    # shellcheck disable=SC2086
    run ${args%%|*}
    expect_eq "${args%%|*}: a usage error" 2 "$rc"
    expect_contains "${args%%|*}: says what is expected" "${args#*|}" "$err"
done

# Secrets never reach the log.
expect_not_contains "no secret in the log" "$secret" "$(cat "$T_LOG")"
expect_not_contains "no robot key in the log" "test-key" "$(cat "$T_LOG")"
stop_daemon
