#!/bin/bash
# The office's story with Excel: the ledger as they keep it (a title, a date
# line, a two-row merged header, dates as Excel serials and as text, a
# hidden row, the county merged down its projects, a second sheet) imports
# straight from .xlsx into the same ledger as the CSV of the rows they see;
# again changes nothing; a bad cell is named by sheet, cell and header; an
# .xls gets the save-as advice; and hostile workbooks (a zip bomb, billion
# laughs, a DOCTYPE, two million shared strings) are refused while keyprojd
# stays up and small.
. "$top_srcdir/tests/integration/lib.sh"
# The daemon's temporary workbooks in a directory of this test's own: the
# check that none is left behind must not see another test's, made at the
# same moment (test_dashboard downloads a bulletin too).
export TMPDIR="$T_DIR/tmp"
mkdir -p "$TMPDIR"

# Debian's python3-openpyxl and python3-xlsxwriter (scripts/deps) belong to
# the system's python3, which another python3 on PATH may hide.
PY=
for p in /usr/bin/python3 python3; do
    "$p" -c 'import openpyxl, xlsxwriter' 2>/dev/null && { PY=$p; break; }
done
[ -n "$PY" ] || fail "python3-openpyxl and python3-xlsxwriter are needed (scripts/deps installs them)"
"$PY" "$top_srcdir/tests/integration/xlsx_make.py" "$DEMO/projects.csv" "$T_DIR" || fail "could not write the workbooks"

create_db
write_config
start_daemon
wait_ready

# A dry run reads the workbook and writes nothing.
before=$(ledger_digest)
out=$(kpctl --json import projects --dry-run "$T_DIR/ledger.xlsx") || fail "dry run of the workbook: $out"
expect_eq "dry run counts the rows a reader sees" 10 "$(echo "$out" | field inserted)"
expect_eq "dry run writes nothing" "$before" "$(ledger_digest)"

out=$(kpctl --json import projects "$T_DIR/ledger.xlsx") || fail "workbook import: $out"
expect_eq "the ten visible projects inserted" 10 "$(echo "$out" | field inserted)"
expect_eq "read as a workbook" xlsx "$(echo "$out" | field format)"
expect_eq "the first visible sheet is read (not the hidden one)" 台账 "$(echo "$out" | field sheet)"
expect_eq "the hidden row is left out, and said so" 1 "$(echo "$out" | field hidden_rows_skipped)"
expect_eq "the section heading merged across the sheet (二、储备项目) is left out, and said so" 1 \
    "$(echo "$out" | field section_rows_skipped)"
expect_eq "the 1-2月 column under 计划投资 is ignored" '["计划投资（万元）/1-2月"]' "$(echo "$out" | py 'd["ignored_columns"]')"
expect_eq "the hidden project is not imported" 10 "$(sql 'SELECT count(*) FROM project')"
expect_eq "a merged county reaches every row of its group" 4 \
    "$(sql "SELECT count(*) FROM project p JOIN county c ON c.id = p.county_id WHERE c.name = '涧西区'")"

# Again: nothing changes. Then the CSV of the same rows, and the same rows
# from another producer (XlsxWriter: shared strings, rich text, 1904 dates):
# nothing changes either, so the workbook made the same ledger.
ledger=$(ledger_digest)
export_before=$(kpctl export projects)
for f in ledger.xlsx ledger.csv xlsxwriter.xlsx; do
    out=$(kpctl --json import projects "$T_DIR/$f") || fail "import of $f: $out"
    expect_eq "$f after the workbook inserts nothing" 0 "$(echo "$out" | field inserted)"
    expect_eq "$f after the workbook updates nothing" 0 "$(echo "$out" | field updated)"
done
expect_eq "the ledger is the CSV's, to the byte" "$ledger" "$(ledger_digest)"
expect_eq "the export is unchanged" "$export_before" "$(kpctl export projects)"
expect_eq "an Excel serial date, a text date and a custom date format all read as dates" \
    "2026-02-01|2028-09-01|2026-02-18" \
    "$(sql "SELECT planned_start || '|' || planned_end || '|' || actual_start FROM project WHERE code = '2026-410307-32-03-623053'")"
