#!/bin/bash
# A hostile local user against the HTTP listener, as the people already
# inside could try it: 64 connections trickling a request head from four
# loopback addresses (any local user may bind all of 127.0.0.0/8) hold no
# more than one user's 16, for on the loopback a peer is the user holding
# the socket, not its address; root's /healthz meanwhile answers 200
# within a second. A request announcing a body of a gigabyte is refused
# (413) or closed before its body is read, however it trickles, and
# keyprojd's peak memory stays small. The attacker is a real other user
# (nobody), so the test needs root; it is skipped otherwise.
. "$top_srcdir/tests/integration/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v curl >/dev/null; then
    echo "SKIP: needs root and setpriv to act as another user, and curl"
    exit 77
fi
OP_UID=$(id -u nobody) OP_GID=$(id -g nobody)
# The system's python: one under root's home is not the attacker's to run.
OP_PY=/usr/bin/python3
[ -x "$OP_PY" ] || OP_PY=$(command -v python3)

wport=$(free_port)
W="http://127.0.0.1:$wport"
write_config "web = { listen = \"127.0.0.1:$wport\"; };"
create_db
start_daemon --now 2026-11-25T10:00:00+08:00
wait_ready

# as_attacker CMD… — runs CMD as nobody, with no supplementary groups.
as_attacker() {
    setpriv --reuid="$OP_UID" --regid="$OP_GID" --clear-groups "$@"
}
hwm_kib() { awk '/^VmHWM:/ { print $2 }' "/proc/$T_PID/status"; }

# ---- 64 slow connections from four addresses ------------------------------------
# Connection i comes from 127.0.0.(2 + i % 4) and sends a request head that
# never ends. The attacker reports which were answered at once (503, or
# closed) and which it holds, then waits for a line on its input (root's
# request is made meanwhile) and says whether it still holds them all.
mkfifo "$T_DIR/go"
as_attacker "$OP_PY" - "$wport" 3< "$T_DIR/go" > "$T_DIR/attack.out" 2>&1 <<'PY' &
import os, select, socket, sys, time
port = int(sys.argv[1])
head = b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: "
conns = []
for i in range(64):
    s = socket.socket()
    s.bind(("127.0.0.%d" % (2 + i % 4), 0))
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(head)
    except OSError:
        pass
    conns.append(s)
# Refusals come at once; wait for the 48 expected (5 s at most), no more.
answer, deadline = {}, time.time() + 5
while len(answer) < 48 and time.time() < deadline:
    ready, _, _ = select.select([s for s in conns if s not in answer], [], [], 0.1)
    for s in ready:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        answer[s] = data.split(b"\r\n")[0].decode() or "closed"
held = [s for s in conns if s not in answer]
codes = sorted(set(answer.values()))
print("held=%d refused=%d answers=%s" % (len(held), len(answer), ",".join(codes)), flush=True)
print("held_from=" + ",".join(sorted({s.getsockname()[0] for s in held})), flush=True)
os.fdopen(3).readline()
still = 0
for s in held:
    s.setblocking(False)
    try:
        s.recv(4096)            # an answer, or the end: not held any more
    except BlockingIOError:
        still += 1
    except OSError:
        pass
print("still_held=%d" % still, flush=True)
PY
attacker=$!
T_EXTRA_PIDS="$T_EXTRA_PIDS $attacker"
exec 7>"$T_DIR/go"
wait_until 30 in_file '^held_from=' "$T_DIR/attack.out" || fail "the attacker did not connect: $(cat "$T_DIR/attack.out")"
t0=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$W/healthz")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo go >&7
exec 7>&-
wait "$attacker"
cat "$T_DIR/attack.out" >&2
expect_eq "nobody's 64 slow connections from four addresses: it holds 16, the other 48 are refused (503)" \
    "held=16 refused=48 answers=HTTP/1.1 503 Service Unavailable" "$(grep '^held=' "$T_DIR/attack.out")"
