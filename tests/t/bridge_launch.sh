#!/bin/bash
# Whole LTI 1.3 launches through the bridge against the test cluster, on
# 127.0.0.1 only: lti_bridge/launch_driver (tests/bridge/launch_driver.c)
# plays the platform with an in-process mock LMS (tests/bridge/
# mock_platform.c: OIDC auth endpoint, JWKS with rotation, token endpoint,
# Dynamic Registration, deep linking return) and checks every refusal code
# and view of the launch, deep linking and registration routes; its TAP
# output is this test's output.
#
# This script makes a throwaway database from tests/demo.sql and a login
# role holding only microcred_bridge, starts the bridge on a free loopback
# port (public_base_url https://tool.example, jwks_min_refresh_s 1 so that
# the rotation case need not wait 30 s, bodies up to 256kB for the
# oversized token case) and a second bridge whose database does not exist
# (db_unavailable).  Every wait is bounded; the trap stops both daemons and
# drops the database.
#   BRIDGE_BIN / LAUNCH_DRIVER: other builds (e.g. sanitizers)
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
DRIVER=${LAUNCH_DRIVER:-lti_bridge/launch_driver}
db=mc_launch
role=mc_launch_bridge
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mclaunch.XXXXXX")
PIDS=()
alive() {  # is any daemon we started still running
    local p
    for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && return 0; done
    return 1
}
cleanup() {
    local p i
    exec 2>/dev/null    # no job notices from the shell
    for p in "${PIDS[@]}"; do kill -TERM "$p"; done
    for ((i = 0; i < 50; i++)); do alive || break; sleep 0.1; done
    for p in "${PIDS[@]}"; do kill -KILL "$p"; done
    wait
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$BIN" ] || [ ! -x "$DRIVER" ] || [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs $BIN, $DRIVER (make -C lti_bridge tests) and a cluster (PGHOST)"
    exit 0
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d $db -c "GRANT microcred_bridge TO $role" >/dev/null \
    || { echo "Bail out! GRANT microcred_bridge"; exit 1; }

# start_bridge NAME DBNAME: a bridge on a free port, its URL in $URL (empty on failure)
start_bridge() {
    local name=$1 dbname=$2 try i pid port
    URL=
    for ((try = 0; try < 10; try++)); do
        port=$((20000 + RANDOM % 40000))
        cat >"$TMP/$name.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $port
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$dbname connect_timeout=2"
db_timeout_ms = 2000
threads = 4
public_base_url = https://tool.example
login_rate_per_ip = 0
login_rate_total = 0
jwks_min_refresh_s = 1
jwks_timeout_ms = 2000
max_body_bytes = 256kB
EOC
        "$BIN" -c "$TMP/$name.conf" 2>>"$TMP/$name.log" &
        pid=$!
        for ((i = 0; i < 50; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/metrics"; then
                PIDS+=("$pid")
                URL=http://127.0.0.1:$port
                return 0
            fi
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    done
    return 1
}

start_bridge bridge $db || { echo "Bail out! the bridge did not start"; cat "$TMP/bridge.log"; exit 1; }
BRIDGE_URL=$URL
# a bridge whose database is not there: launches answer 503 db_unavailable
start_bridge dead ${db}_absent || URL=
DEAD_URL=$URL

"$DRIVER" $db "$BRIDGE_URL" "$DEAD_URL" 2>"$TMP/driver.err"
rc=$?
if [ "$rc" -ne 0 ]; then
    sed 's/^/# driver: /' "$TMP/driver.err" | tail -20
    sed 's/^/# bridge: /' "$TMP/bridge.log" | tail -30
fi
exit $rc
