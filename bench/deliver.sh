#!/bin/bash
# Figures for delivery, each measured in this one run against the same
# receiver, bench/sink.c (a libevent receiver that answers 204 at once and
# counts: the bench's "nginx return 204", never the bottleneck):
#   - wrk POSTing a representative signed alert body (the ceiling);
#   - keyprojd delivering BENCH_N (10,000) pending deliveries inserted by
#     SQL, from the first request at the sink until every row is persisted
#     as delivered;
#   - Prometheus Alertmanager sending the same number of alerts (one group
#     each) to the sink, from the first to the last request it received;
# then the ratios, and keyprojd to the Python test receiver (signatures
# checked) for comparison with earlier figures. Concurrency BENCH_CONC (16)
# for wrk and keyprojd. The three are measured BENCH_TRIALS (3) times in
# turn, wrk, keyprojd, Alertmanager, each trial's figures on a line; the
# summary lines give each one's median, and the ratios the median of the
# trials' own ratios (a trial's three runs share the machine's mood of the
# moment: on a shared machine one run alone moved by a fifth). Run by
# bench/run inside pg_virtualenv (or alone: pg_virtualenv -t env
# BENCH_BUILD=… BENCH_TOP=… bash bench/deliver.sh).
set -euo pipefail
N=${BENCH_N:-10000}
CONC=${BENCH_CONC:-16}
TRIALS=${BENCH_TRIALS:-3}
work=$(mktemp -d)
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT

# wrk and Alertmanager, like scripts/deps: apt-get as root or through sudo.
missing=
command -v wrk >/dev/null || missing="$missing wrk"
command -v prometheus-alertmanager >/dev/null || missing="$missing prometheus-alertmanager"
if [ -n "$missing" ]; then
    SUDO=
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    echo "bench/deliver.sh: installing$missing" >&2
    $SUDO apt-get update -qq >&2 || true
    # shellcheck disable=SC2086
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
fi

