#!/bin/bash
# Daily digests: at alerts.digest_time on a working day (the holiday
# calendar decides, 调休 included) every receiver gets one digest — what is
# overdue, what is due this week, the lights of its projects (its match
# filters) — a `digest` event for json receivers, one chat message for the
# robots; written as alerts through the outbox, once per receiver and day
# whatever restarts do; none on a rest day. The daemon's clock is set.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"

# digests PATH → the digest messages received there, one per line: the json
# events' titles, the robots' first line.
digests() {
    python3 - "$base/_received?path=$1" <<'PY'
import json, sys, urllib.request
for e in json.load(urllib.request.urlopen(sys.argv[1])):
    j = e.get("json") or {}
    if j.get("type") == "digest":
        print("%s|%d" % (j["data"]["title"], j["data"]["count"]))
    elif "markdown" in j and "每日汇总" in j["markdown"]["content"]:
        print(j["markdown"]["content"].split("\n")[0])
PY
}
wait_for() {    # wait_for SQL EXPECTED — until SQL answers EXPECTED, at most 30 s
    wait_until 30 sql_is "$2" "$1"
}
set_clock() {
    kpctl clock set "$1" >/dev/null || fail "clock set $1"
    # The robots count their 20 a minute on the same clock (each week's
    # summaries and bulletin files would be one real minute's otherwise).
    curl -s -X POST -d "{\"now\": $(date -d "$1" +%s)}" "$base/_clock" >/dev/null || fail "receiver clock"
}

