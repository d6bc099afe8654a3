#!/bin/bash
# The weekly project meeting's workbook (项目例会周报): on the demo ledger,
# `keyprojctl bulletin` writes one .xlsx that openpyxl opens, with its six
# sheets, a title row naming the week and the day the figures stand at,
# Chinese headers, a frozen header row and a filter — and its figures are
# those keyprojctl shows the same day, every column of every sheet: stats
# by county and by sector, rank, overdue, problem list, orders, and the
# milestones done this week. The dashboard's /bulletin.xlsx?week= is the
# same workbook. A week that is not one is a usage error. The weekly
# summary carries it to a WeCom robot as a file message (upload_media,
# then the file).
. "$top_srcdir/tests/integration/lib.sh"
# The daemon's temporary workbooks in a directory of this test's own: the
# check that none is left behind must not see another test's, made at the
# same moment (test_dashboard downloads a bulletin too).
export TMPDIR="$T_DIR/tmp"
mkdir -p "$TMPDIR"

PY=
for p in /usr/bin/python3 python3; do
    "$p" -c 'import openpyxl' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || fail "python3-openpyxl is needed (scripts/deps installs it)"

TODAY=2026-11-25     # a Wednesday of ISO week 2026-W48 (Monday 11-23 to Sunday 11-29)
create_demo_db
wport=$(free_port)
write_config "web = { listen = \"127.0.0.1:$wport\"; };"
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready
kpctl scan >/dev/null || fail "scan"

# What the meeting talks about besides the ledger: problems, letters, and
# nodes done this week (two) and last week (one, not this week's).
codes=$(sql "SELECT string_agg(code, ' ' ORDER BY code) FROM (SELECT code FROM project ORDER BY code LIMIT 3) x")
set -- $codes
kpctl problem add "$1" --category 用地 --severity 重大 --text "用地指标未落实" --reported 2026-10-08 >/dev/null ||
    fail "problem add"
kpctl problem add "$2" --category 资金 --severity 一般 --text "资本金未到位" >/dev/null || fail "problem add"
kpctl order issue supervision "$1" --reason "节点逾期未完成" --reply-days 5 --date 2026-11-02 >/dev/null ||
    fail "order issue"
kpctl order issue reminder "$3" --reason "月报未报" --reply-days 5 >/dev/null || fail "order issue"
ids=$(sql "SELECT string_agg(id::text, ' ' ORDER BY id) FROM (SELECT id FROM milestone WHERE status = 'pending'
           ORDER BY due_on, id LIMIT 3) x")
set -- $ids
kpctl done "$1" --date 2026-11-23 >/dev/null || fail "done $1"
kpctl done "$2" --date "$TODAY" >/dev/null || fail "done $2"
kpctl done "$3" --date 2026-11-20 >/dev/null || fail "done $3"

# The writes start scans that move lights: let them finish before comparing.
settle 1
wait_until 30 is_eq False status_field scanning || fail "a scan did not finish"
kpctl bulletin > "$T_DIR/周报.xlsx" || fail "bulletin: $(head -c 300 "$T_DIR/周报.xlsx")"
expect_eq "the bulletin is a zip (an .xlsx)" "PK" "$(head -c 2 "$T_DIR/周报.xlsx")"
for what in "--by county" "--by sector"; do
    kpctl --json stats $what > "$T_DIR/stats${what#--by }.json" || fail "stats $what"
done
kpctl --json rank > "$T_DIR/rank.json" || fail rank
kpctl --json overdue > "$T_DIR/overdue.json" || fail overdue
kpctl --json problem list > "$T_DIR/problems.json" || fail "problem list"
kpctl --json orders > "$T_DIR/orders.json" || fail orders
kpctl --json milestones --status done > "$T_DIR/done.json" || fail "milestones --status done"

