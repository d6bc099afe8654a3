#!/bin/bash
# The project office's letters (提醒函, 督办函, 交办函) through the autumn of
# 2026 and into 2027: the engine issues its 督办函 for the projects red two
# months running, each numbered once; the office writes letters by hand,
# numbered per kind and year from keyprojd.conf's patterns (a new year
# starts at 1 again), prints them from their templates (a hostile project
# name prints as text), two daemons on one database give no number twice,
# the unit's reply is recorded, and bad input and bad patterns are refused
# with a reason. keyprojctl only, on the daemon's own clock.
. "$top_srcdir/tests/integration/lib.sh"

me=$(id -un)

# numbers KIND — the letters of KIND as "seq:doc_no" in id order, one line.
numbers() {
    kpctl --json orders --kind "$1" | py '" ".join(r["doc_no"] or "-" for r in sorted(d, key=lambda r: r["id"]))'
}
# issue ARGS… — order issue: the new letter's id in $id, its number in $no.
issue() {
    run order issue "$@"
    [ "$rc" = 0 ] || fail "order issue $*: $err"
    id=$(echo "$out" | field id)
    no=$(echo "$out" | field doc_no)
}

# A template of our own for the 提醒函, and patterns for two kinds; the
# 交办函 keeps the built-in pattern and template.
cat > "$T_DIR/reminder.txt" <<'TPL'
{kind}　{doc_no}
致：{to_unit}
项目：{county}{project}（{code}）
事由：{reason}
签发：{issued_on}　请于{reply_due}前回复　分包领导：{leader}
{{不是占位符}}
TPL
LETTERS='letters = {
    reminder = { number = "洛重点提〔{year}〕{n}号"; template_file = "reminder.txt"; reply_days = 5; };
    supervision = { number = "洛重点督〔{year}〕{n}号"; };
};'

create_demo_db
write_config "$LETTERS"
start_daemon --now 2026-09-15T10:00:00+08:00
wait_ready

# ---- the engine's 督办函 -----------------------------------------------------
# Lights are kept month by month; a project red at the end of September and
# of October gets its 督办函 with the project.repeated_red alert.
kpctl scan >/dev/null || fail "scan in September"
kpctl clock set 2026-10-15T10:00:00+08:00 >/dev/null || fail "clock set"
kpctl scan >/dev/null || fail "scan in October"
kpctl clock set 2026-11-05T10:00:00+08:00 >/dev/null || fail "clock set"
kpctl scan >/dev/null || fail "scan in November"
auto=$(kpctl --json orders --kind supervision | py 'len(d)')
[ "$auto" -gt 0 ] || fail "no 督办函 issued for the projects red two months running"
expect_eq "the engine's $auto 督办函 are numbered 1 to $auto in 2026, from the configured pattern" \
    "$(seq -f '洛重点督〔2026〕%g号' 1 "$auto" | sort | tr '\n' ' ')" \
    "$(kpctl --json orders --kind supervision | py '" ".join(sorted(r["doc_no"] for r in d))') "
kpctl clock set 2026-11-06T10:00:00+08:00 >/dev/null || fail "clock set"
kpctl scan >/dev/null || fail "scan again"
expect_eq "…each once: a later scan issues and numbers none again" "$auto" \
    "$(kpctl --json orders --kind supervision | py 'len(set(r["doc_no"] for r in d))')"

# ---- by hand -------------------------------------------------------------------
code=$(kpctl --json projects --county 涧西区 | py 'sorted(r["code"] for r in d)[0]')
unit=$(kpctl --json project "$code" | py 'd["unit"]')
other=$(kpctl --json projects --county 偃师区 | py 'sorted(r["code"] for r in d)[0]')
other_unit=$(kpctl --json project "$other" | py 'd["unit"]')

issue reminder "$code" --reason "10月投资完成率低于序时进度"
r1=$id
expect_eq "a 提醒函 by hand: the first of the year, to the project's unit, reply in reply_days (5)" \
    "洛重点提〔2026〕1号|reminder|$unit|2026-11-06|2026-11-11|open" \
    "$(echo "$out" | py '"|".join(str(d[k]) for k in ("doc_no", "kind", "to_unit", "issued_on", "reply_due", "status"))')"
issue 提醒函 "$other" --reason "未按期开工" --to "$unit" --reply-days 3
expect_eq "the second, named in Chinese, to another unit, --reply-days" \
    "洛重点提〔2026〕2号|$unit|2026-11-09" \
    "$(echo "$out" | py '"|".join(str(d[k]) for k in ("doc_no", "to_unit", "reply_due"))')"
