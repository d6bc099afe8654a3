#!/bin/bash
# What an administrator reads and types, checked against the program: every
# command of keyprojd's table is in keyprojctl(1) and completes in bash, the
# three man pages format without a warning, every key config.c accepts has
# its entry in keyprojd.conf(5) (and the page's example is a valid file),
# and `make install` puts pages, completion, unit and sample config where
# they belong. No PostgreSQL needed.
. "$top_srcdir/tests/lib/assert.sh"
# The pages hold Chinese: man renders them as UTF-8 only in a UTF-8 locale.
export LC_ALL=C.UTF-8

KEYPROJD=$top_builddir/keyprojd
MAN1=$top_builddir/doc/keyprojctl.1
MAN5=$top_srcdir/doc/keyprojd.conf.5
MAN8=$top_srcdir/doc/keyprojd.8
COMPLETION=$top_builddir/etc/bash-completion/keyprojctl

for f in "$KEYPROJD" "$MAN1" "$COMPLETION"; do
    [ -e "$f" ] || fail "$f is missing: run make first"
done

# ---- the command table ---------------------------------------------------

# Without a config file or a database (the -c path does not exist).
"$KEYPROJD" -c "$T_DIR/absent.conf" --list-commands > "$T_DIR/commands" 2> "$T_DIR/commands.err" ||
    fail "keyprojd --list-commands failed: $(cat "$T_DIR/commands.err")"
[ -s "$T_DIR/commands" ] || fail "keyprojd --list-commands printed nothing"
bad=$(awk -F '\t' 'NF != 4 || $1 !~ /^[a-z][a-z0-9_-]*$/ || $2 !~ /^(operator|admin)$/ || $4 == ""' \
    "$T_DIR/commands")
[ -z "$bad" ] || fail "--list-commands lines not 'name<TAB>level<TAB>usage<TAB>summary': $bad"
cut -f1 "$T_DIR/commands" > "$T_DIR/names"
for c in help status import done overdue; do
    grep -qx "$c" "$T_DIR/names" || fail "--list-commands lacks '$c'"
done
ok "keyprojd --list-commands prints $(wc -l < "$T_DIR/names") commands, tab-separated, without a config file"

# An entry is ".TP", then a line that starts with the name in bold.
awk 'prev == ".TP" && match($0, /^\\fB[a-z0-9_-]+\\fR/) { print substr($0, 4, RLENGTH - 6) } { prev = $0 }' \
    "$MAN1" | sort -u > "$T_DIR/man1-commands"
missing=$(sort -u "$T_DIR/names" | comm -23 - "$T_DIR/man1-commands" | tr '\n' ' ')
[ -z "$missing" ] || fail "keyprojctl.1 lacks commands:$missing"
grep -qx '@COMMANDS@' "$MAN1" && fail "keyprojctl.1 still has its @COMMANDS@ marker"
ok "every command is in keyprojctl(1)'s COMMANDS section"

# The options each program parses are documented in its page.
opts_of() {
    sed -n '/struct option longopts/,/{ NULL/p' "$1" | sed -n 's/^ *{ "\([a-z-]*\)".*/\1/p'
}
for pair in "daemon/main.c:$MAN8" "daemon/ctl.c:$MAN1"; do
    src=${pair%%:*} page=${pair#*:}
    n=0
    for o in $(opts_of "$top_srcdir/$src"); do
        grep -qF "\\-\\-${o//-/\\-}" "$page" || fail "$(basename "$page") does not document --$o ($src)"
        n=$((n + 1))
    done
    [ "$n" -gt 2 ] || fail "found only $n long options in $src"
done
ok "every long option of keyprojd and keyprojctl is in its man page"

# ---- groff ---------------------------------------------------------------

if ! command -v groff > /dev/null; then
    skip "groff not installed (scripts/deps installs groff-base)"
else
    for page in "$MAN1" "$MAN5" "$MAN8"; do
        # The terminal device man(1) uses; -k reads the UTF-8 (preconv).
        warn=$(groff -k -man -ww -z -Tutf8 "$page" 2>&1)
        [ -z "$warn" ] || fail "groff -man -ww -Tutf8 warns on $(basename "$page"):"$'\n'"$warn"
        # The default (PostScript) device has no CJK glyphs; nothing else may warn.
        warn=$(groff -k -man -ww -z "$page" 2>&1 | grep -v "can't find special character 'u[0-9A-F]*'")
        [ -z "$warn" ] || fail "groff -man -ww warns on $(basename "$page"):"$'\n'"$warn"
    done
    ok "groff -man -ww reports no warnings for keyprojctl.1, keyprojd.conf.5, keyprojd.8"
fi

if ! command -v man > /dev/null; then
    skip "man not installed"
else
    for page in "$MAN1" "$MAN5" "$MAN8"; do
        out=$(MANWIDTH=80 MANPAGER=cat man --warnings -l "$page" 2> "$T_DIR/man.err")
        [ -s "$T_DIR/man.err" ] && fail "man -l $(basename "$page") says: $(cat "$T_DIR/man.err")"
        case $out in
        *NAME*SYNOPSIS*DESCRIPTION*) ;;
        *) fail "man -l $(basename "$page") renders no NAME, SYNOPSIS, DESCRIPTION" ;;
        esac
    done
    out=$(MANWIDTH=100 MANPAGER=cat man -l "$MAN1" 2>/dev/null)
    for want in "keyprojctl overdue --county 涧西区" "KEYPROJ_SOCKET" "import projects" "EXIT STATUS"; do
        [[ $out == *"$want"* ]] || fail "keyprojctl(1) as rendered lacks '$want'"
    done
    ok "man -l renders the three pages (Chinese intact, examples and exit status in keyprojctl(1))"