expect_eq "… the 16 it holds come from all four addresses: one user is one peer, whatever it binds" \
    "held_from=127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5" "$(grep '^held_from=' "$T_DIR/attack.out")"
expect_eq "root's /healthz meanwhile: 200" 200 "$code"
[ "$ms" -lt 1000 ] || fail "… but it took $ms ms"
ok "… within a second ($ms ms)"
expect_eq "… while nobody still held its 16 (root's request was not let in by their deadline)" "still_held=16" \
    "$(grep '^still_held=' "$T_DIR/attack.out")"
n=$(grep -c 'web: connection refused.*counted_as=uid:'"$OP_UID" "$T_LOG")
[ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "48 refusals of one user were logged $n times: $(grep 'connection refused' "$T_LOG")"
ok "the 48 refusals are logged as nobody's (counted_as=uid:$OP_UID), $n times, not 48"
# (the held ones end at their 10 s deadline; the next part needs the room)
healthz_code() { http GET "$W/healthz" | cut -d'|' -f1; }
wait_until 30 is_eq 200 healthz_code || fail "/healthz did not answer 200 again"

# ---- bodies of a gigabyte ------------------------------------------------------------
# Each request announces 1000000000 bytes, then trickles them a byte every
# 50 ms: what comes back, whether the connection ended, and how many body
# bytes had been sent by then. Waiting for the body would end in the 408
# of the request deadline (10 s) instead.
hwm0=$(hwm_kib)
as_attacker "$OP_PY" - "$wport" > "$T_DIR/bodies.out" 2>&1 <<'PY'
import socket, sys, time
port = int(sys.argv[1])
heads = {
    "post": b"POST /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n",
    "put": b"PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n",
    "chunked": b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3B9ACA00\r\n",
    "get": b"GET /healthz HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n",
}
for name, head in heads.items():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(head)
    s.settimeout(0.05)
    sent, data, eof, t0 = 0, b"", False, time.time()
    while time.time() - t0 < 15:
        try:
            chunk = s.recv(4096)
            data += chunk
            if not chunk:
                eof = True
                break
        except socket.timeout:
            pass
        except OSError:
            eof = True
            break
        try:
            s.send(b"x")
            sent += 1
        except OSError:
            break
    status = data.split(b"\r\n")[0].decode() or "closed"
    print("%s %s|eof=%s|body_bytes_sent=%d" % (name, status, eof, sent), flush=True)
    s.close()
# And one that does not trickle: as fast as the socket takes it, 64 MiB.
s = socket.create_connection(("127.0.0.1", port))
s.settimeout(5)
sent = 0
try:
    s.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000000\r\n\r\n")
    block = b"x" * 65536
    while sent < 64 << 20:
        sent += s.send(block)
except OSError:
    pass
print("blast cut_off=%s sent_mib=%d" % (sent < 64 << 20, sent >> 20), flush=True)
PY
cat "$T_DIR/bodies.out" >&2
for name in post put chunked get; do
    line=$(grep "^$name " "$T_DIR/bodies.out")
    case "$line" in
        "$name HTTP/1.1 413 "*"|eof=True|"* | "$name closed|eof=True|"*) ;;
        *) fail "a $name announcing a gigabyte: $line" ;;
    esac
    ok "a $name announcing a gigabyte, its body trickling: refused (413) and closed, not waited for ($line)"
done
expect_contains "one sending its body as fast as it can is cut off too" "blast cut_off=True" \
    "$(cat "$T_DIR/bodies.out")"
hwm1=$(hwm_kib)
[ "$hwm1" -lt 65536 ] || fail "keyprojd's peak memory is $hwm1 KiB after the bodies"
ok "… and keyprojd's peak memory (VmHWM) stays under 64 MiB ($hwm0 → $hwm1 KiB)"
expect_eq "/healthz still answers" 200 "$(healthz_code)"
stop_daemon || fail "keyprojd did not stop cleanly"
