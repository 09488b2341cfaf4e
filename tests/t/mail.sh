#!/bin/bash
# Credential e-mails (pg_extension/scripts/94_mail.sql, lti_bridge/mailer.c)
# against the test cluster and a local SMTP sink (tests/lib/smtp_sink.py,
# Debian python3-aiosmtpd) on 127.0.0.1 with AUTH: queued in the issuing
# transaction (none for a rolled-back issue, an opted-out learner or issuer),
# rendered per language with HTML escaping, sent once per issue, retried
# after the sink refuses and then accepts, a permanent refusal recorded and
# shown to admins, the SMTP server down for a while (mail waits, nothing is
# lost, /metrics shows the backlog), erasure cancels queued mail, tenancy.
# Every wait is bounded; the trap stops the daemon and the sink.
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
db=mc_mail
role=mc_mail_bridge
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcmail.XXXXXX")
DPID=
SPID=
cleanup() {
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
    wait 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
        -c "DROP ROLE IF EXISTS regress_mail_other" 2>/dev/null
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
q() {  # q [-v name=value]... -c SQL (only the last -c counts)
    local args=() sql=
    while [ $# -gt 0 ]; do
        if [ "$1" = -c ]; then sql=$2; shift 2; else args+=("$1"); shift; fi
    done
    printf '%s\n' "$sql" | psql -X -At -v ON_ERROR_STOP=1 -d $db "${args[@]}" 2>&1
}
PY=/usr/bin/python3
[ -x $PY ] || PY=python3
if [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs a cluster (PGHOST)"
    exit 0
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" -c "DROP ROLE IF EXISTS regress_mail_other" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
learner() {  # learner EMAIL: a new learner of demo-uas
    q -c "SELECT microcred.add_learner(issuer => 'demo-uas', email => '$1', given_name => 'Test', family_name => 'Learner')"
}
issue() {  # issue LEARNER [TYPE]
    q -c "SELECT microcred.issue('demo-uas/${2:-PY-DATA}', '$1')"
}
outbox() { q -c "SELECT count(*) FROM microcred.mail_outbox WHERE $1"; }

# --- queueing, in SQL --------------------------------------------------------------
L0=$(learner first@learner.example)
issue "$L0" >/dev/null
ok "$(outbox true)" 0 "an issuer without mail settings queues nothing"
ok "$(q -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'credentials@demo-uas.example', reply_to => 'registry@demo-uas.example', learner_page_url => 'https://lms.demo-uas.example/my/credentials')")" "" \
   "set_mail_settings turns credential e-mails on"
L1=$(learner one@learner.example)
C1=$(issue "$L1")
ok "$(outbox "credential_id = '$C1' AND state = 'queued' AND learner_id = '$L1'")" 1 "an issue queues one e-mail in the issuing transaction"
ok "$(q -c "SELECT microcred.issue('demo-uas/PY-DATA', '$L1') = '$C1'")|$(outbox "learner_id = '$L1'")" "t|1" \
   "issuing again (the same credential back) queues nothing more"
L2=$(learner two@learner.example)
q -c "BEGIN; SELECT microcred.issue('demo-uas/PY-DATA', '$L2'); ROLLBACK;" >/dev/null
ok "$(outbox "learner_id = '$L2'")" 0 "a rolled-back issue queues nothing"
L3=$(learner optout@learner.example)
q -c "SELECT microcred.set_learner_mail_preference('$L3', opted_out => true)" >/dev/null
issue "$L3" >/dev/null
ok "$(outbox "learner_id = '$L3'")" 0 "a learner who opted out gets no e-mail"
LS=$(q -c "SELECT microcred.add_learner(issuer => 'demo-uas', student_id => 'NO-MAIL-1')")
issue "$LS" >/dev/null
ok "$(outbox "learner_id = '$LS'")" 0 "a learner without an address gets none"
q -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'credentials@demo-uas.example', enabled => false)" >/dev/null
L4=$(learner off@learner.example)
issue "$L4" >/dev/null
ok "$(outbox "learner_id = '$L4'")" 0 "an issuer that opted out queues nothing"
q -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'credentials@demo-uas.example', sender_name => 'Hochschule Demo Süd', reply_to => 'registry@demo-uas.example', learner_page_url => 'https://lms.demo-uas.example/my/credentials')" >/dev/null

