#!/bin/sh
# gen-manpage.sh: writes keyprojctl.1 from keyprojctl.1.in, replacing the
# line "@COMMANDS@" with one entry per command of the command table (as
# `keyprojd --list-commands` prints it on standard input) and @VERSION@ with
# the version, so the page lists exactly what the daemon dispatches.
#   keyprojd --list-commands | sh doc/gen-manpage.sh doc/keyprojctl.1.in VERSION > doc/keyprojctl.1
set -eu
[ $# -eq 2 ] || { echo "usage: gen-manpage.sh TEMPLATE VERSION < COMMAND-LIST" >&2; exit 2; }
LC_ALL=C
export LC_ALL

awk -v template="$1" -v version="$2" '
# Text for roff: backslashes escaped, and "--" of an option a minus sign
# (\-) rather than hyphens, so it can be copied; "two-month" keeps its hyphen.
function esc(s) {
    gsub(/\\/, "\\e", s)
    gsub(/--/, "\\-\\-", s)
    return s
}
function esc_all(s) {
    gsub(/\\/, "\\e", s)
    gsub(/-/, "\\-", s)
    return s
}
# A usage string: options bold, PLACEHOLDERS italic, literal words roman;
# no word is hyphenated (\% before each).
function usage_roff(s,    out, w) {
    out = ""
    while (match(s, /--?[a-zA-Z0-9][a-zA-Z0-9_-]*|[A-Za-z0-9][A-Za-z0-9._|-]*/)) {
        out = out esc_all(substr(s, 1, RSTART - 1))
        w = substr(s, RSTART, RLENGTH)
        if (w ~ /^-/) out = out "\\fB" esc_all(w) "\\fR"
        else if (w ~ /^[A-Z][A-Z0-9_]*$/) out = out "\\fI" w "\\fR"
        else out = out esc(w)
        s = substr(s, RSTART + RLENGTH)
    }
    out = out esc_all(s)
    gsub(/ /, " \\%", out)
    return "\\%" out
}
# Splits a usage at its top-level " | " (subcommands: "add ... | list ...")
# into a[1..n]; returns n.
function split_alternatives(s, a,    i, c, depth, n, start) {
    n = 0; depth = 0; start = 1
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "[") depth++
        else if (c == "]" && depth > 0) depth--
        else if (depth == 0 && substr(s, i, 3) == " | ") {
            a[++n] = substr(s, start, i - start)
            start = i + 3
            i += 2
        }
    }
    a[++n] = substr(s, start)
    return n
}
# One command: a tag line per alternative (set close together), then the
# summary and the level.
function entry_roff(name, level, usage, summary,    a, n, i, out) {
    n = usage == "" ? 1 : split_alternatives(usage, a)
    out = ""
    for (i = 1; i <= n; i++) {
        out = out ".TP\n\\fB" esc(name) "\\fR" (usage != "" ? " " usage_roff(a[i]) : "") "\n"
        if (n > 1 && i == 1) out = out ".PD 0\n"
        if (n > 1 && i == n) out = out ".PD\n"
    }
    return out "\\&" esc(sentence(summary)) "\nLevel: " level "."
}
function sentence(s) {
    s = toupper(substr(s, 1, 1)) substr(s, 2)
    if (s !~ /[.!?]$/) s = s "."
    return s
}
BEGIN {
    while ((getline line < "/dev/stdin") > 0) {
        split(line, f, "\t")
        if (f[1] !~ /^[a-z][a-z0-9_-]*$/ || f[2] !~ /^(operator|admin)$/) continue
        n++
        entry[n] = entry_roff(f[1], f[2], f[3], f[4])
    }
    if (n == 0) {
        failed = 1
        print "gen-manpage.sh: no commands on standard input (expected keyprojd --list-commands)" > "/dev/stderr"
        exit 1
    }
}
/^@COMMANDS@$/ {
    for (i = 1; i <= n; i++) print entry[i]
    done = 1
    next
}
{ gsub(/@VERSION@/, version); print }
END {
    if (failed)
        exit 1
    if (!done) {
        print "gen-manpage.sh: " template " has no @COMMANDS@ line" > "/dev/stderr"
        exit 1
    }
}
' "$1"
