#!/bin/bash
# Completion events into credentials, exactly once, through the bridge on
# 127.0.0.1: xAPI statements, Canvas Live Events (RS256 JWTs, the sender
# serves its own JWKS), Moodle webhooks (HMAC-SHA256).  Each source's happy
# path; 1,000 copies of one event; refused requests (401/400/413) that store
# nothing; no mapping, pending learners, non-completions; then faults: the
# database stopped mid-stream, the bridge killed mid-burst, and 10,000
# events with 20% duplicates and a database restart in the middle.  The
# senders retry like an LMS (tests/bridge/event_sender.c); the assertions
# are SQL counts and ids.
#
# The fault cases stop and start the test cluster (pg_ctl on the data
# directory of the server we are connected to, as its owner); the trap
# always leaves it running, stops the bridge and drops the database.
# Every wait is bounded.
#   BRIDGE_BIN / EVENT_SENDER: other builds (e.g. sanitizers)
#   EVENTS_ACCEPT_N: events of the acceptance case (default 10000)
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
SENDER=${EVENT_SENDER:-lti_bridge/event_sender}
ACCEPT_N=${EVENTS_ACCEPT_N:-10000}
db=mc_events
role=mc_events_bridge
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcevents.XXXXXX")
chmod 755 "$TMP"
DPID=
SPIDS=()
PG_BINDIR=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
DATA=
PGOWNER=

pgctl() {
    if [ "$(id -u)" -eq 0 ] && [ "$PGOWNER" != root ]; then
        runuser -u "$PGOWNER" -- "$PG_BINDIR/pg_ctl" -D "$DATA" "$@"
    else
        "$PG_BINDIR/pg_ctl" -D "$DATA" "$@"
    fi
}
pg_stop() { pgctl -m fast -w -t 30 stop >/dev/null 2>&1; }
pg_start() { pgctl -l "$(dirname "$DATA")/server.log" -w -t 60 start >/dev/null 2>&1; }
pg_up() { psql -X -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; }

cleanup() {
    local p
    for p in "${SPIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    wait 2>/dev/null
    # the cluster is shared: it must be running when we leave
    if [ -n "$DATA" ] && ! pg_up; then pg_start; fi
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
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }

