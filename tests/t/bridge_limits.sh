#!/bin/bash
# The bridge cannot be starved (issue 14), on loopback addresses only
# (127.0.0.1 plays the attacker, 127.0.0.2..127.0.0.9 other clients):
#   - a slowloris client (many half-open connections from one address,
#     trickling header bytes) holds at most max_connections_per_ip of them,
#     and another client is served meanwhile;
#   - a request head that trickles in is cut at header_timeout_s, a body at
#     body_timeout_s, although neither connection is ever idle;
#   - max_connections bounds the connections of many addresses together;
#   - a login flood gets 429 with Retry-After beyond login_rate_per_ip, and
#     stores a bounded number of login states; expired states are purged by
#     the next login; event routes are rate-limited the same way;
#   - /metrics counts every refusal by kind.
# Every client loop is bounded in count and time; the trap stops the daemon
# and every client and drops the database.
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
db=mc_limits
role=mc_limits_bridge
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mclimits.XXXXXX")
DPID=
CPIDS=()
cleanup() {
    local p
    exec 2>/dev/null
    for p in "${CPIDS[@]}"; do kill -KILL "$p"; done
    [ -n "$DPID" ] && kill -KILL "$DPID"
    wait
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
n=0
fails=0
ok() {  # ok GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"
    else echo "not ok $n - $3 (got '$1', want '$2')"; fails=$((fails + 1)); fi
}
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }

if [ ! -x "$BIN" ] || [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs lti_bridge/microcred-bridge and a cluster (PGHOST)"
    exit 0
fi
if ! curl -s -o /dev/null --max-time 2 --interface 127.0.0.2 http://127.0.0.2:1/ 2>/dev/null && [ $? -eq 45 ]; then
    echo "1..0 # SKIP the loopback address 127.0.0.2 cannot be used here"
    exit 0
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
q "GRANT microcred_bridge TO $role" >/dev/null
q "SELECT microcred.lti_register_platform('demo-uas', 'Mock LMS', 'https://lms.example', 'client-1',
      'https://lms.example/auth', 'https://lms.example/jwks', deployment_ids => '{d1}')" >/dev/null

for ((try = 0; try < 10; try++)); do
    PORT=$((20000 + RANDOM % 40000))
    cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 2
public_base_url = https://tool.example
request_timeout_s = 60
max_connections = 40
max_connections_per_ip = 8
header_timeout_s = 2
body_timeout_s = 2
login_rate_per_ip = 5
login_rate_total = 1000
event_rate_per_ip = 5
event_rate_total = 1000
EOC
    "$BIN" -c "$TMP/bridge.conf" 2>>"$TMP/bridge.log" &
    DPID=$!
    for ((i = 0; i < 50; i++)); do
        kill -0 "$DPID" 2>/dev/null || break
        curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/metrics" && break 2
        sleep 0.1
    done
    kill -KILL "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
done
[ -n "$DPID" ] || { echo "Bail out! the bridge did not start"; cat "$TMP/bridge.log"; exit 1; }
URL=http://127.0.0.1:$PORT
# the bridge listens on 127.0.0.1; clients pick their source address with --interface
code() {  # code SOURCE-ADDRESS PATH [curl args]
    local src=$1 p=$2; shift 2
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 --interface "$src" "$@" "$URL$p"
}
metric() { curl -s --max-time 5 --interface 127.0.0.9 "$URL/metrics" | sed -n "s/^microcred_bridge_refused_total{kind=\"$1\"} //p"; }

# slowloris.py ADDRESS COUNT SECONDS MODE: COUNT connections from ADDRESS that send a request
# head (MODE head) or a body (MODE body) one byte every 0.3 s, for at most SECONDS; prints
# "opened N" (connections accepted and not at once closed) and "cut N" (closed by the bridge
# before SECONDS were over)
cat >"$TMP/slowloris.py" <<'EOF'
import socket, sys, time
src, count, secs, mode, port = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
conns = []
for _ in range(count):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        conns.append(s)
    except OSError:
        s.close()
head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " if mode == "head" else \
       b"POST /moodle/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
alive = {}
for s in conns:
    try:
        s.send(head)
        alive[s] = True
    except OSError:
        alive[s] = False
time.sleep(0.5)
def closed(s):
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
opened = [s for s in conns if alive[s] and not closed(s)]
print("opened", len(opened), flush=True)
end = time.time() + secs
cut = 0
while time.time() < end and opened:
    time.sleep(0.3)
    for s in list(opened):
        try:
            s.send(b"a")
        except OSError:
            opened.remove(s); cut += 1; continue
        if closed(s):
            opened.remove(s); cut += 1
print("cut", cut, flush=True)
EOF

# --- slowloris: 100 trickling heads from one address ----------------------------
python3 "$TMP/slowloris.py" 127.0.0.1 100 6 head "$PORT" >"$TMP/slow1.out" 2>&1 &
CPIDS+=($!)
for ((i = 0; i < 50; i++)); do grep -q '^opened' "$TMP/slow1.out" && break; sleep 0.1; done
ok "$(code 127.0.0.2 /healthz)" 200 "while one address holds 100 trickling connections, another client is served"
ok "$(code 127.0.0.1 /healthz)" 000 "the trickling address itself gets no further connection"
wait "${CPIDS[-1]}"
ok "$(sed -n 's/^opened //p' "$TMP/slow1.out")" 8 "of 100 connections from one address, max_connections_per_ip = 8 stay open"
ok "$(sed -n 's/^cut //p' "$TMP/slow1.out")" 8 "each trickling request head is cut at header_timeout_s, though never idle"
ok "$(awk -v m="$(metric connection_limit_per_ip)" 'BEGIN { print (m >= 92) }')" 1 "/metrics counts the connections refused per address"
ok "$(awk -v m="$(metric header_timeout)" 'BEGIN { print (m >= 8) }')" 1 "/metrics counts the heads cut by the deadline"
ok "$(code 127.0.0.1 /healthz)" 200 "once the deadline cut them, the address is served again"

