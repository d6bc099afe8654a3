#!/bin/bash
# The people who read keyprojctl's tables work in Chinese: under
# LANG=zh_CN.UTF-8 the projects, stats, rank, problems and status show
# Chinese headers and no English enum value (a project named "red" keeps its
# name), under LANG=C the same commands show English (rank's groups too:
# district, county, zone), and --json and --csv, for programs, are byte for
# byte the same under both. --excel gives Excel
# a byte order mark, CRLF and formulas it will not run.
. "$top_srcdir/tests/lib/assert.sh"

export KEYPROJ_LOCALEDIR="${KEYPROJ_LOCALEDIR:-$top_builddir/po/locale}"
[ -f "$KEYPROJ_LOCALEDIR/zh_CN/LC_MESSAGES/keyproj.mo" ] || {
    echo "SKIP: no zh_CN catalog in $KEYPROJ_LOCALEDIR (configure found no msgfmt: install gettext)"
    exit 77
}
locale -a 2>/dev/null | grep -qix 'zh_CN\.utf-\{0,1\}8' || {
    echo "SKIP: the zh_CN.UTF-8 locale is not generated on this machine (scripts/deps makes it)"
    exit 77
}
. "$top_srcdir/tests/integration/lib.sh"

TODAY=2026-11-25
create_demo_db
write_config
start_daemon --now "${TODAY}T10:00:00+08:00"
wait_ready
kpctl scan >/dev/null || fail "scan"

# ctl_in LANG ARGS… — keyprojctl as someone whose locale is LANG.
ctl_in() {
    local lang=$1
    shift
    env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG="$lang" "$KEYPROJCTL" -s "$T_SOCK" "$@"
}

# A project whose name is an English enum word, and problems to list (one
# whose text Excel would run as a formula).
county=涧西区
printf '%s\n' 'code,name,year,level,county,sector,category,unit,total_investment,annual_plan,planned_start,planned_end' \
    "2026-410305-47-01-999001,red,2026,city,$county,livelihood,new,涧西区政府,100,50,2026-03-01,2027-06-30" \
    > "$T_DIR/red.csv"
kpctl import projects "$T_DIR/red.csv" >/dev/null || fail "import of the project named red"
code=$(sql "SELECT code FROM project WHERE name <> 'red' ORDER BY code LIMIT 1")
kpctl problem add "$code" --category land --severity major --text "用地指标未落实" >/dev/null || fail "problem add"
kpctl problem add "$code" --category funding --severity ordinary --text "=1+1" >/dev/null || fail "problem add"

# Every canonical enum name the word lists of daemon/values.c know.
sed -n 's/.*\(W("\|\.name = "\)\([a-z_.]*\)".*/\2/p' "$top_srcdir/daemon/values.c" | sort -u > "$T_DIR/canonical"
[ "$(wc -l < "$T_DIR/canonical")" -gt 60 ] || fail "found only $(wc -l < "$T_DIR/canonical") canonical names in values.c"

# cells FILE — a table (header, rule, rows) or key: value lines as JSON:
# {"headers": [...], "rows": [[...], ...]}; columns are cut where the rule
# says, counting a CJK character as two columns.
cells() {
    python3 -I -S - "$1" <<'PY'
import json, sys, unicodedata
def cols(s):
    out = []
    for ch in s:
        out.append(ch)
        if unicodedata.east_asian_width(ch) in "WF":
            out.append("")
    return out
lines = [l.rstrip("\n") for l in open(sys.argv[1], encoding="utf-8")]
if len(lines) > 1 and set(lines[1]) <= {"-", " "} and lines[1]:
    rule = lines[1]
    starts = [i for i, c in enumerate(rule) if c == "-" and (i == 0 or rule[i - 1] == " ")]
    ends = starts[1:] + [10 ** 6]
    def cut(l):
        c = cols(l)
        return ["".join(c[s:e]).strip() for s, e in zip(starts, ends)]
    body = [l for l in lines[2:] if not (l.startswith("(") or l.startswith("（"))]
    print(json.dumps({"headers": cut(lines[0]), "rows": [cut(l) for l in body]}, ensure_ascii=False))
else:
    kv = [l.split(":", 1) for l in lines if ":" in l]
    print(json.dumps({"headers": [k.strip() for k, v in kv], "rows": [[v.strip() for k, v in kv]]}, ensure_ascii=False))
PY
}

