#!/bin/bash
# The reconciliation poller through the real bridge on 127.0.0.1: a mock of
# Canvas's course progress API and Moodle's web services
# (tests/bridge/mock_lms_api.py, re-reading its data file on every request)
# reports completions that never arrived as events.  Checks: completed users
# get exactly one credential and nothing else does; Moodle users with name
# and e-mail become learners, a Canvas user is issued when linked and
# pending otherwise; Canvas pages are followed; many more polls issue
# nothing twice; a learner who already holds the credential gets no event;
# a completion appearing later is issued; a rejected token and an LMS
# outage are recorded on the poll and recovered from; the token is never
# logged; metrics; a clean stop.  Every wait is bounded; the trap stops the
# bridge and the mock and drops the database.
#   BRIDGE_BIN: another build (e.g. sanitizers)
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
db=mc_poll
role=mc_poll_bridge
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcpoll.XXXXXX")
chmod 755 "$TMP"
DPID=
MPID=
cleanup() {
    exec 2>/dev/null
    [ -n "$DPID" ] && kill -KILL "$DPID"
    [ -n "$MPID" ] && kill -TERM "$MPID"
    wait
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
n=0
ok() {  # ok GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"
    else echo "not ok $n - $3 (got '$1', want '$2')"; fi
}
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }
# wait_for SQL WANT SECONDS: until the query answers WANT (bounded); prints the last answer
wait_for() {
    local got i
    for ((i = 0; i < $3 * 10; i++)); do
        got=$(q "$1" 2>/dev/null)
        [ "$got" = "$2" ] && break
        sleep 0.1
    done
    printf '%s' "$got"
}

if [ ! -x "$BIN" ] || [ -z "${PGHOST:-}" ] || ! command -v python3 >/dev/null; then
    echo "1..0 # SKIP needs lti_bridge/microcred-bridge, python3 and a cluster (PGHOST)"
    exit 0
fi

# the LMS: Moodle course 101 (-> GDPR-NURSE), Canvas course 201 (-> PY-DATA), 2 users per Canvas page
write_data() {  # write_data TOKEN FAIL_UNTIL DONE_8002
    cat >"$TMP/data.tmp" <<EOJ
{"token": "$1", "per_page": 2, "fail_until": $2,
 "courses": {
  "101": [{"id": 8001, "name": "Ada Poll", "email": "ada.poll@example.org", "done": true},
          {"id": 8002, "name": "Bo Poll", "email": "bo.poll@example.org", "done": $3},
          {"id": 8003, "name": "Cy Poll", "email": "cy.poll@example.org", "done": true},
          {"id": 8004, "name": "Di Poll", "done": true},
          {"id": 8005, "name": "Ed Poll", "email": "ed.poll@example.org", "done": true}],
  "201": [{"id": 9001, "name": "Fay Canvas", "done": true},
          {"id": 9002, "name": "Gus Canvas", "done": true},
          {"id": 9003, "name": "Hal Canvas", "done": false},
          {"id": 9004, "name": "Ivy Canvas", "done": false},
          {"id": 9005, "name": "Jo Canvas", "done": true}]}}
EOJ
    mv "$TMP/data.tmp" "$TMP/data.json"
}
TOKEN=tok-$RANDOM$RANDOM$RANDOM
write_data "$TOKEN" 0 false
python3 tests/bridge/mock_lms_api.py "$TMP/data.json" "$TMP/mock.port" 2>"$TMP/mock.log" &
MPID=$!
for ((i = 0; i < 50; i++)); do [ -s "$TMP/mock.port" ] && break; sleep 0.1; done
[ -s "$TMP/mock.port" ] || { echo "Bail out! the mock LMS did not start"; cat "$TMP/mock.log"; exit 1; }
LMS=http://127.0.0.1:$(cat "$TMP/mock.port")

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
q "GRANT microcred_bridge TO $role" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db >"$TMP/setup.out" 2>&1 <<SQL || { echo "Bail out! setup"; cat "$TMP/setup.out"; exit 1; }
SELECT microcred.lti_register_platform('demo-uas', 'Moodle', '$LMS/moodle', 'm-client', '$LMS/auth', '$LMS/jwks',
                                       NULL, '{d1}') AS mp \gset
SELECT microcred.lti_register_platform('demo-uas', 'Canvas', '$LMS/canvas', 'c-client', '$LMS/auth', '$LMS/jwks',
                                       NULL, '{d2}') AS cp \gset