# rendering (in a transaction that is rolled back: claims change state)
q -c "UPDATE microcred.credential_type SET title = 'Python <b>& \"Data\"</b>' WHERE code = 'PY-DATA'" >/dev/null
L5=$(learner deutsch@learner.example)
q -c "SELECT microcred.set_learner_mail_preference('$L5', opted_out => false, language => 'de')" >/dev/null
C5=$(issue "$L5")
q -c "BEGIN; SELECT row_to_json(m) FROM microcred.mail_claim(100) m; ROLLBACK;" | grep '^{' >"$TMP/claims"
claim() { $PY -c 'import json,sys; rows=[json.loads(l) for l in open(sys.argv[1])]; r=[x for x in rows if x["rcpt"]==sys.argv[2]][0]; print(r[sys.argv[3]])' "$TMP/claims" "$1" "$2"; }
ok "$(claim deutsch@learner.example subject)" 'Ihr Nachweis: Python <b>& "Data"</b>' "the learner's language (de) chooses the template; the subject is plain text"
ok "$(claim deutsch@learner.example body_html | grep -c 'Python &lt;b&gt;&amp; &quot;Data&quot;&lt;/b&gt;')" 1 "the HTML body escapes the title"
ok "$(claim deutsch@learner.example body_html | grep -c '<b>')" 0 "no markup of the title reaches the HTML"
ok "$(claim deutsch@learner.example body_text | grep -c "http://127.0.0.1:8080/credentials/$C5")" 1 "the text names the verification page on the issuer's base URL"
ok "$(claim deutsch@learner.example body_text | grep -c 'https://lms.demo-uas.example/my/credentials')" 1 "and the learner page"
ok "$(claim deutsch@learner.example body_text | grep -c 'openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fwallet%2Foffers%2F')" 1 \
   "the text carries a wallet offer (OpenID4VCI, by reference, under the issuer's base URL)"
ok "$(claim one@learner.example subject)" 'Your credential: Python <b>& "Data"</b>' "the issuer's language (en) otherwise"
ok "$(claim one@learner.example mail_from)|$(claim one@learner.example reply_to)|$(claim one@learner.example from_name)" \
   "credentials@demo-uas.example|registry@demo-uas.example|Hochschule Demo Süd" "per-issuer sender, reply-to and sender name"
q -c "UPDATE microcred.credential_type SET title = 'Python for Data Analysis' WHERE code = 'PY-DATA'" >/dev/null
q -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'credentials@demo-uas.example', language => 'fr')" >/dev/null
ok "$(q -c "BEGIN; SELECT subject FROM microcred.mail_claim(100) WHERE rcpt = 'one@learner.example'; ROLLBACK;" | grep -c 'Votre certification')" 1 \
   "the French template"
ok "$(q -c "SELECT microcred._mail_render('{{a}} {{#b}}[{{b}}]{{/b}}{{#c}}({{c}}){{/c}}', '{\"a\": \"{{b}}\", \"b\": \"x<y\", \"c\": null}', true)")" \
   '{{b}} [x&lt;y]' "rendering: sections left out when empty, values escaped and never substituted again"
q -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'credentials@demo-uas.example', sender_name => 'Hochschule Demo Süd', reply_to => 'registry@demo-uas.example', learner_page_url => 'https://lms.demo-uas.example/my/credentials')" >/dev/null
ok "$(q -c "BEGIN; SELECT microcred.set_mail_template('demo-uas', 'en', 'Own: {{title}}', 'x {{verify_url}}', '<p>{{title}}</p>'); SELECT subject FROM microcred.mail_claim(100) WHERE rcpt = 'one@learner.example'; ROLLBACK;" | grep -c '^Own: Python for Data Analysis$')" 1 \
   "an issuer's own template replaces the built-in one"