# english_values FILE — the cells of FILE's table that are canonical enum
# names, except the project named red in the name column.
english_values() {
    cells "$1" | python3 -I -S -c '
import json, sys
canon = set(open(sys.argv[1]).read().split())
t = json.load(sys.stdin)
bad = [c for r in t["rows"] for h, c in zip(t["headers"], r) if c in canon and not (c == "red" and h in ("名称", "name"))]
print(" ".join(sorted(set(bad))))' "$T_DIR/canonical"
}

# ascii_headers FILE — the headers of FILE that hold no Chinese.
ascii_headers() {
    cells "$1" | python3 -I -S -c '
import json, sys
print(" ".join(h for h in json.load(sys.stdin)["headers"] if h.isascii()))'
}

VIEWS=("projects --county $county" "stats" "stats --by sector" "rank" "problem list" "status")
for v in "${VIEWS[@]}"; do
    # shellcheck disable=SC2086
    {
        ctl_in zh_CN.UTF-8 $v > "$T_DIR/zh.txt" || fail "$v under zh_CN.UTF-8"
        ctl_in C $v > "$T_DIR/c.txt" || fail "$v under C"
        ctl_in zh_CN.UTF-8 --json $v > "$T_DIR/zh.json" && ctl_in C --json $v > "$T_DIR/c.json" || fail "$v --json"
        ctl_in zh_CN.UTF-8 --csv $v > "$T_DIR/zh.csv" && ctl_in C --csv $v > "$T_DIR/c.csv" || fail "$v --csv"
    }
    [ -n "$(cells "$T_DIR/zh.txt" | py 'd["rows"]')" ] || fail "$v shows no rows"
    expect_eq "$v under zh_CN.UTF-8: every header in Chinese" "" "$(ascii_headers "$T_DIR/zh.txt")"
    expect_eq "$v under zh_CN.UTF-8: no English enum value" "" "$(english_values "$T_DIR/zh.txt")"
    # Under C: the headers are the JSON keys, the values as the daemon says them.
    keys=$(py 'list((d[0] if isinstance(d, list) else d).keys())' < "$T_DIR/c.json" | py '" ".join(k for k in d if not k.startswith("by_"))')
    expect_eq "$v under C: the headers are the keys" "$keys" \
        "$(cells "$T_DIR/c.txt" | py '" ".join(h for h in d["headers"])' | cut -d' ' -f1-"$(wc -w <<< "$keys")")"
    if [ "$v" = status ]; then
        # (what moves between two calls: the clock, uptime, the scan and
        # the queue; every other member is compared, in --json and in
        # --csv, whose rows are KEY,VALUE)
        moving="now uptime_seconds control_clients scanning last_scan_at last_scan_ms last_scan_examined
                last_scan_alerts delivery_oldest_s deliveries_pending"
        for f in zh c; do
            py "{k: v for k, v in d.items() if k not in '$(echo $moving)'.split()}" < "$T_DIR/$f.json" > "$T_DIR/$f.still.json"
            grep -v -E "^($(echo $moving | tr ' ' '|'))," "$T_DIR/$f.csv" > "$T_DIR/$f.still.csv"
        done
        cmp -s "$T_DIR/zh.still.json" "$T_DIR/c.still.json" || fail "$v --json differs between zh_CN.UTF-8 and C"
        cmp -s "$T_DIR/zh.still.csv" "$T_DIR/c.still.csv" || fail "$v --csv differs between zh_CN.UTF-8 and C"
    else
        cmp -s "$T_DIR/zh.json" "$T_DIR/c.json" || fail "$v --json differs between zh_CN.UTF-8 and C"
        cmp -s "$T_DIR/zh.csv" "$T_DIR/c.csv" || fail "$v --csv differs between zh_CN.UTF-8 and C"
    fi
    ok "$v --json and --csv are byte for byte the same under zh_CN.UTF-8 and C"
done

# The English is there under C, the Chinese under zh_CN.UTF-8.
ctl_in C projects --county "$county" > "$T_DIR/c.txt"
ctl_in zh_CN.UTF-8 projects --county "$county" > "$T_DIR/zh.txt"
for w in city livelihood new; do
    grep -qw "$w" "$T_DIR/c.txt" || fail "projects under C lacks '$w'"
