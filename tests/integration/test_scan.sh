#!/bin/bash
# The alert engine, as the project office would see it over a few days of
# the demo year: after the ledger is imported, exactly the milestones SQL
# says are overdue or due soon have alerts, each receiver gets only what its
# match selects, every project has a light; a second scan finds nothing to
# do; the next day brings only the new stages; edits made straight in SQL
# are seen (done, rescheduled, a new milestone) through NOTIFY; two daemons
# and a restart never duplicate anything; a campaign target out of reach
# is at risk, then missed. Dates move with `clock set`, never with sleep.
. "$top_srcdir/tests/integration/lib.sh"

T_ADMINS="\"$(id -un)\""
# Small batches, so that a scan of the demo takes several of them.
write_config '
alerts = { scan_batch_rows = 500; quiet_hours = "22:00-08:00"; hold_on_rest_days = true; };
receivers = (
  { name = "audit"; type = "json"; url = "http://127.0.0.1:9/hooks"; secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    match = { kind = [ "milestone.overdue" ]; }; },
  { name = "jianxi"; type = "wecom"; url = "http://127.0.0.1:9/send?key=k";
    match = { county = [ "涧西区" ]; }; }
);'
create_db

# j EXPR — evaluates a Python expression on the JSON read from stdin (as d).
j() {
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# wait_sql WHAT SQL EXPECTED — polls (at most 10 s) until SQL gives EXPECTED.
wait_sql() {
    wait_until 30 sql_is "$3" "$2" && { ok "$1"; return 0; }
    fail "$1: expected '$3', still '$(sql "$2")' after 30 s"
}

# ---- a production clock cannot be moved ---------------------------------
start_daemon
wait_ready
out=$(kpctl clock set 2026-11-26T09:00:00+08:00 2>&1); rc=$?
expect_eq "clock set without --now is refused" 1 "$rc"
expect_contains "and says why" "test mode" "$out"
stop_daemon || fail "keyprojd did not stop cleanly"

# ---- the ledger, then one settled state ----------------------------------
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
for kind in projects milestones plans reports; do
    kpctl import $kind "$DEMO/$kind.csv" >/dev/null || fail "import $kind"
done
out=$(kpctl clock set yesterday 2>&1); rc=$?
expect_eq "clock set with a bad time is a usage error" 2 "$rc"

# What the rules say about milestones on a day (doc/alerts.md, defaults),
# written independently in SQL.
sql "CREATE FUNCTION t_expected(today date) RETURNS TABLE (subject text, kind text, stage text)
LANGUAGE sql AS \$\$
SELECT 'milestone:' || id, 'milestone.overdue', to_char(due_on, 'YYYY-MM-DD') || '/overdue-' ||
       CASE WHEN today - due_on >= 16 AND 1 + (today - due_on - 1) / 3 * 3 < 16 THEN 16
            ELSE 1 + (today - due_on - 1) / 3 * 3 END
  FROM milestone WHERE status = 'pending' AND due_on < today
UNION ALL
SELECT 'milestone:' || id, 'milestone.due_soon', to_char(due_on, 'YYYY-MM-DD') || '/due-' ||
       CASE WHEN due_on - today <= 1 THEN 1 WHEN due_on - today <= 3 THEN 3 ELSE 7 END
  FROM milestone WHERE status = 'pending' AND due_on BETWEEN today AND today + 7
UNION ALL   -- structure nodes of this heating season (11-25 .. 11-30: past 11-15, red)
SELECT 'milestone:' || id, 'milestone.freeze', '2026/red'
  FROM milestone WHERE status = 'pending' AND kind = 'structure' AND due_on < '2027-03-15'
\$\$" >/dev/null

# The imports woke the engine (NOTIFY); one explicit scan settles it, and
# then a second one must find nothing at all to look at.
first=$(kpctl --json scan) || fail "scan: $first"
second=$(kpctl --json scan) || fail "scan: $second"
echo "# settling scan: $(echo "$first" | j 'd["examined"], d["alerts"], d["deliveries"], d["duration_ms"]')"
expect_eq "a scan right after a full one examines 0 rows" "0 0" "$(echo "$second" | j '"%d %d" % (d["examined"], d["alerts"])')"

q_alerts="SELECT subject, kind, stage FROM alert WHERE kind LIKE 'milestone.%'"
expect_eq "milestone alerts are exactly what SQL expects on 2026-11-25" "0 0" \
    "$(sql "SELECT (SELECT count(*) FROM ($q_alerts EXCEPT SELECT * FROM t_expected('2026-11-25')) x) || ' ' ||
                   (SELECT count(*) FROM (SELECT * FROM t_expected('2026-11-25') EXCEPT $q_alerts) y)")"
n_ms=$(sql "SELECT count(*) FROM t_expected('2026-11-25')")
expect_eq "as many as the milestones overdue, due within 7 days or before the freeze" "$n_ms" \
    "$(sql "SELECT count(*) FROM alert WHERE kind LIKE 'milestone.%'")"
expect_eq "overdue alerts for every overdue milestone" \
    "$(sql "SELECT count(*) FROM milestone WHERE status = 'pending' AND due_on < '2026-11-25'")" \
    "$(sql "SELECT count(*) FROM alert WHERE kind = 'milestone.overdue'")"
expect_eq "red from the 16th day overdue, yellow before" "0" \
    "$(sql "SELECT count(*) FROM alert a JOIN milestone m ON 'milestone:' || m.id = a.subject
             WHERE a.kind = 'milestone.overdue'
               AND a.light <> CASE WHEN '2026-11-25'::date - m.due_on >= 16 THEN 'red' ELSE 'yellow' END")"

# Routing: each receiver got exactly what its match selects, nobody else.
expect_eq "the json receiver got every milestone.overdue, nothing else" \
    "$(sql "SELECT count(*) FROM alert WHERE kind = 'milestone.overdue'")" \
    "$(sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE d.receiver = 'audit'")"