# bad input
ok "$(q -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'not an address')" | grep -c '^ERROR:.*sender of credential e-mails must be an e-mail address')" 1 "a bad sender: clear error"
ok "$(q -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'a@b.example', language => 'xx')" | grep -c '^ERROR:.*e-mail language "xx" is not available')" 1 "an unknown language: clear error"
ok "$(q -c "SELECT microcred.set_mail_settings('demo-uas', sender => 'a@b.example', sender_name => E'x\r\nBcc: evil@x')" | grep -c '^ERROR:.*one line')" 1 "a sender name with a line break (header injection): refused"
ok "$(q -c "SELECT microcred.set_mail_template('demo-uas', 'en', E'two\nlines', 'x', 'y')" | grep -c '^ERROR:')" 1 "a template subject with a line break: refused"
ok "$(q -c "SELECT * FROM microcred.mail_claim(0)" | grep -c '^ERROR:.*max_mails')" 1 "mail_claim with a bad batch size: clear error"
ok "$(q -c "SELECT microcred.mail_failed(1, 'x', 'sometimes')" | grep -c '^ERROR:.*failure kind')" 1 "mail_failed with an unknown kind: clear error"

# tenancy
q -c "SELECT microcred.add_issuer(legal_name => 'Other College', country => 'FR', handle => 'other', base_url => 'https://other.example')" >/dev/null
q -c "CREATE ROLE regress_mail_other LOGIN IN ROLE microcred_issuer" >/dev/null
q -c "SELECT microcred.grant_issuer('other', 'regress_mail_other')" >/dev/null
asother() { q -c "SET ROLE regress_mail_other; $1" | tail -1; }
ok "$(asother "SELECT count(*) FROM microcred.mail_outbox")" 0 "another issuer's role sees none of this issuer's outbox"
ok "$(asother "SELECT count(*) FROM microcred.mail_failures")" 0 "nor its failures"
ok "$(asother "SELECT count(*) FROM microcred.mail_setting")" "ERROR:  permission denied for table mail_setting" "nor (as an issuer role) any mail settings"
ok "$(q -c "SET ROLE regress_mail_other; SELECT microcred.set_learner_mail_preference('$L1', true)" | grep -c '^ERROR:.*does not exist')" 1 "and cannot opt this issuer's learner out"
ok "$(asother "SELECT count(*) FROM microcred.mail_claim(10)" | grep -c 'permission denied')" 1 "only the bridge may claim e-mails"
ok "$(outbox "learner_id = '$L1' AND state = 'queued'")" 1 "the learner's e-mail is still queued"

# erasure cancels queued mail
L6=$(learner erased@learner.example)
issue "$L6" >/dev/null
q -c "SELECT microcred.erase_learner('$L6')" >/dev/null
ok "$(outbox "learner_id = '$L6' AND state = 'cancelled'")" 1 "erasing a learner cancels the queued e-mail"

# --- the bridge and the sink ----------------------------------------------------------------
if [ ! -x "$BIN" ] || ! $PY -c 'import aiosmtpd' 2>/dev/null; then
    echo "ok $((n + 1)) # SKIP bridge sending: needs lti_bridge/microcred-bridge and python3-aiosmtpd (tests/deps.sh)"
    echo "1..$((n + 1))"
    [ "$fails" -eq 0 ]
    exit
fi
q -c "GRANT microcred_bridge TO $role" >/dev/null
mkdir -p "$TMP/sink"
start_sink() {  # start_sink PORT: the sink, AUTH mailer/s3cret
    rm -f "$TMP/sink/ready" "$TMP/sink/stop"
    $PY tests/lib/smtp_sink.py "$TMP/sink" "$1" mailer s3cret 2>>"$TMP/sink.log" &
    SPID=$!
    for ((i = 0; i < 50; i++)); do [ -e "$TMP/sink/ready" ] && return 0; sleep 0.1; done
    return 1
}
stop_sink() { touch "$TMP/sink/stop"; wait "$SPID" 2>/dev/null; SPID=; }
for ((try = 0; try < 10; try++)); do
    SPORT=$((20000 + RANDOM % 40000))
    start_sink $SPORT && break
    kill -KILL "$SPID" 2>/dev/null; wait "$SPID" 2>/dev/null; SPID=
