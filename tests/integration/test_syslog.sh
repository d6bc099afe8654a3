#!/bin/bash
# Logs go to stderr (the journal) unless the configuration asks for syslog:
# --check-config takes the facilities syslog knows and refuses others,
# naming file, line and key; with syslog on, the lines leave stderr and
# reach syslog at each level's priority, as the same key=value line; a
# reload turns it off again.
#
# Reaching syslog is checked against a receiver of our own on /dev/log, in
# a private mount namespace (root and unshare(1) needed): no syslog daemon
# is involved, and the machine's /dev/log is never touched.
. "$top_srcdir/tests/integration/lib.sh"

check() {
    write_config "log = { $1 };"
    out=$("$KEYPROJD" -c "$T_CONF" --check-config 2>&1)
    rc=$?
}

for good in 'syslog = true;' 'syslog = true; facility = "daemon";' 'syslog = true; facility = "local3"; ident = "keyprojd-a";' \
            'syslog = false; facility = "user";' 'facility = "local7";'; do
    check "$good"
    [ "$rc" = 0 ] || fail "--check-config refused log = { $good }: $out"
done
ok "--check-config accepts syslog on or off, the daemon, user and local0 … local7 facilities, an ident"
check 'syslog = true; facility = "local8";'
expect_eq "an unknown facility is refused" 1 "$rc"
expect_contains "… naming file, line, key and the facilities known" \
    "keyprojd.conf:7: log.facility: unknown facility 'local8' (expected daemon, user, local0 … local7" "$out"
check 'facility = "DAEMON";'
expect_contains "facility names are syslog's, lower case" "unknown facility 'DAEMON'" "$out"
check 'syslog = "yes";'
expect_contains "syslog must be true or false" "log.syslog must be true or false" "$out"
check 'ident = "";'
expect_contains "an empty ident is refused" "log.ident: expected 1 to 32 bytes" "$out"
check 'syslog = true; level = "debug";'
expect_contains "the level stays log_level: an unknown key in log is refused" "unknown setting 'log.level'" "$out"

# ---- the lines reach syslog ------------------------------------------------------------
if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "# SKIP: sending to syslog not exercised: needs root and unshare -m for a private /dev/log"
    exit 0
fi
create_db
ident="kp-test-$$"
write_config "log = { syslog = true; facility = \"local3\"; ident = \"$ident\"; };"
cat > "$T_DIR/receiver.py" <<'PY'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[2], "w").close()
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
PY
cat > "$T_DIR/ns.sh" <<'SH'
# In a private mount namespace: /dev as it is, plus our own /dev/log.
set -e
save="$T_DIR/dev.orig"
mkdir -p "$save"
mount --bind /dev "$save"
mount -t tmpfs -o mode=0755 tmpfs /dev
for e in "$save"/* "$save"/.[!.]*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    n="/dev/${e##*/}"
    if [ -L "$e" ]; then cp -a "$e" "$n"
    elif [ -d "$e" ]; then mkdir -p "$n"; mount --rbind "$e" "$n"
    else touch "$n"; mount --bind "$e" "$n"; fi
done
python3 "$T_DIR/receiver.py" "$T_DIR/syslog.out" "$T_DIR/receiver.ready" &
rcv=$!
# (a script of its own: the test's helpers are not here)
for i in $(seq 1 600); do [ -e "$T_DIR/receiver.ready" ] && break; sleep 0.05; done
"$KEYPROJD" -c "$T_CONF" --now 2026-11-25T10:00:00+08:00 >>"$T_LOG" 2>&1 &
echo $! > "$T_DIR/keyprojd.pid"
rc=0
wait $! || rc=$?
echo $rc > "$T_DIR/keyprojd.rc"
kill $rcv
SH
T_DIR="$T_DIR" T_CONF="$T_CONF" T_LOG="$T_LOG" KEYPROJD="$KEYPROJD" unshare -m --propagation private bash "$T_DIR/ns.sh" &
ns=$!
T_EXTRA_PIDS="$T_EXTRA_PIDS $ns"
daemon_up() { [ -S "$T_SOCK" ] && [ -s "$T_DIR/keyprojd.pid" ]; }
wait_until 30 daemon_up
[ -S "$T_SOCK" ] || fail "keyprojd did not start in the namespace: $(cat "$T_LOG")"
T_PID=$(cat "$T_DIR/keyprojd.pid")
wait_ready
kpctl bogus >/dev/null 2>&1   # a refused request: logged at info
wait_until 30 in_file 'cmd="bogus"' "$T_DIR/syslog.out"
# <PRI>TIMESTAMP IDENT[PID]: line — PRI = facility * 8 + severity; local3 = 19.
started=$(grep -a 'msg="keyprojd started"' "$T_DIR/syslog.out" | head -n 1)
expect_contains "keyprojd started reaches syslog with local3.info and the ident" "<158>" "$started"
expect_contains "… tagged with the ident and pid" "$ident[$T_PID]: level=info msg=\"keyprojd started\"" "$started"
expect_contains "debug lines at local3.debug" "<159>" "$(grep -a 'level=debug' "$T_DIR/syslog.out" | head -n 1)"
expect_contains "the request log line, key=value as on stderr" 'cmd="bogus" result=unknown_command' \
    "$(grep -a 'msg="control request"' "$T_DIR/syslog.out" | tail -n 1)"
expect_eq "nothing on stderr meanwhile" 0 "$(grep -c 'level=' "$T_LOG")"
# A reload without the log block brings the lines back to stderr.
write_config
kpctl reload >/dev/null || fail "reload"
wait_until 30 in_file 'configuration reloaded' "$T_LOG"
expect_contains "after a reload without syslog the lines are on stderr again" 'msg="configuration reloaded"' "$(cat "$T_LOG")"
kill -TERM "$T_PID"
wait "$ns"
T_PID=
expect_eq "keyprojd stops cleanly" 0 "$(cat "$T_DIR/keyprojd.rc")"