SELECT microcred.lti_map_course(:'mp', '101', 'GDPR-NURSE');
SELECT microcred.lti_map_course(:'cp', '201', 'PY-DATA');
SELECT source_id FROM microcred.event_source_add('demo-uas', 'moodle', 'poll-moodle', :'mp');
SELECT source_id FROM microcred.event_source_add('demo-uas', 'canvas', 'poll-canvas', :'cp',
                                                 canvas_account => 'acct-poll', jwks_url => '$LMS/jwks');
-- Canvas user 9001 launched the tool once: linked by LMS id
SELECT microcred.add_learner(issuer => 'demo-uas', email => 'fay.canvas@example.org',
                             given_name => 'Fay', family_name => 'Canvas') AS fay \gset
INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
SELECT i.id, :'fay', 'lms', '$LMS/canvas', '9001' FROM microcred.issuer i WHERE i.handle = 'demo-uas';
-- Moodle user 8005 already holds the credential (issued through a live event, say)
SELECT microcred.issue('demo-uas/GDPR-NURSE',
                       microcred.add_learner(issuer => 'demo-uas', email => 'ed.poll@example.org', given_name => 'Ed'));
SELECT microcred.event_poll_set('poll-moodle', '$LMS', '$TOKEN', '1 second');
SELECT microcred.event_poll_set('poll-canvas', '$LMS', '$TOKEN', '1 second');
-- Moodle's results may name new learners (the admin trusts the bridge's connection string)
SELECT microcred.event_poll_policy('poll-moodle', 'by_email');
SQL
creds() {  # credentials held by the learner with this e-mail
    q "SELECT count(*) FROM microcred.issued_credential ic JOIN microcred.learner l ON l.id = ic.learner_id
        WHERE l.email = '$1'"
}

PORT=0
for ((try = 0; try < 20; try++)); do
    PORT=$((20000 + RANDOM % 40000))
    cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 2
public_base_url = https://tool.example
poll_interval_s = 1
poll_timeout_ms = 3000
log_level = info
EOC
    "$BIN" -c "$TMP/bridge.conf" 2>>"$TMP/bridge.log" &
    DPID=$!
    up=0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$DPID" 2>/dev/null || break
        curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/metrics" && { up=1; break; }
        sleep 0.1
    done
    [ "$up" = 1 ] && break
    kill -KILL "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
done
[ -n "$DPID" ] || { echo "Bail out! the bridge did not start"; cat "$TMP/bridge.log"; exit 1; }

# first polls: Moodle 8001, 8003 issued (learners made from name and e-mail), 8004 pending (no e-mail),
# 8002 not complete, 8005 already holds it; Canvas 9001 (linked) issued, 9002 and 9005 pending
ok "$(wait_for "SELECT count(*) FROM microcred.event_polls WHERE last_ok_at IS NOT NULL AND last_error IS NULL" 2 20)" 2 \
   "both polls ran without error"
ok "$(wait_for "SELECT count(*) FROM microcred.completion_event WHERE via = 'poll'" 6 20)" 6 \
   "six completions found and stored (8001, 8003, 8004, 9001, 9002, 9005)"
ok "$(creds ada.poll@example.org)|$(creds cy.poll@example.org)|$(creds bo.poll@example.org)" "1|1|0" \
   "Moodle: the completed users hold one credential each, the incomplete one none"
ok "$(q "SELECT given_name || ' ' || family_name FROM microcred.learner WHERE email = 'ada.poll@example.org'")" "Ada Poll" \
   "a Moodle learner is created from the web service's name and e-mail"
ok "$(q "SELECT state || '/' || reason FROM microcred.completion_event WHERE event_key = 'poll:101:8004'")" \
   "pending/unknown_learner_no_email" "a Moodle user without e-mail waits as pending"
ok "$(creds ed.poll@example.org)|$(q "SELECT count(*) FROM microcred.completion_event WHERE event_key = 'poll:101:8005'")" "1|0" \
   "a learner who already holds the credential gets no event and no second credential"
ok "$(creds fay.canvas@example.org)|$(q "SELECT state FROM microcred.completion_event WHERE event_key = 'acct-poll:201:9001'")" \
   "1|issued" "Canvas: the linked user is issued, under the key its Live Event would have"