cp "$top_srcdir/etc/holidays.conf" "$T_DIR/holidays.conf"
create_db
# Filtered to a kind these projects never raise, so only digests flow.
only='match = { kind = [ "campaign.missed" ]; };'
write_config "
alerts = { quiet_hours = \"\"; holidays = \"holidays.conf\"; digest_time = \"08:30\"; };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; $only },
  { name = \"office\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0; $only },
  { name = \"reds\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0;
    reds_only_at_once = true; $only }
);"
start_daemon --now 2026-11-25T08:00:00+08:00      # a working Wednesday
wait_ready
kpctl import projects "$DEMO/projects.csv" >/dev/null || fail "import projects"
for k in plans reports; do kpctl import $k "$DEMO/$k.csv" >/dev/null || fail "import $k"; done
# (the weekly bulletin's file to each WeCom robot is a digest alert of its own: test_bulletin.sh)
digest_count() { sql "SELECT count(*) FROM alert WHERE kind = 'digest' AND stage NOT LIKE 'bulletin:%'"; }

settle 0.5
expect_eq "before 08:30 there is no digest" 0 "$(digest_count)"

set_clock 2026-11-25T08:30:00+08:00
wait_for "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
          WHERE a.kind = 'digest' AND a.stage LIKE 'daily:%' AND d.status = 'delivered'" 3 ||
    fail "digests not delivered: $(sql "SELECT d.receiver || ' ' || d.status || ' ' || coalesce(d.last_error, '')
                                         FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE a.kind = 'digest'")"
expect_eq "at 08:30 on a working day: one digest alert per receiver" \
    "receiver:audit daily:2026-11-25 receiver:office daily:2026-11-25 receiver:reds daily:2026-11-25" \
    "$(sql "SELECT string_agg(subject || ' ' || stage, ' ' ORDER BY subject) FROM alert WHERE kind = 'digest' AND stage LIKE 'daily:%'")"
over=$(sql "SELECT count(*) FROM milestone WHERE status = 'pending' AND due_on < '2026-11-25'")
week=$(sql "SELECT count(*) FROM milestone WHERE status = 'pending' AND due_on BETWEEN '2026-11-25' AND '2026-11-29'")
n=$((over + week)); [ "$n" -gt 500 ] && n=500
j=$(digests /json)
expect_contains "the json receiver got a digest event: overdue, due this week, lights" \
    "每日汇总 2026-11-25｜逾期 $over 项，本周到期 $week 项｜项目红灯" "$j"
daily=$(echo "$j" | grep 每日汇总)
expect_eq "… listing each of them" "$n" "${daily##*|}"
expect_contains "the robot got it as one message" "每日汇总 2026-11-25｜逾期 $over 项" "$(digests /wecom)"
# digest_wid TITLE → the webhook-id of the json digest titled TITLE…
digest_wid() {
    python3 -c 'import json,sys,urllib.request
print([e["webhook_id"] for e in json.load(urllib.request.urlopen(sys.argv[1])) if e["json"]["type"] == "digest" and e["json"]["data"]["title"].startswith(sys.argv[2])][0])' \
      "$base/_received?path=/json" "$1"
}
# identity_wid STAGE_LIKE → msg_ + 26 hex digits of SHA-256 over receiver
# audit's digest's kind, subject and stage joined by U+001F, as
# doc/webhooks.md tells receivers (computed here, not by keyproj_webhook_id)
identity_wid() {
    python3 -c 'import hashlib, sys; print("msg_" + hashlib.sha256("\x1f".join(sys.argv[1].split("|", 2)).encode()).hexdigest()[:26])' \
        "$(sql "SELECT kind || '|' || subject || '|' || stage FROM alert WHERE kind = 'digest' AND subject = 'receiver:audit' AND stage LIKE '$1'")"
}
expect_eq "its webhook-id is the digest alert's: from kind, subject and stage" "$(identity_wid 'daily:%')" \
    "$(digest_wid 每日汇总)"

# The weekly summary: first working day of the week from weekly_day (Monday);
# this daemon first runs on Wednesday, so it writes that week's then.
wait_for "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
          WHERE a.stage = 'weekly:2026-W48' AND d.status = 'delivered'" 3 || fail "no weekly summaries"
ok "one weekly summary per receiver for the week (stage weekly:2026-W48)"
expect_contains "… titled with the week and the ranked month" "周报 2026-W48｜10 月投资完成排名" "$(digests /json)"
expect_eq "… its webhook-id from its identity (digest, receiver:audit, weekly:2026-W48)" \
    "$(identity_wid weekly:2026-W48)" "$(digest_wid 周报)"
counties=$(sql "SELECT count(DISTINCT county_id) FROM project WHERE year = 2026 AND annual_plan > 0")
# weekly_items STAGE WHAT — of receiver audit's weekly summary: "ranked"
# (the ranked counties), "unreported" (its 未报齐 line) or "named" (the
# counties on that line)
weekly_items() {
    case "$2" in
        ranked) sql "SELECT string_agg(i #>> '{project,county}', ' ' ORDER BY i #>> '{project,county}')
                       FROM alert a, jsonb_array_elements(a.payload->'items') i
                      WHERE a.subject = 'receiver:audit' AND a.stage = '$1' AND i ? 'rank'" ;;
        unreported) sql "SELECT i->>'message' FROM alert a, jsonb_array_elements(a.payload->'items') i
                          WHERE a.subject = 'receiver:audit' AND a.stage = '$1' AND i ? 'unreported'" ;;
        named) sql "SELECT string_agg(u->>'county', ' ' ORDER BY u->>'county' COLLATE \"C\")
                      FROM alert a, jsonb_array_elements(a.payload->'items') i, jsonb_array_elements(i->'unreported') u
                     WHERE a.subject = 'receiver:audit' AND a.stage = '$1'" ;;
    esac
}
# Counties with a project of the year lacking MONTH's report.
missing_in() {
    sql "SELECT string_agg(n, ' ' ORDER BY n COLLATE \"C\") FROM (SELECT DISTINCT c.name AS n
           FROM project p JOIN county c ON c.id = p.county_id WHERE p.year = 2026 AND p.annual_plan > 0
            AND NOT EXISTS (SELECT 1 FROM investment_report r WHERE r.project_id = p.id AND r.month = '$1')) s"
}
late=$(missing_in 2026-10-01)
[ -n "$late" ] || fail "the demo ledger has every October report: the case below needs a missing one"
expect_eq "… a county whose October reports are not all in is named, not ranked" "$late" \
    "$(weekly_items weekly:2026-W48 named)"
