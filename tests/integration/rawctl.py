#!/usr/bin/env python3
"""Speaks to the control socket byte by byte, for the tests that must send
what keyprojctl never would. Usage:
  rawctl.py SOCKET DATA [--lines N] [--timeout S] [--stall S]
DATA takes Python escapes (\\n, \\xff, \\x00). Prints each answer line, then
"EOF" if the daemon closed the connection or "OPEN" if it was still open
when N lines had arrived or the timeout passed."""
import socket
import sys
import time


def main():
    args = sys.argv[1:]
    path, data = args[0], args[1]
    opts = dict(zip(args[2::2], args[3::2]))
    want = int(opts.get("--lines", "1"))
    timeout = float(opts.get("--timeout", "5"))
    stall = float(opts.get("--stall", "0"))
    raw = data.encode("utf-8").decode("unicode_escape").encode("latin-1")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    try:
        s.sendall(raw)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if stall:
        time.sleep(stall)
    s.settimeout(timeout)
    buf = b""
    lines = 0
    state = "OPEN"
    deadline = time.time() + timeout
    while lines < want and time.time() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            state = "EOF"
            break
        if not chunk:
            state = "EOF"
            break
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            print(line.decode("utf-8", "replace"))
            lines += 1
    if state == "OPEN" and lines >= want:
        # Closed right after the last answer?
        s.settimeout(0.3)
        try:
            if s.recv(1) == b"":
                state = "EOF"
        except socket.timeout:
            pass
        except ConnectionResetError:
            state = "EOF"
    print(state)


main()
