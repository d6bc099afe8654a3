#!/bin/bash
# The weekly project meeting's workbook (项目例会周报): on the demo ledger,
# `keyprojctl bulletin` writes one .xlsx that openpyxl opens, with its six
# sheets, a title row naming the week and the day the figures stand at,
# Chinese headers, a frozen header row and a filter — and its figures are
# those keyprojctl shows the same day: stats by county and by sector, rank,
# overdue, problem list, orders, and the milestones done this week. A week
# that is not one is a usage error. The weekly summary carries it to a
# WeCom robot as a file message (upload_media, then the file).
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
write_config
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
import json, sys
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
    for r in ws.iter_rows(min_row=first + 1, values_only=True):
        if all(v is None for v in r):
            break
        rows.append(dict(zip(heads, r)))
    return heads, rows
titles = all("2026-W48" in ws["A1"].value and "数据截至 2026-11-25" in ws["A1"].value for ws in wb)
out.append("titles=%s" % titles)
out.append("frozen=%s" % all(ws.freeze_panes == "A3" for ws in wb))
out.append("filters=%s" % all(ws.auto_filter.ref and ws.auto_filter.ref.startswith("A2:") for ws in wb))

# 总览: lights and figures by county (with 合计), then by sector.
ws = wb["总览"]
heads, county = table(ws)
stats = answer("statscounty")
keys = [("projects", "项目数"), ("red", "红灯"), ("yellow", "黄灯"), ("green", "绿灯"),
        ("milestones_overdue", "逾期节点"), ("milestones_due", "应完成节点"), ("starts_done", "已开工")]
def same(xs, ys, name, label):
    return len(xs) == len(ys) and all(x[label] == y[name] and all(x[h] == y[k] for k, h in keys)
                                      for x, y in zip(xs, ys))
out.append("by_county=%s" % same(county, stats, "county", "县区"))
money = all(abs((x["已完成投资（万元）"] or 0) - (y["invested"] or 0)) < 0.005 for x, y in zip(county, stats))
out.append("invested=%s" % money)
red = [ws.cell(row=3 + i, column=heads.index("红灯") + 1) for i in range(len(county))]
out.append("red_fill=%s" % all(c.fill.fgColor.rgb.endswith("FFC7CE") for c in red if c.value))
sector_start = 2 + len(county) + 2   # the header, the rows, a blank row
_, sector = table(ws, sector_start)
zh = {"industry": "产业", "urban": "城建", "infrastructure": "基础设施", "livelihood": "民生", "ecology": "生态",
      "other": "其他", "合计": "合计"}
sstats = [dict(s, sector=zh[s["sector"]]) for s in answer("statssector")]
out.append("by_sector=%s" % same(sector, sstats, "sector", "领域"))
out.append("total=%d" % county[-1]["项目数"])

# 排名: the three groups, as rank ranks them.
_, rank = table(wb["排名"])
r = answer("rank")
out.append("rank=%s" % (len(rank) == len(r) and all(
    (x["组别"], x["名次"], x["县区"], x["超/落后序时（百分点）"]) == (y["group"], y["rank"], y["county"], y["points_vs_schedule"])
    for x, y in zip(rank, r))))
out.append("groups=%s" % "".join(sorted({x["组别"] for x in rank})))

def ids(sheet, key, name):
    _, rows = table(wb[sheet])
    return [x[key] for x in rows], [y["id"] for y in answer(name)]
got, want = ids("逾期节点", "节点ID", "overdue")
out.append("overdue=%s:%d" % (got == want, len(got)))
_, rows = table(wb["逾期节点"])
out.append("dates=%s" % all(c.number_format == "yyyy-mm-dd" for c in wb["逾期节点"]["C"][2:]))
got, want = ids("问题清单", "问题ID", "problems")
out.append("problems=%s:%d" % (got == want, len(got)))
got, want = ids("督办落实", "函件ID", "orders")
out.append("orders=%s:%d" % (got == want, len(got)))
_, done = table(wb["本周完成"])
week = sorted(y["id"] for y in answer("done") if "2026-11-23" <= y["done_on"] <= "2026-11-29")
out.append("done=%s:%d" % (sorted(x["节点ID"] for x in done) == week, len(done)))
print(" ".join(out))
PY
) || fail "openpyxl could not read the bulletin: $checks"
echo "$checks"
expect_contains "six sheets, by name" "sheets=总览,排名,逾期节点,问题清单,督办落实,本周完成" "$checks"
expect_contains "each sheet's title names the week and the day of the figures; header frozen and filtered" \
    "titles=True frozen=True filters=True" "$checks"
expect_contains "总览 is stats --by county, light for light, with its fills" \
    "by_county=True invested=True red_fill=True" "$checks"
expect_contains "… then stats --by sector" "by_sector=True" "$checks"
expect_contains "… and its total counts the demo's projects" "total=$(sql "SELECT count(*) FROM project WHERE year = 2026")" \
    "$checks"
expect_contains "排名 is rank, in its three groups" "rank=True groups=功能区组县组城区组" "$checks"
expect_contains "逾期节点 is overdue, row for row, dates as dates" \
    "overdue=True:$(sql "SELECT count(*) FROM milestone WHERE status = 'pending' AND due_on < '$TODAY'") dates=True" "$checks"
expect_contains "问题清单 is problem list" "problems=True:2" "$checks"
expect_contains "督办落实 is orders" "orders=True:2" "$checks"
expect_contains "本周完成: the nodes done Monday to Sunday (two of them today's), not last week's" \
    "done=True:$(sql "SELECT count(*) FROM milestone WHERE status = 'done' AND done_on BETWEEN '2026-11-23' AND '2026-11-29'")" \
    "$checks"

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