fi

# ---- keyprojd.conf(5) against config*.c ----------------------------------

awk '/known\[\] = \{/ { on = 1 }
     on { s = $0; while (match(s, /"[^"]*"/)) { print substr(s, RSTART + 1, RLENGTH - 2); s = substr(s, RSTART + RLENGTH) } }
     on && /};/ { on = 0 }' "$top_srcdir"/daemon/config*.c | sort -u > "$T_DIR/keys"
[ "$(wc -l < "$T_DIR/keys")" -gt 30 ] || fail "found only $(wc -l < "$T_DIR/keys") keys in config*.c's known[] lists"
# An entry is ".TP" then ".B key".
awk 'prev == ".TP" && $1 == ".B" && NF == 2 { print $2 } { prev = $0 }' "$MAN5" | sort -u > "$T_DIR/documented"
undocumented=$(comm -23 "$T_DIR/keys" "$T_DIR/documented" | tr '\n' ' ')
[ -z "$undocumented" ] || fail "keyprojd.conf.5 has no entry for: $undocumented"
ok "every key config.c accepts ($(wc -l < "$T_DIR/keys")) has its entry in keyprojd.conf(5)"
stale=$(comm -13 "$T_DIR/keys" "$T_DIR/documented" | tr '\n' ' ')
[ -z "$stale" ] || fail "keyprojd.conf.5 documents keys config.c does not accept: $stale"
ok "keyprojd.conf(5) documents no key config.c refuses"

# The EXAMPLE section is a file keyprojd accepts.
awk '/^\.SH EXAMPLE/ { on = 1; next } on && /^\.EX/ { ex = 1; next } ex && /^\.EE/ { exit } ex' "$MAN5" |
    sed -e 's/\\-/-/g' -e 's/\\e/\\/g' > "$T_DIR/example.conf"
cp "$top_srcdir/etc/holidays.conf" "$T_DIR/holidays.conf"
grep -q receivers "$T_DIR/example.conf" || fail "no example found in keyprojd.conf.5"
out=$("$KEYPROJD" --check-config -c "$T_DIR/example.conf" 2>&1) ||
    fail "the example of keyprojd.conf(5) is refused: $out"
ok "the example in keyprojd.conf(5) passes keyprojd --check-config"

# ---- bash completion -------------------------------------------------------

# complete LINE [PRELOAD]: what bash offers for the last word of LINE (a
# trailing blank completes a new word), sorted, one line.
complete_line() {
    bash --norc --noprofile -c '
        [ -n "$2" ] && . "$2"
        . "$1" || exit 1
        line=$3
        read -ra COMP_WORDS <<< "$line"
        [[ $line == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$line
        COMP_POINT=${#line}
        _keyprojctl keyprojctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
        _ "$COMPLETION" "${2:-}" "$1"
}

expect_completion() {
    local got
    got=$(cd "$T_DIR/files" && complete_line "$1" "$3")
    [ "$got" = "$2" ] || fail "completing '$1'${3:+ (with bash-completion)}: expected '$2', got '$got'"
}

mkdir -p "$T_DIR/files"
touch "$T_DIR/files/projects-2026.csv" "$T_DIR/files/plans.csv"
bash -n "$COMPLETION" || fail "the completion script is not valid bash"

bc=/usr/share/bash-completion/bash_completion
for preload in "" "$bc"; do
    if [ -n "$preload" ] && [ ! -f "$preload" ]; then
        skip "bash-completion not installed: completion checked in plain bash only"
        continue
    fi
    with=${preload:+ with bash-completion loaded}
    expect_completion "keyprojctl imp" "import" "$preload"
    expect_completion "keyprojctl projects --co" "--county" "$preload"
    ok "'keyprojctl imp' completes to import, 'keyprojctl projects --co' to --county$with"
    expect_completion "keyprojctl import " "approvals milestones plans problems projects reports" "$preload"
    expect_completion "keyprojctl import projects pro" "projects-2026.csv" "$preload"
    expect_completion "keyprojctl import --dry-run milestones pl" "plans.csv" "$preload"
    expect_completion "keyprojctl import projects p.csv --encoding " "auto gb18030 utf-8" "$preload"
    ok "import completes its kinds, then file names, then --encoding's values$with"
    expect_completion "keyprojctl --j" "--json" "$preload"
    expect_completion "keyprojctl -s /run/x.sock --csv -t 5 ov" "overdue" "$preload"
    expect_completion "keyprojctl milestones --status " "done overdue pending waived" "$preload"
    expect_completion "keyprojctl help sta" "start stats status" "$preload"
    expect_completion "keyprojctl done 12 --" "--date --note" "$preload"
    ok "global options, commands after them, option values, help COMMAND$with"
done

# Every command of the table completes from its first letters.
got=$(bash --norc --noprofile -c '
    . "$1"
    while read -r c; do
        COMP_WORDS=(keyprojctl "${c%?}"); COMP_CWORD=1
        _keyprojctl keyprojctl "${c%?}" keyprojctl
        printf "%s\n" "${COMPREPLY[@]}" | grep -qx "$c" || echo "$c"
    done < "$2"' _ "$COMPLETION" "$T_DIR/names")
[ -z "$got" ] || fail "commands the completion does not offer: $got"
ok "every command of --list-commands is in the completion"

# ---- make install ------------------------------------------------------------

DEST=$T_DIR/root
make_q() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES make --no-print-directory -C "$top_builddir" "$@"
}
make_q install DESTDIR="$DEST" > "$T_DIR/install.log" 2>&1 ||
    fail "make install DESTDIR=… failed: $(tail -n 20 "$T_DIR/install.log")"
read -r bindir sbindir man1dir man5dir man8dir bcdir unitdir confdir <<< "$(printf '%s\n' \
    'kp-print-dirs:' \
    '	@echo $(bindir) $(sbindir) $(man1dir) $(man5dir) $(man8dir) $(bashcompletiondir) $(systemdsystemunitdir) $(keyprojconfdir)' |
    make_q -s -f Makefile -f - kp-print-dirs)"
[ -n "$confdir" ] || fail "could not read the installation directories from the Makefile"
for f in "$man1dir/keyprojctl.1" "$man5dir/keyprojd.conf.5" "$man8dir/keyprojd.8" \
         "$bcdir/keyprojctl" "$unitdir/keyprojd.service" "$confdir/keyprojd.conf" \
         "$sbindir/keyprojd" "$bindir/keyprojctl"; do
    [ -f "$DEST$f" ] || fail "make install did not install $f"
done
cmp -s "$DEST$man1dir/keyprojctl.1" "$MAN1" || fail "the installed keyprojctl.1 is not the built one"
cmp -s "$DEST$bcdir/keyprojctl" "$COMPLETION" || fail "the installed completion is not the built one"
grep -q "^ExecStart=$sbindir/keyprojd -c $confdir/keyprojd.conf\$" "$DEST$unitdir/keyprojd.service" ||
    fail "the installed unit does not start $sbindir/keyprojd with $confdir/keyprojd.conf"
ok "make install DESTDIR puts the man pages in man1/5/8, the completion in $bcdir, the unit and the sample config"

if command -v man > /dev/null; then
    mandir=${man1dir%/man1}
    for p in "1 keyprojctl" "5 keyprojd.conf" "8 keyprojd"; do
        set -- $p
        man -M "$DEST$mandir" -w "$1" "$2" > /dev/null 2>&1 || fail "man -M … $1 $2 does not find the installed page"
    done
    ok "man finds keyprojctl(1), keyprojd.conf(5) and keyprojd(8) under the installed man directory"
fi
if [ -f "$bc" ] && [ "${bcdir##*/}" = completions ]; then
    out=$(BASH_COMPLETION_USER_DIR=$DEST${bcdir%/completions} bash --norc --noprofile -c '
        . "$1"; __load_completion keyprojctl && complete -p keyprojctl' _ "$bc" 2>&1)
    [ "$out" = "complete -F _keyprojctl keyprojctl" ] ||
        fail "bash-completion does not load the installed completion: $out"
    ok "bash-completion loads the installed completion on demand"
fi

echo "1..$T_CHECKS"
