#!/bin/bash
# Three weeks of the demo ledger as the county leaders read them: keyprojd
# starts on Monday 2026-11-23 with the 515 projects and none of their
# alerts sent, and its clock (and the robots' stand-in's) is walked day by
# day, at 08:35 (after the 08:30 digest) and 18:00 — KEYPROJ_WALK_TIMES
# changes that, KEYPROJ_WALK_DAYS the length. Four receivers: a signed json
# feed of everything, the city office's WeCom robot (reds at once, the rest
# in the digest), 涧西区's DingTalk robot and one leader's Feishu bot (领导分包).
# Then every message received is read as a leader would:
#   - each day count (「节点」逾期N天 / 还有N天 / 今天到期) is the distance from
#     the node's due date to the day it was received;
#   - each time shown is Beijing time, within a minute of when it arrived;
#   - no robot got more than its limit in any 60 s (nor any 1 s for Feishu),
#     and none answered "over the limit";
#   - the first day each robot got a handful of messages and a summary;
#   - every red project line carries an @ of its leader's mobile (WeCom,
#     DingTalk; Feishu needs user ids, so it has none);
#   - each daily digest lists new first, then reds, then most days late.
. "$top_srcdir/tests/integration/lib.sh"

secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret" --dingtalk-secret SECwalk --feishu-secret walk
days=${KEYPROJ_WALK_DAYS:-21}
times=${KEYPROJ_WALK_TIMES:-08:35 18:00}