issue assignment "$code" --reason "协调解决用地指标" --reply-due 2026/11/30 --date 2026-11-02
a1=$id
expect_eq "a 交办函, back-dated, with a reply date: numbered by the built-in pattern" \
    "重点交〔2026〕1号|2026-11-02|2026-11-30" \
    "$(echo "$out" | py '"|".join(str(d[k]) for k in ("doc_no", "issued_on", "reply_due"))')"
issue supervision "$other" --reason "连续两月红灯，整改不力"
s1=$id
expect_eq "a 督办函 by hand follows the engine's" "洛重点督〔2026〕$((auto + 1))号" "$no"
expect_eq "audited as order.issue with its number" "$me|ok|洛重点督〔2026〕$((auto + 1))号" \
    "$(kpctl --json audit --limit 50 | py '"|".join(str(x) for r in d if r["action"] == "order.issue" and r["subject"] == "order:'"$s1"'" for x in (r["actor"], r["result"], (r["new"] or {}).get("doc_no")))')"
expect_contains "orders lists the number" "洛重点提〔2026〕1号" "$(kpctl orders --kind reminder)"

# ---- printed --------------------------------------------------------------------
kpctl order show "$r1" > "$T_DIR/r1.txt" || fail "order show $r1"
name=$(kpctl --json project "$code" | py 'd["name"]')
leader=$(kpctl --json project "$code" | py 'd["leader"]')
expect_eq "order show prints the letter from the configured template, values in place" \
    "提醒函　洛重点提〔2026〕1号
致：$unit
项目：涧西区$name（$code）
事由：10月投资完成率低于序时进度
签发：2026年11月6日　请于2026年11月11日前回复　分包领导：$leader
{不是占位符}" \
    "$(sed -n '/^提醒函/,$p' "$T_DIR/r1.txt")"
expect_contains "…after its header fields" "doc_no:" "$(head -n 5 "$T_DIR/r1.txt")"
run order show "$a1"
expect_eq "--json: the fields and the text (the built-in 交办函)" "重点交〔2026〕1号|True|True|True" \
    "$(echo "$out" | py '"|".join(str(x) for x in (d["doc_no"], "重点项目建设交办函" in d["document"], "2026年11月30日前" in d["document"], d["to_unit"] + "：" in d["document"]))')"

# A project named like a placeholder and a shell, with a reason that looks
# like one too: printed as written, nothing read twice.
printf '%s\n%s\n' "项目编号,项目名称,年度,级别,县区,领域,类别,责任单位" \
    'LY-2026-990,{reason}$(id)测试`x`项目,2026,市,涧西区,产业,新开工,{doc_no}单位' > "$T_DIR/hostile.csv"
kpctl import projects "$T_DIR/hostile.csv" >/dev/null || fail "import the hostile project"
issue reminder LY-2026-990 --reason '见{leader}批示 %s %n'
run order show "$id"
expect_eq "a hostile project name, unit and reason print as text" \
    "致：{doc_no}单位|项目：涧西区{reason}\$(id)测试\`x\`项目（LY-2026-990）|事由：见{leader}批示 %s %n" \
    "$(echo "$out" | py '"|".join(l for l in d["document"].split("\n") if l.startswith(("致", "项目", "事由")))')"

# ---- a new year -----------------------------------------------------------------
kpctl clock set 2027-01-04T10:00:00+08:00 >/dev/null || fail "clock set 2027"
issue reminder "$code" --reason "一季度开工准备"
expect_eq "the first 提醒函 of 2027 is number 1 again" "洛重点提〔2027〕1号" "$no"
issue reminder "$code" --reason "补发" --date 2026-12-31
expect_eq "one back-dated into 2026 takes 2026's next number" "洛重点提〔2026〕4号" "$no"

# ---- two daemons, one database -----------------------------------------------------
B_SOCK=$T_DIR/b.sock
sed -e "s|$T_SOCK|$B_SOCK|" "$T_CONF" > "$T_DIR/b.conf"
"$KEYPROJD" -c "$T_DIR/b.conf" --now 2027-01-04T10:00:00+08:00 >>"$T_DIR/b.log" 2>&1 &
T_EXTRA_PIDS="$T_EXTRA_PIDS $!"
wait_until 60 is_eq connected sh -c "'$KEYPROJCTL' -s '$B_SOCK' --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"database\"])'" ||
    fail "the second keyprojd did not become ready: $(tail -n 5 "$T_DIR/b.log")"
