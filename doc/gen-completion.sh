#!/bin/sh
# gen-completion.sh: writes keyprojctl's bash completion from the command
# table, as `keyprojd --list-commands` prints it (name, level, usage, summary,
# tab-separated), so completion and dispatch cannot disagree. The build runs
#   keyprojd --list-commands | sh doc/gen-completion.sh > etc/bash-completion/keyprojctl
# Each command's --options and the values offered after them come from its
# usage string: "[--status pending|done|waived]" offers those three words,
# "[--date D]" takes a value it cannot guess, "[--dry-run]" is a flag; a
# positional "a|b|c" offers a, b and c, "FILE" file names, "COMMAND" commands.
set -eu
LC_ALL=C
export LC_ALL

awk -F '\t' '
function quote(s) {
    gsub(/'\''/, "'\''\\'\'''\''", s)
    return "'\''" s "'\''"
}
# Splits s at blanks outside [ ], into g[1..n]; returns n.
function split_groups(s, g,    i, c, depth, cur, n) {
    n = 0; cur = ""; depth = 0
    for (i = 1; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "[") depth++
        else if (c == "]" && depth > 0) depth--
        if ((c == " " || c == "\t") && depth == 0) {
            if (cur != "") g[++n] = cur
            cur = ""
            continue
        }
        cur = cur c
    }
    if (cur != "") g[++n] = cur
    return n
}
function unbracket(s) {
    return s ~ /^\[.*\]$/ ? substr(s, 2, length(s) - 2) : s
}
function literal(w) {
    return w ~ /^[a-z0-9][a-zA-Z0-9._-]*$/
}
# What an alternation offers ("pending|done" -> pending done; "list|show C"
# -> list show; FILE -> @FILE; COMMAND -> @COMMAND). A free placeholder among
# the words ("7d|DATE") means any value: then no words are offered.
function choices(s,    alt, n, i, w, out, special, free) {
    n = split(s, alt, "|")
    out = ""; special = ""; free = 0
    for (i = 1; i <= n; i++) {
        w = alt[i]
        sub(/^[ \t]+/, "", w)
        sub(/[ \t].*$/, "", w)
        if (w ~ /FILE$/) special = special " @FILE"
        else if (w == "COMMAND") special = special " @COMMAND"
        else if (literal(w)) out = out " " w
        else if (w ~ /^[A-Z]/) free = 1
    }
    return substr((free ? "" : out) special, 2)
}
# Adds the words of list to the set stored under key in arr (kept in order).
function add_words(arr, key, list,    w, n, i, have) {
    n = split(list, w, " ")
    for (i = 1; i <= n; i++) {
        have = " " arr[key] " "
        if (index(have, " " w[i] " ") == 0) arr[key] = arr[key] (arr[key] == "" ? "" : " ") w[i]
    }
}
function add_key(keys, key) {
    if (!((key) in seen_key)) { seen_key[key] = 1; keys[++keys[0]] = key }
}
function add_option(cmd, sub_key, name, value,    c) {
    add_key(optkeys, cmd "/" sub_key); add_words(opts, cmd "/" sub_key, name)
    add_key(optkeys_all, cmd); add_words(opts_all, cmd, name)
    if (value == "-")
        return
    c = value ~ /\|/ ? choices(value) : ""
    if (sub_key != "*") {
        add_key(valkeys, cmd "/" sub_key " " name)
        add_words(vals, cmd "/" sub_key " " name, c)
    }
    # Across subcommands: words only when every one offers words.
    add_key(valkeys_all, cmd " " name)
    add_words(vals_all, cmd " " name, c)
    if (c == "") free_all[cmd " " name] = 1
}
# One group that starts with --: options and the placeholder after each.
function parse_options(cmd, sub_key, s,    t, n, i, name, names, k, j) {
    n = split(s, t, " ")
    for (i = 1; i <= n; i++) {
        if (t[i] !~ /^--[a-zA-Z0-9]/) continue
        k = split(t[i], names, "|")
        if (i < n && t[i + 1] !~ /^-/) {
            for (j = 1; j <= k; j++) { name = names[j]; sub(/=.*/, "", name); add_option(cmd, sub_key, name, t[i + 1]) }
            i++
        } else {
            for (j = 1; j <= k; j++) { name = names[j]; sub(/=.*/, "", name); add_option(cmd, sub_key, name, "-") }
        }
    }
}
function add_argument(cmd, sub_key, pos, words,    key) {
    key = pos == 1 ? cmd "//1" : cmd "/" sub_key "/" pos
    add_key(argkeys, key)
    add_words(args, key, words)
}
# One alternative of a usage ("add CODE --text TEXT [--unit U]"): its first
# word, when literal, is a subcommand that the later arguments and the
# options belong to.
function parse_alternative(cmd, g, first, last, several,    i, inner, bracketed, pos, c, sub_key) {
    pos = 0; sub_key = "*"
    for (i = first; i <= last; i++) {
        inner = unbracket(g[i])
        bracketed = inner != g[i]
        if (inner ~ /^--/) {
            # "--reason TEXT" outside brackets: the next group is the value.
            if (!bracketed && inner !~ / / && i < last && g[i + 1] !~ /^[-[]/) {
                inner = inner " " g[i + 1]
                i++
            }
            parse_options(cmd, sub_key, inner)
            continue
        }
        pos++
        c = ""
        if (inner ~ /\|/ || inner ~ /FILE$/ || inner == "COMMAND")
            c = choices(inner)
        else if (literal(inner) && (!bracketed || several && i == first))
            c = inner   # a literal word ("set"), or an optional subcommand ("[list] | show")
        if (pos == 1 && literal(inner) && c == inner)
            sub_key = inner
        if (c != "")
            add_argument(cmd, sub_key, pos, c)
    }
}
function parse_usage(cmd, usage,    g, n, i, first, several) {
    n = split_groups(usage, g)
    several = 0
    for (i = 1; i <= n; i++)
        if (g[i] == "|") several = 1
    first = 1
    for (i = 1; i <= n + 1; i++) {
        if (i <= n && g[i] != "|") continue
        if (i > first) parse_alternative(cmd, g, first, i - 1, several)
        first = i + 1
    }
}
NF >= 3 && $1 ~ /^[a-z][a-z0-9_-]*$/ {
    ncmd++
    cmds[ncmd] = $1
    parse_usage($1, $3)
}
END {
    if (ncmd == 0) {
        print "gen-completion.sh: no commands on standard input (expected keyprojd --list-commands)" > "/dev/stderr"
        exit 1
    }
    print "# bash completion for keyprojctl(1). Generated by doc/gen-completion.sh from"
    print "# `keyprojd --list-commands` (the daemon'\''s command table): do not edit."
    print ""
    line = ""
    for (i = 1; i <= ncmd; i++) line = line (i > 1 ? " " : "") cmds[i]
    print "_keyprojctl_commands=" quote(line)
    print ""
    print "# _keyprojctl_options CMD SUB: the options of CMD (of its subcommand SUB"
    print "# where they differ)."
    print "_keyprojctl_options()"
    print "{"
    print "    case $1/$2 in"
    for (i = 1; i <= optkeys[0]; i++) {
        k = optkeys[i]
        c = k; sub(/\/.*/, "", c)
        if (k ~ /\/\*$/ || opts[k] == opts_all[c]) continue
        print "    " quote(k) ") echo " quote(opts[k]) " ;;"
    }
    for (i = 1; i <= optkeys_all[0]; i++) {
        k = optkeys_all[i]
        print "    " quote(k "/") "*) echo " quote(opts_all[k]) " ;;"
    }
    print "    esac"
    print "}"
    print ""
    print "# _keyprojctl_option_value CMD SUB OPTION: fails when OPTION is a flag;"
    print "# else succeeds, printing the values worth offering (maybe none)."
    print "_keyprojctl_option_value()"
    print "{"
    print "    case \"$1/$2 $3\" in"
    for (i = 1; i <= valkeys[0]; i++) {
        k = valkeys[i]
        c = k; sub(/\/[^ ]*/, "", c)
        if (vals[k] == (c in free_all ? "" : vals_all[c])) continue
        print "    " quote(k) ") echo " quote(vals[k]) "; return 0 ;;"
    }
    for (i = 1; i <= valkeys_all[0]; i++) {
        k = valkeys_all[i]
        c = k; sub(/ .*/, "", c)
        o = k; sub(/^[^ ]* /, "", o)
        print "    " quote(c "/") "*" quote(" " o) ") echo " quote(k in free_all ? "" : vals_all[k]) "; return 0 ;;"
    }
    print "    esac"
    print "    return 1"
    print "}"
    print ""
    print "# _keyprojctl_argument CMD SUB N: what the Nth argument of CMD (after"
    print "# subcommand SUB) may be: words, @FILE for file names, @COMMAND for"
    print "# command names; nothing when it cannot be known."
    print "_keyprojctl_argument()"
    print "{"
    print "    case $1/$2/$3 in"
    for (i = 1; i <= argkeys[0]; i++) {
        k = argkeys[i]
        if (k ~ /\/\*\/[0-9]+$/) continue
        print "    " quote(k) ") echo " quote(args[k]) " ;;"
    }
    for (i = 1; i <= argkeys[0]; i++) {
        k = argkeys[i]
        if (k !~ /\/\*\/[0-9]+$/) continue
        p = k; sub(/\/\*\/[0-9]+$/, "", p)
        n = k; sub(/^.*\//, "", n)
        print "    " quote(p "/") "*" quote("/" n) ") echo " quote(args[k]) " ;;"
    }
    print "    esac"
    print "}"
}
'

cat <<'EOF'

_keyprojctl_files()
{
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir
    else
        compopt -o filenames 2>/dev/null
        local IFS=$'\n'
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
}

_keyprojctl_offer()
{
    local w words=
    for w in $1; do
        case $w in
        @FILE) _keyprojctl_files ;;
        @COMMAND) words="$words $_keyprojctl_commands" ;;
        *) words="$words $w" ;;
        esac
    done
    [[ -n $words ]] && COMPREPLY+=($(compgen -W "$words" -- "$cur"))
    return 0
}

