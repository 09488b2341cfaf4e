#!/bin/bash
# The verification page in a real browser: Debian's chromium, chromium-driver
# and python3-selenium drive tests/browser/verify_page.py against the bridge
# on 127.0.0.1 with a credential in each state (valid, revoked, suspended,
# expired, superseded, erased): verdicts and elements, one printed page on A4
# and Letter with a QR code that decodes (poppler-utils, zbar-tools), Tab
# reaching every link, the German interface, no console errors, the CSP
# blocking inline script; and the README's chromium --print-to-pdf command.
# Skipped, with one line, where chromium or its driver is not installed.
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
for t in chromium chromedriver pdfinfo pdftoppm zbarimg; do
    command -v $t >/dev/null 2>&1 || { echo "1..0 # SKIP no $t (apt-get install chromium chromium-driver python3-selenium poppler-utils zbar-tools)"; exit 0; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { echo "1..0 # SKIP no python3-selenium"; exit 0; }
if [ ! -x "$BIN" ] || [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs lti_bridge/microcred-bridge and a cluster (PGHOST)"
    exit 0
fi
db=mc_browser_page
role=mc_browser_test
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcbrowser.XXXXXX")
chmod 755 "$TMP"
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    wait 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" 2>/dev/null
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
q() { printf '%s\n' "$1" | psql -X -At -v ON_ERROR_STOP=1 -d $db; }
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
q "GRANT microcred_bridge TO $role" >/dev/null
for ((try = 0; try < 10; try++)); do
    PORT=$((20000 + RANDOM % 40000))
    cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 2
public_cache_s = 2
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

# one credential in each state
learner() { q "SELECT microcred.add_learner(issuer => 'demo-uas', email => '$1@student.demo-uas.example', given_name => 'Test', family_name => '$1', name_in_credential => true)"; }
issue() { q "SELECT microcred.issue('demo-uas/$1', '$(learner "$2")' ${3:-})"; }
VALID=$(q "SELECT id FROM microcred.issued_credential LIMIT 1")
REV=$(issue GDPR-NURSE revoked); q "SELECT microcred.revoke('$REV', 'issued in error')" >/dev/null
q "UPDATE microcred.credential_type SET suspendable = true WHERE code = 'GDPR-NURSE'" >/dev/null
SUS=$(issue GDPR-NURSE suspended); q "SELECT microcred.suspend('$SUS', 'under review')" >/dev/null
EXP=$(issue GDPR-NURSE expired ", issued_at => now() - interval '4 years'")
OLD=$(issue GDPR-NURSE superseded ", grade => 'Merit'"); q "SELECT microcred.supersede('$OLD', grade => 'Distinction')" >/dev/null
ERA=$(issue GDPR-NURSE erased); q "SELECT microcred.erase_learner(learner_id, 'request') FROM microcred.issued_credential WHERE id = '$ERA'" >/dev/null
VERIFY_URL=$(q "SELECT document->>'id' FROM microcred.issued_credential WHERE id = '$VALID'")

export HOME=$TMP   # chromium's profile and crash dumps stay in the test's directory
timeout 300 /usr/bin/python3 tests/browser/verify_page.py "$URL" "$VERIFY_URL" "$TMP" \
    valid=$VALID revoked=$REV suspended=$SUS expired=$EXP superseded=$OLD erased=$ERA 2>"$TMP/selenium.log" | sed '/^1\.\./d' >"$TMP/tap"
cat "$TMP/tap"
n=$(grep -c '^ok\|^not ok' "$TMP/tap")
[ "$n" -gt 0 ] || { echo "not ok 1 - the browser test ran"; tail -20 "$TMP/selenium.log"; n=1; }

# the README's command: chromium prints the page to one PDF page
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$TMP/readme.pdf" "$URL/credentials/$VALID?format=html" >/dev/null 2>&1
pages=$(pdfinfo "$TMP/readme.pdf" 2>/dev/null | awk '/^Pages:/ { print $2 }')
n=$((n + 1))
if [ "$pages" = 1 ]; then echo "ok $n - chromium --headless --print-to-pdf (README) gives one page"
else echo "not ok $n - chromium --headless --print-to-pdf (README) gives one page (got '$pages')"; fi
echo "1..$n"