expect_eq "money without binary noise" "7357.8" \
    "$(sql "SELECT trim_scale(annual_plan) FROM project WHERE code = '2022-410307-38-03-098766'")"

# Another sheet, by name.
out=$(kpctl --json import projects --sheet 续建项目 "$T_DIR/ledger.xlsx") || fail "--sheet import: $out"
expect_eq "--sheet reads the sheet named" "续建项目|5" "$(echo "$out" | py 'd["sheet"] + "|" + str(d["inserted"])')"
out=$(kpctl --json import projects "$T_DIR/second.csv") || fail "second CSV: $out"
expect_eq "the second sheet is the CSV of its rows" "0|0" "$(echo "$out" | py 'str(d["inserted"]) + "|" + str(d["updated"])')"

# Mistakes, each refused with what to do, the ledger untouched.
before=$(ledger_digest)
refused() {     # refused WHAT EXPECTED-TEXT ARGS…
    local what=$1 expected=$2
    shift 2
    out=$(kpctl import projects "$@" 2>&1); rc=$?
    expect_eq "$what: refused" 1 "$rc"
    expect_contains "$what: says why" "$expected" "$out"
    expect_eq "$what: nothing changed" "$before" "$(ledger_digest)"
}
refused "an unknown sheet" "no sheet named '没有' (its sheets: 台账, 续建项目 (hidden: 隐藏))" \
    --sheet 没有 "$T_DIR/ledger.xlsx"
refused "a bad cell" "sheet 台账, cell P6, column 计划开竣工时间/开工: '2026-02-30' is not a date" "$T_DIR/bad.xlsx"
expect_contains "the count of errors" "1 error; nothing was imported" "$out"
out=$(kpctl --json import projects "$T_DIR/bad.xlsx" 2>/dev/null)
expect_eq "the error's cell in JSON" "台账|P6|6" \
    "$(echo "$out" | py 'd["details"][0]["sheet"] + "|" + d["details"][0]["cell"] + "|" + str(d["details"][0]["line"])')"
printf '\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1%01024d' 0 > "$T_DIR/old.xls"
refused "an .xls" "Excel 97-2003 workbook (.xls), a WPS table (.et)" "$T_DIR/old.xls"
expect_contains "the .xls advice says how to save as .xlsx" "文件 → 另存为 → Excel 工作簿 (*.xlsx)" "$out"
refused "--sheet on a CSV" "names a sheet of a workbook (.xlsx), but this file is text (CSV)" \
    --sheet 台账 "$T_DIR/ledger.csv"

# Hostile workbooks: refused at once, keyprojd up, and each raising its
# peak memory (VmHWM) by less than 32 MiB. Each is measured on its own:
# under AddressSanitizer freed memory is held back, not reused, so peaks
# add up across workbooks (two million shared strings alone take 8 MiB of
# offsets, about 25 MiB in all under the sanitizer).
rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$T_PID/status"; }
hostile() {     # hostile WHAT EXPECTED-TEXT FILE
    local hwm_before hwm_after
    hwm_before=$(rss_kb)
    refused "$@"
    hwm_after=$(rss_kb)
    echo "keyprojd peak RSS: ${hwm_before} kB before $1, ${hwm_after} kB after"
    [ $((hwm_after - hwm_before)) -lt 32768 ] || fail "$1: peak RSS grew by $((hwm_after - hwm_before)) kB"
    ok "$1: keyprojd's peak memory grew by less than 32 MiB"
}
hostile "a zip bomb (2 GiB of zeros declared as the sheet)" "declares 2147483648 bytes, more than the 64 MiB" \
    "$T_DIR/bomb.xlsx"