expect_eq "… the others all ranked" "$((counties - $(echo $late | wc -w)))" "$(weekly_items weekly:2026-W48 ranked | wc -w)"
expect_eq "… but named: 10月月报未报齐" "10月月报未报齐：$(echo "$late" | sed 's/ /、/g')" \
    "$(weekly_items weekly:2026-W48 unreported)"
expect_eq "… every county with planned investment ranked or named" "$counties" \
    "$(sql "SELECT jsonb_array_length(payload->'items') - 1 + jsonb_array_length(payload->'items'->-1->'unreported')
              FROM alert WHERE subject = 'receiver:audit' AND stage = 'weekly:2026-W48'")"
expect_eq "… 城区组 and 县组 ranked apart, each from 1" "$(sql "SELECT count(DISTINCT grp) FROM county c WHERE EXISTS
        (SELECT 1 FROM project p WHERE p.county_id = c.id AND p.year = 2026 AND p.annual_plan > 0)")" \
    "$(sql "SELECT count(DISTINCT i->>'group') FROM alert a, jsonb_array_elements(a.payload->'items') i
            WHERE a.subject = 'receiver:audit' AND a.stage = 'weekly:2026-W48' AND (i->>'rank')::int = 1")"
expect_eq "… in group order: 城区组 first" "城区组" \
    "$(sql "SELECT payload->'items'->0->>'group' FROM alert WHERE subject = 'receiver:audit' AND stage = 'weekly:2026-W48'")"
