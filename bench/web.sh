#!/bin/bash
# The dashboard's pages: keyprojd's own time to write each (its
# Server-Timing header, the median of N requests asking for a fresh page
# with Cache-Control: no-cache), the page's weight, and, where keyprojd
# keeps pages for a few seconds, its time to serve one kept ("kept"), on the demo
# ledger (515 projects) and on a national one (keyproj-gen --size
# BENCH_NATIONAL_SIZE, default 100,000 projects and ~812k milestones, as
# bench/national.sh makes it: projects and milestones imported, then a
# scan; plans and reports are not, so its investment figures are empty).
# BENCH_WEB_SETS=demo (or national) runs one; BENCH_WEB_N and
# BENCH_WEB_NATIONAL_N set N (20 and 5). Run by bench/run web; the
# national set adds about 4 minutes.
set -euo pipefail
build=$BENCH_BUILD top=$BENCH_TOP
sets=${BENCH_WEB_SETS:-demo national}
dir=$(mktemp -d "${TMPDIR:-/tmp}/kpweb.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null && wait $pid 2>/dev/null; rm -rf "$dir"' EXIT

# start DB: a keyprojd with the dashboard on a free port, on a new database;
# ready once a command that needs the database answers. (Not by polling
# status: each status call keeps its counts refreshed once a second on the
# main connection for a minute, 0.7 s a time on a national ledger.)
start() {
    local db=$1
    createdb "$db"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat > "$dir/keyprojd.conf" <<CONF
database = { conninfo = "host=${PGHOST:-localhost} port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=$db"; };
control = { socket = "$dir/control.sock"; admins = [ "$(id -un)" ]; };
alerts = { quiet_hours = ""; hold_on_rest_days = false; };
web = { listen = "127.0.0.1:$port"; };
CONF
    "$build/keyprojd" -c "$dir/keyprojd.conf" --now 2026-11-25T09:00:00+08:00 >"$dir/log" 2>&1 &
    pid=$!
    ctl="$build/keyprojctl -s $dir/control.sock"
    for _ in $(seq 100); do $ctl campaign list >/dev/null 2>&1 && return; sleep 0.2; done
    echo "bench/web.sh: keyprojd did not come up: $(tail -n 3 "$dir/log")" >&2
    exit 1
}
stop() {
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
}
# measure LABEL N COUNTY LEADER UNIT PROJECT
measure() {
    python3 - "http://127.0.0.1:$port" "$@" <<'PY'
import statistics, sys, urllib.error, urllib.parse, urllib.request
base, label, n, county, leader, unit, project = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:]
q = urllib.parse.quote
pages = ["/", "/screen", "/county/" + q(county), "/leader/" + q(leader), "/unit/" + q(unit),
         "/project/" + q(project), "/overdue", "/due?days=14", "/problems", "/orders",
         "/overdue?format=csv", "/static/app.css"]
try:                    # the pages' own connections are made by the first page
    urllib.request.urlopen(base + "/", timeout=60).read()
except urllib.error.HTTPError:
    pass
def timed(p, fresh):
    """keyprojd's time for p (Server-Timing), the body's size, whether it was a kept page"""
    h = {"Cache-Control": "no-cache"} if fresh else {}
    try:
        r = urllib.request.urlopen(urllib.request.Request(base + p, headers=h), timeout=60)
    except urllib.error.HTTPError as e:     # 503: over the page's time budget
        e.read()
        failed.append(e.code)
        return None, 0, False
    body = r.read()
    t = r.headers.get("Server-Timing", "")
    return (float(t.split("dur=")[1].split(";")[0]) if t else None), len(body), "kept" in t
for p in pages:
    # written (a forced reload: Cache-Control: no-cache), then served again
    # from the pages kept for a few seconds, where keyprojd keeps them
    cold, warm, size, failed = [], [], 0, []
    for _ in range(n):
        ms, sz, _kept = timed(p, True)
        size = sz or size
        if ms is not None:
            cold.append(ms)
        ms, _, kept = timed(p, False)
        if ms is not None and kept:
            warm.append(ms)
    med = "%.1f ms" % statistics.median(cold) if cold else "-"
    kept = "  kept %.2f ms" % statistics.median(warm) if warm else ""
    bad = "  (%d of %d answered %s)" % (len(failed), 2 * n, "/".join(sorted(set(map(str, failed))))) if failed else ""
    print("web %-8s %-40s keyprojd %9s  weight %7.1f KB%s%s" % (label, urllib.parse.unquote(p), med, size / 1024, kept,
                                                                bad))
PY
}

for set in $sets; do
    case $set in
    demo)
        start kp_bench_web
        for kind in projects milestones plans reports; do $ctl import "$kind" "$top/data/demo/$kind.csv" >/dev/null; done
        $ctl scan >/dev/null
        # as autovacuum leaves the tables within a minute or so of an import
        psql -X -q -d kp_bench_web -c "VACUUM ANALYZE"
        measure demo "${BENCH_WEB_N:-20}" 涧西区 范德胜 涧西区政府 2026-410327-30-03-339678
        stop
        ;;
    national)
        size=${BENCH_NATIONAL_SIZE:-100000}
        "$build/data/keyproj-gen" --size "$size" --out "$dir" 2>/dev/null
        start kp_bench_web_national
        t0=$(date +%s)
        $ctl import projects "$dir/projects.csv" >/dev/null
        $ctl import milestones "$dir/milestones.csv" >/dev/null
        $ctl scan >/dev/null
        psql -X -q -d kp_bench_web_national -c "VACUUM ANALYZE"      # as for the demo
        # a county, leader, unit and project of the generated ledger, as the demo's
        read -r county leader unit project <<<"$(psql -X -A -t -F ' ' -d kp_bench_web_national -c "
            SELECT co.name, l.name, u.name, p.code FROM project p JOIN county co ON co.id = p.county_id
              JOIN person l ON l.id = p.leader_id JOIN unit u ON u.id = p.unit_id
             WHERE co.name = '涧西区' ORDER BY p.id LIMIT 1")"
        echo "web national: $size projects, $(psql -X -A -t -d kp_bench_web_national -c 'SELECT count(*) FROM milestone') milestones, loaded and scanned in $(($(date +%s) - t0)) s"
        measure national "${BENCH_WEB_NATIONAL_N:-5}" "$county" "$leader" "$unit" "$project"
        stop
        ;;
    *)
        echo "bench/web.sh: unknown set '$set' (expected demo or national)" >&2
        exit 2
        ;;
    esac
done
echo "web load average: $(cut -d' ' -f1-3 /proc/loadavg)"
