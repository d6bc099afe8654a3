#!/bin/bash
# The dashboard's pages: keyprojd's own time for each (its Server-Timing
# header, the median of 20 requests) and the page's weight, on the demo
# ledger (515 projects). Run by bench/run web.
set -euo pipefail
build=$BENCH_BUILD top=$BENCH_TOP
dir=$(mktemp -d "${TMPDIR:-/tmp}/kpweb.XXXXXX")
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
createdb kp_bench_web
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$dir/keyprojd.conf" <<CONF
database = { conninfo = "host=${PGHOST:-localhost} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=kp_bench_web"; };
control = { socket = "$dir/control.sock"; admins = [ "$(id -un)" ]; };
alerts = { quiet_hours = ""; hold_on_rest_days = false; };
web = { listen = "127.0.0.1:$port"; };
CONF
"$build/keyprojd" -c "$dir/keyprojd.conf" --now 2026-11-25T09:00:00+08:00 >"$dir/log" 2>&1 &
pid=$!
ctl="$build/keyprojctl -s $dir/control.sock"
for _ in $(seq 100); do $ctl status >/dev/null 2>&1 && [ "$($ctl --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["database"])')" = connected ] && break; sleep 0.2; done
for kind in projects milestones plans reports; do $ctl import "$kind" "$top/data/demo/$kind.csv" >/dev/null; done
$ctl scan >/dev/null
python3 - "http://127.0.0.1:$port" <<'PY'
import statistics, sys, urllib.parse, urllib.request
base = sys.argv[1]
q = urllib.parse.quote
pages = ["/", "/screen", "/county/" + q("涧西区"), "/leader/" + q("范德胜"), "/unit/" + q("涧西区政府"),
         "/project/2026-410327-30-03-339678", "/overdue", "/due?days=14", "/problems", "/orders",
         "/overdue?format=csv", "/static/app.css"]
for p in pages:
    ms, size = [], 0
    for _ in range(20):
        r = urllib.request.urlopen(base + p, timeout=30)
        body = r.read()
        size = len(body)
        t = r.headers.get("Server-Timing", "")
        if t:
            ms.append(float(t.split("dur=")[1]))
    med = "%.1f ms" % statistics.median(ms) if ms else "-"
    print("web demo %-40s keyprojd %9s  weight %6.1f KB" % (urllib.parse.unquote(p), med, size / 1024))
PY
