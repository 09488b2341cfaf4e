#!/bin/bash
# The bridge serves signed status lists from its document cache, and a
# committed revocation drops the cached list (NOTIFY microcred_status, heard
# by the bridge's status watcher): with a 60 s cache, the list served right
# after a revocation already has the bit set.  While the watcher's
# connection is down, lists come from the database; a change made then is
# not missed.  Every wait is bounded (no timing is measured); the trap stops
# the daemon and drops the database.
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}	# BRIDGE_BIN: e.g. a sanitizer build
db=mc_status_cache
role=mc_status_cache_bridge
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcstatuscache.XXXXXX")
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    wait 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" 2>/dev/null
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
n=0
fails=0
ok() {  # ok GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"
    else echo "not ok $n - $3 (got '$1', want '$2')"; fails=$((fails + 1)); fi
}
# q [-v name=value]... -c SQL: the SQL goes on stdin, where psql interpolates :'name'
q() {
    local args=() sql=
    while [ $# -gt 0 ]; do
        if [ "$1" = -c ]; then sql=$2; shift 2; else args+=("$1"); shift; fi
    done
    printf '%s\n' "$sql" | psql -X -At -v ON_ERROR_STOP=1 -d $db "${args[@]}"
}

if [ ! -x "$BIN" ] || [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs lti_bridge/microcred-bridge and a cluster (PGHOST)"
    exit 0
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
q -c "GRANT microcred_bridge TO $role" >/dev/null

# the bridge connects as a role that holds only microcred_bridge
for ((try = 0; try < 10; try++)); do
    PORT=$((20000 + RANDOM % 40000))
    cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 2
public_base_url = https://tool.example
public_cache_s = 60
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

get() {  # get PATH [curl args]: body in $TMP/body, headers in $TMP/head, prints the status
    local p=$1; shift
    rm -f "$TMP/body"; : >"$TMP/body"
    curl -s --max-time 10 -D "$TMP/head" -o "$TMP/body" -w '%{http_code}' "$@" "$URL$p"
}
header() { grep -i "^$1:" "$TMP/head" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
# the watcher listening (bounded wait)
listening() {
    for ((i = 0; i < 100; i++)); do
        [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'microcred-bridge-status' AND query = 'LISTEN microcred_status'")" = 1 ] && { echo yes; return; }
        sleep 0.1
    done
    echo no
}
# GET the list until bit of credential $1 reads $2 (at most 50 tries): prints the value last seen
bit_after() {
    local v=
    for ((i = 0; i < 50; i++)); do
        get "$LIST_PATH" >/dev/null
        v=$(q -v l="$(cat "$TMP/body")" -v c="$(q -c "SELECT document FROM microcred.issued_credential WHERE id = '$1'")" \
              -c "SELECT is_set FROM microcred._status_check(:'c'::jsonb->'credentialStatus', :'l'::jsonb) WHERE (microcred.verify(:'l'::jsonb)).valid")
        [ "$v" = "$2" ] && break
        sleep 0.1
    done
    echo "$v"
}
cached() { grep -c 'route=status_list status=200 .*reason=cached' "$TMP/bridge.log"; }

q -c "SELECT microcred.generate_key('demo-uas')" >/dev/null
C1=$(q -c "SELECT microcred.issue('demo-uas/GDPR-NURSE', (SELECT id FROM microcred.learner LIMIT 1))")
L2=$(q -c "SELECT microcred.add_learner(issuer => 'demo-uas', email => 'second@status-cache.example')")
C2=$(q -c "SELECT microcred.issue('demo-uas/GDPR-NURSE', '$L2')")
LIST_URL=$(q -c "SELECT document->'credentialStatus'->>'statusListCredential' FROM microcred.issued_credential WHERE id = '$C1'")
LIST_PATH=${LIST_URL#http://127.0.0.1:8080}
ok "$(q -c "SELECT document->'credentialStatus'->>'statusListCredential' FROM microcred.issued_credential WHERE id = '$C2'")" "$LIST_URL" \
   "both credentials are on one status list"
ok "$(listening)" yes "the bridge's status watcher LISTENs on microcred_status"
ok "$(get "$LIST_PATH")" 200 "GET /status/{list} answers 200"
cp "$TMP/body" "$TMP/list1.json"
ok "$(header Cache-Control)" "public, max-age=60" "the HTTP caching hint is unchanged"
before=$(cached)
get "$LIST_PATH" >/dev/null
ok "$(( $(cached) - before ))" 1 "the second GET is served from the bridge's cache"
ok "$(cmp -s "$TMP/body" "$TMP/list1.json" && echo same || echo differs)" same "the cached list is the signed list"
ok "$(bit_after "$C1" f)" f "before revocation the bit is clear"

q -c "SELECT microcred.revoke('$C1', 'test: status cache')" >/dev/null
ok "$(bit_after "$C1" t)" t "after the revocation commits, the served list has the bit set (the 60 s cached copy was dropped)"
before=$(cached)
get "$LIST_PATH" >/dev/null
get "$LIST_PATH" >/dev/null
ok "$(( $(cached) - before > 0 ))" 1 "the new list is cached again"
ok "$(bit_after "$C1" t)" t "and the cached copy has the bit set"

# the watcher's connection lost: nothing cached is trusted; a change made meanwhile is seen
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'microcred-bridge-status'" >/dev/null
for ((i = 0; i < 50; i++)); do grep -q 'status list watcher lost its connection' "$TMP/bridge.log" && break; sleep 0.1; done
ok "$(grep -c 'status list watcher lost its connection' "$TMP/bridge.log")" 1 "the bridge notices the watcher's connection is gone"
q -c "SELECT microcred.revoke('$C2', 'test: status cache, watcher down')" >/dev/null
ok "$(bit_after "$C2" t)" t "a revocation while the watcher is down is not missed (no cached list is trusted meanwhile)"
ok "$(listening)" yes "the watcher reconnects and LISTENs again"
ok "$(bit_after "$C1" t)$(bit_after "$C2" t)" tt "after reconnecting, the served list still shows both revocations"
echo "1..$n"
[ "$fails" = 0 ]