create_demo_db
cp "$top_srcdir/etc/holidays.conf" "$T_DIR/holidays.conf"
leader=$(sql "SELECT l.name FROM project p JOIN person l ON l.id = p.leader_id GROUP BY l.name ORDER BY count(*) DESC, l.name LIMIT 1")
write_config "
alerts = { quiet_hours = \"22:00-08:00\"; hold_on_rest_days = false; holidays = \"holidays.conf\";
           digest_time = \"08:30\"; };
receivers = (
  { name = \"feed\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; rate_per_minute = 60000; },
  { name = \"city\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; reds_only_at_once = true; },
  { name = \"jianxi\"; type = \"dingtalk\"; url = \"$base/dingtalk?access_token=test-token\"; secret = \"SECwalk\";
    match = { county = [ \"涧西区\" ]; }; },
  { name = \"leader\"; type = \"feishu\"; url = \"$base/feishu/test-hook\"; secret = \"walk\";
    match = { leader = [ \"$leader\" ]; }; }
);"

epoch() {      # epoch YYYY-MM-DD HH:MM[:SS] → Unix seconds, Beijing time
    date -d "$1 $2 +0800" +%s
}
# at T — the robots' clock, then keyprojd's, read T (the robots' first: a
# daemon whose clock ran ahead would see a window free that they still count)
at() {
    curl -sf -X POST -d "{\"now\": $1}" "$base/_clock" || fail "the robots' clock"
    kpctl clock set "@$1" >/dev/null || fail "clock set @$1"
}
# last_digest T — the latest 08:30 of a working day (Monday to Friday: no
# holiday falls in the walk) at or before T
last_digest() {
    local d=$(TZ=Asia/Shanghai date -d "@$1" +%F) c
    while :; do
        c=$(epoch "$d" 08:30)
        [ "$c" -le "$1" ] && [ "$(TZ=Asia/Shanghai date -d "@$c" +%u)" -le 5 ] && { echo "$c"; return; }
        d=$(date -d "$d - 1 day" +%F)
    done
}
# due_left T [json] — pending deliveries due by T (of the json receiver
# only), but for those the city robot keeps for its next digest
# (reds_only_at_once: not red, due since the last digest moment)
due_left() {
    sql "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= to_timestamp($1) ${2:+AND d.receiver = 'feed'}
            AND NOT (d.receiver = 'city' AND a.kind <> 'digest' AND a.light IS DISTINCT FROM 'red'
                     AND d.next_attempt_at > to_timestamp($(last_digest "$1")))"
}
# step T — the clock at T: a scan, the day's digests when it is their time,
# then everything due by T sent: json at once, chat robots when their 60 s
# window has passed (and, when a robot's minute is full, the next one).
step() {
    local t=$1 cur=$1 i
    at "$t"
    kpctl scan >/dev/null || fail "scan at @$t"
    if [ "$(TZ=Asia/Shanghai date -d "@$t" +%u)" -le 5 ] && [ "$(TZ=Asia/Shanghai date -d "@$t" +%H%M)" -ge 0830 ]; then
        wait_until 30 sql_is 4 "SELECT count(*) FROM alert WHERE kind = 'digest'
                                 AND stage = 'daily:$(TZ=Asia/Shanghai date -d "@$t" +%F)'" ||
            fail "no digests at @$t"
    fi
    wait_until 60 is_eq 0 due_left "$t" json || fail "json deliveries due at @$t not sent"
    for i in 1 2 3 4 5 6; do
        cur=$((cur + 61))
        at "$cur"
        wait_until 4 is_eq 0 due_left "$t" && return 0
    done
    fail "deliveries due at @$t still pending 6 minutes later: $(sql "SELECT receiver, count(*) FROM delivery
          WHERE status = 'pending' AND next_attempt_at <= to_timestamp($t) GROUP BY receiver")"
}

first=2026-11-23
start=$(epoch $first 08:00)
curl -sf -X POST -d "{\"now\": $start}" "$base/_clock" || fail "the robots' clock"
t0=$(date +%s)
start_daemon --now "@$start"
wait_ready
step "$start"       # the start-up scan's backlog, before the clock moves on
for d in $(seq 0 $((days - 1))); do
    day=$(date -d "$first + $d days" +%F)
    for hm in $times; do
        step "$(epoch "$day" "$hm")"
    done
done
ok "walked $days days at $times: $(curl -sf "$base/_stats" | field received) messages in $(( $(date +%s) - t0 )) s"

# The facts to read the messages against, from the ledger.
sql "SELECT json_build_object(
       'due', (SELECT json_object_agg(k, v) FROM (SELECT p.name || '|' || m.title AS k, json_agg(DISTINCT m.due_on) AS v
                 FROM milestone m JOIN project p ON p.id = m.project_id GROUP BY 1) x),
       'approval', (SELECT coalesce(json_object_agg(k, v), '{}') FROM (SELECT p.name || '|' || a.item AS k,
                 json_agg(DISTINCT a.planned_on) AS v FROM approval a JOIN project p ON p.id = a.project_id GROUP BY 1) x),
       'mobile', (SELECT json_object_agg(p.name, l.mobile) FROM project p JOIN person l ON l.id = p.leader_id
                   WHERE l.mobile IS NOT NULL),
       'raised', (SELECT json_object_agg(id, to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI'))
                    FROM alert))" > "$T_DIR/facts.json" || fail "facts"
curl -sf "$base/_received" > "$T_DIR/received.json" || fail "received"

python3 - "$T_DIR/received.json" "$T_DIR/facts.json" "$first" > "$T_DIR/verdict" <<'PY' || fail "the check itself failed: $(tail -n 5 "$T_DIR/verdict")"
import datetime, json, re, sys
received = json.load(open(sys.argv[1]))
facts = json.load(open(sys.argv[2]))
first = datetime.date.fromisoformat(sys.argv[3])
BJ = datetime.timezone(datetime.timedelta(hours=8))
bad = {k: [] for k in ("days", "time", "mention", "order", "rate")}
n = {k: 0 for k in ("days", "time", "mention", "order")}
day_msgs = {}
capped = 0
first_titles = {}

def texts(e):
    """The message's lines as a reader sees them, its mentions, its kind."""
    j = e["json"]
    if e["path"] == "/json":
        d = j["data"]
        items = d.get("alerts", [d])
        return [], None, j
    if e["path"] == "/wecom":
        if j.get("msgtype") == "file":      # the weekly bulletin, as a file: no text to read
            return [], None, None
        part = j[j["msgtype"]]
        return part["content"].split("\n"), part.get("mentioned_mobile_list", []), None
    if e["path"] == "/dingtalk":
        part = j[j["msgtype"]]
        body = part.get("text") or part.get("content")
        return [l for l in body.split("\n") if l], j.get("at", {}).get("atMobiles", []), None
    post = j["content"]["post"]["zh_cn"]
    lines = [post["title"]] + ["".join(x.get("text", "") for x in para) for para in post["content"]]
    return lines, None, None

PHRASE = re.compile(r"「([^」]+)」(?:已?逾期(\d+)天|还有(\d+)天(?:到期)?|(今天到期))(?:（(?:完成时限|计划办结)(\d{4}-\d\d-\d\d))?")

def check_days(project, text, sent):
    for m in PHRASE.finditer(text):
        title, late, left, today, inline = m.groups()
        said = int(late) if late else -int(left) if left else 0
        dues = [inline] if inline else facts["due"].get(f"{project}|{title}") or facts["approval"].get(f"{project}|{title}")
        n["days"] += 1
        if not dues:
            bad["days"].append(f"no due date known for {project}「{title}」in: {text}")
        elif not any((sent - datetime.date.fromisoformat(x)).days == said for x in dues):
            bad["days"].append(f"{sent}: {project}「{title}」said {said} days, due {dues}: {text}")

def line_key(line):
    """(new, red, days) of a digest line's first item."""
    m = PHRASE.search(line)
    fresh = m is not None and line[m.end():].startswith("（新）")
    days = 0 if m is None else int(m.group(2)) if m.group(2) else -int(m.group(3)) if m.group(3) else 0
    return (fresh, "【红灯】" in line, days)

ITEM = re.compile(r"^(?:> )?\d+\. (?:【.灯】)?(.+?)：")
for e in received:
    if "json" not in e:     # an upload (the weekly bulletin's workbook), not a message
        continue
    clock = datetime.datetime.fromtimestamp(e["clock"], BJ)
    sent = clock.date()
    day_msgs.setdefault((e["path"], sent), 0)
    day_msgs[(e["path"], sent)] += 1
    lines, mentions, doc = texts(e)
    if doc is None and not lines:       # a file message: nothing said to check
        continue
    if sent == first and doc is None:
        first_titles.setdefault(e["path"], []).append(lines[0].strip("*# ")[:40])
    if doc is not None:
        d = doc["data"]
        stamps = [doc["timestamp"]] + [a["created_at"] for a in d.get("alerts", [d])]
        for s in stamps:
            n["time"] += 1
            t = datetime.datetime.fromisoformat(s)
            if not s.endswith("+08:00") or abs((t - clock).total_seconds()) > 60:
                bad["time"].append(f"json {doc['type']} at {clock:%F %T}: {s}")
        for a in d.get("alerts", [d]):
            check_days((a.get("project") or {}).get("name"), a.get("message") or "", sent)
        continue
    project = None
    m = re.search(r"｜([^｜]+?)(?:（\d+/\d+）)?$", lines[0].strip("*# "))
    if m and "汇总" not in lines[0] and "周报" not in lines[0]:
        project = m.group(1)
    digest = "每日汇总" in lines[0]
    keys, county_first, county_keys = [], [], []
    for l in lines:
        im = ITEM.match(l)
        if im:
            project = im.group(1)
            if digest:
                county_keys.append(line_key(l))
        elif digest and county_keys and l.strip("*◆ #") and not l.startswith("……"):
            county_first.append(county_keys[0])
            keys.append(county_keys)
            county_keys = []
        check_days(project, l, sent)
        # 发现时间: when the alert (编号 on the same line) was raised, in
        # Beijing time, and never after the message was sent.
        for tm in re.finditer(r"编号：(\d+)｜发现时间：(\d{4}-\d\d-\d\d \d\d:\d\d)", l):
            n["time"] += 1
            shown = datetime.datetime.fromisoformat(tm.group(2)).replace(tzinfo=BJ)
            if tm.group(2) != facts["raised"].get(tm.group(1)) or (shown - clock).total_seconds() > 60:
                bad["time"].append(f"{e['path']} at {clock:%F %T} shows {tm.group(2)} for alert {tm.group(1)}"
                                   f" raised {facts['raised'].get(tm.group(1))}")
        red = l.startswith("【红灯】") or bool(re.match(r"^(?:> )?\d+\. 【红灯】", l))
        if red and mentions is not None and project in facts["mobile"]:
            n["mention"] += 1
            if facts["mobile"][project] in mentions:
                pass
            elif len(mentions) >= 16:     # RENDER_MENTIONS_MAX: the first ones, reds' first
                capped += 1
            else:
                bad["mention"].append(f"{e['path']} {sent}: {project} ({facts['mobile'][project]}) not in {mentions}: {l}")
    if digest:
        if county_keys:
            county_first.append(county_keys[0])
            keys.append(county_keys)
        n["order"] += 1
        blocks = keys + [county_first]
        for b in blocks:
            if any(b[i] < b[i + 1] for i in range(len(b) - 1)):
                bad["order"].append(f"{e['path']} {sent}: {b}")
                break

# robots' limits over any window, by the robots' clock
for path, span, limit in (("/wecom", 60, 20), ("/dingtalk", 60, 20), ("/feishu", 60, 100), ("/feishu", 1, 5)):
    t = sorted(e["clock"] for e in received if e["path"] == path)
    most = max((sum(1 for u in t if s <= u < s + span) for s in t), default=0)
    if most > limit:
        bad["rate"].append(f"{path}: {most} in {span} s")
print("checked", " ".join(f"{k}={v}" for k, v in n.items()))
for path in ("/wecom", "/dingtalk", "/feishu", "/json"):
    print("first_day", path, day_msgs.get((path, first), 0),
          "total", sum(v for (p, _), v in day_msgs.items() if p == path))
print("mentions_capped", capped)
for path, titles in sorted(first_titles.items()):
    print("first_day_titles", path, " / ".join(titles))
    # the start-up backlog: one summary before the first digest (what
    # reds_only_at_once keeps for the digest comes after it, see below)
    before = titles[:next((i for i, t in enumerate(titles) if "每日汇总" in t), len(titles))]
    if sum("积压汇总" in t for t in before) > 1:
        bad["summary"] = bad.get("summary", []) + [f"{path}: more than one backlog summary before the first digest"]
later = sum(1 for e in received if e["path"] == "/wecom" and (e.get("json") or {}).get("msgtype") not in (None, "file")
            and "积压汇总" in e["json"][e["json"]["msgtype"]]["content"])
print("wecom_backlog_summaries", later)
bad.setdefault("summary", [])
for k, v in bad.items():
    print("bad", k, len(v))
    for x in v[:5]:
        print("  ", x)
PY
cat "$T_DIR/verdict"
checked=$(grep '^checked' "$T_DIR/verdict")
for k in days time mention order; do
    c=$(echo "$checked" | sed -n "s/.* $k=\([0-9]*\).*/\1/p; s/^checked $k=\([0-9]*\).*/\1/p" | head -n 1)
    [ "${c:-0}" -gt 0 ] || fail "nothing to check for $k: $checked"
done
expect_eq "every day count is the distance from its due date to the day it was sent" "bad days 0" "$(grep '^bad days' "$T_DIR/verdict")"
expect_eq "every 发现时间 shown is its alert's, in Beijing time, never after sending" "bad time 0" "$(grep '^bad time' "$T_DIR/verdict")"
expect_eq "no robot got more than its limit in any 60 s (Feishu: any 1 s)" "bad rate 0" "$(grep '^bad rate' "$T_DIR/verdict")"
expect_eq "… and none answered over the limit" 0 "$(curl -sf "$base/_stats" | field limited)"
for p in /wecom /dingtalk /feishu; do
    c=$(awk -v p="$p" '$1 == "first_day" && $2 == p { print $3 }' "$T_DIR/verdict")
    [ "$c" -ge 1 ] && [ "$c" -le 8 ] || fail "$p got $c messages on the first day"
done
expect_eq "the first day each robot got a handful of messages, the start-up backlog as one summary" "bad summary 0" \
    "$(grep '^bad summary' "$T_DIR/verdict")"
expect_eq "every red project line with a leader's mobile @-mentions it" "bad mention 0" "$(grep '^bad mention' "$T_DIR/verdict")"
expect_eq "each daily digest: new first, then reds, then the most days late" "bad order 0" "$(grep '^bad order' "$T_DIR/verdict")"
stop_daemon
