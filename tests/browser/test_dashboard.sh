#!/bin/bash
# The dashboard as a leader's phone and the meeting room's screen see it,
# in a real headless Chromium (Debian's chromium, driven by puppeteer-core
# from npm, which downloads no browser): on the demo ledger every page loads
# with no console error and no request leaving 127.0.0.1, at 390 px wide
# with no horizontal scroll (the 大屏 fits 1920×1080); the figures of 总览
# and of a county page are keyprojctl --json stats's for the same filters;
# a project named <script>alert(1)</script> shows as text. Screenshots of
# each page are kept in tests/artefacts/dashboard/.
. "$top_srcdir/tests/integration/lib.sh"

PUPPETEER=puppeteer-core@25.19.0
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "SKIP: no $CHROMIUM (scripts/deps installs Debian's chromium)"; exit 77; }
command -v node >/dev/null || { echo "SKIP: no node to run puppeteer-core"; exit 77; }

# puppeteer-core, once per build tree (kept between runs: the offline copy)
NPM_DIR="${KEYPROJ_NPM_CACHE:-$top_builddir/tests/cache/npm}"
if [ ! -f "$NPM_DIR/node_modules/puppeteer-core/package.json" ]; then
    mkdir -p "$NPM_DIR"
    if ! timeout 120 npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$NPM_DIR" "$PUPPETEER" \
            >"$T_DIR/npm.log" 2>&1; then
        echo "SKIP: $PUPPETEER is not cached in $NPM_DIR and npm could not install it: $(tail -n 2 "$T_DIR/npm.log")"
        exit 77
    fi
fi

create_demo_db
hostile='<script>alert(1)</script>'
code=2026-410327-30-03-339678
sql "UPDATE project SET name = '$hostile' WHERE code = '$code'" >/dev/null
wport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_config "web = { listen = \"127.0.0.1:$wport\"; };"
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
kpctl scan >/dev/null || fail "scan"