conc=
for s in "$T_SOCK" "$B_SOCK"; do
    ( for i in $(seq 1 12); do
          "$KEYPROJCTL" -s "$s" --json order issue assignment "$code" --reason "并发$i" >/dev/null || echo "failed $i" >&2
      done ) 2>"$T_DIR/conc-$(basename "$s").err" &
    conc="$conc $!"
done
wait $conc
expect_eq "issuing from both daemons at once: nothing refused" "" "$(cat "$T_DIR"/conc-*.err)"
expect_eq "…24 交办函 of 2027 numbered 1 to 24, none twice, no gap" \
    "$(seq -f '重点交〔2027〕%g号' 1 24 | sort | tr '\n' ' ')" \
    "$(kpctl --json orders --kind assignment | py '" ".join(sorted(r["doc_no"] for r in d if "2027" in r["doc_no"]))') "

# ---- replies, as before -----------------------------------------------------------
run order reply "$r1" --date 2026-11-20 --note "已制定赶工计划"
expect_eq "order reply records the answer" "replied|2026-11-20" \
    "$(echo "$out" | py 'd["status"] + "|" + d["replied_on"]')"
expect_contains "…and order show prints the state" "replied_on:" "$(kpctl order show "$r1")"

# ---- refused ------------------------------------------------------------------------
run order issue notice "$code" --reason x
expect_eq "an unknown kind is a usage error naming the kinds" "2" "$rc"
expect_contains "…" "unknown kind of letter 'notice' (expected one of 提醒函, 督办函, 交办函" "$err"
run order issue reminder NO-SUCH-CODE --reason x
expect_contains "an unknown project" "no project with code NO-SUCH-CODE" "$err"
run order issue reminder "$code" --reason x --to 不存在的单位
expect_contains "an unknown unit" "no unit named 不存在的单位" "$err"
run order issue reminder "$code" --reason x --date 2027-01-03 --reply-due 2027-01-02
expect_contains "a reply date before the issue date" "reply date 2027-01-02 is before the issue date 2027-01-03" "$err"
run order issue reminder "$code" --reason x --date 2027-01-05
expect_contains "an issue date after the daemon's today" "issue date 2027-01-05 is after today (2027-01-04)" "$err"
run order issue reminder "$code"
expect_contains "no reason" "needs --reason TEXT" "$err"
run order issue reminder "$code" --reason x --reply-due 2027-02-01 --reply-days 3
expect_contains "two reply dates" "give one" "$err"
run order show 999999
expect_contains "order show of no letter" "no letter 999999" "$err"
expect_eq "a refused letter takes no number: the next 提醒函 of 2027 is 2" "洛重点提〔2027〕2号" \
    "$(kpctl --json order issue reminder "$code" --reason "再次提醒" | field doc_no)"

# ---- patterns and templates are checked when the file is read ----------------------------
bad() {     # bad LETTERS-GROUP — what --check-config says of a config with it
    write_config "$1"
    "$KEYPROJD" --check-config -c "$T_CONF" 2>&1
}
expect_contains "an unknown placeholder in a pattern" \
    "letters.reminder.number '洛提〔{year}〕{no}号': unknown placeholder {no} (expected {year} or {n})" \
    "$(bad 'letters = { reminder = { number = "洛提〔{year}〕{no}号"; }; };')"
expect_contains "a pattern without {n}" "the pattern needs {n}" \
    "$(bad 'letters = { supervision = { number = "洛督〔{year}〕"; }; };')"
expect_contains "two kinds numbered alike" "the same pattern as letters.reminder.number" \
    "$(bad 'letters = { reminder = { number = "洛〔{year}〕{n}号"; }; assignment = { number = "洛〔{year}〕{n}号"; }; };')"
printf '{doc_no}\n致：{to_unit}\n{projcet}\n' > "$T_DIR/typo.txt"
expect_contains "an unknown placeholder in a template, by line" "typo.txt: line 3: unknown placeholder {projcet}" \
    "$(bad 'letters = { assignment = { template_file = "typo.txt"; }; };')"
expect_contains "a template file that is not there" "absent.txt: No such file or directory" \
    "$(bad 'letters = { assignment = { template_file = "absent.txt"; }; };')"
# The running daemon keeps its letters when a reload is refused.
write_config 'letters = { reminder = { number = "洛提〔{year}〕{no}号"; }; };'
run reload
expect_contains "a reload with a bad pattern is refused" "unknown placeholder {no}" "$err"
expect_eq "…and the letters keep the pattern in force" "洛重点提〔2027〕3号" \
    "$(kpctl --json order issue reminder "$code" --reason "再次提醒" | field doc_no)"

stop_daemon || fail "keyprojd exited badly"