ok "$(q "SELECT string_agg(state, ',' ORDER BY event_key) FROM microcred.completion_event WHERE event_key IN ('acct-poll:201:9002', 'acct-poll:201:9005')")" \
   "pending,pending" "Canvas: unlinked users (no e-mail in bulk progress) wait as pending, including the one on page 3"
ok "$(q "SELECT count(*) FROM microcred.completion_event WHERE user_key IN ('8002', '9003', '9004')")" 0 \
   "users who have not completed leave no trace"

# many more polls: nothing twice
before="$(q "SELECT count(*) FROM microcred.issued_credential")|$(q "SELECT count(*) FROM microcred.completion_event")"
polls0=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" | sed -n 's/^microcred_bridge_poll_total{api="moodle",outcome="ok"} //p')
sleep 3.5
polls1=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics" | sed -n 's/^microcred_bridge_poll_total{api="moodle",outcome="ok"} //p')
ok "$([ "${polls1:-0}" -ge $((${polls0:-0} + 2)) ] && echo polled)" polled "the source was polled again and again (every second)"
ok "$(q "SELECT count(*) FROM microcred.issued_credential")|$(q "SELECT count(*) FROM microcred.completion_event")" "$before" \
   "repeated polls issue nothing twice and store nothing new"

# a completion that appears later
write_data "$TOKEN" 0 true
ok "$(wait_for "SELECT count(*) FROM microcred.issued_credential ic JOIN microcred.learner l ON l.id = ic.learner_id WHERE l.email = 'bo.poll@example.org'" 1 15)" 1 \
   "a user who completes later is issued at a later poll"

# a rejected token: recorded, nothing lost, recovered
q "SELECT microcred.event_poll_set('poll-moodle', '$LMS', 'wrong-$TOKEN', '1 second')" >/dev/null
ok "$(wait_for "SELECT last_error FROM microcred.event_polls WHERE source = 'poll-moodle'" \
   "moodle api: core_enrol_get_enrolled_users: invalidtoken" 15)" "moodle api: core_enrol_get_enrolled_users: invalidtoken" \
   "a rejected Moodle token is the poll's error"
q "SELECT microcred.event_poll_set('poll-moodle', '$LMS', '$TOKEN', '1 second')" >/dev/null
ok "$(wait_for "SELECT last_error IS NULL AND last_ok_at > now() - interval '5 seconds' FROM microcred.event_polls WHERE source = 'poll-moodle'" t 15)" t \
   "with the token set again the polls succeed"

# an LMS outage (500s): recorded, then recovered, nothing lost or doubled
write_data "$TOKEN" "$(($(date +%s) + 3))" true
ok "$(wait_for "SELECT last_error FROM microcred.event_polls WHERE source = 'poll-canvas'" \
   "canvas api: HTTP 500 for course 201" 15)" "canvas api: HTTP 500 for course 201" "a Canvas outage is the poll's error"
ok "$(wait_for "SELECT count(*) FROM microcred.event_polls WHERE last_error IS NULL AND last_ok_at > now() - interval '3 seconds'" 2 20)" 2 \
   "after the outage both polls succeed again"
ok "$(q "SELECT count(*) FROM microcred.issued_credential")" "$(( ${before%%|*} + 1 ))" \
   "after all that: exactly one more credential (the late completer), none twice"

# the token never reaches the log; metrics; a clean stop
ok "$(grep -c -- "$TOKEN" "$TMP/bridge.log")" 0 "the token is not in the bridge's log"
m=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/metrics")
ok "$(printf '%s\n' "$m" | grep -cE '^microcred_bridge_poll_total\{api="(canvas|moodle)",outcome="error"\} [1-9]')" 2 \
   "microcred_bridge_poll_total counts errors of both APIs"
ok "$(printf '%s\n' "$m" | grep -cE '^microcred_bridge_events_total\{source="poll",outcome="issued"\} [1-9]')" 1 \
   "found completions are counted as events of source poll"
ok "$(grep -c 'msg=poll api=canvas' "$TMP/bridge.log" | awk '{print ($1 > 0)}')" 1 "each poll is logged (counts only)"
kill -TERM "$DPID"
for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
ok "$(kill -0 "$DPID" 2>/dev/null && echo running || echo stopped)" stopped "SIGTERM stops the bridge and its poller within 10 s"
wait "$DPID" 2>/dev/null
ok "$?" 0 "the stop is clean (exit status 0)"
DPID=
echo "1..$n"
