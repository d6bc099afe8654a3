#!/bin/bash
# Figures for delivery: alerts delivered per second to a local keep-alive
# json receiver (tests/receivers/receiver.py: signature checked on every
# request), from BENCH_N (4000) pending deliveries inserted by SQL; measured
# from the first to the last delivered_at. Run by bench/run inside
# pg_virtualenv (or alone: pg_virtualenv -t env BENCH_BUILD=… BENCH_TOP=… bash bench/deliver.sh).
set -euo pipefail
N=${BENCH_N:-4000}
work=$(mktemp -d)
pid=
rpid=
trap 'kill $pid $rpid 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
python3 "$BENCH_TOP/tests/receivers/receiver.py" --json-secret "$secret" > "$work/r.out" 2>/dev/null &
rpid=$!
for i in $(seq 1 100); do [ -s "$work/r.out" ] && break; sleep 0.05; done
port=$(head -n 1 "$work/r.out")

run() {     # run CONCURRENCY → one line of figures
    local conc=$1 db=kp_bench_deliver_$1
    createdb "$db"
    cat > "$work/k.conf" <<CONF
database = { conninfo = "dbname=$db"; };
control = { socket = "$work/ctl.sock"; admins = [ "$(id -un)" ]; };
alerts = { quiet_hours = ""; };
receivers = ( { name = "bench"; type = "json"; url = "http://127.0.0.1:$port/json"; secret = "$secret";
                rate_per_minute = 100000; max_concurrency = $conc; } );
log_level = "warn";
CONF
    "$BENCH_BUILD/keyprojd" -c "$work/k.conf" 2>"$work/d.log" &
    pid=$!
    local ctl="$BENCH_BUILD/keyprojctl -s $work/ctl.sock"
    for i in $(seq 1 100); do $ctl --json status 2>/dev/null | grep -q '"database": "connected"' && break; sleep 0.1; done
    curl -s -X POST "http://127.0.0.1:$port/_reset" >/dev/null
    psql -qAt "$db" -c "WITH a AS (INSERT INTO alert (kind, subject, stage, light, payload)
        SELECT 'milestone.overdue', 'bench:' || i, 's1', 'red',
               jsonb_build_object('message', '基准测试项目 ' || i || '「主体封顶」已逾期 3 天', 'tier', 0,
                                  'project', jsonb_build_object('code', 'B-' || i, 'name', '基准测试项目 ' || i,
                                                                'county', '涧西区', 'sector', 'industry', 'level', 'city'))
          FROM generate_series(1, $N) AS i RETURNING id)
        INSERT INTO delivery (alert_id, receiver) SELECT id, 'bench' FROM a" >/dev/null
    for i in $(seq 1 1200); do
        [ "$(psql -qAt "$db" -c "SELECT count(*) FROM delivery WHERE status = 'delivered'")" = "$N" ] && break
        sleep 0.1
    done
    psql -qAt "$db" -c "SELECT count(*), extract(epoch FROM max(delivered_at) - min(delivered_at))
                          FROM delivery WHERE status = 'delivered'" | {
        IFS='|' read -r n secs
        conns=$(curl -s "http://127.0.0.1:$port/_stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])')
        printf '%-44s %.0f/s (%s in %.2f s, %s TCP connections)\n' \
            "deliveries/s, json receiver, concurrency $conc" "$(echo "$n / $secs" | bc -l)" "$n" "$secs" "$conns"
    }
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
}
run 4       # the default for json receivers
run 16
