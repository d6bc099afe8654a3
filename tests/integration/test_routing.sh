#!/bin/bash
# 领导分包 as the project office sets it up: one group per leader and one
# per responsible unit. A leader's receiver gets his projects' alerts and
# no one else's; a unit's gets its projects' and the milestones it answers
# for; each one's daily digest lists only that, titled for him. A county's
# DingTalk and WeCom groups get their reds merged into few messages, and
# each of those @-mentions every leader and unit contact its reds concern.
# The daemon's clock is set; waits poll, never sleep.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"
create_demo_db

leader=$(sql "SELECT l.name FROM project p JOIN person l ON l.id = p.leader_id
              GROUP BY l.name ORDER BY count(*) DESC, l.name LIMIT 1")
unit=市工信局
[ -n "$leader" ] || fail "the demo ledger has no leaders"
# A node the unit answers for in another unit's project (征迁 by a district
# for a city bureau's project, say): an overdue one, given to the unit.
sql "UPDATE milestone SET unit_id = (SELECT id FROM unit WHERE name = '$unit')
      WHERE id = (SELECT m.id FROM milestone m JOIN project p ON p.id = m.project_id JOIN unit pu ON pu.id = p.unit_id
                  WHERE pu.name <> '$unit' AND m.status = 'pending' AND m.due_on < '2026-11-20' ORDER BY m.id LIMIT 1)
      RETURNING id" | grep -q . || fail "no pending overdue milestone in another unit's project"
# The units' contacts (联系人), one per unit, on every project of 涧西区.
sql "INSERT INTO person (name, mobile)
     SELECT '联系人' || u.id, '1390000' || lpad(u.id::text, 4, '0') FROM unit u
      WHERE u.id IN (SELECT p.unit_id FROM project p JOIN county c ON c.id = p.county_id WHERE c.name = '涧西区')" >/dev/null
sql "UPDATE project p SET contact_id = k.id FROM person k, county c
      WHERE c.id = p.county_id AND c.name = '涧西区' AND k.name = '联系人' || p.unit_id" >/dev/null
chat="digest_window_seconds = 2; match = { county = [ \"涧西区\" ]; light = [ \"red\" ]; };"

write_config "
alerts = { $T_NO_HOLDS digest_time = \"08:30\"; };
receivers = (
  { name = \"lead\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\";
    match = { leader = [ \"$leader\" ]; }; },
  { name = \"unit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\";
    match = { unit = [ \"$unit\" ]; }; },
  { name = \"both\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\";
    match = { leader = [ \"$leader\" ]; kind = [ \"milestone.overdue\" ]; }; },
  { name = \"jianxi-ding\"; type = \"dingtalk\"; url = \"$base/dingtalk?access_token=test-token\"; $chat },
  { name = \"jianxi-wecom\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; $chat }
);"
start_daemon --now 2026-11-25T08:00:00+08:00
wait_ready
kpctl scan >/dev/null || fail "scan"

# ---- routing ---------------------------------------------------------------

# the alerts of the leader's projects, decided independently of the payload
of_leader="SELECT a.id FROM alert a JOIN project p ON p.id = a.project_id JOIN person l ON l.id = p.leader_id
           WHERE l.name = '$leader' AND a.kind <> 'digest'"
n=$(sql "SELECT count(*) FROM ($of_leader) x")
[ "$n" -gt 0 ] || fail "no alert for $leader's projects on 2026-11-25"
expect_eq "the leader's receiver got every alert of his projects ($n)" "$n" \
    "$(sql "SELECT count(*) FROM delivery WHERE receiver = 'lead' AND alert_id IN ($of_leader)")"
expect_eq "… and nothing else" 0 \
    "$(sql "SELECT count(*) FROM delivery WHERE receiver = 'lead' AND alert_id NOT IN ($of_leader)")"
expect_eq "leader and kind together: only his overdue milestones" \
    "$(sql "SELECT count(*) FROM alert WHERE id IN ($of_leader) AND kind = 'milestone.overdue'")" \
    "$(sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE d.receiver = 'both'")"
expect_eq "… of no other kind" 0 \
    "$(sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
            WHERE d.receiver = 'both' AND (a.kind <> 'milestone.overdue' OR a.id NOT IN ($of_leader))")"

# the unit's: its projects' alerts, and its own milestones' in others' projects
of_unit="SELECT a.id FROM alert a JOIN project p ON p.id = a.project_id
           LEFT JOIN unit pu ON pu.id = p.unit_id
           LEFT JOIN milestone m ON a.subject = 'milestone:' || m.id LEFT JOIN unit mu ON mu.id = m.unit_id
           LEFT JOIN problem pr ON a.subject = 'problem:' || pr.id LEFT JOIN unit ru ON ru.id = pr.unit_id
           LEFT JOIN approval ap ON a.subject = 'approval:' || ap.id LEFT JOIN unit au ON au.id = ap.unit_id
          WHERE '$unit' IN (pu.name, mu.name, ru.name, au.name) AND a.kind <> 'digest'"
n=$(sql "SELECT count(*) FROM ($of_unit) x")
expect_eq "the unit's receiver got the alerts of its projects and of the nodes it answers for ($n)" "$n" \
    "$(sql "SELECT count(*) FROM delivery WHERE receiver = 'unit' AND alert_id IN ($of_unit)")"
expect_eq "… and nothing else" 0 \
    "$(sql "SELECT count(*) FROM delivery WHERE receiver = 'unit' AND alert_id NOT IN ($of_unit)")"
[ "$(sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id JOIN project p ON p.id = a.project_id
          JOIN unit pu ON pu.id = p.unit_id WHERE d.receiver = 'unit' AND pu.name <> '$unit'")" -gt 0 ] ||
    fail "the unit's receiver got none of its milestones in other units' projects"
ok "… including its milestones in other units' projects"

expect_eq "payloads name the unit's contact (contact, contact_mobile)" "True" \
    "$(sql "SELECT payload->'project' FROM alert WHERE kind <> 'digest' LIMIT 1" |
       python3 -c 'import json,sys; p=json.load(sys.stdin); print("contact" in p and "contact_mobile" in p)')"

# ---- @-mentions in merged messages ------------------------------------------

reds="SELECT a.id FROM alert a JOIN project p ON p.id = a.project_id JOIN county c ON c.id = p.county_id
      WHERE c.name = '涧西区' AND a.light = 'red' AND a.kind <> 'digest'"
n=$(sql "SELECT count(*) FROM ($reds) x")
[ "$n" -gt 1 ] || fail "涧西区 has $n reds on 2026-11-25: too few to merge"
wait_until 60 sql_is 0 "SELECT count(*) FROM delivery WHERE receiver LIKE 'jianxi-%' AND status <> 'delivered'" ||
    fail "the reds were not delivered: $(sql "SELECT string_agg(DISTINCT coalesce(last_error, status), '; ')
                                             FROM delivery WHERE receiver LIKE 'jianxi-%'")"
# the mobiles the reds concern: their projects' leaders and unit contacts
want=$(sql "SELECT string_agg(DISTINCT m, ' ' ORDER BY m) FROM (
              SELECT l.mobile AS m FROM alert a JOIN project p ON p.id = a.project_id JOIN person l ON l.id = p.leader_id
               WHERE a.id IN ($reds)
              UNION SELECT k.mobile FROM alert a JOIN project p ON p.id = a.project_id JOIN person k ON k.id = p.contact_id
               WHERE a.id IN ($reds)) x")
[ -n "$want" ] || fail "the reds of 涧西区 name no mobile"
# mentions PATH → per message: "rows|mobiles mentioned|mobiles in the text", then the union
mentions() {
    python3 - "$base/_received?path=$1" <<'PY'
import json, re, sys, urllib.request
allm, lines = set(), []
for e in json.load(urllib.request.urlopen(sys.argv[1])):
    j = e["json"]
    body = j[j["msgtype"]]
    text = body.get("text") if "title" in body else body["content"]
    m = j.get("at", {}).get("atMobiles") or body.get("mentioned_mobile_list") or []
    if "每日汇总" in text:
        continue
    rows = len(re.findall(r"编号：", text))
    lines.append("%d|%s|%s" % (rows, len(m) == len(set(m)), all(("@" + x) in text for x in m)))
    allm |= set(m)
print("merged=%s" % any(int(l.split("|")[0]) > 1 for l in lines))
print("dedup=%s" % all(l.split("|")[1] == "True" for l in lines))
print("in_text=%s" % all(l.split("|")[2] == "True" for l in lines))
print("all=" + " ".join(sorted(allm)))
PY
}
ding=$(mentions /dingtalk)
expect_contains "DingTalk: the reds of 涧西区 went merged" "merged=True" "$ding"
expect_contains "… each message @-mentions (at.atMobiles) every leader and unit contact its reds concern" "all=$want" "$ding"
expect_contains "… each mobile once per message" "dedup=True" "$ding"
expect_contains "… and names each mobile in its text, so the @ shows" "in_text=True" "$ding"
wecom=$(mentions /wecom)
expect_contains "WeCom: merged too" "merged=True" "$wecom"
expect_contains "… as text messages whose mentioned_mobile_list holds every leader and contact" "all=$want" "$wecom"
expect_contains "… each once" "dedup=True" "$wecom"

# ---- the per-leader digest (领导分包) -----------------------------------------

kpctl clock set 2026-11-25T08:30:00+08:00 >/dev/null || fail "clock set"
wait_until 30 sql_is 5 "SELECT count(*) FROM alert WHERE kind = 'digest' AND stage = 'daily:2026-11-25'" ||
    fail "no daily digests: $(sql "SELECT string_agg(subject, ' ') FROM alert WHERE kind = 'digest'")"
digest() {      # digest RECEIVER EXPR — a field of its daily digest's payload
    sql "SELECT payload$2 FROM alert WHERE kind = 'digest' AND subject = 'receiver:$1' AND stage = 'daily:2026-11-25'"
}
title=$(digest lead "->>'title'")
expect_contains "the leader's digest is titled for him" "${leader}分包项目每日汇总 2026-11-25｜逾期" "$title"
want=$(sql "SELECT count(*) FROM milestone m JOIN project p ON p.id = m.project_id JOIN person l ON l.id = p.leader_id
            WHERE l.name = '$leader' AND m.status = 'pending' AND m.due_on <= '2026-11-29'")
[ "$want" -gt 0 ] || fail "$leader has no milestone overdue or due this week"
expect_eq "… lists every overdue or due-this-week milestone of his projects ($want)" "$want" \
    "$(digest lead "->'items'" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
expect_eq "… and only his projects'" "[]" \
    "$(sql "SELECT coalesce(jsonb_agg(DISTINCT i->'project'->>'leader'), '[]') FROM alert a,
            jsonb_array_elements(a.payload->'items') i
            WHERE a.subject = 'receiver:lead' AND a.stage = 'daily:2026-11-25' AND i->'project'->>'leader' <> '$leader'")"
lights=$(sql "SELECT format('项目红灯 %s 黄灯 %s 绿灯 %s', count(*) FILTER (WHERE p.light = 'red'),
                count(*) FILTER (WHERE p.light = 'yellow'), count(*) FILTER (WHERE p.light = 'green'))
              FROM project p JOIN person l ON l.id = p.leader_id WHERE l.name = '$leader'")
expect_contains "… its lights are his projects' lights" "$lights" "$title"
expect_contains "the unit's digest is titled with the unit" "${unit}每日汇总 2026-11-25" "$(digest unit "->>'title'")"
want=$(sql "SELECT count(*) FROM milestone m JOIN project p ON p.id = m.project_id LEFT JOIN unit pu ON pu.id = p.unit_id
            LEFT JOIN unit mu ON mu.id = m.unit_id
            WHERE '$unit' IN (pu.name, mu.name) AND m.status = 'pending' AND m.due_on <= '2026-11-29'")
expect_eq "… listing the milestones of its projects and those it answers for ($want)" "$want" \
    "$(digest unit "->'items'" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
wait_until 30 sql_is 0 "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
                        WHERE a.kind = 'digest' AND d.status <> 'delivered'" ||
    fail "digests not delivered: $(sql "SELECT string_agg(receiver || ' ' || coalesce(last_error, ''), '; ') FROM delivery d
                                         JOIN alert a ON a.id = d.alert_id WHERE a.kind = 'digest'")"
ok "the digests were delivered"

# ---- no floods: a backlog of 200 to one WeCom robot ---------------------------

stop_daemon
curl -s -X POST "$base/_reset" >/dev/null
write_config "
alerts = { $T_NO_HOLDS };
receivers = (
  { name = \"flood\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0;
    match = { kind = [ \"campaign.missed\" ]; }; }
);
web = { base_url = \"https://xm.example.gov.cn/keyproj/\"; };"
backlog() {     # backlog FROM TO — alerts FROM..TO for "flood", every 10th red, 涧西区 and 洛龙区
    sql "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
            SELECT 'milestone.overdue', 'milestone:' || (90000 + i), 's1',
                   CASE WHEN i % 10 = 0 THEN 'red' ELSE 'yellow' END,
                   jsonb_build_object('message', '第' || i || '个项目「主体封顶」已逾期 ' || (i / 4 + 1) || ' 天',
                                      'days_late', i / 4 + 1,
                                      'project', jsonb_build_object('county', CASE WHEN i % 4 = 0 THEN '洛龙区' ELSE '涧西区' END,
                                                                    'leader', '测试领导', 'leader_mobile', '13800009999'))
              FROM generate_series($1, $2) AS i RETURNING id)
         INSERT INTO delivery (alert_id, receiver, next_attempt_at)
         SELECT id, 'flood', '2026-11-25T09:00:00+08:00' FROM a" >/dev/null
}
backlog 1 200
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready
wait_until 60 sql_is 200 "SELECT count(*) FROM delivery WHERE receiver = 'flood' AND status = 'delivered'" ||
    fail "the backlog was not delivered: $(sql "SELECT status || ' ' || count(*) FROM delivery WHERE receiver = 'flood' GROUP BY status")"
got() {         # got → the messages the robot received, as JSON
    python3 -c 'import json,sys,urllib.request
print(json.dumps([e["json"][e["json"]["msgtype"]]["content"] for e in json.load(urllib.request.urlopen(sys.argv[1]))], ensure_ascii=False))' \
        "$base/_received?path=/wecom"
}
msgs=$(got)
expect_eq "a backlog of 200 that would take more than 3 messages: ONE summary" 1 \
    "$(echo "$msgs" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
summary=$(echo "$msgs" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0])')
expect_contains "… titled with the count" "重点项目提醒积压汇总（共 200 条）" "$summary"
expect_contains "… counting by light" "积压 200 条，合并为本条发送：红灯 20 条，黄灯 180 条" "$summary"
expect_contains "… and by county" "涧西区 150 条（红灯 10）、洛龙区 50 条（红灯 10）" "$summary"
expect_contains "… listing the worst first (reds, most days late), the kind and county not said again" "1. 【红灯】第200个项目「主体封顶」已逾期 51 天" "$summary"
expect_eq "… only the worst 5" 5 "$(echo "$summary" | grep -c '^[0-9]\. ')"
expect_contains "… linking to the rest under web.base_url" \
    "https://xm.example.gov.cn/keyproj/overdue?county=%E6%B6%A7%E8%A5%BF%E5%8C%BA" "$summary"
expect_contains "… and @-mentioning the reds' leader (a text message)" '"mentioned_mobile_list": ["13800009999"]' \
    "$(curl -s "$base/_received?path=/wecom" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]["json"]["text"], ensure_ascii=False))')"
expect_eq "every row it sums up is delivered by it, in one attempt each" "200|1|200" \
    "$(sql "SELECT count(*) || '|' || count(DISTINCT delivered_at) || '|' || sum(attempts) FROM delivery WHERE receiver = 'flood'")"
expect_eq "the audit log says so: delivery.summarised, 200 rows" "receiver:flood 200" \
    "$(sql "SELECT subject || ' ' || (new->>'rows') FROM audit_log WHERE action = 'delivery.summarised'")"
expect_contains "… and the log" "backlog sent as one summary" "$(grep 'rows=200' "$T_LOG")"

# from then on only what is new, as usual
backlog 201 203
wait_until 30 sql_is 203 "SELECT count(*) FROM delivery WHERE receiver = 'flood' AND status = 'delivered'" ||
    fail "the new alerts were not delivered"
msgs=$(got)
expect_eq "three new alerts afterwards: one ordinary message" 2 \
    "$(echo "$msgs" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
last=$(echo "$msgs" | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1])')
expect_contains "… listing only the new ones" "共 3 条" "$last"
expect_not_contains "… not a summary" "积压" "$last"