expect_eq "…and only those" 0 \
    "$(sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE d.receiver = 'audit' AND a.kind <> 'milestone.overdue'")"
expect_eq "the wecom receiver got every alert of 涧西区" \
    "$(sql "SELECT count(*) FROM alert a JOIN project p ON p.id = a.project_id JOIN county c ON c.id = p.county_id WHERE c.name = '涧西区'")" \
    "$(sql "SELECT count(*) FROM delivery WHERE receiver = 'jianxi'")"
expect_eq "…and only those" 0 \
    "$(sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id JOIN project p ON p.id = a.project_id
             JOIN county c ON c.id = p.county_id WHERE d.receiver = 'jianxi' AND c.name <> '涧西区'")"
expect_eq "no delivery to anyone else" 0 "$(sql "SELECT count(*) FROM delivery WHERE receiver NOT IN ('audit', 'jianxi')")"
expect_eq "deliveries start at the scan's clock" 0 \
    "$(sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE d.created_at <> a.created_at")"

# The payload carries what renderers need, and a one-line Chinese message.
aid=$(sql "SELECT a.id FROM alert a WHERE a.kind = 'milestone.overdue' ORDER BY a.id LIMIT 1")
p=$(sql "SELECT payload FROM alert WHERE id = $aid")
expect_eq "payload: project, milestone, tier, message" "True" "$(echo "$p" | j 'all(k in d["project"] for k in ("code","name","county","sector","level","unit","leader","leader_mobile")) and all(k in d["milestone"] for k in ("id","title","kind","due","days_overdue","campaign")) and isinstance(d["tier"], int) and d["message"].startswith("【逾期】")')"
expect_contains "the message names the milestone and its days" "已逾期" "$(echo "$p" | j 'd["message"]')"

# Project alerts that hold on this date, each with this month's stage.
expect_eq "应开未开: every project not started after its planned start month" 0 \
    "$(sql "SELECT count(*) FROM project p WHERE p.actual_start IS NULL AND p.status = 'preliminary'
               AND p.category <> 'continuing' AND p.planned_start < '2026-11-01'
               AND NOT EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'project.start_overdue'
                               AND a.subject = 'project:' || p.code
                               AND a.stage = to_char(p.planned_start, 'YYYY-MM-DD') || '/2026-11')")"
