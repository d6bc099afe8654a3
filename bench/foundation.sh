#!/bin/bash
# Figures for the foundation: demo import times, resident memory, control
# socket round trips. Run by bench/run inside pg_virtualenv.
set -euo pipefail
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
createdb kp_bench
cat > "$work/k.conf" <<CONF
database = { conninfo = "dbname=kp_bench"; };
control = { socket = "$work/ctl.sock"; admins = [ "$(id -un)" ]; };
alerts = { quiet_hours = ""; hold_on_rest_days = false; };  # a benchmark sends on any day, at any hour
CONF
"$BENCH_BUILD/keyprojd" -c "$work/k.conf" 2>"$work/d.log" &
pid=$!
ctl="$BENCH_BUILD/keyprojctl -s $work/ctl.sock"
for i in $(seq 1 100); do $ctl --json status 2>/dev/null | grep -q '"database": "connected"' && break; sleep 0.1; done
# Pss: the shared library pages (most of VmRSS) counted in proportion to
# the processes that map them — what the daemon really costs the machine.
rss() {
    awk '/^(VmRSS|RssAnon|RssFile)/ { printf "%s %s kB  ", $1, $2 }' /proc/$pid/status
    awk '/^Pss:/ { printf "Pss: %s kB", $2 }' /proc/$pid/smaps_rollup 2>/dev/null || true
}
printf '%-44s %s\n' "keyprojd memory, idle, empty database" "$(rss)"
for k in projects milestones plans reports; do
    rows=$(($(wc -l < "$BENCH_TOP/data/demo/$k.csv") - 1))
    s=$( { /usr/bin/time -f %e $ctl import $k "$BENCH_TOP/data/demo/$k.csv" >/dev/null; } 2>&1 )
    printf '%-44s %s s (%s rows)\n' "import demo $k" "$s" "$rows"
done
s=$( { /usr/bin/time -f %e $ctl import projects "$BENCH_TOP/data/demo/projects.csv" >/dev/null; } 2>&1 )
printf '%-44s %s s\n' "re-import demo projects (nothing changes)" "$s"
sleep 1
printf '%-44s %s\n' "keyprojd memory, idle, demo data loaded" "$(rss)"
# bench/ctlbench (C, one connection, one request in flight): the client is
# not the limit, as a Python one was.
"$BENCH_BUILD/bench/ctlbench" "$work/ctl.sock" 3 status version
"$BENCH_BUILD/bench/ctlbench" "$work/ctl.sock" 2 overdue
# The reference for status (the design target): one libpq connection's round trips.
echo 'SELECT 1;' > "$work/select1.sql"
tps=$(pgbench -n -c 1 -T 3 -f "$work/select1.sql" kp_bench 2>/dev/null | awk '/^tps/ { printf "%.0f", $3 }')
printf '%-44s %s/s\n' "libpq 'SELECT 1' round trips, 1 connection" "$tps"