if [ ! -x "$BIN" ] || [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs lti_bridge/microcred-bridge and a cluster (PGHOST)"
    exit 0
fi
if [ -z "${EVENT_SENDER:-}" ]; then
    make -s -C lti_bridge event_sender >"$TMP/make.log" 2>&1 || { echo "Bail out! cannot build event_sender"; cat "$TMP/make.log"; exit 1; }
fi
[ -x "$SENDER" ] || { echo "Bail out! no $SENDER"; exit 1; }
DATA=$(psql -X -At -d postgres -c 'SHOW data_directory' 2>/dev/null)
PGOWNER=$(stat -c %U "$DATA" 2>/dev/null)
FAULTS=1
if [ -z "$DATA" ] || { [ "$(id -u)" -ne 0 ] && [ "$(id -un)" != "$PGOWNER" ]; }; then
    FAULTS=0	# we may not stop this server
fi

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
q "GRANT microcred_bridge TO $role" >/dev/null

# start_bridge [PORT [TRIES]]: on PORT (after a kill) or a random free one; sets DPID, PORT
start_bridge() {
    local want=${1:-} tries=${2:-20} try i
    DPID=
    for ((try = 0; try < tries; try++)); do
        PORT=${want:-$((20000 + RANDOM % 40000))}
        cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 4
max_body_bytes = 16kB
db_timeout_ms = 1000
public_base_url = https://tool.example
event_rate_per_ip = 0
event_rate_total = 0
max_connections_per_ip = 1000
EOC
        "$BIN" -c "$TMP/bridge.conf" 2>>"$TMP/bridge.log" &
        DPID=$!
        for ((i = 0; i < 50; i++)); do
            kill -0 "$DPID" 2>/dev/null || break
            curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/metrics" && return 0
            sleep 0.1
        done
        kill -KILL "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
        [ -n "$want" ] && sleep 0.2
    done
    return 1
}
start_bridge || { echo "Bail out! the bridge did not start"; cat "$TMP/bridge.log"; exit 1; }
URL=http://127.0.0.1:$PORT

# send OUTNAME MODE [sender options]: the sender's output in $TMP/OUTNAME, its exit status returned
send() {
    local out=$1 mode=$2; shift 2
    "$SENDER" "$mode" "$URL" --db $db "$@" >"$TMP/$out" 2>>"$TMP/$out.err"
}
# field OUTNAME PREFIX: the value after "PREFIX" in a sender's output (status 200:, retries:, ...)
field() { sed -n "s/^$2 *//p" "$TMP/$1" | head -1; }
# credentials of a run's learners: "count" or "TYPE,TYPE" of learner u<k>
creds() { q "SELECT count(*) FROM microcred.issued_credential c JOIN microcred.learner l ON l.id = c.learner_id
              WHERE l.email LIKE '$1-u%@learners.example'"; }
events_of() { q "SELECT count(*) FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id
                  WHERE s.name = '$1'${2:+ AND e.state = '$2'}"; }
all_events() { q "SELECT count(*) FROM microcred.completion_event"; }
post() {  # post PATH [curl args]: body in $TMP/body, headers in $TMP/head, prints the status
    local p=$1; shift
    rm -f "$TMP/body"; : >"$TMP/body"
    curl -s --max-time 10 -D "$TMP/head" -o "$TMP/body" -w '%{http_code}' "$@" "$URL$p"
}
header() { grep -i "^$1:" "$TMP/head" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
metric() { curl -s --max-time 5 "$URL/metrics" | grep -F "microcred_bridge_events_total{source=\"$1\",outcome=\"$2\"}" | awk '{print $2}'; }
# set_equal LISTFILE RUN...: the (email, type) pairs of the list minus the credentials of the runs' learners, both ways
set_diff() {
    local list=$1 pat; shift
    pat=$(printf "'%s-u%%@learners.example'," "$@"); pat=${pat%,}
    psql -X -q -At -v ON_ERROR_STOP=1 -d $db <<SQL
CREATE TEMP TABLE expected (email text, code text);
\copy expected FROM '$list' WITH (FORMAT csv)
CREATE TEMP VIEW got AS
  SELECT l.email, t.code FROM microcred.issued_credential c
    JOIN microcred.learner l ON l.id = c.learner_id
    JOIN microcred.credential_type t ON t.id = c.credential_type_id
   WHERE l.email LIKE ANY (ARRAY[$pat]);
SELECT (SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM got) a) || ' ' ||
       (SELECT count(*) FROM (SELECT * FROM got EXCEPT SELECT * FROM expected) b) || ' ' ||
       (SELECT count(*) - count(DISTINCT (email, code)) FROM got);
SQL
}
# wait_events SOURCE... MIN: until the sources hold MIN events (at most 30 s)
wait_events() {
    local min=${*: -1} names i c
    names=$(printf "'%s'," "${@:1:$#-1}"); names=${names%,}
    for ((i = 0; i < 300; i++)); do
        c=$(q "SELECT count(*) FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id WHERE s.name IN ($names)" 2>/dev/null)
        [ "${c:-0}" -ge "$min" ] && return 0
        sleep 0.1
    done
    return 1
}

TYPES=GDPR-NURSE,PY-DATA

# --- each source's happy path: one learner completes two mapped courses ----------
for m in xapi canvas moodle; do
    send hp$m $m -n 2 -d 2 -c 2 --run hp$m --types $TYPES
    ok "$?|$(field hp$m 'status 200:')" "0|2" "$m: two completion events answer 200"
    ok "$(q "SELECT string_agg(t.code, ',' ORDER BY t.code) FROM microcred.issued_credential c
              JOIN microcred.learner l ON l.id = c.learner_id JOIN microcred.credential_type t ON t.id = c.credential_type_id
             WHERE l.email = 'hp$m-u0@learners.example'")" "GDPR-NURSE,PY-DATA" \
       "$m: the learner holds exactly one credential of each mapped type"
    ok "$(q "SELECT count(DISTINCT c.id) FILTER (WHERE v.valid) || coalesce(' failing: ' || string_agg(k ->> 'check' || '=' || (k ->> 'result') || ' ' || coalesce(k ->> 'reason', ''), '; ')
                  FILTER (WHERE k ->> 'result' = 'fail'), '')
              FROM microcred.issued_credential c JOIN microcred.learner l ON l.id = c.learner_id
              CROSS JOIN LATERAL microcred.verify(c.document) v LEFT JOIN LATERAL jsonb_array_elements(v.checks) k ON true
             WHERE l.email = 'hp$m-u0@learners.example'")" 2 \
       "$m: both credentials verify (microcred.verify)"
    ok "$(q "SELECT count(*) FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id
              JOIN microcred.issued_credential c ON c.id = e.credential_ids[1] AND cardinality(e.credential_ids) = 1
              JOIN microcred.learner l ON l.id = c.learner_id
             WHERE s.name = 'hp$m-$m' AND e.state = 'issued' AND l.email = 'hp$m-u0@learners.example'")" 2 \
       "$m: two events stored as issued, each naming its credential"
    ok "$(q "SELECT count(*) FROM microcred.learner_identifier li JOIN microcred.learner l ON l.id = li.learner_id
             WHERE l.email = 'hp$m-u0@learners.example' AND li.kind = 'lms' AND li.value = '100000'")" 1 \
       "$m: the LMS user id is linked to the new learner"
done
ok "$(q "SELECT count(*) FROM microcred.completion_event WHERE state = 'issued' AND (payload IS NOT NULL OR user_email IS NOT NULL)")" 0 \
   "issued events keep neither payload nor email"

# --- the same event 1,000 times, concurrently -------------------------------------------
send dupx xapi -n 1000 -d 1 -c 16 --run dupx
ok "$?|$(field dupx 'status 200:')" "0|1000" "xapi: 1,000 copies of one statement, 16 connections: 1,000 answers 200"
ok "$(events_of dupx-xapi)|$(creds dupx)" "1|1" "one event stored, one credential issued"
send dupm moodle -n 1000 -d 1 -c 16 --run dupm
ok "$(field dupm 'status 200:')|$(events_of dupm-moodle)|$(creds dupm)" "1000|1|1" "moodle: 1,000 copies: 1,000 × 200, one event, one credential"
send dupc canvas -n 1000 -d 1 -c 16 --run dupc
ok "$(field dupc 'status 200:')|$(events_of dupc-canvas)|$(creds dupc)" "1000|1|1" "canvas: 1,000 copies: 1,000 × 200, one event, one credential"
send dupn xapi -n 200 -d 1 -c 8 --run dupn --no-id
ok "$(field dupn 'status 200:')|$(events_of dupn-xapi)|$(creds dupn)" "200|1|1" \
   "xapi without statement ids: 200 copies get one derived id, one event, one credential"
send many xapi -n 600 -d 300 -c 8 --run many --types $TYPES
ok "$(field many 'status 200:')|$(events_of many-xapi issued)|$(creds many)" "600|300|300" \
   "300 completions sent twice each, shuffled: 300 events, 300 credentials"

# --- refused: nothing stored --------------------------------------------------------------
before=$(all_events)
for f in badsig unknownkid expired noexp oldiat futureiat account alg; do
    send cf$f canvas -n 1 --run cf$f --fault $f --expect 401
    ok "$?|$(field cf$f 'status 401:')|$(events_of cf$f-canvas)" "0|1|0" "canvas JWT ($f) answers 401 and is stored nowhere"
done
send mbad moodle -n 1 --run mbad --fault badhmac --expect 401
ok "$?|$(field mbad 'status 401:')|$(events_of mbad-moodle)" "0|1|0" "moodle event with a wrong HMAC answers 401, stored nowhere"
send xbad xapi -n 1 --run xbad --fault badauth --expect 401
ok "$?|$(field xbad 'status 401:')|$(events_of xbad-xapi)" "0|1|0" "xapi statement with a wrong password answers 401, stored nowhere"

# a source of each kind for hand-made requests
PID=$(q "SELECT microcred.lti_register_platform('demo-uas', 'hand', 'https://lms-hand.example', 'c-hand',
          'https://lms-hand.example/auth', 'https://lms-hand.example/jwks', NULL, '{d1}')")
q "SELECT microcred.lti_map_course('$PID', '101', 'GDPR-NURSE')" >/dev/null
XS=$(q "SELECT secret FROM microcred.event_source_add('demo-uas', 'xapi', 'hand-x', '$PID')")
MS=$(q "SELECT secret FROM microcred.event_source_add('demo-uas', 'moodle', 'hand-m', '$PID')")
XH=(-H 'X-Experience-API-Version: 1.0.3' -H 'Content-Type: application/json' -u "hand-x:$XS")
stmt() {  # stmt ID [email]: a completion statement of course 101
    printf '{"id":"%s","actor":{"mbox":"mailto:%s","name":"Hand Made","account":{"homePage":"https://lms-hand.example","name":"h-%s"}},"verb":{"id":"http://adlnet.gov/expapi/verbs/completed"},"object":{"id":"https://lms-hand.example/course/view.php?id=101","definition":{"type":"http://id.tincanapi.com/activitytype/lms/course"}}}' \
        "$1" "${2:-hand@learners.example}" "${2:-hand}"
}
msign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$MS" | sed 's/^.* //'; }
ID1=00000000-0000-4000-8000-000000000001
ID2=00000000-0000-4000-8000-000000000002

ok "$(post /xapi/statements -X POST "${XH[@]}" --data '{"actor": ')" 400 "xapi: malformed JSON answers 400"
ok "$(header X-Event-Error)" bad_json "with X-Event-Error: bad_json"
ok "$(post /xapi/statements -X POST "${XH[@]}" --data "$(stmt $ID1 | sed 's/"actor":{[^}]*}}/"x":1/')")" 400 \
   "xapi: a statement without actor answers 400"
ok "$(post /xapi/statements -X POST "${XH[@]}" --data "[$(stmt $ID1), {\"id\":\"$ID2\",\"verb\":{\"id\":\"v\"},\"object\":{\"id\":\"o\"}}]")" 400 \
   "xapi: an array where one statement lacks an actor answers 400"
ok "$(post /xapi/statements -X POST "${XH[@]}" --data "$(stmt $ID1 | head -c 200)")" 400 "xapi: a truncated statement answers 400"
ok "$(post /xapi/statements -X POST -H 'Content-Type: application/json' -u "hand-x:$XS" --data "$(stmt $ID1)")" 400 \
   "xapi: no X-Experience-API-Version answers 400"
ok "$(post /xapi/statements -X POST -H 'X-Experience-API-Version: 1.0.3' --data "$(stmt $ID1)")" 401 "xapi: no credentials answer 401"
ok "$(header WWW-Authenticate)" 'Basic realm="microcred xAPI"' "with WWW-Authenticate: Basic realm=\"microcred xAPI\""
ok "$(post /xapi/statements -X POST -H 'X-Experience-API-Version: 1.0.3' -u "hand-m:$MS" --data "$(stmt $ID1)")" 401 \
   "xapi: a Moodle source's name and key answer 401"
big=$(printf '%*s' 20000 '' | tr ' ' x)
ok "$(post /xapi/statements -X POST "${XH[@]}" --data "$(stmt $ID1 | sed "s/\"Hand Made\"/\"$big\"/")")" 413 \
   "xapi: a body over max_body_bytes (16kB) answers 413"
mb="{\"eventname\":\"\\\\core\\\\event\\\\course_completed\",\"courseid\":101,\"relateduserid\":7,\"objectid\":9,\"timecreated\":1700000000,\"user\":{\"firstname\":\"$big\",\"lastname\":\"M\",\"email\":\"m7@learners.example\"}}"
ok "$(post /moodle/events -X POST -H 'Content-Type: application/json' -H 'X-Microcred-Source: hand-m' \
      -H "X-Microcred-Signature: sha256=$(msign "$mb")" --data "$mb")" 413 "moodle: a body over max_body_bytes answers 413"
ok "$(post /canvas/live-events -X POST -H 'Content-Type: application/jwt' --data "$big$big")" 413 "canvas: a body over max_body_bytes answers 413"
mb='{"eventname": "\\core\\event\\course_completed", "courseid": 101,'
ok "$(post /moodle/events -X POST -H 'X-Microcred-Source: hand-m' -H "X-Microcred-Signature: sha256=$(msign "$mb")" --data "$mb")" 400 \
   "moodle: malformed JSON with a valid signature answers 400"
mb='{"eventname":"\\core\\event\\course_completed","courseid":101,"relateduserid":7,"objectid":9,"timecreated":1700000000}'
ok "$(post /moodle/events -X POST -H 'X-Microcred-Source: hand-m' --data "$mb")" 401 "moodle: no signature answers 401"
ok "$(post /moodle/events -X POST -H 'X-Microcred-Source: nobody' -H "X-Microcred-Signature: sha256=$(msign "$mb")" --data "$mb")" 401 \
   "moodle: an unknown source answers 401"
ok "$(post /canvas/live-events -X POST -H 'Content-Type: application/jwt' --data 'not.a.jwt')" 400 "canvas: a body that is not a JWT answers 400"
ok "$(all_events)" "$before" "none of the refused requests stored an event"
ok "$(metric canvas refused)|$(metric moodle refused)" "9|4" "/metrics counts the refused Canvas and Moodle events (a 413 only by route and status)"

# the answer of a good batch: the statement ids in request order
ok "$(post /xapi/statements -X POST "${XH[@]}" --data "[$(stmt $ID2 h2@learners.example), $(stmt $ID1 h1@learners.example)]")|$(cat "$TMP/body")" \
   "200|[\"$ID2\",\"$ID1\"]" "xapi: a batch of two answers 200 with the ids in request order"
ok "$(q "SELECT count(*) FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id WHERE s.name = 'hand-x' AND e.state = 'issued'")" 2 \
   "both are stored and issued"
ID3=00000000-0000-4000-8000-000000000003
cmi5=$(stmt $ID3 h3@learners.example | sed 's|http://adlnet.gov/expapi/verbs/completed|https://w3id.org/xapi/adl/verbs/satisfied|; s|http://id.tincanapi.com/activitytype/lms/course|https://w3id.org/xapi/cmi5/activitytype/course|')
ok "$(post /xapi/statements -X POST -H 'X-Experience-API-Version: 2.0.0' -H 'Content-Type: application/json' -u "hand-x:$XS" --data "$cmi5")" 400 \
   "xapi: X-Experience-API-Version 2.0.0 answers 400"
ok "$(post /xapi/statements -X POST -H 'X-Experience-API-Version: 1.0.0' -H 'Content-Type: application/json' -u "hand-x:$XS" --data "$cmi5")|$(q "SELECT e.state || '/' || t.code FROM microcred.completion_event e JOIN microcred.issued_credential c ON c.id = e.credential_ids[1] JOIN microcred.credential_type t ON t.id = c.credential_type_id WHERE e.event_key = '$ID3'")" \
   "200|issued/GDPR-NURSE" "xapi: a cmi5 'satisfied' on a cmi5 course issues (version 1.0.0)"
ok "$(post /moodle/events -X POST -H 'X-Microcred-Source: hand-m' -H "X-Microcred-Signature: sha256=$(msign "$mb")" --data "$mb")|$(tr -d ' \n' <"$TMP/body" | sed 's/"event_id":[0-9]*,//')" \
   '200|{"state":"pending","duplicate":false}' "moodle: an event of a user without data answers {event_id, state: pending, duplicate: false}"
post /moodle/events -X POST -H 'X-Microcred-Source: hand-m' -H "X-Microcred-Signature: sha256=$(msign "$mb")" --data "$mb" >/dev/null
ok "$(tr -d ' \n' <"$TMP/body" | sed 's/"event_id":[0-9]*,//')" '{"state":"pending","duplicate":true}' "its retry answers duplicate: true"

# --- no mapping, pending learners, non-completions ----------------------------------------------
send nomap xapi -n 1 --run nomap
send nomap xapi -n 1 --run nomap2 --unmapped
ok "$(field nomap 'status 200:')|$(q "SELECT state || '/' || reason || '/' || course_key FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id WHERE s.name = 'nomap2-xapi'")|$(creds nomap2)" \
   "1|ignored/no_mapping/999|0" "a course without a mapping: 200, stored as ignored (no_mapping), no credential"
send pend xapi -n 1 --run pend --no-email
EV=$(q "SELECT e.id FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id WHERE s.name = 'pend-xapi'")
ok "$(field pend 'status 200:')|$(q "SELECT state || '/' || (reason LIKE 'unknown_learner%') FROM microcred.completion_event WHERE id = '${EV:-0}'")" \
   "1|pending/true" "an unknown learner without email: 200, stored as pending (unknown_learner)"
ok "$(q "SELECT count(*) FROM microcred.pending_events('0') WHERE event_id = '${EV:-0}'")" 1 "pending_events() lists it"
ok "$(q "SELECT count(*) FROM microcred.issued_credential c JOIN microcred.completion_event e ON c.id = ANY (e.credential_ids) WHERE e.id = '${EV:-0}'")" 0 "nothing is issued yet"
LID=$(q "SELECT microcred.add_learner(issuer => 'demo-uas', email => 'pending.person@learners.example', given_name => 'Pat', family_name => 'Pending')")
ok "$(q "SELECT microcred.event_assign_learner(${EV:-0}, '$LID')")" issued "event_assign_learner issues it"
ok "$(q "SELECT count(*) FROM microcred.issued_credential c JOIN microcred.completion_event e ON c.id = ANY (e.credential_ids) AND c.learner_id = '$LID' WHERE e.id = '${EV:-0}' AND e.state = 'issued'")" 1 \
   "the event is issued with one credential for that learner"
ign_before=$(metric xapi ignored)
send nc xapi -n 3 -d 3 --run nc --not-completion
ok "$(field nc 'status 200:')|$(events_of nc-xapi ignored)|$(q "SELECT count(*) FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id WHERE s.name = 'nc-xapi' AND reason = 'not_a_completion'")|$(creds nc)" \
   "3|3|3|0" "non-completion statements: 200, stored as ignored (not_a_completion), nothing issued"
ok "$(( $(metric xapi ignored) - ign_before ))" 3 "/metrics counts them as ignored"
send ncc canvas -n 1 --run ncc --not-completion
send ncm moodle -n 1 --run ncm --not-completion
ok "$(events_of ncc-canvas ignored)|$(events_of ncm-moodle ignored)|$(metric canvas ignored)|$(metric moodle ignored)" "1|1|1|1" \
   "a Canvas course_progress and a Moodle course_viewed are stored as ignored and counted"

# --- faults -------------------------------------------------------------------------------------
if [ "$FAULTS" = 0 ]; then
    skip "database restarts: we may not stop the server at $DATA"
else
    # (a) the database stops mid-stream; the bridge answers 503; the senders' retries finish the job
    send fa moodle -n 3000 -d 2400 -c 8 --run fa --list "$TMP/fa.list" --deadline 180 &
    SPIDS=($!)
    wait_events fa-moodle 300
    pg_stop
    ok "$(pg_up && echo up || echo down)" down "(a) the database is stopped mid-stream"
    ok "$(post /xapi/statements -X POST "${XH[@]}" --data "$(stmt 00000000-0000-4000-8000-0000000000aa)")|$(header X-Event-Error)" "503|db_unavailable" \
       "(a) meanwhile an event answers 503 (X-Event-Error: db_unavailable)"
    ok "$(post /healthz)" 503 "(a) and /healthz answers 503"
    sleep 2
    pg_start
    ok "$(pg_up && echo up || echo down)" up "(a) the database is started again"
    wait "${SPIDS[0]}"; rc=$?; SPIDS=()
    ok "$rc|$(field fa 'status 200:')|$(field fa 'unanswered:')" "0|3000|0" "(a) every one of the 3,000 events was answered 200 in the end"
    ok "$(( $(field fa 'retries:')0 > 0 ))" 1 "(a) after retries ($(field fa 'retries:'), $(field fa 'attempt status 503:') answers 503, $(field fa 'connection errors:') connection errors)"
    ok "$(events_of fa-moodle)|$(events_of fa-moodle issued)|$(creds fa)" "2400|2400|2400" "(a) 2,400 distinct completions: 2,400 events, all issued, 2,400 credentials"
    ok "$(set_diff "$TMP/fa.list" fa)" "0 0 0" "(a) the credentials are exactly the completions sent, none twice"

    # (b) the bridge is killed (SIGKILL) during a burst and started again on its port
    # (a bridge that cannot rebind its port while it is in TIME_WAIT takes up to 60 s: the senders wait that long)
    send fb xapi -n 3000 -d 2400 -c 8 --run fb --list "$TMP/fb.list" --types $TYPES --max-seconds 150 --deadline 240 &
    SPIDS=($!)
    wait_events fb-xapi 300
    kill -KILL "$DPID"; wait "$DPID" 2>/dev/null
    ok "$(curl -s -o /dev/null --max-time 2 -w '%{http_code}' "$URL/healthz")" 000 "(b) the bridge is killed mid-burst"
    sleep 1
    t_kill=$(date +%s)
    start_bridge "$PORT" 250	# bounded: about 80 s
    t_back=$(date +%s)
    ok "$([ -n "$DPID" ] && echo started)" started "(b) and started again on port $PORT"
    ok "$([ $((t_back - t_kill)) -le 5 ] && echo soon || echo "after $((t_back - t_kill)) s")" soon \
       "(b) the restarted bridge binds its port at once (connections of the killed one in TIME_WAIT do not block it)"
    [ -n "$DPID" ] || start_bridge || { echo "Bail out! the bridge did not start again"; exit 1; }
    wait "${SPIDS[0]}"; rc=$?; SPIDS=()
    ok "$rc|$(field fb 'status 200:')|$(field fb 'unanswered:')" "0|3000|0" "(b) every one of the 3,000 events was answered 200 in the end"
    ok "$(( $(field fb 'connection errors:')0 > 0 ))" 1 "(b) after $(field fb 'connection errors:') connection errors and $(field fb 'retries:') retries"
    ok "$(events_of fb-xapi)|$(events_of fb-xapi issued)|$(creds fb)" "2400|2400|2400" "(b) 2,400 distinct completions: 2,400 events, all issued, 2,400 credentials"
    ok "$(set_diff "$TMP/fb.list" fb)" "0 0 0" "(b) the credentials are exactly the completions sent, none twice"

    # acceptance: N events (20% duplicates) from three LMSs at once, the database restarted in the middle
    NX=$((ACCEPT_N * 4 / 10)); NC=$((ACCEPT_N * 3 / 10)); NM=$((ACCEPT_N - NX - NC))
    DX=$((NX * 8 / 10)); DC=$((NC * 8 / 10)); DM=$((NM * 8 / 10)); D=$((DX + DC + DM))
    before=$(all_events)
    t0=$(date +%s.%N)
    send accx xapi -n $NX --deadline 240 -d $DX -c 8 --run accx --types $TYPES --list "$TMP/accx.list" & SPIDS+=($!)
    send accc canvas -n $NC --deadline 240 -d $DC -c 8 --run accc --types $TYPES --list "$TMP/accc.list" & SPIDS+=($!)
    send accm moodle -n $NM --deadline 240 -d $DM -c 8 --run accm --types $TYPES --list "$TMP/accm.list" & SPIDS+=($!)
    wait_events accx-xapi accc-canvas accm-moodle $((D / 3))
    stored_at_stop=$(q "SELECT count(*) FROM microcred.completion_event")
    t_stop=$(date +%s.%N)
    pg_stop
    sleep 1
    pg_start
    t_up=$(date +%s.%N)
    rcs=
    for p in "${SPIDS[@]}"; do wait "$p"; rcs="$rcs$?"; done
    SPIDS=()
    t1=$(date +%s.%N)
    ok "$rcs|$(field accx 'status 200:')|$(field accc 'status 200:')|$(field accm 'status 200:')" "000|$NX|$NC|$NM" \
       "acceptance: all $ACCEPT_N events answered 200 in the end ($((stored_at_stop - before)) stored when the database stopped, down $(echo "$t_stop $t_up" | awk '{printf "%.1f", $2 - $1}') s, $(echo "$t0 $t1" | awk '{printf "%.1f", $2 - $1}') s in all)"
    ok "$(( $(field accx 'retries:')0 + $(field accc 'retries:')0 + $(field accm 'retries:')0 > 0 ))" 1 "acceptance: the restart made the senders retry"
    ok "$(( $(all_events) - before ))" "$D" "acceptance: nothing lost, nothing twice: $D completion events for $D distinct completions"
    ok "$(q "SELECT count(*) FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id WHERE s.name IN ('accx-xapi', 'accc-canvas', 'accm-moodle') AND e.state = 'issued' AND cardinality(e.credential_ids) = 1")" "$D" \
       "acceptance: every one of them issued, with one credential"
    ok "$(( $(creds accx) + $(creds accc) + $(creds accm) ))" "$D" "acceptance: exactly $D credentials, one per distinct completion"
    cat "$TMP/accx.list" "$TMP/accc.list" "$TMP/accm.list" >"$TMP/acc.list"
    ok "$(wc -l <"$TMP/acc.list" | tr -d ' ')|$(set_diff "$TMP/acc.list" accx accc accm)" "$D|0 0 0" \
       "acceptance: the set of (learner, type) of the credentials is the set of completions sent"
    ok "$(q "SELECT count(*) FILTER (WHERE NOT (microcred.verify(c.document)).valid) FROM (SELECT c.document FROM microcred.issued_credential c
              JOIN microcred.learner l ON l.id = c.learner_id WHERE l.email LIKE 'acc%' ORDER BY c.id LIMIT 200) c")" 0 \
       "acceptance: a sample of 200 of them verify"
fi
ok "$(pg_up && echo up || echo down)" up "the cluster is running"
ok "$(grep -ci 'learners.example' "$TMP/bridge.log")" 0 "the bridge's log carries no learner email"

[ -n "$DPID" ] && kill -TERM "$DPID"
for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
ok "$(kill -0 "$DPID" 2>/dev/null && echo running || echo stopped)" stopped "the bridge stops on SIGTERM"
DPID=
echo "1..$n"
[ "$fails" -eq 0 ]