done
for w in 项目代码 县区 领域 民生 新开工 市; do
    grep -q "$w" "$T_DIR/zh.txt" || fail "projects under zh_CN.UTF-8 lacks '$w'"
done
ok "projects: city, livelihood, new under C; 项目代码, 民生, 新开工, 市 under zh_CN.UTF-8"
ctl_in C stats --by sector > "$T_DIR/c.txt"
ctl_in zh_CN.UTF-8 stats --by sector > "$T_DIR/zh.txt"
grep -q '^ecology ' "$T_DIR/c.txt" && grep -q '^生态 ' "$T_DIR/zh.txt" || fail "stats --by sector: ecology / 生态 rows"
ctl_in zh_CN.UTF-8 problem list > "$T_DIR/zh.txt"
grep -q '用地  *重大' "$T_DIR/zh.txt" || fail "problem list under zh_CN.UTF-8 does not read 用地 重大: $(cat "$T_DIR/zh.txt")"
ctl_in C problem list > "$T_DIR/c.txt"
grep -q 'land  .*major' "$T_DIR/c.txt" || fail "problem list under C does not read land … major"
ok "stats --by sector reads ecology / 生态, problem list land major / 用地 重大"
# rank: keyprojd sends a county's group by its canonical name (county.grp),
# --json included; the table says it in the reader's language, as it does
# a sector.
ctl_in C rank > "$T_DIR/c.txt"
ctl_in zh_CN.UTF-8 rank > "$T_DIR/zh.txt"
groups_of() { cells "$1" | py '",".join(dict.fromkeys(r[0] for r in d["rows"]))'; }
ctl_in C --json rank > "$T_DIR/c.json" && ctl_in zh_CN.UTF-8 --json rank > "$T_DIR/zh.json" || fail "rank --json"
expect_eq "rank --json: the groups by their canonical names, district, county and zone, in that order" \
    "district,county,zone" "$(py '",".join(dict.fromkeys(r["group"] for r in d))' < "$T_DIR/c.json")"
cmp -s "$T_DIR/c.json" "$T_DIR/zh.json" || fail "rank --json differs between C and zh_CN.UTF-8"
ok "…the same under C and zh_CN.UTF-8"
expect_eq "rank under C: the groups in English, as --json has them" "district,county,zone" "$(groups_of "$T_DIR/c.txt")"
expect_eq "…and no Chinese group anywhere in the table" "" "$(grep -o '城区组\|县组\|功能区组' "$T_DIR/c.txt" | sort -u)"
expect_eq "rank under zh_CN.UTF-8: 城区组, 县组 and 功能区组, in that order" "城区组,县组,功能区组" \
    "$(groups_of "$T_DIR/zh.txt")"
expect_eq "…and no English group" "" "$(english_values "$T_DIR/zh.txt")"
expect_eq "rank under C: English headers, group first" "group rank county month" \
    "$(cells "$T_DIR/c.txt" | py '" ".join(d["headers"][:4])')"
# county list: the same words, districts first as rank has them.
ctl_in C county list > "$T_DIR/c.txt"
ctl_in zh_CN.UTF-8 county list > "$T_DIR/zh.txt"
groups_of() { cells "$1" | py '",".join(dict.fromkeys(r[1] for r in d["rows"]))'; }
expect_eq "county list: the groups canonical in --json, English under C, Chinese under zh_CN.UTF-8" \
    "district,county,zone district,county,zone 城区组,县组,功能区组" \
    "$(kpctl --json county list | py '",".join(dict.fromkeys(r["group"] for r in d))') $(groups_of "$T_DIR/c.txt") $(groups_of "$T_DIR/zh.txt")"
# status: the database's state and the daemon's role in English under C
# (in Chinese under zh_CN.UTF-8: below).
ctl_in C status > "$T_DIR/c.txt"
expect_eq "status under C: database connected, role leader" "connected leader" \
    "$(cells "$T_DIR/c.txt" | py '" ".join(dict(zip(d["headers"], d["rows"][0]))[k] for k in ("database", "role"))')"