SHOTS="$T_DIR/shots"
mkdir -p "$SHOTS"
keep_shots() {
    local to="$top_builddir/tests/artefacts/dashboard"
    rm -rf "$to" && mkdir -p "$to" && cp "$SHOTS"/*.png "$to"/ 2>/dev/null
}
at_exit keep_shots

county=嵩县
enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
pages=$(python3 - "$(enc "$county")" "$code" "$(enc 范德胜)" "$(enc 嵩县政府)" <<'PY'
import json, sys
c, code, leader, unit = sys.argv[1:]
p = [("overview", "/"), ("county", "/county/" + c), ("leader", "/leader/" + leader), ("unit", "/unit/" + unit),
     ("project", "/project/" + code), ("overdue", "/overdue?county=" + c), ("due", "/due?days=14"),
     ("problems", "/problems"), ("orders", "/orders"), ("notfound", "/project/nothing")]
pages = [{"name": n, "path": u} for n, u in p] + [{"name": "screen", "path": "/screen", "screen": True}]
print(json.dumps(pages))
PY
)
node "$top_srcdir/tests/browser/dashboard.js" "$NPM_DIR" "http://127.0.0.1:$wport" "$SHOTS" "$pages" \
    >"$T_DIR/seen.json" 2>"$T_DIR/node.err" || fail "the browser run failed: $(tail -n 20 "$T_DIR/node.err")"

kpctl --json stats --by county >"$T_DIR/by_county.json"
kpctl --json stats --by sector >"$T_DIR/by_sector.json"
kpctl --json stats --county "$county" >"$T_DIR/county.json"

# check WHAT PYTHON-EXPRESSION: seen (the browser's), cli (keyprojctl's) in scope
check() {
    local r
    r=$(python3 - "$T_DIR" "$2" <<'PY'
import json, sys
d = sys.argv[1]
seen = json.load(open(d + "/seen.json"))
cli = {k: json.load(open("%s/%s.json" % (d, k))) for k in ("by_county", "by_sector", "county")}
def rows(answer, key):
    return {r[key]: r for r in answer}
try:
    v = eval(sys.argv[2])
except Exception as e:
    v = "error: %r" % e
print("yes" if v is True else v)
PY
)
    [ "$r" = yes ] || fail "$1: $r"
    ok "$1"
}

for p in overview county leader unit project overdue due problems orders screen; do
    check "$p: 200, no console error" "seen['$p']['status'] == 200 and not seen['$p']['errors'] or seen['$p']"
done
check "404 page in Chinese for an unknown project" "seen['notfound']['status'] == 404 and '没有找到' in seen['notfound']['h1'] or seen['notfound']"
check "no request left 127.0.0.1 on any page" "all(not s['outside'] for s in seen.values()) or [s['outside'] for s in seen.values()]"
check "the stylesheet loaded (CSP allows 'self')" "all(s['stylesheets'] == 1 for s in seen.values()) or {n: s['stylesheets'] for n, s in seen.items()}"
check "no script anywhere" "all(s['scripts'] == 0 for s in seen.values())"
check "390 px wide: no horizontal scroll on any page" \
    "all(s['scrollWidth'] <= 390 for n, s in seen.items() if n != 'screen') or {n: s['scrollWidth'] for n, s in seen.items()}"
check "the 大屏 fits 1920×1080" "seen['screen']['scrollWidth'] <= 1920 and seen['screen']['scrollHeight'] <= 1080 or (seen['screen']['scrollWidth'], seen['screen']['scrollHeight'])"
check "the hostile name is the project page's heading, as text" "seen['project']['h1'] == '$hostile' or seen['project']['h1']"
check "and its title" "seen['project']['title'].startswith('$hostile') or seen['project']['title']"
check "no dialog opened" "all(s['dialogs'] == 0 for s in seen.values())"

keys="['projects', 'red', 'yellow', 'green', 'milestones_overdue']"
check "总览: each county's lights and overdue = stats --by county" \
    "all({k: c[k] for k in $keys} == seen['overview']['county'][n] for n, c in rows(cli['by_county'], 'county').items()) and len(seen['overview']['county']) == len(cli['by_county']) or seen['overview']['county']"
check "总览: each sector's = stats --by sector" \
    "all({k: c[k] for k in $keys} == seen['overview']['sector'][n] for n, c in rows(cli['by_sector'], 'sector').items()) or seen['overview']['sector']"
kpi="all(seen[P]['kpis'][k] == round(T[k], 1) for k in ['projects', 'red', 'milestones_overdue', 'completion_rate', 'investment_rate', 'schedule_rate'])"
check "总览: the city's figures = stats's 合计" "$(echo "$kpi" | sed "s/P/'overview'/; s/T\[/cli['by_county'][-1][/g") or seen['overview']['kpis']"
check "county page ($county): its figures = stats --county $county" "$(echo "$kpi" | sed "s/P/'county'/; s/T\[/cli['county'][-1][/g") or (seen['county']['kpis'], cli['county'][-1])"

n=$(ls "$SHOTS"/*.png | wc -l)
expect_eq "a screenshot of each page" 11 "$n"

# ---- mounted under a path, as doc/operations.md's nginx does ------------------
# nginx serves the dashboard at https://…/keyproj/ and strips the prefix
# (proxy_pass http://127.0.0.1:8080/). Every link, stylesheet and chart bar
# of every page, resolved as a browser resolves it against the page's
# address there, must stay under /keyproj/, and what it names must answer.
r=$(python3 - "http://127.0.0.1:$wport" "$pages" <<'PY'
import html.parser, json, sys, urllib.error, urllib.parse, urllib.request
local, pages = sys.argv[1], json.loads(sys.argv[2])
mount = "https://xm.example.gov.cn/keyproj"
class Refs(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.refs = []
    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v and not v.startswith("data:"):
                self.refs.append(v)
def get(path):
    try:
        with urllib.request.urlopen(local + path, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
bad, targets = [], set()
for p in pages:
    status, body = get(p["path"])
    refs = Refs(); refs.feed(body)
    if not refs.refs:
        bad.append("%s: no links at all" % p["path"])
    for ref in refs.refs:
        to = urllib.parse.urljoin(mount + p["path"], ref)
        if not to.startswith(mount + "/"):
            bad.append("%s: %s leads to %s" % (p["path"], ref, to))
        else:
            targets.add(urllib.parse.urlsplit(to)._replace(scheme="", netloc="").geturl()[len("/keyproj"):])
for t in sorted(targets):
    if t.endswith("format=csv"):
        continue
    status, _ = get(t)
    if status != 200:
        bad.append("%s answers %s" % (t, status))
print(json.dumps(bad[:10]) if bad else "yes %d" % len(targets))
PY
)
case $r in
yes*) ok "under /keyproj/ every page's links, stylesheet and bars stay there, and all ${r#yes } targets answer 200" ;;
*) fail "links that leave the mount or fail: $r" ;;
esac

# ---- the weekly bulletin's workbook, as the weekly summary links it ---------
# /bulletin.xlsx?week=W is the workbook `keyprojctl bulletin --week W` writes
# (the same sheets and cells), as an attachment with its Chinese name; a
# week that is no week is a 400 page in Chinese.
PY=
for p in /usr/bin/python3 python3; do
    "$p" -c 'import openpyxl' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || fail "python3-openpyxl is needed (scripts/deps installs it)"
code_of=$(curl -s -D "$T_DIR/bulletin.head" -o "$T_DIR/web.xlsx" -w '%{http_code}' \
    "http://127.0.0.1:$wport/bulletin.xlsx?week=2026-W48")
expect_eq "GET /bulletin.xlsx?week=2026-W48: 200" 200 "$code_of"
expect_contains "…an Excel workbook" \
    "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" "$(tr -d '\r' < "$T_DIR/bulletin.head")"
expect_contains "…downloaded as 周报-2026-W48.xlsx" \
    "filename*=UTF-8''%E5%91%A8%E6%8A%A5-2026-W48.xlsx" "$(tr -d '\r' < "$T_DIR/bulletin.head")"
kpctl bulletin --week 2026-W48 > "$T_DIR/cli.xlsx" || fail "keyprojctl bulletin --week 2026-W48"
r=$("$PY" - "$T_DIR/web.xlsx" "$T_DIR/cli.xlsx" <<'PY'
import sys
from openpyxl import load_workbook
def cells(path):
    wb = load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets}
web, cli = cells(sys.argv[1]), cells(sys.argv[2])
want = ["总览", "排名", "逾期节点", "问题清单", "督办落实", "本周完成"]
if list(web) != want:
    print("sheets %s" % list(web))
elif web != cli:
    print("differs from keyprojctl bulletin in %s" % [s for s in want if web[s] != cli[s]])
else:
    print("yes")
PY
)
expect_eq "…the very workbook keyprojctl bulletin writes: its six sheets, cell for cell" yes "$r"
expect_eq "a week that is no week: 400" 400 \
    "$(curl -s -o "$T_DIR/bad.html" -w '%{http_code}' "http://127.0.0.1:$wport/bulletin.xlsx?week=2026-W99")"
expect_contains "…said in Chinese" "参数有误" "$(cat "$T_DIR/bad.html")"