# shellcheck disable=SC2046
cc -O2 -o "$work/sink" "$BENCH_TOP/bench/sink.c" $(pkg-config --cflags --libs libevent)
"$work/sink" > "$work/sink.out" &
pids="$pids $!"
for i in $(seq 1 100); do [ -s "$work/sink.out" ] && break; sleep 0.05; done
sink=http://127.0.0.1:$(head -n 1 "$work/sink.out")
stat() {    # stat KEY → a member of the sink's counts
    curl -s "$sink/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
peak_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
line() { printf '%-58s %s\n' "$1" "$2"; }

# ---- wrk: the same receiver, as fast as it goes ------------------------
python3 - "$work/post.lua" <<'PY'
import json, sys
body = json.dumps({"type": "milestone.overdue", "timestamp": "2026-11-25T01:00:00Z", "data": {
    "alert_id": 123456, "kind": "milestone.overdue", "stage": "s1", "light": "red", "tier": 0,
    "created_at": "2026-11-25T01:00:00Z", "message": "基准测试项目 123456「主体封顶」已逾期 3 天",
    "project": {"code": "B-123456", "name": "基准测试项目 123456", "county": "涧西区",
                "sector": "industry", "level": "city"}}}, ensure_ascii=False)
lua = 'wrk.method = "POST"\nwrk.body = [==[%s]==]\n' % body
for k, v in (("Content-Type", "application/json"), ("webhook-id", "msg_123456"),
             ("webhook-timestamp", "1795600000"),
             ("webhook-signature", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=")):
    lua += 'wrk.headers["%s"] = "%s"\n' % (k, v)
open(sys.argv[1], "w").write(lua)
PY
# run_wrk → requests/s
run_wrk() {
    wrk -t1 -c"$CONC" -d5s -s "$work/post.lua" "$sink/json" | awk '/^Requests\/sec/ { print $2 }'
}

# ---- keyprojd -----------------------------------------------------------
# deliver DB URL CONCURRENCY → "DONE_AT PEAK_KB": when all N rows were persisted
# as delivered (Unix time) and keyprojd's peak resident memory
deliver() {
    local db=$1 url=$2 conc=$3
    createdb "$db"
    cat > "$work/k.conf" <<CONF
database = { conninfo = "dbname=$db"; };
control = { socket = "$work/ctl.sock"; admins = [ "$(id -un)" ]; };
alerts = { quiet_hours = ""; hold_on_rest_days = false; };  # a benchmark sends on any day, at any hour
receivers = ( { name = "bench"; type = "json"; url = "$url"; secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
                rate_per_minute = 100000; max_concurrency = $conc; } );
log_level = "warn";
CONF
    "$BENCH_BUILD/keyprojd" -c "$work/k.conf" 2>"$work/d.log" &
    local pid=$!
    local ctl="$BENCH_BUILD/keyprojctl -s $work/ctl.sock"
    for i in $(seq 1 100); do $ctl --json status 2>/dev/null | grep -q '"database": "connected"' && break; sleep 0.1; done
    $ctl --json status 2>/dev/null | grep -q '"database": "connected"' ||
        { echo "keyprojd did not become ready: $(tail -n 3 "$work/d.log")" >&2; exit 1; }
    psql -qAt "$db" -c "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
        SELECT 'milestone.overdue', 'bench:' || i, 's1', 'red',
               jsonb_build_object('message', '基准测试项目 ' || i || '「主体封顶」已逾期 3 天', 'tier', 0,
                                  'project', jsonb_build_object('code', 'B-' || i, 'name', '基准测试项目 ' || i,
                                                                'county', '涧西区', 'sector', 'industry', 'level', 'city'))
          FROM generate_series(1, $N) AS i RETURNING id)
        INSERT INTO delivery (alert_id, receiver) SELECT id, 'bench' FROM a" >/dev/null
    # Done when no row is pending any more (the partial index makes this a
    # cheap check): the moment of the last verdict's commit, within 5 ms.
    # Each round commits: a DO block that did not held its first snapshot
    # all along, so no version the delivery left dead could be pruned, or
    # its index entry skipped, while the bench was measuring (the poll
    # alone cost PostgreSQL 0.14 ms a round instead of 0.04).
    local done_at
    done_at=$(psql -qAt "$db" -c "DO \$\$ DECLARE deadline timestamptz := clock_timestamp() + interval '100 s';
        BEGIN
          WHILE EXISTS (SELECT 1 FROM delivery WHERE status = 'pending') AND clock_timestamp() < deadline LOOP
            COMMIT;
            PERFORM pg_sleep(0.005);
          END LOOP;
          RAISE NOTICE 'done_at=%', extract(epoch FROM clock_timestamp());
        END \$\$" 2>&1 | sed -n 's/.*done_at=//p')
    local n
    n=$(psql -qAt "$db" -c "SELECT count(*) FROM delivery WHERE status = 'delivered'")
    local peak
    peak=$(peak_kb "$pid")
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    [ "$n" = "$N" ] || { echo "keyprojd delivered $n of $N: $(tail -n 3 "$work/d.log")" >&2; exit 1; }
    echo "$done_at $peak"
}

# run_keyprojd TRIAL → "RATE DETAILS…" (deliveries/s, then the words of its line)
run_keyprojd() {
    curl -s -X POST "$sink/_reset" >/dev/null
    local done_at kp_peak
    read -r done_at kp_peak < <(deliver "kp_bench_deliver_sink_$1" "$sink/json" "$CONC") || true
    [ -n "${kp_peak:-}" ] || { echo "bench/deliver.sh: the keyprojd run failed" >&2; exit 1; }
    local first secs
    first=$(stat first)
    secs=$(echo "$done_at - $first" | bc -l)
    printf '%.1f (%d persisted in %.2f s, %s TCP connections, peak RSS %d MB)\n' "$(echo "$N / $secs" | bc -l)" \
        "$N" "$secs" "$(stat connections)" $((kp_peak / 1024))
}

# ---- Prometheus Alertmanager --------------------------------------------
# run_alertmanager TRIAL → "RATE DETAILS…", a fresh Alertmanager each time
run_alertmanager() {
    curl -s -X POST "$sink/_reset" >/dev/null
    local am_port am="$work/am$1"
    am_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$am"
    cat > "$am/am.yml" <<YML
route: { receiver: sink, group_by: ['...'], group_wait: 0s, group_interval: 1s, repeat_interval: 24h }
receivers:
  - name: sink
    webhook_configs: [ { url: "$sink/alertmanager", send_resolved: false } ]
YML
    prometheus-alertmanager --config.file="$am/am.yml" --storage.path="$am/data" \
        --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= --log.level=warn 2>"$am/log" &
    local am_pid=$!
    pids="$pids $am_pid"
    for i in $(seq 1 100); do curl -sf "http://127.0.0.1:$am_port/-/ready" >/dev/null && break; sleep 0.1; done
    # Posted in parallel so that the API is not what limits it.
    find "$work" -maxdepth 1 -name 'batch*.json' -print0 | xargs -0 -P 4 -I{} curl -sf -X POST -H 'Content-Type: application/json' \
        --data-binary @{} "http://127.0.0.1:$am_port/api/v2/alerts"
    for i in $(seq 1 600); do [ "$(stat requests)" -ge "$N" ] && break; sleep 0.1; done
    local n secs peak
    n=$(stat requests)
    secs=$(echo "$(stat last) - $(stat first)" | bc -l)
    peak=$(peak_kb "$am_pid")
    kill "$am_pid"
    wait "$am_pid" 2>/dev/null || true
    printf '%.1f (%d in %.2f s, %s TCP connections, peak RSS %d MB)\n' "$(echo "$n / $secs" | bc -l)" "$n" "$secs" \
        "$(stat connections)" $((peak / 1024))
}

python3 - "$work" "$N" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
for b in range(0, n, 1000):
    alerts = [{"labels": {"alertname": "MilestoneOverdue", "alert_id": str(i), "county": "涧西区"},
               "annotations": {"message": "基准测试项目 %d「主体封顶」已逾期 3 天" % i}}
              for i in range(b, min(n, b + 1000))]
    open("%s/batch%05d.json" % (d, b), "w").write(json.dumps(alerts, ensure_ascii=False))
PY

# ---- the trials, then the medians ---------------------------------------
load_start=$(cut -d ' ' -f 1 /proc/loadavg)
# mid VALUES… → the index of the middle value (of the lower two when even)
mid() { local i=0; for v; do echo "$v $i"; i=$((i + 1)); done | sort -g | awk '{ i[NR] = $2 } END { print i[int((NR + 1) / 2)] }'; }
wrks=() kps=() ams=() r_wrk=() r_am=()
kp_line=() am_line=()
for t in $(seq 1 "$TRIALS"); do
    w=$(run_wrk)
    k=$(run_keyprojd "$t")
    a=$(run_alertmanager "$t")
    wrks+=("$w")
    kps+=("${k%% *}")
    ams+=("${a%% *}")
    kp_line+=("${k#* }")
    am_line+=("${a#* }")
    r_wrk+=("$(echo "${k%% *} / $w" | bc -l)")
    r_am+=("$(echo "${k%% *} / ${a%% *}" | bc -l)")
    line "trial $t: wrk, keyprojd, Alertmanager" \
        "$(printf '%.0f/s, %.0f/s, %.0f/s: %.3f of wrk, %.2f of Alertmanager' "$w" "${k%% *}" "${a%% *}" \
            "${r_wrk[-1]}" "${r_am[-1]}")"
done
w=$(mid "${wrks[@]}") k=$(mid "${kps[@]}") a=$(mid "${ams[@]}")
line "wrk POST to the sink, $CONC connections (median)" "$(printf '%.0f/s' "${wrks[w]}")"
line "keyprojd deliveries to the sink, concurrency $CONC (median)" "$(printf '%.0f/s ' "${kps[k]}")${kp_line[k]}"
line "Alertmanager notifications to the sink (median)" "$(printf '%.0f/s ' "${ams[a]}")${am_line[a]}"

line "keyprojd / wrk (median of the trials)" "$(printf '%.3f (target >= 0.25)' "${r_wrk[$(mid "${r_wrk[@]}")]}")"
line "keyprojd / Alertmanager (median of the trials)" "$(printf '%.2f (target >= 2)' "${r_am[$(mid "${r_am[@]}")]}")"
line "load average (1 min) before the trials, after them" "$load_start, $(cut -d ' ' -f 1 /proc/loadavg)"

# ---- the Python test receiver, signatures checked -----------------------
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
python3 "$BENCH_TOP/tests/receivers/receiver.py" --json-secret "$secret" > "$work/r.out" 2>/dev/null &
pids="$pids $!"
for i in $(seq 1 100); do [ -s "$work/r.out" ] && break; sleep 0.05; done
N_ALL=$N
N=${BENCH_N_PY:-2000}
done_at=
read -r done_at _ < <(deliver kp_bench_deliver_py "http://127.0.0.1:$(head -n 1 "$work/r.out")/json" "$CONC") || true
[ -n "$done_at" ] || { echo "bench/deliver.sh: the keyprojd run failed" >&2; exit 1; }
first=$(curl -s "http://127.0.0.1:$(head -n 1 "$work/r.out")/_received" |
    python3 -c 'import json,sys; print(min(e["time"] for e in json.load(sys.stdin)))')
line "keyprojd deliveries to receiver.py, concurrency $CONC" \
    "$(printf '%.0f/s (%d persisted in %.2f s)' "$(echo "$N / ($done_at - $first)" | bc -l)" "$N" \
        "$(echo "$done_at - $first" | bc -l)")"
N=$N_ALL
