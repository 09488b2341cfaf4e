#!/bin/bash
#-------------------------------------------------------------------------
#
# test_daemon.sh
#	  TAP tests of the microcred-bridge daemon, on 127.0.0.1 only.
#
# Builds the daemon, runs it on a free loopback port with a temporary
# configuration and checks: --check-config on good and bad files,
# /healthz (200 against the cluster named by PGHOST/PGPORT/PGUSER, or 503
# when PGHOST is unset), /metrics, 404/405, 413, 431, request logging,
# SIGHUP reloads (good, bad, restart-only key), graceful SIGTERM with a
# slow request in flight, a second SIGTERM, the drain timeout, a second
# daemon refused on a busy port, and that no process is left.
# Every wait is bounded; a trap kills whatever this script started.
#
#-------------------------------------------------------------------------
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN="${BRIDGE_BIN:-$ROOT/lti_bridge/microcred-bridge}"	# BRIDGE_BIN: e.g. a sanitizer build
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcbridge.XXXXXX")
PIDS=()
N=0
FAILED=0

cleanup() {
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() {	# ok CONDITION-STATUS NAME
	N=$((N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILED=$((FAILED + 1))
	fi
}

diag() { echo "# $*"; }

# run a command and pass its status to ok
check() {	# check NAME COMMAND...
	local name=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$name"
}

# wait (at most $2 tenths of a second) until process $1 is gone
wait_gone() {
	local i
	for ((i = 0; i < $2; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# wait until the log holds a pattern (at most $2 tenths)
wait_log() {	# wait_log PATTERN TENTHS LOGFILE
	local i
	for ((i = 0; i < $2; i++)); do
		grep -q -- "$1" "$3" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# HTTP status of a request
status() {	# status URL [curl args...]
	local u=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@" "$u"
}

# --- build ---------------------------------------------------------------
make -s -C "$ROOT/lti_bridge" >"$TMP/build.log" 2>&1
ok $? "make -C lti_bridge builds microcred-bridge"
if [ ! -x "$BIN" ]; then
	sed 's/^/# /' "$TMP/build.log"
	echo "Bail out! no binary"
	exit 1
fi

check "--version prints the version" sh -c "'$BIN' --version | grep -q '^microcred-bridge '"
"$BIN" --help >"$TMP/help" 2>&1
rc=$?
missing=""
for k in listen_address listen_port public_base_url db_conninfo threads max_body_bytes \
	max_header_bytes request_timeout_s drain_timeout_s log_level db_timeout_ms jwt_leeway_s \
	jwks_ttl_s jwks_min_refresh_s jwks_timeout_ms jwks_max_bytes max_connections max_connections_per_ip \
	header_timeout_s body_timeout_s login_rate_per_ip login_rate_total event_rate_per_ip event_rate_total wallet_rate_per_ip wallet_rate_total \
	registration_timeout_ms registration_max_bytes -c --check-config --version SIGHUP SIGTERM; do
	grep -q -- "$k" "$TMP/help" || missing="$missing $k"
done
[ $rc -eq 0 ] && [ -z "$missing" ]
ok $? "--help documents every option, key and signal${missing:+ (missing:$missing)}"
check "an unknown option exits 2" sh -c "'$BIN' --bogus; [ \$? -eq 2 ]"

# --- configuration files -------------------------------------------------
if [ -n "${PGHOST:-}" ]; then
	CONNINFO="host=$PGHOST port=${PGPORT:-5432} user=${PGUSER:-$(id -un)} dbname=${PGDATABASE:-postgres}"
	EXPECT_HEALTH=200
else
	CONNINFO="host=127.0.0.1 port=1 connect_timeout=2"
	EXPECT_HEALTH=503
	diag "PGHOST is unset: /healthz must report 503"
fi

write_conf() {	# write_conf FILE PORT LEVEL
	cat >"$1" <<EOC
# microcred-bridge test configuration
listen_address = 127.0.0.1
listen_port = $2
db_conninfo = "$CONNINFO"
threads = 2
max_body_bytes = 4kB
max_header_bytes = 4kB
request_timeout_s = 10
drain_timeout_s = 15
log_level = $3      # reloadable
EOC
}

write_conf "$TMP/good.conf" 8080 info
"$BIN" -c "$TMP/good.conf" --check-config >"$TMP/out" 2>&1
ok $? "--check-config accepts a good file"
check "--check-config prints the effective values" grep -q '^max_body_bytes = 4096$' "$TMP/out"

"$BIN" -c "$ROOT/lti_bridge/microcred-bridge.conf.example" --check-config >"$TMP/out" 2>&1
ok $? "the example configuration is valid"
"$BIN" --check-config >"$TMP/out" 2>&1
[ $? -eq 0 ] && grep -q '^listen_address = 127.0.0.1$' "$TMP/out" && grep -q '^listen_port = 8080$' "$TMP/out" &&
	grep -q '^threads = 4$' "$TMP/out" && grep -q '^max_body_bytes = 65536$' "$TMP/out"
ok $? "the defaults: 127.0.0.1, 8080, 4 threads, 64 KiB bodies"
printf 'db_conninfo = "host=db password=s3cret#x"\n' >"$TMP/secret.conf"
"$BIN" -c "$TMP/secret.conf" --check-config >"$TMP/out" 2>&1
[ $? -eq 0 ] && ! grep -q 's3cret' "$TMP/out"
ok $? "--check-config hides a password (quoted value holding #)"

bad_case() {	# bad_case NAME LINE-NUMBER CONTENT
	printf '%b' "$3" >"$TMP/bad.conf"
	"$BIN" -c "$TMP/bad.conf" --check-config >"$TMP/out" 2>&1
	local rc=$?
	[ $rc -eq 1 ] && grep -q "bad.conf:$2:" "$TMP/out"
	ok $? "--check-config refuses $1 and names line $2"
}
bad_case "an unknown key" 2 "listen_port = 8080\nlisten_prot = 8081\n"
bad_case "a port out of range" 1 "listen_port = 70000\n"
bad_case "a non-numeric value" 3 "# c\n\nthreads = many\n"
bad_case "a bad log level" 1 "log_level = loud\n"
bad_case "a bad size suffix" 1 "max_body_bytes = 10 GB\n"
bad_case "a line without =" 1 "listen_port 8080\n"
bad_case "a key set twice" 2 "threads = 2\nthreads = 3\n"
bad_case "an unterminated quote" 1 "db_conninfo = \"host=x\n"
printf 'listen_address = localhost\n' >"$TMP/bad.conf"
"$BIN" -c "$TMP/bad.conf" --check-config >/dev/null 2>&1
ok $([ $? -eq 1 ] && echo 0 || echo 1) "--check-config refuses a listen_address that is not numeric"
"$BIN" -c "$TMP/nonexistent.conf" --check-config >/dev/null 2>&1
ok $([ $? -eq 1 ] && echo 0 || echo 1) "--check-config refuses a missing file"

# --- start on a free port ------------------------------------------------
start_daemon() {	# start_daemon CONF LOG; sets DPID and PORT
	local try
	for ((try = 0; try < 10; try++)); do
		PORT=$((20000 + RANDOM % 40000))
		write_conf "$1" "$PORT" info
		"$BIN" -c "$1" 2>>"$2" &
		DPID=$!
		PIDS+=("$DPID")
		local i
		for ((i = 0; i < 50; i++)); do
			if ! kill -0 "$DPID" 2>/dev/null; then
				break
			fi
			if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/metrics"; then
				return 0
			fi
			sleep 0.1
		done
		kill -KILL "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	done
	return 1
}

CONF="$TMP/run.conf"
LOG="$TMP/run.log"
start_daemon "$CONF" "$LOG"
ok $? "the daemon starts and listens on 127.0.0.1"
URL="http://127.0.0.1:$PORT"
diag "daemon pid $DPID port $PORT"

write_conf "$TMP/same-port.conf" "$PORT" info
timeout 10 "$BIN" -c "$TMP/same-port.conf" 2>"$TMP/same-port.log"
rc=$?
[ $rc -eq 1 ] && grep -q 'cannot start the HTTP server' "$TMP/same-port.log"
ok $? "a second daemon on the same port fails to start (exit $rc), it does not share the port"

# --- routes --------------------------------------------------------------
code=$(status "$URL/healthz")
[ "$code" = "$EXPECT_HEALTH" ]
ok $? "GET /healthz answers $EXPECT_HEALTH (got $code)"
body=$(curl -s --max-time 10 "$URL/healthz")
if [ "$EXPECT_HEALTH" = 200 ]; then
	[ "$body" = "ok" ]
	ok $? "/healthz body is ok"
else
	case "$body" in "unavailable: "*) true ;; *) false ;; esac
	ok $? "/healthz body gives a reason ($body)"
fi
curl -s -D "$TMP/hdr" -o "$TMP/metrics" --max-time 10 "$URL/metrics"
check "GET /metrics answers 200" grep -q '^HTTP/1.1 200' "$TMP/hdr"
check "/metrics has the Prometheus content type" grep -qi '^Content-Type: text/plain; version=0.0.4' "$TMP/hdr"
check "/metrics counts /healthz by route and status" \
	grep -q "^microcred_bridge_http_requests_total{route=\"healthz\",status=\"$EXPECT_HEALTH\"} [1-9][0-9]*$" "$TMP/metrics"
check "/metrics exports launch failure reasons" \
	grep -q '^microcred_bridge_lti_launch_failures_total{reason="kid_unknown"} 0$' "$TMP/metrics"
check "/metrics exports database errors" grep -q '^microcred_bridge_db_errors_total{kind="connect"}' "$TMP/metrics"
check "/metrics has HELP and TYPE lines" grep -q '^# TYPE microcred_bridge_http_requests_total counter$' "$TMP/metrics"
code=$(status "$URL/no/such/route")
[ "$code" = 404 ]
ok $? "an unknown route answers 404 (got $code)"
code=$(status "$URL/metrics" -X POST -d x=1)
[ "$code" = 405 ]
ok $? "POST /metrics answers 405 (got $code)"
code=$(status "$URL/metrics" -I)
[ "$code" = 200 ]
ok $? "HEAD /metrics answers 200 (got $code)"
head -c 8192 /dev/zero >"$TMP/big.bin"
code=$(status "$URL/healthz" -H 'Expect:' --data-binary @"$TMP/big.bin")
[ "$code" = 413 ]
ok $? "an 8 KiB body over max_body_bytes = 4kB answers 413 (got $code)"
code=$(status "$URL/healthz" -H 'Expect:' -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.bin")
[ "$code" = 413 ]
ok $? "an 8 KiB chunked body (no Content-Length) answers 413 (got $code)"
code=$(status "$URL/healthz" -H "X-Filler: $(head -c 6000 /dev/zero | tr '\0' a)")
[ "$code" = 431 ]
ok $? "6 KB of headers over max_header_bytes = 4kB answers 431 (got $code)"
# a page without a script (a refused launch, decided before any database call) allows none
curl -s -D "$TMP/hdr" -o /dev/null --max-time 10 -X POST -d 'x=1' "$URL/lti/launch"
csp=$(grep -i '^Content-Security-Policy:' "$TMP/hdr" | tr -d '\r')
case "$csp" in *"script-src 'none'"*) ! grep -qi "nonce" <<<"$csp" ;; *) false ;; esac
ok $? "a page without a script sends script-src 'none', no nonce (got: ${csp#*script-src})"
curl -s -D "$TMP/hdr" -o /dev/null --max-time 10 -H 'X-Request-Id: test-req-42' "$URL/metrics"
check "a sane X-Request-Id is echoed" grep -qi '^X-Request-Id: test-req-42' "$TMP/hdr"
wait_log 'request_id=test-req-42' 20 "$LOG"
check "one log line per request: method, route, status, duration_ms, request_id" \
	grep -Eq '^ts=[0-9TZ:.-]+ level=info msg=request method=GET route=metrics status=200 duration_ms=[0-9.]+ .*request_id=test-req-42' "$LOG"
check "the 413 is logged with its reason" grep -q 'status=413 .*reason=body_too_large' "$LOG"
check "a refused health check is logged as 503 with its reason or as 200" \
	grep -Eq "route=healthz status=$EXPECT_HEALTH" "$LOG"
! grep -q 'aaaaaaaa' "$LOG"
ok $? "request headers never reach the log"

# --- SIGHUP --------------------------------------------------------------
sed -i 's/^log_level = info/log_level = debug/' "$CONF"
kill -HUP "$DPID"
wait_log 'msg="configuration reloaded" log_level=debug' 30 "$LOG"
ok $? "SIGHUP reloads the configuration (log_level = debug)"
printf 'bogus_key = 1\n' >>"$CONF"
kill -HUP "$DPID"
wait_log 'reload failed' 30 "$LOG"
ok $? "SIGHUP with a bad file logs the failure"
check "the failure names the line" grep -q 'run.conf:11: unknown key' "$LOG"
code=$(status "$URL/metrics")
[ "$code" = 200 ] && kill -0 "$DPID"
ok $? "after a failed reload the daemon keeps serving with the old configuration"
write_conf "$CONF" $((PORT + 1)) info
kill -HUP "$DPID"
wait_log 'setting needs a restart' 30 "$LOG"
ok $? "a changed listen_port is kept until restart, with a warning"
code=$(status "$URL/metrics")
[ "$code" = 200 ]
ok $? "still listening on the old port"

# --- graceful SIGTERM ----------------------------------------------------
head -c 3000 /dev/zero >"$TMP/slow.bin"
curl -s -o "$TMP/slow.out" -w '%{http_code}' --max-time 20 --limit-rate 1000 -H 'Expect:' \
	--data-binary @"$TMP/slow.bin" "$URL/healthz" >"$TMP/slow.code" 2>/dev/null &
CURLPID=$!
PIDS+=("$CURLPID")
sleep 1
kill -TERM "$DPID"
wait_log 'draining in-flight requests' 30 "$LOG"
ok $? "SIGTERM starts draining"
grep -q 'in_flight=1' "$LOG"
ok $? "the slow request is counted in flight"
code=$(status "$URL/metrics" --connect-timeout 2)
[ "$code" = 000 ]
ok $? "no new connections are accepted while draining (got $code)"
wait "$CURLPID"
[ "$(cat "$TMP/slow.code")" = 405 ]
ok $? "the in-flight slow request completes with its answer (got $(cat "$TMP/slow.code"))"
wait_gone "$DPID" 100
ok $? "the daemon exits after draining"
wait "$DPID"
rc=$?
[ $rc -eq 0 ]
ok $? "exit status 0 after a graceful stop (got $rc)"
check "the stop is logged" grep -q 'msg=stopped' "$LOG"

# --- a second SIGTERM exits at once ---------------------------------------
LOG2="$TMP/run2.log"
start_daemon "$TMP/run2.conf" "$LOG2"
ok $? "a second daemon starts"
URL2="http://127.0.0.1:$PORT"
head -c 4000 /dev/zero >"$TMP/slow2.bin"
curl -s -o /dev/null --max-time 20 --limit-rate 300 -H 'Expect:' \
	--data-binary @"$TMP/slow2.bin" "$URL2/healthz" >/dev/null 2>&1 &
CURLPID=$!
PIDS+=("$CURLPID")
sleep 1
kill -TERM "$DPID"
wait_log 'draining in-flight requests' 30 "$LOG2"
kill -0 "$DPID" 2>/dev/null
ok $? "with a slow request in flight the first SIGTERM does not exit"
kill -TERM "$DPID"
wait_gone "$DPID" 20
ok $? "a second SIGTERM exits within 2 s"
wait "$DPID"
rc=$?
[ $rc -eq 1 ]
ok $? "exit status 1 after an immediate stop (got $rc)"
kill "$CURLPID" 2>/dev/null
wait "$CURLPID" 2>/dev/null

# --- drain_timeout_s bounds the drain (and is reloadable) -----------------
LOG3="$TMP/run3.log"
start_daemon "$TMP/run3.conf" "$LOG3"
ok $? "a third daemon starts"
URL3="http://127.0.0.1:$PORT"
sed -i 's/^drain_timeout_s = 15/drain_timeout_s = 1/' "$TMP/run3.conf"
kill -HUP "$DPID"
wait_log 'configuration reloaded' 30 "$LOG3"
ok $? "SIGHUP applies drain_timeout_s = 1"
curl -s -o /dev/null --max-time 20 --limit-rate 500 -H 'Expect:' \
	--data-binary @"$TMP/slow2.bin" "$URL3/healthz" >/dev/null 2>&1 &
CURLPID=$!
PIDS+=("$CURLPID")
sleep 1
kill -TERM "$DPID"
wait_gone "$DPID" 40
ok $? "with a request still in flight the daemon stops after drain_timeout_s"
wait "$DPID"
rc=$?
[ $rc -eq 0 ] && grep -q 'drain timeout' "$LOG3"
ok $? "the drain timeout is logged and the exit status is 0 (got $rc)"
kill "$CURLPID" 2>/dev/null
wait "$CURLPID" 2>/dev/null

# --- nothing left behind -------------------------------------------------
left=""
for p in "${PIDS[@]}"; do
	kill -0 "$p" 2>/dev/null && left="$left $p"
done
[ -z "$left" ]
ok $? "no process left behind${left:+ (left:$left)}"

echo "1..$N"
[ $FAILED -eq 0 ] || echo "# $FAILED of $N failed"
[ $FAILED -eq 0 ]
