#!/bin/bash
# A hostile operator against the control socket, as the people already
# inside could try it: 64 connections trickling a byte every few seconds
# do not lock out root (its status answers within a second); a body
# announced for a command the operator may not run (or that takes none) is
# refused before its first byte, so eight announced 200 MB bodies leave
# keyprojd's peak memory small; a body that trickles is cut off at its
# deadline, not kept alive by each byte; 200 refused requests on one open
# connection write a log line now and then with a count, and the audit
# log its 10 rows a minute; a group whose /etc/group entry, or a user whose
# /etc/passwd entry, is longer than 4 KiB still gives its members their
# level. The operator is a real other user (nobody), so the test needs
# root; it is skipped otherwise.
. "$top_srcdir/tests/integration/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    echo "SKIP: needs root and setpriv to act as another user"
    exit 77
fi
OP_UID=$(id -u nobody) OP_GID=$(id -g nobody)
OP_GROUP=$(id -gn nobody)
# The system's python: one under root's home is not the operator's to run.
OP_PY=/usr/bin/python3
[ -x "$OP_PY" ] || OP_PY=$(command -v python3)

# The socket in a directory the operator can reach.
T_SOCKDIR=$(mktemp -d "${TMPDIR:-/tmp}/kp.XXXXXX")
chmod 0755 "$T_SOCKDIR"
T_SOCK="$T_SOCKDIR/control.sock"
T_OPERATORS='"nobody"'
write_config
sed -i "s|mode = \"0660\";|mode = \"0660\"; group = \"$OP_GROUP\"; idle_timeout_seconds = 6; body_timeout_seconds = 3;|" "$T_CONF"
create_db
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready

# as_operator CMD… — runs CMD as nobody, with no supplementary groups.
as_operator() {
    setpriv --reuid="$OP_UID" --regid="$OP_GID" --clear-groups "$@"
}
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$T_PID/status"; }

# ---- 64 trickling connections ------------------------------------------------
as_operator "$OP_PY" - "$T_SOCK" > "$T_DIR/trickle.out" 2>&1 <<'PY' &
import socket, sys, time
socks, refused = [], 0
for i in range(64):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    socks.append(s)
print("connected", flush=True)
# A byte every 2 s on each, never a whole line: each byte used to reset
# the idle timer, for ever.
for _ in range(6):
    for s in socks:
        try:
            s.send(b"s")
        except OSError:
            pass
    time.sleep(2)
answers = []
for s in socks:
    s.settimeout(1)
    try:
        answers.append(s.recv(4096).decode())
    except OSError:
        answers.append("")
print("busy=%d timeout=%d" % (sum('"busy"' in a for a in answers), sum('"timeout"' in a for a in answers)),
      flush=True)
PY
trickler=$!
T_EXTRA_PIDS="$T_EXTRA_PIDS $trickler"
wait_until 30 in_file connected "$T_DIR/trickle.out" || fail "the operator did not connect: $(cat "$T_DIR/trickle.out")"
t0=$(date +%s%N)
out=$(kpctl -t 5 --json status 2>&1) || fail "root's status while an operator holds 64 connections: $out"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "root's status answers while an operator holds 64 trickling connections" connected \
    "$(echo "$out" | field database)"
[ "$ms" -lt 1000 ] || fail "… but it took $ms ms"
ok "… within a second ($ms ms)"
out=$(as_operator "$KEYPROJCTL" -s "$T_SOCK" status 2>&1); rc=$?
expect_eq "the operator's own 65th connection is refused" 1 "$rc"
expect_contains "… as busy, naming the per-user bound" "max_clients_per_user" "$out"
wait "$trickler"
expect_eq "of the 64, 56 were refused at once and 8 cut off at the line deadline (6 s), trickling or not" \
    "busy=56 timeout=8" "$(tail -n 1 "$T_DIR/trickle.out")"
n=$(grep -c 'control request refused.*max_clients_per_user' "$T_LOG")
[ "$n" -ge 1 ] && [ "$n" -le 2 ] || fail "57 refusals of one uid within seconds were logged $n times"
ok "… and the refusals of one uid were logged once or twice with a count, not 57 times"

# ---- bodies refused before their first byte --------------------------------------
hwm0=$(hwm_kib)
for i in 1 2 3 4 5 6 7 8; do
    out=$(as_operator "$OP_PY" "$top_srcdir/tests/integration/rawctl.py" "$T_SOCK" \
          'import projects --bytes 200000000\n' --timeout 5)
    case "$out" in *'"denied"'*EOF) ;; *) fail "attempt $i: not denied at once: $out" ;; esac
done
ok "an operator's import --bytes 200000000 is denied before its body, eight times"
expect_contains "… saying the body was not read" "its body was not read" "$out"
hwm1=$(hwm_kib)
[ "$hwm1" -lt 65536 ] || fail "keyprojd's peak memory is $hwm1 KiB after the attempts"
ok "… and keyprojd's peak memory (VmHWM) stays under 64 MiB ($hwm0 → $hwm1 KiB)"
out=$(python3 "$top_srcdir/tests/integration/rawctl.py" "$T_SOCK" 'status --bytes 5\n' --timeout 5)
expect_contains "a body for a command that takes none is refused before it is read" "takes no body" "$out"

# ---- a trickling body meets its deadline ----------------------------------------
out=$(python3 - "$T_SOCK" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b"import projects --bytes 1000\n")
t0, answer = time.time(), b""
s.settimeout(0.5)
while time.time() - t0 < 15 and b"\n" not in answer:
    try:
        s.send(b"x")
    except OSError:
        pass
    try:
        answer += s.recv(4096)
    except socket.timeout:
        pass
    except OSError:
        break
