#!/bin/bash
# What holds a message back, and what brings it back: an administrator
# silences a county's overdue alerts for a meeting (those are kept as
# 'silenced', the others go out, and when the silence ends new alerts flow
# again); a delivery due on 国庆 or a Sunday waits for the next working
# day's 08:00 while a 调休 Saturday sends at once; a receiver that refuses
# leaves dead letters that `deliveries` shows and `retry` sends once the
# receiver is fixed by a reload; `receiver test` asks a receiver right now.
# The daemon's clock is set (keyprojd --now, keyprojctl clock set): no
# sleeping for dates.
. "$top_srcdir/tests/integration/lib.sh"

me=$(id -un)
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw

start_receiver --json-secret "$secret"

# seen PATH → the alert ids the receiver accepted at PATH, in order: from
# the webhook-id (json: the alert's, keyproj_webhook_id) or the "编号：N"
# line (chat robots).
seen() {
    python3 - "$base/_received?path=$1" "$(webhook_ids)" <<'PY'
import json, re, sys, urllib.request
alert_of = {w: a for a, w in (p.split("=", 1) for p in sys.argv[2].split())}
ids = []
for e in json.load(urllib.request.urlopen(sys.argv[1])):
    if e.get("webhook_id") in alert_of:
        ids.append(alert_of[e["webhook_id"]])
    else:   # a robot's message, one alert or several merged
        # "编号：780" or, a project's line in a merged message, "编号：780、781"
        ids += [x for g in re.findall(r"编号：([\d、]+)", json.dumps(e["json"], ensure_ascii=False))
                for x in g.split("、")]
print(" ".join(ids))
PY
}

