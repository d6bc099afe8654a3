#!/bin/bash
# The monitoring story: with no metrics block keyprojd opens no port; a bad
# metrics.listen is refused before start. Turned on, /metrics tells
# Prometheus exactly what happened — the alerts the scans wrote, by kind;
# each receiver's deliveries by outcome and how long it took to answer; the
# outbox; the projects' lights — as SQL and the receiver see it, parsed by
# the Prometheus client library itself. /healthz says 200 with the
# database up and 503 with a reason when it is down. Only GET and HEAD on
# those two paths are served; the connections are bounded.
. "$top_srcdir/tests/integration/lib.sh"

# The Prometheus client library is Debian's python3-prometheus-client,
# installed for the system's Python (scripts/deps).
PY3=python3
[ -x /usr/bin/python3 ] && PY3=/usr/bin/python3
$PY3 -c 'import prometheus_client' 2>/dev/null || fail "python3-prometheus-client is not installed (scripts/deps)"

# scrape URL → JSON {"t": when, "ctype": …, "types": {family: type}, "s": {"name{k=v,…}": value}}
scrape() {
    $PY3 - "$1" <<'PY'
import json, sys, time, urllib.request
from prometheus_client.parser import text_string_to_metric_families
t = time.time()
r = urllib.request.urlopen(sys.argv[1], timeout=10)
text = r.read().decode()
types, samples = {}, {}
for fam in text_string_to_metric_families(text):
    types[fam.name] = fam.type
    for s in fam.samples:
        labels = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        samples[s.name + ("{%s}" % labels if labels else "")] = s.value
print(json.dumps({"t": t, "ctype": r.headers["Content-Type"], "types": types, "s": samples}))
PY
}

wait_for() {    # wait_for SQL EXPECTED — until SQL answers EXPECTED, at most 30 s
    wait_until 30 sql_is "$2" "$1"
}

create_db

# ---- off by default, and a bad address never starts ----------------------
write_config
start_daemon
wait_ready
expect_eq "no metrics block: keyprojd listens on no TCP port" 0 "$(tcp_listeners "$T_PID")"
stop_daemon || fail "keyprojd did not stop cleanly"

for bad in "localhost:9464" "127.0.0.1" "127.0.0.1:0" "127.0.0.1:70000" "::1:9464" "[::1]9464" "[127.0.0.1]:9464" \
           "300.1.1.1:9464"; do
    write_config "metrics = { listen = \"$bad\"; };"
    out=$("$KEYPROJD" -c "$T_CONF" --check-config 2>&1); rc=$?
    [ "$rc" = 1 ] || fail "--check-config accepted metrics.listen '$bad' (rc $rc): $out"
    case "$out" in
        *"$T_CONF:7: metrics.listen: expected a numeric address and port like \"127.0.0.1:9464\" or \"[::1]:9464\" (got '$bad')"*) ;;
        *) fail "--check-config on '$bad' said: $out" ;;
    esac
done
ok "--check-config refuses 8 bad listen addresses, naming the file, line and key"
write_config 'metrics = { listen = "127.0.0.1:9464"; port = 1; };'
out=$("$KEYPROJD" -c "$T_CONF" --check-config 2>&1)
expect_contains "an unknown key in the metrics block is refused" "unknown setting 'metrics.port'" "$out"
write_config 'metrics = { listen = "[::1]:9464"; };'
out=$("$KEYPROJD" -c "$T_CONF" --check-config 2>&1)
expect_contains "an IPv6 address in brackets is accepted" ": ok" "$out"
busy=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); print("ready", flush=True); time.sleep(60)' "$busy" > "$T_DIR/busy.out" &
holder=$!
T_EXTRA_PIDS="$holder"
wait_until 30 test -s "$T_DIR/busy.out"
write_config "metrics = { listen = \"127.0.0.1:$busy\"; };"
"$KEYPROJD" -c "$T_CONF" >"$T_DIR/busy.log" 2>&1; rc=$?
expect_eq "a taken metrics address stops the start" 1 "$rc"
expect_contains "and says which" "metrics.listen: cannot listen on 127.0.0.1:$busy: Address already in use" "$(cat "$T_DIR/busy.log")"
kill "$holder"; wait "$holder" 2>/dev/null
T_EXTRA_PIDS=