done
[ -n "$SPID" ] || { echo "Bail out! the SMTP sink did not start"; cat "$TMP/sink.log"; exit 1; }
ok "$(ss -ltn 2>/dev/null | grep -c "127.0.0.1:$SPORT ")" 1 "the sink listens on loopback only"
printf 's3cret\n' >"$TMP/smtp.pw"
chmod 600 "$TMP/smtp.pw"
touch "$TMP/sink/refuse"	# the first attempts are refused (451)
for ((try = 0; try < 10; try++)); do
    PORT=$((20000 + RANDOM % 40000))
    cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 2
smtp_url = smtp://127.0.0.1:$SPORT
smtp_starttls = off
smtp_user = mailer
smtp_password_file = $TMP/smtp.pw
smtp_timeout_ms = 5000
mail_poll_s = 1
mail_retry_base_s = 1
mail_max_attempts = 20
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
msgs() { ls "$TMP/sink" | grep -c '^msg-'; }
msgs_to() { grep -l "^X-Sink-To: $1" "$TMP"/sink/msg-*.eml 2>/dev/null | wc -l | tr -d ' '; }
wait_for() {  # wait_for SECONDS COMMAND...: until the command succeeds
    local t=$(($1 * 10)); shift
    for ((i = 0; i < t; i++)); do "$@" && return 0; sleep 0.1; done
    return 1
}
metric() { curl -s --max-time 5 "$URL/metrics" | grep "^$1 " | cut -d' ' -f2; }

# refused, then accepted
wait_for 10 test "$(outbox "learner_id = '$L1' AND attempts >= 1 AND last_error IS NOT NULL")" = 1
ok "$(q -c "SELECT state || ':' || (last_error LIKE '%451%') FROM microcred.mail_failures WHERE learner_id = '$L1'")" "queued:true" \
   "a refused e-mail (451) waits for a retry, shown with its error in mail_failures"
ok "$(msgs)" 0 "nothing was delivered while the sink refused"
rm -f "$TMP/sink/refuse"
wait_for 15 test "$(msgs_to one@learner.example)" = 1
ok "$(msgs_to one@learner.example)" 1 "after the sink accepts, the retry delivers it"
ok "$(outbox "learner_id = '$L1' AND state = 'sent'")" 1 "the outbox records it as sent"
M1=$(grep -l '^X-Sink-To: one@learner.example' "$TMP"/sink/msg-*.eml)
ok "$(grep -c '^X-Sink-From: credentials@demo-uas.example' "$M1")" 1 "the envelope sender is the issuer's sender"
$PY - "$M1" >"$TMP/m1.txt" <<'EOF'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
print('SUBJECT', m['Subject'])
print('FROM', m['From'])
print('REPLYTO', m['Reply-To'])
print('TYPES', ','.join(p.get_content_type() for p in m.walk() if not p.is_multipart()))
for p in m.walk():
    if not p.is_multipart():
        print('BODY', p.get_content_type(), p.get_content().replace('\n', ' '))
EOF
ok "$(grep '^SUBJECT' "$TMP/m1.txt")" "SUBJECT Your credential: Python for Data Analysis" "the subject names the credential's title"
ok "$(grep '^FROM' "$TMP/m1.txt")|$(grep '^REPLYTO' "$TMP/m1.txt")" "FROM Hochschule Demo Süd <credentials@demo-uas.example>|REPLYTO registry@demo-uas.example" \
   "From and Reply-To headers"
ok "$(grep '^TYPES' "$TMP/m1.txt")" "TYPES text/plain,text/html" "plain text and HTML alternatives"
ok "$(grep '^BODY text/plain' "$TMP/m1.txt" | grep -c "http://127.0.0.1:8080/credentials/$C1")" 1 "the text links the verification page"
ok "$(grep '^BODY text/html' "$TMP/m1.txt" | grep -c "href=\"http://127.0.0.1:8080/credentials/$C1\"")" 1 "the HTML links it too"
ok "$(grep -c '^From: =?UTF-8?B?' "$M1")" 1 "a non-ASCII sender name is RFC 2047 encoded"
MD=$(grep -l '^X-Sink-To: deutsch@learner.example' "$TMP"/sink/msg-*.eml)
ok "$(msgs_to deutsch@learner.example)|$($PY - "$MD" <<'EOF'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=policy.default)
print(m['Subject'], 'prüfen' in m.get_body(('plain',)).get_content())
EOF
)" "1|Ihr Nachweis: Python for Data Analysis True" "the German e-mail went too, its UTF-8 text intact"
ok "$(msgs_to erased@learner.example)|$(msgs_to optout@learner.example)|$(msgs_to off@learner.example)" "0|0|0" \
   "nothing to the erased, the opted-out, or while the issuer had opted out"