# The project named red keeps its name; its light is 绿, 黄 or 红.
row=$(ctl_in zh_CN.UTF-8 projects --county "$county" | grep 2026-410305-47-01-999001)
case $row in
    *" red "*) ok "a project named red is still named red under zh_CN.UTF-8" ;;
    *) fail "the project named red: $row" ;;
esac
expect_eq "its sector and category are Chinese" "民生 新开工" \
    "$(echo "$row" | grep -o '民生\|新开工' | tr '\n' ' ' | sed 's/ $//')"

# status: keys and values in Chinese, yes/no as 是/否.
ctl_in zh_CN.UTF-8 status > "$T_DIR/zh.txt"
expect_contains "status under zh_CN.UTF-8: 数据库: 已连接" "已连接" "$(grep '^数据库:' "$T_DIR/zh.txt")"
expect_contains "status under zh_CN.UTF-8: 角色: 主实例" "主实例" "$(grep '^角色:' "$T_DIR/zh.txt")"

# keyprojctl's own messages and usage.
expect_contains "usage under zh_CN.UTF-8" "用法：keyprojctl" "$(ctl_in zh_CN.UTF-8 --help)"
expect_contains "usage under C" "usage: keyprojctl" "$(ctl_in C --help)"
expect_contains "a usage error under zh_CN.UTF-8" "-t 需要 0 到" "$(ctl_in zh_CN.UTF-8 -t soon status 2>&1)"
expect_contains "the same under C" "-t wants whole seconds" "$(ctl_in C -t soon status 2>&1)"
expect_contains "LANGUAGE is not read in the C locale (gettext's rule)" "usage: keyprojctl" \
    "$(env -u LC_ALL LANG=C LANGUAGE=zh_CN "$KEYPROJCTL" --help)"
expect_contains "LC_ALL wins over LANG" "用法：keyprojctl" \
    "$(env LANG=C LC_ALL=zh_CN.UTF-8 "$KEYPROJCTL" --help)"
expect_contains "the row count under zh_CN.UTF-8" "（共 " "$(ctl_in zh_CN.UTF-8 problem list | tail -n 1)"

# ---- --excel -------------------------------------------------------------

ctl_in zh_CN.UTF-8 --excel problem list > "$T_DIR/p.csv" || fail "--excel problem list"
python3 -I -S - "$T_DIR/p.csv" <<'PY' || fail "--excel problem list is not what Excel needs"
import csv, io, sys
raw = open(sys.argv[1], "rb").read()
assert raw.startswith(b"\xef\xbb\xbf"), "no byte order mark"
body = raw[3:].decode("utf-8")
assert body.count("\r\n") == body.count("\n") and body.endswith("\r\n"), "not CRLF throughout"
rows = list(csv.reader(io.StringIO(body, newline="")))
head = rows[0]
assert "类别" in head and "问题描述" in head, head
desc = {r[head.index("问题描述")] for r in rows[1:]}
assert "'=1+1" in desc and "用地指标未落实" in desc, desc
cats = {r[head.index("类别")] for r in rows[1:]}
assert cats == {"用地", "资金"}, cats
PY
ok "--excel problem list: BOM, CRLF, Chinese headers and values, '=1+1 guarded"
ctl_in C --csv problem list > "$T_DIR/p.csv"
grep -q '^[0-9]*,.*,=1+1,' "$T_DIR/p.csv" && ! head -c 3 "$T_DIR/p.csv" | grep -q $'\xef\xbb\xbf' ||
    fail "--csv problem list is not plain: $(cat "$T_DIR/p.csv")"
ok "--csv problem list stays plain RFC 4180: no BOM, =1+1 as it is"
ctl_in C --excel rank > "$T_DIR/r.csv"
python3 -I -S - "$T_DIR/r.csv" "$(kpctl --json rank | py '[r["points_vs_schedule"] for r in d if r["points_vs_schedule"] < 0][0]')" <<'PY' ||
import sys
body = open(sys.argv[1], "rb").read()[3:].decode("utf-8")
neg = sys.argv[2]
assert ("," + neg + ",") in body or body.rstrip("\r\n").endswith("," + neg) or ("," + neg + "\r\n") in body, neg
assert "'" + neg not in body
assert body.splitlines()[0].startswith("group,rank,county"), body.splitlines()[0]
PY
    fail "--excel rank: a negative number must stay a number"
ok "--excel rank under C: English headers, negative JSON numbers stay numbers"