_keyprojctl()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -n = || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${words[cword]}
        prev=${words[cword - 1]}
    fi
    COMPREPLY=()

    # Global options come before the command (keyprojctl stops at it).
    local i=1 cmd=
    while ((i < cword)); do
        case ${words[i]} in
        -s | --socket | -t | --timeout) ((i += 2)); continue ;;
        -*) ((i++)); continue ;;
        esac
        cmd=${words[i]}
        break
    done
    if [[ -z $cmd ]]; then
        case $prev in
        -s | --socket) _keyprojctl_files; return 0 ;;
        -t | --timeout) return 0 ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W '-s --socket -t --timeout --json --csv -h --help' -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_keyprojctl_commands" -- "$cur"))
        fi
        return 0
    fi

    # The command's own arguments: count positionals, skip options' values;
    # the first positional may be a subcommand ("problem add").
    local n=0 sub= endopts= values
    for ((i++; i < cword; i++)); do
        if [[ -z $endopts && ${words[i]} == -- ]]; then
            endopts=1
        elif [[ -z $endopts && ${words[i]} == --* ]]; then
            [[ ${words[i]} != *=* ]] && _keyprojctl_option_value "$cmd" "$sub" "${words[i]}" >/dev/null && ((i++))
        else
            ((n++ == 0)) && sub=${words[i]}
        fi
    done
    if [[ -z $endopts && $prev == --* ]] && values=$(_keyprojctl_option_value "$cmd" "$sub" "$prev"); then
        _keyprojctl_offer "$values"
        return 0
    fi
    if [[ -z $endopts && $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_keyprojctl_options "$cmd" "$sub")" -- "$cur"))
        return 0
    fi
    _keyprojctl_offer "$(_keyprojctl_argument "$cmd" "$sub" $((n + 1)))"
    return 0
}
complete -F _keyprojctl keyprojctl
EOF