# sent once per issue
before=$(msgs)
for i in 1 2 3; do issue "$(learner "batch$i@learner.example")" >/dev/null; done
wait_for 10 test "$(msgs)" = $((before + 3))
sleep 2
ok "$(msgs)" $((before + 3)) "three issues, three e-mails, each sent once"
ok "$(msgs_to batch1@learner.example)$(msgs_to batch2@learner.example)$(msgs_to batch3@learner.example)" 111 "one to each learner"
q -c "BEGIN; SELECT microcred.issue('demo-uas/PY-DATA', '$L2'); ROLLBACK;" >/dev/null
sleep 2
ok "$(msgs_to two@learner.example)" 0 "a rolled-back issue sends nothing"

# a permanent refusal is recorded for admins
issue "$(learner bounce@learner.example)" >/dev/null
wait_for 10 test "$(q -c "SELECT count(*) FROM microcred.mail_failures WHERE state = 'failed'")" = 1
ok "$(q -c "SELECT attempts || ':' || (last_error LIKE '%550%') FROM microcred.mail_failures WHERE state = 'failed'")" "1:true" \
   "a 550 answer fails the e-mail at once, with the error, in mail_failures"
wait_for 5 test "$(metric microcred_bridge_mail_failed)" = 1
ok "$(metric microcred_bridge_mail_failed)" 1 "/metrics counts it"

# the SMTP server down for a while: mail waits, nothing is lost
stop_sink
before=$(msgs)
for i in 1 2; do issue "$(learner "down$i@learner.example")" >/dev/null; done
LE=$(learner downerased@learner.example)
issue "$LE" >/dev/null
sleep 3
ok "$(outbox "state IN ('queued', 'sending') AND learner_id IN (SELECT id FROM microcred.learner WHERE email LIKE 'down%')")" 3 \
   "while the server is down the e-mails wait in the outbox"
ok "$(outbox "attempts > 0 AND state = 'queued' AND learner_id IN (SELECT id FROM microcred.learner WHERE email LIKE 'down%')")" 0 \
   "an unreachable server costs no attempt"
wait_for 5 test "$(metric microcred_bridge_mail_backlog)" = 3
ok "$(metric microcred_bridge_mail_backlog)" 3 "/metrics shows the backlog"
ok "$(curl -s --max-time 5 "$URL/metrics" | grep -c '^microcred_bridge_mail_total{outcome="unreachable"} [1-9]')" 1 "and counts the unreachable attempts"
q -c "SELECT microcred.erase_learner('$LE')" >/dev/null
start_sink $SPORT || { echo "Bail out! the sink did not restart"; exit 1; }
wait_for 40 test "$(msgs)" = $((before + 2))
ok "$(msgs_to down1@learner.example)$(msgs_to down2@learner.example)" 11 "when the server is back every waiting e-mail is sent"
ok "$(msgs_to downerased@learner.example)" 0 "except the one of the learner erased meanwhile"
wait_for 5 test "$(metric microcred_bridge_mail_backlog)" = 0
ok "$(metric microcred_bridge_mail_backlog)" 0 "the backlog is empty again"
ok "$(grep -c 'learner.example' "$TMP/bridge.log")" 0 "the bridge log holds no address"

kill -TERM "$DPID"
for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
ok "$(kill -0 "$DPID" 2>/dev/null && echo running || echo stopped)" stopped "the bridge stops on SIGTERM with the mail thread"
DPID=
stop_sink
echo "1..$n"
[ "$fails" -eq 0 ]