expect_eq "… each ranking line names its county (城区组第 1 名 涧西区：完成 …)" "" \
    "$(sql "SELECT string_agg(i->>'message', ' / ') FROM alert a, jsonb_array_elements(a.payload->'items') i
            WHERE a.subject = 'receiver:audit' AND a.stage = 'weekly:2026-W48' AND i ? 'rank'
              AND i->>'message' NOT LIKE format('%s第 %s 名 %s：完成 %%', i->>'group', i->>'rank',
                                               i #>> '{project,county}')")"

# Idempotent: a restart the same morning writes nothing new.
stop_daemon
start_daemon --now 2026-11-25T08:45:00+08:00
wait_ready
logged_once() { grep -c "digest written" "$T_LOG"; }
settle 1
expect_eq "a restart the same day: still one digest and one weekly summary per receiver" 6 "$(digest_count)"
expect_eq "… and nothing sent twice" 2 "$(digests /json | wc -l)"

# reds_only_at_once: a red goes at once, a yellow waits for the next digest.
alert() {       # alert LIGHT SUBJECT → id; one delivery to "reds", due at the daemon's time
    local id
    id=$(sql "INSERT INTO alert (kind, subject, stage, light, created_at, payload)
              VALUES ('milestone.overdue', '$2', 's1', '$1', '2026-11-25T08:45:00+08:00',
                      '{\"message\": \"测试 $2\", \"project\": {\"county\": \"涧西区\"}}') RETURNING id" | head -n 1)
    sql "INSERT INTO delivery (alert_id, receiver, next_attempt_at) VALUES ($id, 'reds', '2026-11-25T08:45:00+08:00')" >/dev/null
    echo "$id"
}
red=$(alert red reds:1)
yellow=$(alert yellow reds:2)
wait_for "SELECT status FROM delivery WHERE alert_id = $red" delivered || fail "the red was not sent at once"
ok "reds_only_at_once: a red goes at once"
settle 0.5
expect_eq "… a yellow waits for the daily digest, not attempted" "pending 0" \
    "$(sql "SELECT status || ' ' || attempts FROM delivery WHERE alert_id = $yellow")"
set_clock 2026-11-26T08:30:05+08:00
wait_for "SELECT status FROM delivery WHERE alert_id = $yellow" delivered || fail "the yellow did not go after the digest"
ok "… and goes out after the next day's digest"
expect_eq "the next day of the same week: no second weekly summary" 3 \
    "$(sql "SELECT count(*) FROM alert WHERE stage = 'weekly:2026-W48'")"

# A held yellow on a node the next digest lists is told by that digest:
# delivered with it, never sent again on its own after it.
code=$(sql "SELECT min(code) FROM project")
printf 'project,campaign,kind,title,due\n%s,2026-B6,other,围挡施工,2026-11-20\n' "$code" > "$T_DIR/m.csv"
kpctl import milestones "$T_DIR/m.csv" >/dev/null || fail "import milestones"
mid=$(sql "SELECT id FROM milestone WHERE title = '围挡施工'")
set_clock 2026-11-26T10:00:00+08:00
told=$(sql "INSERT INTO alert (kind, subject, stage, light, created_at, payload)
            VALUES ('milestone.overdue', 'milestone:$mid', 'yellow', 'yellow', '2026-11-26T10:00:00+08:00',
                    '{\"message\": \"测试 围挡施工\", \"project\": {\"county\": \"涧西区\"}}') RETURNING id" | head -n 1)
sql "INSERT INTO delivery (alert_id, receiver, next_attempt_at) VALUES ($told, 'reds', '2026-11-26T10:00:00+08:00')" >/dev/null
messages() { python3 -I -S -c 'import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))))' "$base/_received?path=/wecom"; }
before=$(messages)
set_clock 2026-11-27T08:30:05+08:00
wait_for "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
          WHERE a.stage = 'daily:2026-11-27' AND a.kind = 'digest' AND d.status = 'delivered'" 3 || fail "no digests on 11-27"
expect_eq "reds_only_at_once: a held yellow the digest lists is delivered with it, never attempted on its own" \
    "delivered 0 $(sql "SELECT delivered_at FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE a.stage = 'daily:2026-11-27' AND d.receiver = 'reds'")" \
    "$(sql "SELECT status || ' ' || attempts || ' ' || delivered_at FROM delivery WHERE alert_id = $told")"
expect_eq "… audited as told in that digest" "$(sql "SELECT id FROM alert WHERE stage = 'daily:2026-11-27' AND subject = 'receiver:reds'") 1" \
    "$(sql "SELECT new->>'digest' || ' ' || (new->>'rows') FROM audit_log WHERE action = 'delivery.told_in_digest' AND subject = 'receiver:reds'")"
settle 1
expect_eq "… the robots got the two digests (office, reds) and nothing else" "$((before + 2))" "$(messages)"

# December, before November's reports are in: the ranking is October's,
# against October's plan, not November's with every county behind.
set_clock 2026-12-07T08:30:05+08:00
wait_for "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
          WHERE a.stage = 'weekly:2026-W50' AND d.status = 'delivered'" 3 || fail "no weekly summaries in W50"
expect_contains "no November report in: the summary ranks October and says so" \
    "周报 2026-W50｜10 月投资完成排名" "$(digests /json)"
expect_eq "… its month is October's" 2026-10 \
    "$(sql "SELECT payload->>'month' FROM alert WHERE subject = 'receiver:audit' AND stage = 'weekly:2026-W50'")"
# November's reports come in, but for two counties (a district and a county).
sql "INSERT INTO investment_report (project_id, month, amount, ytd)
     SELECT p.id, '2026-11-01', 0, coalesce((SELECT max(r.ytd) FROM investment_report r WHERE r.project_id = p.id), 0)
       FROM project p JOIN county c ON c.id = p.county_id
      WHERE p.year = 2026 AND c.name NOT IN ('西工区', '嵩县')" >/dev/null
expect_eq "(November's reports are missing for 西工区 and 嵩县 only)" "嵩县 西工区" "$(missing_in 2026-11-01)"
set_clock 2026-12-14T08:30:05+08:00
wait_for "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
          WHERE a.stage = 'weekly:2026-W51' AND d.status = 'delivered'" 3 || fail "no weekly summaries in W51"
expect_contains "November's reports in, but not all: the summary ranks November" \
    "周报 2026-W51｜11 月投资完成排名" "$(digests /json)"
expect_eq "… names the counties whose reports are missing, district group first" "11月月报未报齐：西工区、嵩县" \
    "$(weekly_items weekly:2026-W51 unreported)"
expect_eq "… and ranks neither of them" "" \
    "$(weekly_items weekly:2026-W51 ranked | tr ' ' '\n' | grep -xE '西工区|嵩县')"
expect_eq "… the others all ranked" "$((counties - 2))" \
    "$(weekly_items weekly:2026-W51 ranked | wc -w)"
c=$(weekly_items weekly:2026-W51 ranked | cut -d' ' -f1)
expect_eq "… each against November's planned progress (序时进度)" \
    "$(sql "SELECT round(100 * sum(coalesce(ip.planned_cumulative, p.annual_plan * 11 / 12)) / sum(p.annual_plan), 1)
              FROM project p JOIN county c ON c.id = p.county_id
              LEFT JOIN investment_plan ip ON ip.project_id = p.id AND ip.month = '2026-11-01'
             WHERE p.year = 2026 AND p.annual_plan > 0 AND c.name = '$c'")" \
    "$(sql "SELECT i->>'schedule_rate' FROM alert a, jsonb_array_elements(a.payload->'items') i
             WHERE a.subject = 'receiver:audit' AND a.stage = 'weekly:2026-W51' AND i #>> '{project,county}' = '$c'")"
robot=$(curl -sf "$base/_received?path=/wecom" | python3 -c 'import json, sys
print([e["json"]["markdown"]["content"] for e in json.load(sys.stdin)
       if "markdown" in e["json"] and "2026-W51" in e["json"]["markdown"]["content"]][0])')
expect_contains "… the robot's message says it on a line of its own" "11月月报未报齐：西工区、嵩县" "$robot"

# A county-filtered receiver's digest covers only its county's projects.
county=$(sql "SELECT c.name FROM county c JOIN project p ON p.county_id = c.id GROUP BY c.name ORDER BY count(*) DESC LIMIT 1")
stop_daemon
write_config "
alerts = { quiet_hours = \"\"; holidays = \"holidays.conf\"; digest_time = \"08:30\"; };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; $only },
  { name = \"office\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0; $only },
  { name = \"reds\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0;
    reds_only_at_once = true; $only },
  { name = \"county\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\";
    match = { county = [ \"$county\" ]; kind = [ \"campaign.missed\" ]; }; }
);"
# A holiday (国庆): no digest.
start_daemon --now 2026-10-02T08:30:00+08:00
wait_ready
settle 1
expect_eq "on a holiday (国庆) no digest" 0 "$(sql "SELECT count(*) FROM alert WHERE kind = 'digest' AND stage = 'daily:2026-10-02'")"
# A Saturday that is a working day (调休): digests.
set_clock 2026-10-10T08:30:05+08:00
wait_for "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
          WHERE a.stage = 'daily:2026-10-10' AND d.status = 'delivered'" 4 || fail "no digests on the 调休 Saturday"
ok "a Saturday made a working day (调休) gets its digests"
cnt=$(sql "SELECT count(*) FROM milestone m JOIN project p ON p.id = m.project_id JOIN county c ON c.id = p.county_id
           WHERE m.status = 'pending' AND m.due_on <= '2026-10-11' AND c.name = '$county'")
[ "$cnt" -gt 500 ] && cnt=500
expect_eq "the county receiver's digest lists only its county's milestones" "$cnt" \
    "$(sql "SELECT jsonb_array_length(payload->'items') FROM alert WHERE subject = 'receiver:county' AND stage = 'daily:2026-10-10'")"
expect_eq "… every item in that county" "0" \
    "$(sql "SELECT count(*) FROM alert a, jsonb_array_elements(a.payload->'items') i
            WHERE a.subject = 'receiver:county' AND a.stage = 'daily:2026-10-10' AND i #>> '{project,county}' <> '$county'")"
# An ordinary Saturday: none.
set_clock 2026-11-28T08:30:05+08:00
settle 1
expect_eq "on an ordinary Saturday no digest" 0 "$(sql "SELECT count(*) FROM alert WHERE kind = 'digest' AND stage = 'daily:2026-11-28'")"
stop_daemon