# ---- on: a day of the demo, a few deliveries ------------------------------
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
start_receiver --json-secret "$secret"
mport=$(free_port)
murl="http://127.0.0.1:$mport"
# The scans' alerts match no receiver (no such county): the deliveries
# below are the test's own, one story per receiver.
nowhere='match = { county = [ "无此县" ]; };'
write_config "
alerts = { quiet_hours = \"\"; hold_on_rest_days = false; };
metrics = { listen = \"127.0.0.1:$mport\"; };
receivers = (
  { name = \"audit\"; type = \"json\"; url = \"$base/json\"; secret = \"$secret\"; $nowhere },
  { name = \"slow\"; type = \"json\"; url = \"$base/fail/slow?ms=300\"; secret = \"$secret\"; $nowhere },
  { name = \"busy\"; type = \"json\"; url = \"$base/fail/429?retry_after=3600\"; secret = \"$secret\"; $nowhere },
  { name = \"gone\"; type = \"json\"; url = \"$base/fail/410\"; secret = \"$secret\"; $nowhere }
);"
dropdb "$T_DB" && create_demo_db      # the demo ledger, imported, and nothing else
start_daemon --now 2026-11-25T09:00:00+08:00
wait_ready
expect_eq "metrics on: one TCP listener" 1 "$(tcp_listeners "$T_PID")"
wait_until 30 is_eq "leader" status_field role

kpctl scan >/dev/null || fail "scan"
kpctl scan >/dev/null || fail "second scan"

# deliveries written by hand, due since January (before the daemon's clock)
t_alert() {
    local subject=$1; shift
    local id
    id=$(sql "INSERT INTO alert (kind, subject, stage, light, payload) VALUES ('milestone.overdue', '$subject', 's1', 'red',
        '{\"message\": \"测试\", \"tier\": 1}') RETURNING id" | head -n 1)
    for r in "$@"; do
        sql "INSERT INTO delivery (alert_id, receiver, next_attempt_at) VALUES ($id, '$r', '2026-01-01')" >/dev/null
    done
}
t_alert test:1 audit slow busy gone
t_alert test:2 audit
wait_for "SELECT count(*) FROM delivery d JOIN alert a ON a.id = d.alert_id WHERE a.subject LIKE 'test:%'
          AND d.attempts > 0 AND d.claimed_by IS NULL" 5 ||
    fail "deliveries did not settle: $(sql "SELECT receiver || ' ' || status || ' ' || attempts FROM delivery")"
expect_eq "the outbox as SQL sees it" "audit delivered|audit delivered|busy pending|gone dead|slow delivered" \
    "$(sql "SELECT string_agg(receiver || ' ' || status, '|' ORDER BY receiver, status) FROM delivery")"

mv() { echo "$m" | py "d['s'].get('$1')"; }
# The outbox and project gauges come from the status cache, at most about
# a second old: scrape until they have caught up with the writes above.
want_counts="$(sql "SELECT count(*) FROM delivery WHERE status = 'pending'").0 $(sql "SELECT count(*) FROM project WHERE light = 'red'").0"
caught_up() {
    m=$(scrape "$murl/metrics")
    [ "$(mv keyproj_outbox_pending) $(mv 'keyproj_projects{light=red}')" = "$want_counts" ]
}
wait_until 30 caught_up
expect_eq "Content-Type is the 0.0.4 text format" "text/plain; version=0.0.4; charset=utf-8" "$(echo "$m" | py "d['ctype']")"
expect_eq "build_info carries the version" 1.0 "$(mv "keyproj_build_info{version=$("$KEYPROJD" -v | cut -d' ' -f2)}")"
expect_eq "families have their Prometheus types" "counter counter histogram gauge gauge gauge" \
    "$(echo "$m" | py "' '.join(d['types'].get(f, '-') for f in ('keyproj_alerts_generated', 'keyproj_deliveries',
        'keyproj_delivery_duration_seconds', 'keyproj_outbox_pending', 'keyproj_projects', 'keyproj_leader'))")"
expect_eq "database up" 1.0 "$(mv keyproj_database_up)"
expect_eq "this instance is the leader" 1.0 "$(mv keyproj_leader)"

# alerts by kind: what this instance's scans inserted, all of the table's
# alerts but the test's own
want=$(sql "SELECT string_agg(kind || '=' || n, ' ' ORDER BY kind) FROM
            (SELECT kind, count(*) AS n FROM alert WHERE subject NOT LIKE 'test:%' GROUP BY kind) k")
got=$(echo "$m" | py "' '.join('%s=%d' % (k[len('keyproj_alerts_generated_total{kind='):-1], v)
      for k, v in sorted(d['s'].items()) if k.startswith('keyproj_alerts_generated_total{') and v > 0)")
[ -n "$want" ] || fail "the demo day raised no alerts"
expect_eq "alerts generated by kind equal the scans' rows in SQL" "$want" "$got"
expect_eq "every kind is shown, at 0 when none" 0.0 "$(mv 'keyproj_alerts_generated_total{kind=campaign.missed}')"

d_out() { mv "keyproj_deliveries_total{outcome=$2,receiver=$1}"; }
expect_eq "audit: 2 delivered" 2.0 "$(d_out audit delivered)"
expect_eq "slow: 1 delivered" 1.0 "$(d_out slow delivered)"
expect_eq "busy (429): 1 retry, 0 delivered" "1.0 0.0" "$(d_out busy retry) $(d_out busy delivered)"
expect_eq "gone (410): 1 dead" 1.0 "$(d_out gone dead)"
expect_eq "no delivery silenced" 0.0 "$(d_out audit silenced)"
expect_eq "the receiver counted what audit delivered" 2 \
    "$(python3 -c 'import json,sys,urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))))' \
       "$base/_received?path=/json")"
h() { mv "keyproj_delivery_duration_seconds_$2{${3:-}receiver=$1}"; }
expect_eq "latency observed once per answer (audit, busy, gone)" "2.0 1.0 1.0" \
    "$(h audit count) $(h busy count) $(h gone count)"
expect_eq "slow answered after 0.3 s: above the 0.25 bucket, within 2.5" "0.0 1.0 1.0" \
    "$(h slow bucket le=0.25,) $(h slow bucket le=2.5,) $(h slow bucket le=+Inf,)"
expect_eq "its sum is at least 0.3 s" True "$(echo "$m" | py "d['s']['keyproj_delivery_duration_seconds_sum{receiver=slow}'] >= 0.3")"

expect_eq "outbox pending equals SQL" "$(sql "SELECT count(*) FROM delivery WHERE status = 'pending'").0" "$(mv keyproj_outbox_pending)"
expect_eq "outbox dead equals SQL" "$(sql "SELECT count(*) FROM delivery WHERE status = 'dead'").0" "$(mv keyproj_outbox_dead)"
age=$(mv keyproj_outbox_oldest_pending_age_seconds)
created=$(sql "SELECT extract(epoch FROM min(created_at)) FROM delivery WHERE status = 'pending'")
expect_eq "oldest pending age is the busy delivery's, as of the scrape (±1 s)" "True" \
    "$(echo "$m" | py "abs(d['t'] - $created - $age) <= 1 or (d['t'] - $created, $age)")"
for light in red yellow green; do
    expect_eq "projects with a $light light equal SQL" "$(sql "SELECT count(*) FROM project WHERE light = '$light'").0" \
        "$(mv "keyproj_projects{light=$light}")"
done
expect_eq "no project left unjudged after the scans" 0.0 "$(mv 'keyproj_projects{light=unjudged}')"
expect_eq "last scan recorded, and successful" "True 1.0" \
    "$(echo "$m" | py "d['s'].get('keyproj_last_scan_timestamp_seconds', 0) > 1.7e9") $(mv keyproj_last_scan_success)"

# ---- /healthz and the bounds ---------------------------------------------
expect_eq "/healthz with the database up" "200|text/plain; charset=utf-8|ok" "$(http GET "$murl/healthz")"
expect_eq "unknown path: 404" 404 "$(http GET "$murl/nothing" | cut -d'|' -f1)"
expect_eq "POST /metrics: 405" 405 "$(http POST "$murl/metrics" | cut -d'|' -f1)"
expect_eq "DELETE /healthz: 405" 405 "$(http DELETE "$murl/healthz" | cut -d'|' -f1)"
expect_eq "HEAD /metrics: the headers, no body" "200|text/plain; version=0.0.4; charset=utf-8|" "$(http HEAD "$murl/metrics")"
expect_eq "405 says what is allowed" "405|text/plain; charset=utf-8|GET, HEAD" "$(http PUT "$murl/metrics" Allow)"
big=$(python3 - "$mport" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n")
print(s.recv(200).decode().split("\r\n")[0])
PY
)
expect_eq "an oversized request head: 431" "HTTP/1.1 431 Request Header Fields Too Large" "$big"
capped=$(python3 - "$mport" <<'PY'
import socket, sys
idle = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(16)]
extra = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(extra.recv(200).decode().split("\r\n")[0])
for s in idle + [extra]:
    s.close()
PY
)
expect_eq "the 17th open connection: 503" "HTTP/1.1 503 Service Unavailable" "$capped"
healthz_status() { http GET "$murl/healthz" | cut -d'|' -f1; }
wait_until 30 is_eq 200 healthz_status
expect_eq "served again once they closed" "200" "$(http GET "$murl/healthz" | cut -d'|' -f1)"

# A reload cannot move the listener: it says so, and the old address serves.
sed -i "s/listen = \"127.0.0.1:$mport\"/listen = \"127.0.0.1:1\"/" "$T_CONF"
kill -HUP "$T_PID"
wait_until 30 in_file "metrics.listen changed" "$T_LOG"
expect_contains "a changed metrics.listen needs a restart, and the log says so" \
    "metrics.listen changed: takes effect at the next restart" "$(cat "$T_LOG")"
expect_eq "the old address still serves" 200 "$(http GET "$murl/healthz" | cut -d'|' -f1)"
stop_daemon || fail "keyprojd did not stop cleanly"

# ---- the database down ----------------------------------------------------
dead_port=$(free_port)
T_CONNINFO="host=127.0.0.1 port=$dead_port user=${PGUSER:-postgres} dbname=$T_DB connect_timeout=2"
write_config "metrics = { listen = \"127.0.0.1:$mport\"; };"
start_daemon
wait_until 30 is_eq "down" status_field database
expect_eq "/healthz with the database down: 503 and why" "503|text/plain; charset=utf-8|database down" \
    "$(http GET "$murl/healthz")"
m=$(scrape "$murl/metrics")
expect_eq "/metrics still answers, database up = 0" 0.0 "$(mv keyproj_database_up)"
expect_eq "and leaves out the counts it cannot read" None "$(mv keyproj_outbox_pending)"
stop_daemon || fail "keyprojd did not stop cleanly"