# ---- keyprojd's errors, in the reader's language -----------------------------
# keyprojd answers in English; keyprojctl shows a refusal (from C or from
# SQL) and each line of an import's errors in Chinese under zh_CN, and as
# keyprojd wrote it under C; --json keeps keyprojd's words.
ctl_in zh_CN.UTF-8 project NO-SUCH-CODE >/dev/null 2>"$T_DIR/zh.err"
ctl_in C project NO-SUCH-CODE >/dev/null 2>"$T_DIR/c.err"
expect_eq "a refusal under C: keyprojd's words" "keyprojctl: no project with code 'NO-SUCH-CODE'" "$(cat "$T_DIR/c.err")"
expect_not_contains "…under zh_CN: none of them" "no project with code" "$(cat "$T_DIR/zh.err")"
expect_contains "…but the code it names" "NO-SUCH-CODE" "$(cat "$T_DIR/zh.err")"
ctl_in zh_CN.UTF-8 problem resolve 999999 --note "已解决" >/dev/null 2>"$T_DIR/zh.err"
expect_not_contains "a refusal written by SQL (problem resolve of no problem) in Chinese too" "no problem" "$(cat "$T_DIR/zh.err")"
expect_contains "…naming the number" "999999" "$(cat "$T_DIR/zh.err")"
printf '%s\n' 'code,name,year,level,county,sector,category,unit' \
    "2026-410305-47-01-999002,某项目,1999,city,$county,livelihood,new,涧西区政府" > "$T_DIR/bad-year.csv"
ctl_in zh_CN.UTF-8 import projects "$T_DIR/bad-year.csv" >/dev/null 2>"$T_DIR/zh.err"
expect_not_contains "an import's errors: each line in Chinese" "is not a year" "$(cat "$T_DIR/zh.err")"
expect_contains "…still naming the value" "1999" "$(cat "$T_DIR/zh.err")"
# A county the ledger does not know (near none it knows) is refused in
# Chinese too, with the count and the command that declares it.
printf '%s\n' 'code,name,year,level,county,sector,category' \
    "2026-410305-47-01-999003,某项目,2026,city,新安新区,livelihood,new" > "$T_DIR/new-county.csv"
ctl_in zh_CN.UTF-8 import projects "$T_DIR/new-county.csv" >/dev/null 2>"$T_DIR/zh.err"
expect_contains "an unknown county under zh_CN: how many the ledger knows" \
    "未知县区“新安新区”：台账已有 $(sql 'SELECT count(*) FROM county') 个县区" "$(cat "$T_DIR/zh.err")"
expect_contains "…and how to declare it" "county add 新安新区 --group 功能区组" "$(cat "$T_DIR/zh.err")"
expect_contains "--json keeps keyprojd's English for programs" "no project with code" \
    "$(ctl_in zh_CN.UTF-8 --json project NO-SUCH-CODE 2>/dev/null)"
if command -v python3 >/dev/null; then
    out=$(python3 "$top_srcdir/scripts/error-templates" --check "$top_srcdir" 2>&1) ||
        fail "the error templates are out of date: $out"
    ok "daemon/ctl_errors_table.h holds the templates keyprojd's sources make"
fi

# ---- the catalog ---------------------------------------------------------

if command -v xgettext >/dev/null && command -v msgcmp >/dev/null; then
    (cd "$top_srcdir" && xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
        --keyword=C_:1c,2 --keyword=NC_:1c,2 --keyword=tr:2 --keyword=trn:2,3 -o "$T_DIR/now.pot" \
        daemon/ctl.c daemon/ctl_render.c daemon/ctl_lang.c daemon/ctl_errors_table.h) || fail "xgettext"
    out=$(msgcmp "$top_srcdir/po/zh_CN.po" "$T_DIR/now.pot" 2>&1) ||
        fail "po/zh_CN.po lacks messages of the sources (make update-po, then translate): $out"
    stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$top_srcdir/po/zh_CN.po" 2>&1)
    case $stats in
        *fuzzy*|*untranslated*) fail "po/zh_CN.po: $stats" ;;
    esac
    ok "po/zh_CN.po translates every message and header of the sources ($stats)"
else
    skip "xgettext or msgcmp not installed (gettext): the catalog is not compared with the sources"
fi