expect_eq "应竣未竣: every project past its planned end" 0 \
    "$(sql "SELECT count(*) FROM project p WHERE p.actual_end IS NULL AND p.planned_end < '2026-11-25'
               AND p.status NOT IN ('completed', 'operating')
               AND NOT EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'project.completion_overdue'
                               AND a.subject = 'project:' || p.code)")"
expect_eq "投资滞后: every project 10+ points behind its plan in October" 0 \
    "$(sql "SELECT count(*) FROM project p JOIN investment_report r ON r.project_id = p.id AND r.month = '2026-10-01'
              LEFT JOIN investment_plan ip ON ip.project_id = p.id AND ip.month = '2026-10-01'
             WHERE p.annual_plan > 0
               AND (coalesce(ip.planned_cumulative / p.annual_plan, 10.0 / 12) - r.ytd / p.annual_plan) * 100 >= 10.0001
               AND NOT EXISTS (SELECT 1 FROM alert a WHERE a.kind = 'investment.lagging'
                               AND a.subject = 'project:' || p.code AND a.stage LIKE '2026-10/%')")"

# A ledger imported in steps (projects, then reports): no project is owed a
# report whose due day (the 5th of the next month) passed before it entered.
expect_eq "every judged project knows when it entered, never after today" 0 \
    "$(sql "SELECT count(*) FROM project WHERE entered_on IS NULL OR entered_on > '2026-11-25'")"
expect_eq "no report.missing for a month due before the project entered" 0 \
    "$(sql "SELECT count(*) FROM alert a JOIN project p ON a.subject = 'project:' || p.code
             WHERE a.kind = 'report.missing'
               AND (to_date(left(a.stage, 7), 'YYYY-MM') + interval '1 month 4 days')::date < p.entered_on")"

# Lights: on every project, the worst of its parts, shown by the views.
expect_eq "every project has a light" 0 "$(sql "SELECT count(*) FROM project WHERE light IS NULL")"
expect_eq "a project with a milestone 16+ days overdue is red" 0 \
    "$(sql "SELECT count(*) FROM project p WHERE p.light <> 'red' AND EXISTS (SELECT 1 FROM milestone m
             WHERE m.project_id = p.id AND m.status = 'pending' AND m.due_on < '2026-11-10')")"
expect_eq "green means no reasons, and reasons mean not green" 0 \
    "$(sql "SELECT count(*) FROM project WHERE (light = 'green') <> (cardinality(light_reasons) = 0)")"
expect_eq "the milestone part is named when a milestone is overdue" 0 \
    "$(sql "SELECT count(*) FROM project p WHERE EXISTS (SELECT 1 FROM milestone m WHERE m.project_id = p.id
             AND m.status = 'pending' AND m.due_on < '2026-11-25') AND NOT 'milestone' = ANY (p.light_reasons)")"
echo "# lights: $(sql "SELECT string_agg(light || '=' || n, ' ' ORDER BY light) FROM (SELECT light, count(*) n FROM project GROUP BY 1) x")"
code=$(sql "SELECT code FROM project WHERE light = 'red' ORDER BY code LIMIT 1")
expect_eq "project CODE shows the light and why" "red True" \
    "$(kpctl --json project "$code" | j '"%s %s" % (d["light"], "milestone" in d["light_reasons"] or len(d["light_reasons"]) > 0)')"
expect_eq "projects shows the light" "$(sql "SELECT count(*) FROM project WHERE light = 'red'")" \
    "$(kpctl --json projects | j 'sum(r["light"] == "red" for r in d)')"
expect_eq "status shows the last scan" "0 0 True" \
    "$(kpctl --json status | j '"%d %d %s" % (d["last_scan_examined"], d["last_scan_alerts"], d["last_scan_at"].startswith("2026-11-25T"))')"
expect_eq "status counts the alerts" "$(sql "SELECT count(*) FROM alert")" "$(status_field alerts)"
# (the projects by light come from their tallies, sql/functions/tally.sql)
expect_eq "status counts the projects on the list and each light as the ledger holds them" \
    "$(sql "SELECT concat_ws(' ', count(*), count(*) FILTER (WHERE light = 'red'), count(*) FILTER (WHERE light = 'yellow'),
                             count(*) FILTER (WHERE light = 'green'))
              FROM project WHERE keyproj_on_list(archived_on, '2026-11-25')")" \
    "$(kpctl --json status | j '"%d %d %d %d" % (d["projects"], d["projects_red"], d["projects_yellow"], d["projects_green"])')"