# The receivers only take the kinds these hand-written alerts have, so
# whatever the alert engine raises from the imported projects goes nowhere.
only='match = { kind = [ "milestone.overdue", "milestone.due_soon" ]; };'
flaky_url="$base/fail/410"
gone_url="$base/fail/410"
hold=true
cp "$top_srcdir/etc/holidays.conf" "$T_DIR/holidays.conf"
config() {
    write_config "
alerts = { quiet_hours = \"22:00-08:00\"; holidays = \"holidays.conf\"; hold_on_rest_days = $hold; };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; $only },
  { name = \"office\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0; $only },
  { name = \"flaky\"; type = \"json\"; url = \"$flaky_url\"; secret = \"$secret\"; $only },
  { name = \"gone\"; type = \"json\"; url = \"$gone_url\"; secret = \"$secret\"; $only },
  { name = \"broken\"; type = \"wecom\"; url = \"$base/fail/500\"; digest_window_seconds = 0; $only }
);"
}
# logged PATTERN — waits (bounded) until the daemon's log has a line matching PATTERN.
logged() {
    wait_until 30 in_file "$1" "$T_LOG"
}
reloads_beyond() { [ "$(grep -c 'configuration reloaded\|reload failed' "$T_LOG")" -gt "$1" ]; }
reload() {      # reload — SIGHUP, then wait for the daemon to say it took it
    local before
    before=$(grep -c 'configuration reloaded\|reload failed' "$T_LOG")
    kill -HUP "$T_PID"
    wait_until 30 reloads_beyond "$before" || fail "no reload in the log"
}

NOW=2026-11-25T10:00:00+08:00       # a working Wednesday
create_db
config
start_daemon --now "$NOW"
wait_ready
kpctl import projects "$DEMO/projects.csv" >/dev/null || fail "import projects"

# set_clock TIME — moves the daemon's clock (clock set; a restart with --now
# where that command is missing).
set_clock() {
    NOW=$1
    run clock set "$NOW"
    if [ $rc -ne 0 ]; then
        case "$out" in *unknown_command*) ;; *) fail "clock set $NOW: $err" ;; esac
        stop_daemon
        start_daemon --now "$NOW"
        wait_ready
    fi
}

# Two projects in different counties.
read -r P1 C1 <<<"$(sql "SELECT p.code, c.name FROM project p JOIN county c ON c.id = p.county_id
                         ORDER BY c.name, p.code LIMIT 1" | tr '|' ' ')"
read -r P2 C2 <<<"$(sql "SELECT p.code, c.name FROM project p JOIN county c ON c.id = p.county_id
                         WHERE c.name <> '$C1' ORDER BY c.name, p.code LIMIT 1" | tr '|' ' ')"
[ -n "$P2" ] || fail "the demo data should have two counties"

# alert KIND PROJECT RECEIVER… → one alert of the project, raised now by the
# daemon's clock, with its deliveries (as the alert engine writes them).
alert() {
    local kind=$1 code=$2; shift 2
    local id
    id=$(sql "INSERT INTO alert (kind, subject, stage, light, project_id, created_at, payload)
              SELECT '$kind', 'test:' || gen_random_uuid(), 's1', 'red', p.id, '$NOW',
                     jsonb_build_object('message', '测试告警 ' || p.name, 'tier', 0,
                         'project', jsonb_build_object('code', p.code, 'name', p.name, 'county', c.name,
                                                       'sector', p.sector, 'level', p.level))
                FROM project p JOIN county c ON c.id = p.county_id WHERE p.code = '$code'
              RETURNING id" | head -n 1)
    [ -n "$id" ] || fail "no alert for $code"
    for r in "$@"; do
        sql "INSERT INTO delivery (alert_id, receiver, next_attempt_at, created_at)
             VALUES ($id, '$r', '$NOW', '$NOW')" >/dev/null
    done
    echo "$id"
}
# settled ALERT N — waits until N of the alert's deliveries stopped moving
# (delivered, dead or silenced).
settled() {
    wait_until 30 sql_is "$2" "SELECT count(*) FROM delivery WHERE alert_id = $1 AND status <> 'pending'" && return 0
    fail "alert $1: not settled: $(sql "SELECT receiver || ' ' || status || ' ' || attempts || ' ' || coalesce(last_error, '')
                                         FROM delivery WHERE alert_id = $1")"
}
states() {      # states ALERT → "receiver:status …" by receiver
    sql "SELECT string_agg(receiver || ':' || status, ' ' ORDER BY receiver) FROM delivery WHERE alert_id = $1"
}
has() {         # has LIST ID → yes / no
    case " $1 " in *" $2 "*) echo yes ;; *) echo no ;; esac
}

# ---- a silence ----------------------------------------------------------------

run silence add --until +2h --comment "x"
expect_eq "a silence must say what it silences" "usage" "$(echo "$out" | py 'd["code"]')"
expect_contains "… and the message says how" "at least one of --project, --county" "$err"
run silence add --sector 航天 --until +2h --comment "x"
expect_contains "an unknown sector is named, with the choices" "unknown value '航天'" "$err"
run silence add --county "$C1" --until 2026-11-24 --comment "x"
expect_contains "--until in the past is refused" "is not in the future" "$err"
run silence add --county "$C1" --until +91d --comment "x"
expect_contains "… and so is a silence for a season" "more than 90 days" "$err"
run silence add --county "$C1" --until soon --comment "x"
expect_contains "an unreadable time says what is read" "cannot read 'soon'" "$err"
run silence add --county "$C1" --until +2h
expect_contains "a silence needs a comment" "needs --comment" "$err"
run silence add --county 不存在区 --until +2h --comment "x"
expect_eq "an unknown county is not found" "not_found" "$(echo "$out" | py 'd["code"]')"
expect_contains "… and the refusal is audited" "$me|not_found: no county '不存在区' (expected one of" \
    "$(sql "SELECT actor || '|' || result FROM audit_log WHERE action = 'silence.add' ORDER BY id DESC LIMIT 1")"

run silence add --county "$C1" --kind milestone.overdue --until +2h --comment "调度会期间暂停推送"
[ $rc -eq 0 ] || fail "silence add: $err"
S1=$(echo "$out" | py 'd["id"]')
expect_eq "the silence answers what it matches" "county=$C1 kind=milestone.overdue" "$(echo "$out" | py 'd["matchers"]')"
expect_eq "… until when, in local time" "2026-11-25 12:00" "$(echo "$out" | py 'd["until"][:16]')"
expect_eq "silence add is audited: who, what, the request" "$me|silence.add|ok|t|$C1" \
    "$(sql "SELECT actor || '|' || action || '|' || result || '|' || (request_id IS NOT NULL)::text::char || '|' ||
                   (new->'matchers'->'county'->>0)
              FROM audit_log WHERE subject = 'silence:$S1'")"

a1=$(alert milestone.overdue "$P1" audit office)
a2=$(alert milestone.overdue "$P2" audit office)
a3=$(alert milestone.due_soon "$P1" audit office)
settled "$a1" 2; settled "$a2" 2; settled "$a3" 2
expect_eq "the county's overdue alert is silenced, for every receiver" "audit:silenced office:silenced" "$(states "$a1")"
expect_eq "… held by that silence, with no attempt" "$S1 $S1|0" \
    "$(sql "SELECT string_agg(silence_id::text, ' ') || '|' || sum(attempts) FROM delivery WHERE alert_id = $a1")"
expect_eq "another county's goes out" "audit:delivered office:delivered" "$(states "$a2")"
expect_eq "another kind in the same county goes out" "audit:delivered office:delivered" "$(states "$a3")"
expect_eq "the json receiver never saw the silenced alert" "no yes yes" \
    "$(s=$(seen /json); echo "$(has "$s" "$a1") $(has "$s" "$a2") $(has "$s" "$a3")")"
expect_eq "nor did the robot" "no yes" "$(s=$(seen /wecom); echo "$(has "$s" "$a1") $(has "$s" "$a2")")"

run deliveries --status silenced
expect_eq "deliveries --status silenced shows them, with the silence" "$a1:$S1 $a1:$S1" \
    "$(echo "$out" | py '" ".join("%s:%s" % (r["alert"], r["silence"]) for r in d)')"
run silence list
expect_eq "silence list: active, with what it held back" "$S1 active 2 调度会期间暂停推送 $me" \
    "$(echo "$out" | py '" ".join(str(d[0][k]) for k in ("id", "state", "silenced", "comment", "by"))')"

# The silence ends while the county's project is still overdue: what it
# held stays silenced (visible above); the next alert about it goes out.
set_clock 2026-11-25T12:30:00+08:00
a4=$(alert milestone.overdue "$P1" audit office)
settled "$a4" 2
expect_eq "after the silence ends, the next alert goes out" "audit:delivered office:delivered" "$(states "$a4")"
expect_eq "what it held is still silenced, not sent behind anyone's back" "audit:silenced office:silenced" "$(states "$a1")"
run silence list
expect_eq "an ended silence leaves the default list" "[]" "$out"
run silence list --all
expect_eq "… and shows in --all as expired" "expired" "$(echo "$out" | py '[r["state"] for r in d if r["id"] == '"$S1"'][0]')"

# An administrator can still send what a silence held, one by one.
d1=$(sql "SELECT id FROM delivery WHERE alert_id = $a1 AND receiver = 'audit'")
run retry "$d1"
expect_eq "retry sends a silenced delivery after all" "1 silenced" "$(echo "$out" | py 'str(d["retried"]) + " " + d["was"]')"
settled "$a1" 2
expect_eq "… and it is delivered" "delivered" "$(sql "SELECT status FROM delivery WHERE id = $d1")"

# silence del ends one early: audited with the old and new state.
run silence add --project "$P2" --light 红 --until +1d --comment "项目已停工，待复工"
S2=$(echo "$out" | py 'd["id"]')
expect_eq "matchers in canonical names" "project=$P2 light=red" "$(echo "$out" | py 'd["matchers"]')"
run silence del "$S2"
[ $rc -eq 0 ] || fail "silence del: $err"
expect_eq "silence del is audited with who deleted it" "$me|null|$me" \
    "$(sql "SELECT actor || '|' || coalesce(old->>'deleted_by', 'null') || '|' || (new->>'deleted_by')
              FROM audit_log WHERE subject = 'silence:$S2' AND action = 'silence.del'")"
a5=$(alert milestone.overdue "$P2" audit)
settled "$a5" 1
expect_eq "a deleted silence holds nothing" "audit:delivered" "$(states "$a5")"
run silence del "$S2"
expect_contains "deleting twice is refused" "already deleted by $me" "$err"
run silence del 999999
expect_eq "an unknown silence is not found" "not_found" "$(echo "$out" | py 'd["code"]')"
run silence list --all
expect_eq "a deleted silence stays listed with --all" "deleted|$me" \
    "$(echo "$out" | py '[r["state"] + "|" + r["deleted_by"] for r in d if r["id"] == '"$S2"'][0]')"

# ---- dead letters and retry ----------------------------------------------------

a6=$(alert milestone.overdue "$P2" flaky)
settled "$a6" 1
d6=$(sql "SELECT id FROM delivery WHERE alert_id = $a6")
expect_eq "a receiver that answers 410 leaves a dead letter" "dead|410|1" \
    "$(sql "SELECT status || '|' || last_http_status || '|' || attempts FROM delivery WHERE id = $d6")"
run deliveries --status dead --receiver flaky
expect_eq "deliveries --status dead --receiver shows it and why" "$d6 410 dead" \
    "$(echo "$out" | py '" ".join(str(d[0][k]) for k in ("id", "http", "status"))')"
run deliveries --status lost
expect_eq "an unknown status is a usage error" "usage" "$(echo "$out" | py 'd["code"]')"
run deliveries --limit 2
expect_eq "--limit bounds the list, newest first" "2 $d6" "$(echo "$out" | py 'str(len(d)) + " " + str(d[0]["id"])')"

# The receiver is fixed in the configuration and reloaded; the dead letter
# goes out again, with its attempts kept and the same webhook-id.
flaky_url="$base/json"
config
reload
run retry "$d6"
[ $rc -eq 0 ] || fail "retry: $err"
settled "$a6" 1
expect_eq "retry after the fix delivers it, second attempt" "delivered|2" \
    "$(sql "SELECT status || '|' || attempts FROM delivery WHERE id = $d6")"
expect_eq "… with the same webhook-id" "yes" "$(has "$(seen /json)" "$a6")"
expect_eq "retry is audited" "$me|dead|pending" \
    "$(sql "SELECT actor || '|' || (old->>'status') || '|' || (new->>'status')
              FROM audit_log WHERE subject = 'delivery:$d6' AND action = 'delivery.retry'")"
run retry "$d6"
expect_contains "a delivered one is not retried" "was delivered at" "$err"
run retry 999999
expect_eq "an unknown delivery is not found" "not_found" "$(echo "$out" | py 'd["code"]')"
run retry
expect_eq "retry needs to be told what" "usage" "$(echo "$out" | py 'd["code"]')"
run retry 5 --dead
expect_eq "an ID and a filter together are refused" "usage" "$(echo "$out" | py 'd["code"]')"
run retry --receiver nobody
expect_eq "an unknown receiver is not found" "not_found" "$(echo "$out" | py 'd["code"]')"

# Replay in bulk: a receiver's dead letters since a time, not older ones.
a7=$(alert milestone.overdue "$P1" gone)
a8=$(alert milestone.overdue "$P2" gone)
settled "$a7" 1; settled "$a8" 1
old=$(alert milestone.overdue "$P1" gone)
settled "$old" 1
sql "UPDATE delivery SET created_at = '2026-09-01' WHERE alert_id = $old" >/dev/null
gone_url="$base/json"
config
reload
before=$(sql "SELECT count(*) FROM audit_log WHERE action = 'delivery.retry'")
run retry --receiver gone --since 2026-11-01
expect_eq "retry --receiver --since takes that receiver's dead letters since then" "2|2" \
    "$(echo "$out" | py 'str(d["retried"]) + "|" + str(d["receivers"]["gone"])')"
settled "$a7" 1; settled "$a8" 1
expect_eq "both delivered" "delivered delivered" \
    "$(sql "SELECT string_agg(status, ' ') FROM delivery WHERE alert_id IN ($a7, $a8)")"
expect_eq "the older one stays dead" "dead" "$(sql "SELECT status FROM delivery WHERE alert_id = $old")"
expect_eq "one audit row per delivery retried" 2 \
    "$(($(sql "SELECT count(*) FROM audit_log WHERE action = 'delivery.retry'") - before))"

# ---- receiver test -----------------------------------------------------------------

outbox=$(sql "SELECT md5(string_agg(row(d.*)::text, '|' ORDER BY id)) FROM delivery d")
run receiver test audit
expect_eq "receiver test: a json receiver verifies the signature and answers 204" "ok 204" \
    "$(echo "$out" | py 'd["verdict"] + " " + str(d["http_status"])')"
wid=$(echo "$out" | py 'd["webhook_id"]')
expect_eq "… the message it got is the test, with its own id" "test" \
    "$(python3 -c 'import json,sys,urllib.request
print([e["json"]["type"] for e in json.load(urllib.request.urlopen(sys.argv[1])) if e["webhook_id"] == sys.argv[2]][0])' \
        "$base/_received?path=/json" "$wid")"
run receiver test office
expect_eq "a WeCom robot answers errcode 0" "ok 200" "$(echo "$out" | py 'd["verdict"] + " " + str(d["http_status"])')"
run receiver test broken
expect_eq "a broken receiver: retry, with the status" "retry 500" \
    "$(echo "$out" | py 'd["verdict"] + " " + str(d["http_status"])')"
run receiver test nobody
expect_eq "an unknown receiver is not found" "not_found" "$(echo "$out" | py 'd["code"]')"
expect_eq "receiver test never touches the outbox" "$outbox" \
    "$(sql "SELECT md5(string_agg(row(d.*)::text, '|' ORDER BY id)) FROM delivery d")"

# ---- rest days and 调休 ---------------------------------------------------------------

# 国庆: Saturday 2026-10-03. Held until the next working day's end of quiet
# hours, Thursday 2026-10-08 08:00.
set_clock 2026-10-03T10:00:00+08:00
a9=$(alert milestone.overdue "$P2" audit office)
logged 'holding deliveries.*until=2026-10-08T08:00:00+08:00 reason=rest_day holiday="国庆节"' ||
    fail "no hold until 2026-10-08 08:00 in the log"
ok "on 国庆 deliveries are held until 2026-10-08 08:00, and the log says so"
settle 1
expect_eq "… and nothing went out meanwhile" "audit:pending office:pending|0" \
    "$(states "$a9")|$(sql "SELECT sum(attempts) FROM delivery WHERE alert_id = $a9")"
set_clock 2026-10-08T07:59:00+08:00
settle 0.5
expect_eq "at 07:59 on the first working day, still held (quiet hours)" "audit:pending office:pending" "$(states "$a9")"
set_clock 2026-10-08T08:00:01+08:00
settled "$a9" 2
expect_eq "at 08:00 it goes: delayed, not dropped" "audit:delivered office:delivered" "$(states "$a9")"

# 2026-10-10 is a Saturday people work on (调休): sent at once.
set_clock 2026-10-10T10:00:00+08:00
a10=$(alert milestone.overdue "$P2" audit)
settled "$a10" 1
expect_eq "on a 调休 Saturday alerts go out at once" "audit:delivered" "$(states "$a10")"

# An ordinary Sunday: held until Monday 08:00.
set_clock 2026-10-11T10:00:00+08:00
a11=$(alert milestone.overdue "$P2" audit)
settle 1
expect_eq "on a Sunday it waits" "audit:pending" "$(states "$a11")"
logged "until=2026-10-12T08:00:00+08:00 reason=rest_day" || fail "no hold until Monday 08:00 in the log"
ok "… for Monday 08:00"

# The holiday file is read again on reload: a new holiday moves the hold;
# a broken file is refused with its FILE:LINE and the old one kept.
echo "2026-10-12 holiday 测试补假" >> "$T_DIR/holidays.conf"
reload
logged "until=2026-10-13T08:00:00+08:00 reason=rest_day" || fail "the reloaded holiday did not move the hold"
ok "a reloaded holiday file moves the hold to Tuesday"
echo "2026-10-12 workday" >> "$T_DIR/holidays.conf"
reload
expect_contains "a broken holiday file is refused at reload with FILE:LINE" \
    "holidays.conf:$(wc -l < "$T_DIR/holidays.conf"): 2026-10-12 is a weekday" "$(grep 'reload failed' "$T_LOG" | tail -n 1)"
expect_eq "… the old calendar stays: still held" "audit:pending" "$(states "$a11")"
sed -i '$d' "$T_DIR/holidays.conf"

# hold_on_rest_days = false: a Sunday is a day like any other.
hold=false
config
reload
settled "$a11" 1
expect_eq "hold_on_rest_days = false sends on a Sunday" "audit:delivered" "$(states "$a11")"

expect_not_contains "no secret in the log" "$secret" "$(cat "$T_LOG")"
expect_not_contains "no robot key in the log" "test-key" "$(cat "$T_LOG")"
stop_daemon