hostile "a sheet compressed 1000:1" "more than 200:1 (a zip bomb?)" "$T_DIR/ratio.xlsx"
hostile "billion laughs" "xl/worksheets/sheet2.xml has a DOCTYPE declaration" "$T_DIR/laughs.xlsx"
hostile "a DOCTYPE with an external entity" "xl/styles.xml has a DOCTYPE declaration" "$T_DIR/doctype.xlsx"
hostile "2,000,001 shared strings (11 MB of them, compressed 23:1)" \
    "the workbook has more than 2000000 shared strings; refused" "$T_DIR/strings.xlsx"
expect_eq "keyprojd still answers" connected "$(status_field database)"

# Out again: the ledger as a workbook, read back by openpyxl, imports unchanged.
sql "UPDATE project SET light = (ARRAY['green','yellow','red'])[1 + id % 3]" >/dev/null
kpctl export projects --xlsx > "$T_DIR/export.xlsx" || fail "export --xlsx: $(cat "$T_DIR/export.xlsx")"
expect_eq "the export is a zip (an .xlsx)" "PK" "$(head -c 2 "$T_DIR/export.xlsx")"
checks=$("$PY" - "$T_DIR/export.xlsx" "$(kpctl export projects | head -n 1 | sed 's/^\xef\xbb\xbf//; s/\r$//')" <<'PY'
import datetime, sys, unicodedata
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
ws = load_workbook(sys.argv[1]).active
heads = [c.value for c in ws[1]]
def width(s):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(s))
out = []
out.append("headers=%s" % (heads == sys.argv[2].split(",") + ["亮灯"]))
out.append("sheet=%s" % ws.title)
out.append("frozen=%s" % ws.freeze_panes)
out.append("filter=%s" % (ws.auto_filter.ref == "A1:%s%d" % (get_column_letter(len(heads)), ws.max_row)))
col = {h: i + 1 for i, h in enumerate(heads)}
rows = list(ws.iter_rows(min_row=2))
name_w = ws.column_dimensions[get_column_letter(col["项目名称"])].width
out.append("widths=%s" % (name_w >= min(60, max(width(r[col["项目名称"] - 1].value) for r in rows))))
money = [r[col["总投资（万元）"] - 1] for r in rows]
out.append("money=%s" % all(isinstance(c.value, (int, float)) and c.number_format == "#,##0.00" for c in money))
dates = [r[col["计划开工"] - 1] for r in rows if r[col["计划开工"] - 1].value is not None]
out.append("dates=%s" % (len(dates) > 0 and all(isinstance(c.value, datetime.datetime) and c.number_format == "yyyy-mm-dd" for c in dates)))
fills = {"绿": "C6EFCE", "黄": "FFEB9C", "红": "FFC7CE"}
lights = [r[col["亮灯"] - 1] for r in rows]
out.append("fills=%s" % (len(lights) > 0 and all(c.value in fills and c.fill.fgColor.rgb.endswith(fills[c.value]) for c in lights)))
print(" ".join(out))
PY
) || fail "openpyxl could not read the export: $checks"
expect_eq "openpyxl reads the export: headers, frozen row, filter, widths, money, dates, light fills" \
    "headers=True sheet=项目 frozen=A2 filter=True widths=True money=True dates=True fills=True" "$checks"
before=$(ledger_digest)
out=$(kpctl --json import projects "$T_DIR/export.xlsx") || fail "re-import of the export: $out"
expect_eq "the exported workbook re-imports unchanged" "0|0|$(sql 'SELECT count(*) FROM project')" \
    "$(echo "$out" | py 'str(d["inserted"]) + "|" + str(d["updated"]) + "|" + str(d["unchanged"])')"
expect_eq "the light column is the reader's, ignored by import" '["亮灯"]' "$(echo "$out" | py 'd["ignored_columns"]')"
expect_eq "the ledger is as it was" "$before" "$(ledger_digest)"
expect_eq "no temporary directory is left behind" "" "$(ls -d "${TMPDIR:-/tmp}"/keyproj-export-* 2>/dev/null | head -n 1)"

stop_daemon