# ---- the next day: only the new stages ----------------------------------
before=$(sql "SELECT count(*) FROM alert")
kpctl clock set 2026-11-26T00:30:00+08:00 >/dev/null || fail "clock set"
kpctl --json scan >/dev/null || fail "scan after clock set"
new_ms="SELECT subject, kind, stage FROM alert WHERE kind LIKE 'milestone.%' AND created_at >= '2026-11-26T00:00:00+08:00'"
want="SELECT * FROM t_expected('2026-11-26') EXCEPT SELECT * FROM t_expected('2026-11-25')"
expect_eq "the new day's milestone alerts are exactly the stages that began" "0 0" \
    "$(sql "SELECT (SELECT count(*) FROM ($new_ms EXCEPT $want) x) || ' ' || (SELECT count(*) FROM ($want EXCEPT $new_ms) y)")"
n_new=$(sql "SELECT count(*) FROM ($want) w")
[ "$n_new" -gt 0 ] || fail "the demo has stages beginning on 2026-11-26"
echo "# new milestone stages on 2026-11-26: $(sql "SELECT string_agg(s || ' ' || n, ', ' ORDER BY s) FROM (SELECT regexp_replace(split_part(stage, '/', 2), '^overdue-.*', 'overdue-N') s, count(*) n FROM ($want) w GROUP BY 1) x")"
expect_eq "nothing raised twice" 0 "$(sql "SELECT count(*) - count(DISTINCT (kind, subject, stage)) FROM alert")"
second=$(kpctl --json scan)
expect_eq "and the day's second scan examines nothing" 0 "$(echo "$second" | j 'd["examined"]')"
# A project is judged again only when a part's new light can change it
# (project.milestone_light, sql/0001_baseline.sql); what it holds must still equal its parts.
stale_parts() {
    sql "SELECT count(*) FROM project p
          WHERE p.milestone_light IS DISTINCT FROM (SELECT CASE max(keyproj_light_rank(s.light)) WHEN 2 THEN 'red'
                   WHEN 1 THEN 'yellow' ELSE 'green' END
                   FROM milestone m JOIN milestone_state s ON s.milestone_id = m.id WHERE m.project_id = p.id)
             OR p.problem_light IS DISTINCT FROM (SELECT CASE max(keyproj_light_rank(q.light)) WHEN 2 THEN 'red'
                   WHEN 1 THEN 'yellow' ELSE 'green' END FROM problem q WHERE q.project_id = p.id)
             OR keyproj_light_rank(p.light)
                < greatest(keyproj_light_rank(p.milestone_light), keyproj_light_rank(p.problem_light))"
}
expect_eq "after the next day's scan every project holds its parts' lights" 0 "$(stale_parts)"

# ---- edits made straight in SQL reach the engine through NOTIFY ----------
kpctl clock set 2026-11-26T09:00:00+08:00 >/dev/null
done_id=$(sql "SELECT id FROM milestone WHERE status = 'pending' AND due_on = '2026-11-28' ORDER BY id LIMIT 1")
[ -n "$done_id" ] || done_id=$(sql "SELECT id FROM milestone WHERE status = 'pending' AND due_on BETWEEN '2026-11-27' AND '2026-12-03' ORDER BY id LIMIT 1")
n_done=$(sql "SELECT count(*) FROM alert WHERE subject = 'milestone:$done_id'")
sql "UPDATE milestone SET status = 'done', done_on = '2026-11-26' WHERE id = $done_id" >/dev/null
wait_sql "a milestone marked done in SQL is checked again and then never" \
    "SELECT coalesce(next_check_on::text, 'never') || ' ' || light FROM milestone_state WHERE milestone_id = $done_id" "never green"
kpctl clock set 2026-11-27T09:00:00+08:00 >/dev/null
kpctl scan >/dev/null
expect_eq "…and raises nothing more as its due day passes" "$n_done" \
    "$(sql "SELECT count(*) FROM alert WHERE subject = 'milestone:$done_id'")"