print("%s after %.0f s" % (answer.decode().strip(), time.time() - t0))
PY
)
expect_contains "a body trickling a byte every half second is cut off" "request body not received in time" "$out"
case "$out" in *" after "[3-9]" s") ;; *) fail "… not at its 3 s deadline: $out" ;; esac
ok "… at its deadline (body_timeout_seconds = 3), not kept alive by each byte"
stop_daemon

# ---- one refused request, 200 times on one connection ------------------------------
# A daemon of its own, so that no earlier refusal of the operator's has
# used up its log line or its audit rows: 200 `reload`s (an admin's
# command) pipelined on one connection are each answered denied, the log
# takes a line now and then, and the audit log its 10 rows a minute.
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready
from=$(($(wc -l < "$T_LOG") + 1))
denied_lines() {
    tail -n +"$from" "$T_LOG" | grep 'msg="control request" .*user="nobody" cmd="reload" result=denied'
}
reload_rows() { sql "SELECT count(*) FROM audit_log WHERE action = 'control.refused' AND subject = 'command:reload'"; }
out=$(as_operator "$OP_PY" "$top_srcdir/tests/integration/rawctl.py" "$T_SOCK" "$(printf 'reload\\n%.0s' $(seq 200))" \
      --lines 200 --timeout 30)
expect_eq "200 reloads from the operator on one connection: 200 answers, each denied" 200 \
    "$(echo "$out" | grep -c '"code":"denied"')"
n=$(denied_lines | wc -l)
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "200 refused requests of one uid were logged $n times"
ok "… logged $n times, not 200"
wait_until 10 is_eq 10 reload_rows || fail "200 refused requests: $(reload_rows) audit rows"
ok "… and audited in 10 rows (10 a minute for a uid)"
# Once the uid's 10 s are over, its next refusal is logged with the count
# of those left out.
later() {
    as_operator "$KEYPROJCTL" -s "$T_SOCK" reload >/dev/null 2>&1
    [ "$(denied_lines | wc -l)" -gt "$n" ]
}
wait_until 30 later || fail "no later refusal was logged"
held=$(denied_lines | sed -n 's/.* suppressed=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
[ $((held + n)) -ge 200 ] || fail "the lines count $held refusals left out, beside $n logged, of 200"
ok "a later refusal's line counts those left out (suppressed: $held in all)"
[ "$(reload_rows)" -le 20 ] || fail "$(reload_rows) audit rows for the refused reloads"
ok "… and the audit rows stay at 10 a minute ($(reload_rows))"
stop_daemon

# ---- a group with a long /etc/group entry, a user with a long /etc/passwd one ------
# Private group and passwd files, seen by keyprojd only (unshare: a mount
# namespace of its own): an admin group that lists 600 members before
# nobody, and an admin user (uid 64998) whose comment field is 5000 bytes.
if command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
    members=$(python3 -c 'print(",".join("member%03d" % i for i in range(600)))')
    { cat /etc/group; echo "kpbig:x:64999:$members,nobody"; } > "$T_DIR/group"
    [ "$(grep '^kpbig:' "$T_DIR/group" | wc -c)" -gt 4096 ] || fail "the group entry is not longer than 4 KiB"
    { cat /etc/passwd; echo "kplong:x:64998:$OP_GID:$(python3 -c 'print("k" * 5000)'):/nonexistent:/usr/sbin/nologin"; } \
        > "$T_DIR/passwd"
    T_ADMINS='"root", "@kpbig", "kplong"' T_OPERATORS='' write_config
    sed -i "s|mode = \"0660\";|mode = \"0660\"; group = \"$OP_GROUP\";|" "$T_CONF"
    unshare -m bash -c 'mount --bind "$1" /etc/group && mount --bind "$2" /etc/passwd &&
                        exec "$3" -c "$4" --now 2026-11-25T10:00:00+08:00' \
        _ "$T_DIR/group" "$T_DIR/passwd" "$KEYPROJD" "$T_CONF" >>"$T_LOG" 2>&1 &
    T_PID=$!
    wait_until 30 test -S "$T_SOCK" || fail "keyprojd did not start in its namespace"
    wait_ready
    out=$(setpriv --reuid="$OP_UID" --regid="$OP_GID" --groups 64999 "$KEYPROJCTL" -s "$T_SOCK" --json help 2>&1) ||
        fail "a member of the long group was refused: $out"
    expect_contains "a process holding a group whose entry is over 4 KiB gets that group's level (admin)" \
        '"usage": "import' "$out"
    out=$(setpriv --reuid="$OP_UID" --regid="$OP_GID" --clear-groups "$KEYPROJCTL" -s "$T_SOCK" status 2>&1)
    expect_contains "… and the same user without the group in its process is refused: levels follow the process" \
        "may not use this control socket" "$out"
    out=$(setpriv --reuid=64998 --regid="$OP_GID" --clear-groups "$KEYPROJCTL" -s "$T_SOCK" --json help 2>&1) ||
        fail "the user with a long passwd entry was refused: $out"
    expect_contains "a user whose /etc/passwd entry is over 4 KiB is known by name, and gets its level (admin)" \
        '"usage": "import' "$out"
    stop_daemon
else
    skip "no mount namespace here: the long group and passwd entries are not tried"
fi