checks=$("$PY" - "$T_DIR" <<'PY'
import datetime, json, sys
from openpyxl import load_workbook
d = sys.argv[1]
wb = load_workbook(d + "/周报.xlsx")
def answer(name):
    return json.load(open("%s/%s.json" % (d, name)))
out = ["sheets=%s" % ",".join(wb.sheetnames)]
# Each sheet: a title row, then the header (frozen, filtered) and the rows.
def table(ws, first=2):
    heads = [c.value for c in ws[first]]
    rows = []
    for r in ws.iter_rows(min_row=first + 1):
        if all(c.value is None for c in r):
            break
        rows.append(r)
    return heads, rows
titles = all("2026-W48" in ws["A1"].value and "数据截至 2026-11-25" in ws["A1"].value for ws in wb)
out.append("titles=%s" % titles)
out.append("frozen=%s" % all(ws.freeze_panes == "A3" for ws in wb))
out.append("filters=%s" % all(ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2:") for ws in wb))

# What each sheet's columns show: the header, the JSON member and how it
# is shown. A sheet must carry exactly these columns, so one added to
# daemon/bulletin.c is compared here too or fails.
ZH = {  # the Chinese labels of daemon/values.c's word lists
    "sector": {"industry": "产业", "urban": "城建", "infrastructure": "基础设施", "livelihood": "民生",
               "ecology": "生态", "other": "其他", "合计": "合计"},
    "mkind": {"start": "开工", "structure": "主体", "topping": "封顶", "completion": "竣工", "operation": "投产",
              "investment": "投资", "approval": "审批", "other": "其他"},
    "severity": {"ordinary": "一般", "major": "重大"},
    "pstatus": {"open": "未解决", "resolved": "已解决", "overdue": "逾期"},
    "okind": {"reminder": "提醒函", "supervision": "督办函", "assignment": "交办函"},
    "ostatus": {"open": "未回复", "replied": "已回复", "overdue": "逾期"},
    "group": {"district": "城区组", "county": "县组", "zone": "功能区组"},
}
STATS = [("projects", "项目数", "num"), ("red", "红灯", "num"), ("yellow", "黄灯", "num"), ("green", "绿灯", "num"),
         ("milestones_due", "应完成节点", "num"), ("milestones_done", "已完成节点", "num"),
         ("milestones_overdue", "逾期节点", "num"), ("completion_rate", "节点完成率（%）", "num"),
         ("annual_plan", "年度计划投资（万元）", "money"), ("invested", "已完成投资（万元）", "money"),
         ("investment_rate", "投资完成率（%）", "num"), ("schedule_rate", "序时进度（%）", "num"),
         ("points_vs_schedule", "超/落后序时（百分点）", "num"), ("starts_planned", "计划开工", "num"),
         ("starts_done", "已开工", "num"), ("completions_planned", "计划竣工", "num"),
         ("completions_done", "已竣工", "num")]
SPEC = {
    "county": [("county", "县区", "text")] + STATS,
    "sector": [("sector", "领域", "sector")] + STATS,
    "rank": [("group", "组别", "group"), ("rank", "名次", "num"), ("county", "县区", "text"), ("month", "月份", "text"),
             ("projects", "项目数", "num"), ("annual_plan", "年度计划投资（万元）", "money"),
             ("invested", "已完成投资（万元）", "money"), ("investment_rate", "投资完成率（%）", "num"),
             ("schedule_rate", "序时进度（%）", "num"), ("points_vs_schedule", "超/落后序时（百分点）", "num")],
    "overdue": [("id", "节点ID", "num"), ("days_overdue", "逾期天数", "num"), ("due", "完成时限", "date"),
                ("county", "县区", "text"), ("project", "项目编号", "text"), ("project_name", "项目名称", "text"),
                ("title", "节点内容", "text"), ("campaign", "攻坚期", "text"), ("unit", "责任单位", "text"),
                ("leader", "分包领导", "text")],
    "problems": [("id", "问题ID", "num"), ("county", "县区", "text"), ("project", "项目编号", "text"),
                 ("project_name", "项目名称", "text"), ("category_name", "问题类别", "text"),
                 ("severity", "严重程度", "severity"), ("description", "问题描述", "text"),
                 ("unit", "责任单位", "text"), ("reported_on", "发现时间", "date"), ("time_limit", "办结时限", "date"),
                 ("status", "状态", "pstatus"), ("days_overdue", "逾期天数", "num"),
                 ("resolved_on", "解决时间", "date"), ("resolution", "解决情况", "text")],
    "orders": [("id", "函件ID", "num"), ("kind", "类型", "okind"), ("doc_no", "文号", "text"), ("county", "县区", "text"),
               ("project", "项目编号", "text"), ("project_name", "项目名称", "text"), ("to_unit", "责任单位", "text"),
               ("issued_on", "发函日期", "date"), ("reply_due", "回复时限", "date"), ("status", "落实情况", "ostatus"),
               ("days_overdue", "逾期天数", "num"), ("replied_on", "回复日期", "date"), ("reply_note", "回复内容", "text"),
               ("reason", "督办事由", "text")],
    "done": [("id", "节点ID", "num"), ("done_on", "完成时间", "date"), ("county", "县区", "text"),
             ("project", "项目编号", "text"), ("project_name", "项目名称", "text"), ("campaign", "攻坚期", "text"),
             ("kind", "节点类型", "mkind"), ("title", "节点内容", "text"), ("due", "完成时限", "date"),
             ("unit", "责任单位", "text")],
}
def differs(cell, v, how):
    """Why cell does not show the JSON value v as a `how` column, or None."""
    got = cell.value
    if v is None or v == "":
        return None if got is None else "%r for nothing" % (got,)
    if how in ZH:
        want = ZH[how].get(v, "(no label for %r)" % v)
    elif how == "text":
        want = ("是" if v else "否") if isinstance(v, bool) else v if isinstance(v, str) else "%.15g" % v
    elif how == "date":
        ok = isinstance(got, datetime.datetime) and got.date().isoformat() == v and cell.number_format == "yyyy-mm-dd"
        return None if ok else "%r (%s) for date %s" % (got, cell.number_format, v)
    else:
        ok = isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - v) <= 1e-9 * max(1, abs(v))
        if ok and how == "money" and cell.number_format != "#,##0.00":
            return "money shown %s" % cell.number_format
        return None if ok else "%r for %r" % (got, v)
    return None if got == want else "%r for %r (%r)" % (got, v, want)
def compare(ws, first, spec, rows):
    """'ok:N' when the table at row `first` is rows, column for column; else the first differences."""
    heads, cells = table(ws, first)
    if not rows:
        return "no rows to compare"
    want_heads = [h for _, h, _ in spec]
    if heads[:len(want_heads)] != want_heads or any(h is not None for h in heads[len(want_heads):]):
        return "headers %s" % heads
    missing = sorted({k for k, _, _ in spec for y in rows if k not in y})
    if missing:
        return "members missing from the JSON: %s" % missing
    if len(cells) != len(rows):
        return "%d rows for %d" % (len(cells), len(rows))
    bad = ["%s%d %s: %s" % (r[c].column_letter, r[c].row, h, why)
           for r, y in zip(cells, rows) for c, (k, h, how) in enumerate(spec)
           for why in [differs(r[c], y.get(k), how)] if why]
    return "ok:%d" % len(rows) if not bad else "; ".join(bad[:3])

# 总览: lights and figures by county (with 合计), then by sector.
ws = wb["总览"]
county = answer("statscounty")
out.append("by_county=%s" % compare(ws, 2, SPEC["county"], county))
sector_start = 2 + len(county) + 2   # the header, the rows, a blank row
out.append("by_sector=%s" % compare(ws, sector_start, SPEC["sector"], answer("statssector")))
heads, rows = table(ws)
red = [r[heads.index("红灯")] for r in rows]
out.append("red_fill=%s" % all(c.fill.fgColor.rgb.endswith("FFC7CE") for c in red if c.value))
out.append("total=%d" % rows[-1][heads.index("项目数")].value)

# 排名: the three groups, as rank ranks them.
rank = answer("rank")
out.append("rank=%s" % compare(wb["排名"], 2, SPEC["rank"], rank))
out.append("groups=%s" % ",".join(dict.fromkeys(r[0].value for r in table(wb["排名"], 2)[1])))
out.append("overdue=%s" % compare(wb["逾期节点"], 2, SPEC["overdue"], answer("overdue")))
out.append("problems=%s" % compare(wb["问题清单"], 2, SPEC["problems"], answer("problems")))
out.append("orders=%s" % compare(wb["督办落实"], 2, SPEC["orders"], answer("orders")))
week = [y for y in answer("done") if "2026-11-23" <= y["done_on"] <= "2026-11-29"]
out.append("done=%s" % compare(wb["本周完成"], 2, SPEC["done"], week))
print(" ".join(out))
PY
) || fail "openpyxl could not read the bulletin: $checks"
echo "$checks"
expect_contains "six sheets, by name" "sheets=总览,排名,逾期节点,问题清单,督办落实,本周完成" "$checks"
expect_contains "each sheet's title names the week and the day of the figures; header frozen and filtered" \
    "titles=True frozen=True filters=True" "$checks"
expect_contains "总览 is stats --by county, every column" "by_county=ok:" "$checks"
expect_contains "… red counts on red" "red_fill=True" "$checks"
expect_contains "… then stats --by sector, every column" "by_sector=ok:" "$checks"
expect_contains "… and its total counts the demo's projects" "total=$(sql "SELECT count(*) FROM project WHERE year = 2026")" \
    "$checks"
expect_contains "排名 is rank, every column, in its three groups, by their Chinese names" "groups=城区组,县组,功能区组" "$checks"
expect_contains "… row for row" "rank=ok:" "$checks"
# The dashboard's ranking heads its groups the same way.
curl -s "http://127.0.0.1:$wport/" > "$T_DIR/page.html" || fail "GET /"
expect_eq "the dashboard's 县区排名: 城区组, 县组 and 功能区组" "城区组,县组,功能区组" \
    "$(grep -o '<h3>[^ <]*' "$T_DIR/page.html" | sed 's/<h3>//' | grep -x '城区组\|县组\|功能区组' | paste -sd,)"
expect_contains "逾期节点 is overdue, every column, dates as dates" \
    "overdue=ok:$(sql "SELECT count(*) FROM milestone WHERE status = 'pending' AND due_on < '$TODAY'")" "$checks"
expect_contains "问题清单 is problem list, every column" "problems=ok:2" "$checks"
expect_contains "督办落实 is orders, every column" "orders=ok:2" "$checks"
expect_contains "本周完成: the nodes done Monday to Sunday (two of them today's), not last week's, every column" \
    "done=ok:$(sql "SELECT count(*) FROM milestone WHERE status = 'done' AND done_on BETWEEN '2026-11-23' AND '2026-11-29'")" \
    "$checks"

# The dashboard hands out the same workbook: /bulletin.xlsx?week=W, as the
# weekly summary links it, is what `keyprojctl bulletin --week W` writes,
# cell for cell (values and number formats; the workbook's properties, which
# hold the moment it was made, are not cells), as an attachment named for
# its week. Last week's, so the week asked for is the one answered.
code_of=$(curl -s -D "$T_DIR/web.head" -o "$T_DIR/web.xlsx" -w '%{http_code}' \
    "http://127.0.0.1:$wport/bulletin.xlsx?week=2026-W47")
expect_eq "GET /bulletin.xlsx?week=2026-W47: 200" 200 "$code_of"
headers=$(tr -d '\r' < "$T_DIR/web.head")
expect_contains "…an Excel workbook" \
    "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" "$headers"
name=$(echo "$headers" | "$PY" -c 'import re, sys, urllib.parse
h = sys.stdin.read()
m = re.search(r"^Content-Disposition: attachment;.*filename\*=UTF-8\x27\x27([^;\s]+)", h, re.M | re.I)
print(urllib.parse.unquote(m.group(1)) if m else "no filename* in: " + h)')
expect_eq "…an attachment named 周报-2026-W47.xlsx" 周报-2026-W47.xlsx "$name"
kpctl bulletin --week 2026-W47 > "$T_DIR/cli.xlsx" || fail "keyprojctl bulletin --week 2026-W47"
r=$("$PY" - "$T_DIR/web.xlsx" "$T_DIR/cli.xlsx" <<'PY'
import sys
from openpyxl import load_workbook
def cells(path):
    wb = load_workbook(path)
    return {ws.title: [[(c.coordinate, c.value, c.number_format) for c in row] for row in ws.iter_rows()]
            for ws in wb.worksheets}
web, cli = cells(sys.argv[1]), cells(sys.argv[2])
if list(web) != list(cli):
    print("sheets %s, not %s" % (list(web), list(cli)))
else:
    diff = [(w, c) for s in web for rw, rc in zip(web[s], cli[s]) for w, c in zip(rw, rc) if w != c]
    diff += [s + " is not as large" for s in web if len(web[s]) != len(cli[s]) or
             any(len(a) != len(b) for a, b in zip(web[s], cli[s]))]
    n = sum(len(r) for s in web for r in web[s])
    print("same:%d" % n if not diff and n else "differs: %s" % diff[:3])
PY
)
expect_contains "…the very workbook keyprojctl bulletin --week 2026-W47 writes, cell for cell" same: "$r"
expect_contains "…and last week's: its title names 2026-W47" 2026-W47 \
    "$("$PY" -c 'import sys; from openpyxl import load_workbook; print(load_workbook(sys.argv[1])["总览"]["A1"].value)' "$T_DIR/web.xlsx")"

# Another week: by name or by a day in it; the figures stay today's.
kpctl bulletin --week 2026-11-18 > "$T_DIR/w47.xlsx" || fail "bulletin --week 2026-11-18"
title=$("$PY" -c 'import sys; from openpyxl import load_workbook; print(load_workbook(sys.argv[1])["本周完成"]["A1"].value)' \
    "$T_DIR/w47.xlsx")
expect_contains "a date names its week" "2026-W47（11月16日至11月22日）" "$title"
expect_contains "… the figures still today's" "数据截至 2026-11-25" "$title"
n=$("$PY" -c 'import sys; from openpyxl import load_workbook; print(load_workbook(sys.argv[1])["本周完成"].max_row - 2)' \
    "$T_DIR/w47.xlsx")
expect_eq "… and 本周完成 is that week's" \
    "$(sql "SELECT count(*) FROM milestone WHERE status = 'done' AND done_on BETWEEN '2026-11-16' AND '2026-11-22'")" "$n"
kpctl bulletin --week 2026-w53 > "$T_DIR/w53.xlsx" || fail "2026 has a week 53"

for bad in 2025-W53 2026-W00 2026-W7 2026-12-32 下周; do
    run bulletin --week "$bad"
    expect_eq "--week $bad: a usage error" 2 "$rc"
    expect_contains "--week $bad: says what a week is" "--week" "$err"
done
run bulletin --week 2025-W53
expect_contains "a week the year does not have is named" "2025-W53 is not a week" "$err"

# The weekly summary carries it to a WeCom robot: the workbook uploaded to
# the robot's upload_media (its URL made from the robot's, same key), then a
# file message with the media_id it answered — through the outbox, once a week;
# with web.base_url, the summary itself links the workbook on the dashboard.
stop_daemon || fail "keyprojd did not stop cleanly"
start_receiver
write_config "
alerts = { quiet_hours = \"\"; hold_on_rest_days = false; digest_time = \"08:30\"; };
web = { base_url = \"https://xm.example.gov.cn/keyproj/\"; };
receivers = (
  { name = \"office\"; type = \"wecom\"; url = \"$base/wecom?key=test-key\"; digest_window_seconds = 0;
    match = { kind = [ \"campaign.missed\" ]; }; }
);"
start_daemon --now 2026-11-30T09:00:00+08:00        # Monday of 2026-W49, after digest_time
wait_ready
wait_until 60 sql_is delivered "SELECT d.status FROM delivery d JOIN alert a ON a.id = d.alert_id
                                  WHERE a.stage = 'bulletin:2026-W49'" ||
    fail "the bulletin was not delivered: $(sql "SELECT d.status || ' ' || coalesce(d.last_error, '')
            FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE a.stage = 'bulletin:2026-W49'")"
got=$("$PY" - "$base" "$T_DIR" <<'PY'
import base64, io, json, sys, urllib.request
from openpyxl import load_workbook
got = json.load(urllib.request.urlopen(sys.argv[1] + "/_received"))
ups = [e for e in got if e["path"] == "/upload_media"]
files = [e for e in got if e["path"] == "/wecom" and e["json"].get("msgtype") == "file"]
weekly = [e for e in got if e["path"] == "/wecom" and "周报" in e["json"].get("markdown", {}).get("content", "")]
out = ["uploads=%d files=%d" % (len(ups), len(files))]
if ups and files:
    data = base64.b64decode(ups[0]["content_base64"])
    wb = load_workbook(io.BytesIO(data))
    out.append("name=%s" % ups[0]["filename"])
    out.append("media_id=%s" % (files[0]["json"]["file"]["media_id"] == ups[0]["media_id"]))
    out.append("xlsx=%s" % ",".join(wb.sheetnames))
    out.append("week=%s" % ("2026-W49" in wb["总览"]["A1"].value))
    out.append("after_summary=%s" % (bool(weekly) and weekly[0]["seq"] < ups[0]["seq"]))
if weekly:
    link = "周报下载：https://xm.example.gov.cn/keyproj/bulletin.xlsx?week=2026-W49"
    out.append("summary_links_it=%s" % (link in weekly[0]["json"]["markdown"]["content"]))
print(" ".join(out))
PY
) || fail "reading what the robot received: $got"
echo "$got"
expect_contains "the robot got one upload and one file message" "uploads=1 files=1" "$got"
expect_contains "the file is named for its week" "name=周报-2026-W49.xlsx" "$got"
expect_contains "the file message names the media_id the upload answered" "media_id=True" "$got"
expect_contains "the bytes are the bulletin's workbook" "xlsx=总览,排名,逾期节点,问题清单,督办落实,本周完成 week=True" "$got"
expect_contains "the summary's text came first" "after_summary=True" "$got"
expect_contains "…and links the workbook on the dashboard (web.base_url)" "summary_links_it=True" "$got"
wecom_says() {  # wecom_says BODY → the robot's errcode
    curl -s -X POST -H 'Content-Type: application/json' -d "$1" "$base/wecom?key=test-key" | field errcode
}
expect_eq "the test robot refuses a media_id it did not issue, as WeCom does" 40007 \
    "$(wecom_says '{"msgtype":"file","file":{"media_id":"3nothing"}}')"

# Once a week: a restart the same week sends it again to nobody.
stop_daemon || fail "keyprojd did not stop cleanly"
start_daemon --now 2026-12-01T09:00:00+08:00
wait_ready
settle 3
expect_eq "one bulletin per robot and week" 1 "$(sql "SELECT count(*) FROM alert WHERE stage LIKE 'bulletin:2026-W49'")"
expect_eq "… sent once" 1 "$(curl -s "$base/_received?path=/upload_media" | py 'len(d)')"
expect_eq "no temporary directory is left behind" "" "$(ls -d "${TMPDIR:-/tmp}"/keyproj-export-* 2>/dev/null | head -n 1)"

stop_daemon