move_id=$(sql "SELECT id FROM milestone WHERE status = 'pending' AND due_on BETWEEN '2026-11-01' AND '2026-11-20' ORDER BY id LIMIT 1")
sql "UPDATE milestone SET due_on = '2026-11-29' WHERE id = $move_id" >/dev/null
wait_sql "a milestone rescheduled in SQL starts its stages over" \
    "SELECT count(*) FROM alert WHERE subject = 'milestone:$move_id' AND stage = '2026-11-29/due-3'" 1

pid=$(sql "SELECT id FROM project WHERE code = '$code'")
new_id=$(sql "INSERT INTO milestone (project_id, campaign_id, kind, title, due_on)
              SELECT $pid, id, 'other', '测试节点 \"主体\" \\ {A,B}', '2026-11-28' FROM campaign WHERE code = '2026-B6' RETURNING id" | head -n 1)
wait_sql "a milestone inserted in SQL is picked up without a scan command" \
    "SELECT stage FROM alert WHERE subject = 'milestone:$new_id'" "2026-11-28/due-1"
# the payloads travel in binary (scan_alert.c): quotes, a backslash and
# braces arrive as typed, in the payload and in its message
expect_eq "a title with quotes, a backslash and braces is the payload's as typed" \
    '测试节点 "主体" \ {A,B}|true' \
    "$(sql "SELECT (payload->'milestone'->>'title') || '|' || (strpos(payload->>'message', '「测试节点 \"主体\" \\ {A,B}」') > 0)
            FROM alert WHERE subject = 'milestone:$new_id'")"
# Read in the inserting transaction, so before any scan could judge them.
expect_eq "nodes inserted done or waived are born with the scan's verdict: green, nothing to look at again" \
    "done green none|waived green none" \
    "$(sql "INSERT INTO milestone (project_id, campaign_id, kind, title, due_on, status, done_on, waived_reason)
            SELECT $pid, id, 'other', v.t, '2026-11-20', v.s, CASE WHEN v.s = 'done' THEN date '2026-11-19' END,
                   CASE WHEN v.s = 'waived' THEN '方案调整' END
              FROM campaign, (VALUES ('测试已完成', 'done'), ('测试已免除', 'waived')) v(t, s) WHERE code = '2026-B6';
            SELECT string_agg(concat_ws(' ', m.status, s.light, coalesce(s.next_check_on::text, 'none')), '|' ORDER BY m.status)
              FROM milestone m JOIN milestone_state s ON s.milestone_id = m.id WHERE m.title IN ('测试已完成', '测试已免除')")"

# ---- repeated red: a supervision order with the alert --------------------
sql "INSERT INTO project_light_month (project_id, month, light) VALUES ($pid, '2026-09-01', 'red'), ($pid, '2026-10-01', 'red')
     ON CONFLICT (project_id, month) DO UPDATE SET light = 'red';
     UPDATE project_state SET next_check_on = '-infinity' WHERE project_id = $pid" >/dev/null
out=$(kpctl --json scan)
expect_eq "red at the end of two months: project.repeated_red to the office" "2026-10 red 2" \
    "$(sql "SELECT stage || ' ' || light || ' ' || (payload->>'tier') FROM alert WHERE kind = 'project.repeated_red' AND subject = 'project:$code'")"
expect_eq "…with a supervision order to the project's unit, reply in 7 days" "supervision 2026-11-27 2026-12-04 true" \
    "$(sql "SELECT s.kind || ' ' || s.issued_on || ' ' || s.reply_due || ' ' || (s.to_unit_id IS NOT DISTINCT FROM p.unit_id)
             FROM supervision_order s JOIN alert a ON a.id = s.alert_id JOIN project p ON p.id = s.project_id
            WHERE a.kind = 'project.repeated_red' AND p.id = $pid")"
expect_eq "only the projects red two months running" 1 "$(sql "SELECT count(*) FROM alert WHERE kind = 'project.repeated_red'")"

# ---- two daemons and a restart: nothing twice ----------------------------
n_alerts=$(sql "SELECT count(*) FROM alert")
n_deliveries=$(sql "SELECT count(*) FROM delivery")
n_orders=$(sql "SELECT count(*) FROM supervision_order")
# A second keyprojd on the same database …
T_SOCK2="$T_DIR/control2.sock"
sed -e "s|$T_SOCK|$T_SOCK2|" "$T_CONF" > "$T_DIR/second.conf"
"$KEYPROJD" -c "$T_DIR/second.conf" --now 2026-11-27T09:00:00+08:00 >>"$T_DIR/second.log" 2>&1 &
T_EXTRA_PIDS="$!"
wait_until 30 test -S "$T_SOCK2"
second_database() { "$KEYPROJCTL" -s "$T_SOCK2" --json status 2>/dev/null | j 'd.get("database")'; }
wait_until 60 is_eq connected second_database || fail "the second keyprojd did not connect in 60 s"
# … is a standby: the first one holds the leader lock and alone scans.
out=$("$KEYPROJCTL" -s "$T_SOCK2" scan 2>&1); rc=$?
expect_eq "a standby refuses to scan" 1 "$rc"
expect_contains "…and says why" "standby" "$out"
expect_eq "roles: leader and standby" "leader standby" \
    "$(kpctl --json status | j 'd["role"]') $("$KEYPROJCTL" -s "$T_SOCK2" --json status | j 'd["role"]')"
# Everything due for a check again (engine columns only: no NOTIFY), and
# scans asked of both at once: only the leader's runs.
sql "UPDATE milestone_state SET next_check_on = '-infinity'; UPDATE project_state SET next_check_on = '-infinity';
     UPDATE problem SET next_check_on = '-infinity'; UPDATE approval SET next_check_on = '-infinity'" >/dev/null
"$KEYPROJCTL" -s "$T_SOCK2" --json scan > "$T_DIR/scan2.json" 2>&1 &
s2=$!
kpctl --json scan > "$T_DIR/scan1.json" || fail "scan on the first daemon"
wait $s2 && fail "the standby scanned"
expect_eq "two daemons asked at once add no alert" "$n_alerts" "$(sql "SELECT count(*) FROM alert")"
expect_eq "…no delivery" "$n_deliveries" "$(sql "SELECT count(*) FROM delivery")"
expect_eq "…no supervision order" "$n_orders" "$(sql "SELECT count(*) FROM supervision_order")"
full=$(sql "SELECT (SELECT count(*) FROM milestone) + (SELECT count(*) FROM project) + (SELECT count(*) FROM problem) + (SELECT count(*) FROM approval)")
expect_eq "the leader looked at every row" True \
    "$(python3 -c "import json; a=json.load(open('$T_DIR/scan1.json')); print(a['examined'] >= $full)")"
kill "$T_EXTRA_PIDS"
wait "$T_EXTRA_PIDS"
expect_eq "the second keyprojd stops cleanly" 0 "$?"
T_EXTRA_PIDS=

stop_daemon || fail "keyprojd did not stop cleanly"
start_daemon --now 2026-11-27T09:30:00+08:00
wait_ready
kpctl scan >/dev/null
expect_eq "a restart raises nothing again" "$n_alerts $n_deliveries" \
    "$(sql "SELECT (SELECT count(*) FROM alert) || ' ' || (SELECT count(*) FROM delivery)")"

# ---- cost: a full scan reads every row once, the next one none ------------
sql "UPDATE milestone_state SET next_check_on = '-infinity'; UPDATE project_state SET next_check_on = '-infinity';
     UPDATE problem SET next_check_on = '-infinity'; UPDATE approval SET next_check_on = '-infinity'" >/dev/null
out=$(kpctl --json scan) || fail "full scan: $out"
echo "# full scan: $(echo "$out" | j '"examined %d rows in %.1f ms" % (d["examined"], d["duration_ms"])')"
expect_eq "a full scan examines every row once and raises nothing new" "$full 0" "$(echo "$out" | j '"%d %d" % (d["examined"], d["alerts"])')"
out=$(kpctl --json scan)
echo "# steady scan: $(echo "$out" | j '"examined %d rows in %.1f ms" % (d["examined"], d["duration_ms"])')"
expect_eq "the scan after it examines 0 rows" 0 "$(echo "$out" | j 'd["examined"]')"

# ---- midnight: the day timer scans by itself -----------------------------
kpctl clock set 2026-11-27T23:59:59+08:00 >/dev/null
wait_sql "at the business-day boundary a scan runs on its own" \
    "SELECT count(*) FROM alert WHERE subject = 'milestone:$move_id' AND stage = '2026-11-29/due-1'" 1

# ---- a 双月攻坚 target out of reach: at risk, then missed -------------------
# (what a campaign achieved is counted by sql/functions/admin.sql)
if [ "$(sql "SELECT to_regprocedure('keyproj_campaign_actuals(date, date, bigint, text)') IS NOT NULL")" != t ]; then
    echo "# SKIP campaign targets: this schema has no keyproj_campaign_actuals yet"
    stop_daemon || fail "keyprojd did not stop cleanly"
    exit 0
fi
tid=$(sql "INSERT INTO campaign_target (campaign_id, county_id, starts)
           SELECT cp.id, c.id, 50 FROM campaign cp, county c WHERE cp.code = '2026-B6' AND c.name = '涧西区'
           RETURNING id" | head -n 1)
wait_sql "a new target is checked and waits for its first stage (14 days before the end)" \
    "SELECT next_check_on FROM campaign_target WHERE id = $tid" 2026-12-17
kpctl clock set 2026-12-17T09:00:00+08:00 >/dev/null
kpctl scan >/dev/null
expect_eq "behind the pro-rated target 14 days before the end: campaign.at_risk" "2026-12-31/left-14 yellow starts" \
    "$(sql "SELECT stage || ' ' || light || ' ' || (payload->'campaign'->>'measure') FROM alert WHERE subject = 'campaign_target:$tid/starts'")"
expect_eq "…routed by the target's county" "jianxi" \
    "$(sql "SELECT string_agg(d.receiver, ',') FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE a.subject = 'campaign_target:$tid/starts'")"
kpctl clock set 2027-01-01T09:00:00+08:00 >/dev/null
kpctl scan >/dev/null
expect_eq "the day after the window: campaign.missed, red" "2026-12-31 red" \
    "$(sql "SELECT stage || ' ' || light FROM alert WHERE subject = 'campaign_target:$tid/starts' AND kind = 'campaign.missed'")"
expect_contains "…saying so in Chinese" "【攻坚未完成】" \
    "$(sql "SELECT payload->>'message' FROM alert WHERE subject = 'campaign_target:$tid/starts' AND kind = 'campaign.missed'")"
expect_eq "and then nothing more to check for it" "" "$(sql "SELECT next_check_on FROM campaign_target WHERE id = $tid")"
expect_eq "after edits and a month of scans every project still holds its parts' lights" 0 "$(stale_parts)"
stop_daemon || fail "keyprojd did not stop cleanly"

# A report arriving while a scan batch judges an already-marked project
# must still move the project's state row (keyproj_recheck_projects,
# sql/functions/engine.sql; the version the write checks), or the batch's
# verdict, made without the report, would be written over it.
pid=$(sql "SELECT id FROM project ORDER BY id LIMIT 1")
sql "UPDATE project_state SET next_check_on = '-infinity' WHERE project_id = $pid" >/dev/null
x1=$(sql "SELECT xmin FROM project_state WHERE project_id = $pid")
sql "INSERT INTO investment_report (project_id, month, amount, ytd) VALUES ($pid, '2027-02-01', 1, 1)" >/dev/null
x2=$(sql "SELECT xmin FROM project_state WHERE project_id = $pid")
[ -n "$x1" ] && [ "$x1" != "$x2" ] || fail "a report for a marked project left its state row as the batch read it ($x1 → $x2)"
ok "a report for a project already marked still moves its state row, so a batch judging it leaves it for the next"
# So does an edit of what its rules read, through the project row's own
# trigger (keyproj_project_recheck).
x3=$(sql "UPDATE project SET annual_plan = coalesce(annual_plan, 0) + 1 WHERE id = $pid; SELECT xmin FROM project_state WHERE project_id = $pid")
[ -n "$x3" ] && [ "$x3" != "$x2" ] || fail "an edit of a marked project's annual plan left its state row as it was ($x2 → $x3)"
expect_eq "… and an edit of its annual plan too, leaving it due at the next scan" "-infinity" \
    "$(sql "SELECT next_check_on FROM project_state WHERE project_id = $pid")"