# --- a trickling body -----------------------------------------------------------------
python3 "$TMP/slowloris.py" 127.0.0.3 2 6 body "$PORT" >"$TMP/slow2.out" 2>&1
ok "$(sed -n 's/^opened //p' "$TMP/slow2.out")|$(sed -n 's/^cut //p' "$TMP/slow2.out")" "2|2" \
   "a body trickling in is cut at body_timeout_s"
ok "$(awk -v m="$(metric body_timeout)" 'BEGIN { print (m >= 2) }')" 1 "/metrics counts the bodies cut by the deadline"

# --- max_connections over many addresses ----------------------------------------
before=$(metric connection_limit)
for a in 3 4 5 6 7 8; do
    python3 "$TMP/slowloris.py" 127.0.0.$a 8 1.5 head "$PORT" >"$TMP/many$a.out" 2>&1 &
    CPIDS+=($!)
done
for p in "${CPIDS[@]}"; do wait "$p" 2>/dev/null; done
total=0
for a in 3 4 5 6 7 8; do total=$((total + $(sed -n 's/^opened //p' "$TMP/many$a.out"))); done
ok "$total" 40 "48 connections from 6 addresses: max_connections = 40 are open"
ok "$(awk -v b="$before" -v m="$(metric connection_limit)" 'BEGIN { print (m - b >= 8) }')" 1 "/metrics counts the connections refused in total"
sleep 2.5

# --- the login flood --------------------------------------------------------------------
LOGIN='/lti/login?iss=https%3A%2F%2Flms.example&login_hint=u&target_link_uri=https%3A%2F%2Ftool.example%2Flti%2Flaunch'
rows0=$(q "SELECT count(*) FROM microcred.lti_login_state")
start=$(date +%s.%N)
# one curl process sends the 100 requests back to back (starting 100 processes
# is slow enough on a loaded machine to stay under the rate limit)
urls=(); for ((i = 0; i < 100; i++)); do urls+=("$URL$LOGIN" -o /dev/null -D "$TMP/flood.head.$i"); done
curl -s -w '%{http_code}\n' --max-time 60 --interface 127.0.0.1 "${urls[@]}" >"$TMP/flood.codes"
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
rows=$(( $(q "SELECT count(*) FROM microcred.lti_login_state") - rows0 ))
n302=$(grep -c '^302$' "$TMP/flood.codes")
n429=$(grep -c '^429$' "$TMP/flood.codes")
# a burst of 2 x 5, then 5 per second (one more for rounding)
bound=$(echo "$secs" | awk '{ printf "%d", 10 + 5 * $1 + 1 }')
ok "$((n302 + n429))" 100 "100 logins from one address: every answer is 302 or 429"
ok "$(awk -v a="$n302" -v b="$bound" 'BEGIN { print (a >= 10 && a <= b) }')" 1 \
   "the burst of 10 and 5 per second get through ($n302 in ${secs}s, at most $bound)"
ok "$rows" "$n302" "only the logins let through stored a state ($rows rows)"
ok "$(cat "$TMP"/flood.head.* | grep -ci '^Retry-After: [1-9]')|$n429" "$(cat "$TMP"/flood.head.* | grep -c '^HTTP/1.1 429')|$((n429 > 0 ? n429 : -1))" \
   "every refused login says when to retry (Retry-After), and some were refused"
ok "$(code 127.0.0.2 "$LOGIN")" 302 "another address still logs in"
ok "$(metric rate_limit_login)" "$n429" "/metrics counts the refused logins"

# --- expired login states go at the next login ------------------------------------------
q "UPDATE microcred.lti_login_state SET expires_at = now() - interval '2 minutes'" >/dev/null
q "INSERT INTO microcred.lti_login_state (state, nonce, platform_id, target_link_uri, expires_at)
   SELECT 'fresh-expired', 'fresh-expired', id, 'x', now() - interval '10 seconds' FROM microcred.lti_platform" >/dev/null
sleep 1
ok "$(code 127.0.0.4 "$LOGIN")" 302 "one more login"
ok "$(q "SELECT count(*) FILTER (WHERE expires_at < now() - interval '1 minute') || '|' || count(*) FILTER (WHERE state = 'fresh-expired') || '|' || count(*) FROM microcred.lti_login_state")" \
   "0|1|2" "it purged every state expired over a minute ago, kept the one that just expired, and stored its own"

# --- event routes ---------------------------------------------------------------------------
urls=(); for ((i = 0; i < 40; i++)); do urls+=("$URL/moodle/events" -o /dev/null); done
curl -s -w '%{http_code}\n' --max-time 60 --interface 127.0.0.5 -X POST -d '{}' "${urls[@]}" >"$TMP/events.codes"
ok "$(grep -c '^401$' "$TMP/events.codes" | awk '{ print ($1 >= 10 && $1 < 40) }')|$(grep -c '^429$' "$TMP/events.codes" | awk '{ print ($1 > 0) }')" "1|1" \
   "an event flood from one address: the burst is answered, the rest gets 429"
ok "$(awk -v m="$(metric rate_limit_events)" 'BEGIN { print (m > 0) }')" 1 "/metrics counts the refused events"
ok "$(code 127.0.0.6 /moodle/events -X POST -d '{}')" 401 "another address's event is still answered"

ok "$(kill -0 "$DPID" 2>/dev/null && echo running)" running "the bridge is still running"
echo "1..$n"
[ "$fails" -eq 0 ]
