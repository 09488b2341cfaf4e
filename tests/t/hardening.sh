#!/bin/bash
# Data hygiene (issue 14): verify(NULL) is an error, not a row of NULLs;
# erasure leaves the learner's e-mail, name and student id in no text or
# jsonb column of any table (the columns are read from the catalog);
# secrets in backend memory are on pages excluded from core dumps; a KEK
# path naming a FIFO is refused at once instead of hanging the backend.
set -u
cd "$(dirname "$0")/../.."
db=mc_hardening
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mchyg.XXXXXX")
chmod 755 "$TMP"
cleanup() {
    psql -X -q -d postgres -c "ALTER SYSTEM RESET microcred.kek_file" -c "SELECT pg_reload_conf()" >/dev/null 2>&1
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS mch_issuer" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
n=0
ok() {  # ok GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"
    else echo "not ok $n - $3"; printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi
}
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }
if [ -z "${PGHOST:-}" ]; then echo "1..0 # SKIP needs a cluster (PGHOST)"; exit 0; fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q "CREATE EXTENSION microcred CASCADE" >/dev/null
psql -X -q -d postgres -c "DROP ROLE IF EXISTS mch_issuer" -c "CREATE ROLE mch_issuer LOGIN IN ROLE microcred_issuer"

# verify(NULL)
for f in "verify(NULL::jsonb)" "verify(NULL::text)" "verify_jwt(NULL)"; do
    ok "$(psql -X -At -d $db -c "SELECT (microcred.$f).valid" 2>&1 | head -1)" \
       "ERROR:  $( [ "$f" = "verify_jwt(NULL)" ] && echo token || echo credential) must not be NULL" "$f is an error"
done

# errors echo at most 100 characters of the input
msg=$(psql -X -At -d $db -c "SELECT microcred.issue(repeat('x', 100000), gen_random_uuid())" 2>&1 | head -1)
ok "$( [ ${#msg} -lt 200 ] && echo short)" short "an error echoes a 100,000-character argument cut to 100 characters (${#msg}: ${msg:0:60}...)"

# a learner with every kind of personal data, a credential, an event naming them, then erasure
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SELECT microcred.add_issuer('Hygiene Uni', 'DE', 'hyg', base_url => 'https://hyg.example');
SELECT microcred.grant_issuer('hyg', 'mch_issuer');
SELECT microcred.lti_register_platform('hyg', 'LMS', 'https://lms.hyg.example', 'client-1',
    'https://lms.hyg.example/auth', 'https://lms.hyg.example/jwks', NULL, '{d1}');
SQL
pf=$(q "SELECT id FROM microcred.lti_platform")
lid=$(psql -X -At -U mch_issuer -d $db -c "SELECT microcred.add_learner('hyg', email => 'zerlina.q@hyg-learners.example', given_name => 'Zerlina', family_name => 'Quastenflosser', student_id => 'STU-778899')")
xs=$(q "SELECT secret FROM microcred.event_source_add('hyg', 'xapi', 'hyg-lrs', '$pf')")
q "SELECT microcred.ingest_xapi('hyg-lrs', '$xs', '{\"id\": \"st-zerlina.q@hyg-learners.example\", \"actor\": {\"mbox\": \"mailto:zerlina.q@hyg-learners.example\", \"name\": \"Zerlina Quastenflosser\"},
     \"verb\": {\"id\": \"http://adlnet.gov/expapi/verbs/completed\"}, \"object\": {\"id\": \"https://lms.hyg.example/course/view.php?id=9\",
     \"definition\": {\"type\": \"http://id.tincanapi.com/activitytype/lms/course\"}}}')" >/dev/null
q "SELECT microcred.lti_launch_view('$pf', 'nowhere', NULL, 'zsub', 'zerlina.q@hyg-learners.example', false)" >/dev/null
# every text, varchar, name and jsonb column of every table of the schema, as text
scan() {
    q "SELECT string_agg(format('SELECT %L || ''.'' || %L FROM microcred.%I WHERE %I::text ~* %L',
                                c.relname, a.attname, c.relname, a.attname, '$1'), ' UNION ALL ')
         FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE ns.nspname = 'microcred' AND c.relkind IN ('r', 'p')
          AND a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'name'::regtype, 'jsonb'::regtype, 'json'::regtype, 'text[]'::regtype)" >"$TMP/scan.sql"
    psql -X -At -d $db -f "$TMP/scan.sql" | sort -u | tr '\n' ' '
}
before=$(scan 'zerlina\.q@hyg-learners|Quastenflosser|STU-778899')
ok "$([ -n "$before" ] && echo found)" found "before erasure the personal data are found (the scan is not vacuous: $before)"
psql -X -q -U mch_issuer -d $db -c "SELECT microcred.erase_learner('$lid')" >/dev/null
ok "$(scan 'zerlina\.q@hyg-learners|Quastenflosser|STU-778899')" "" \
   "after erase_learner no text or jsonb column of any table holds the e-mail, name or student id"

# the Moodle webhook key is stored sealed, and still verifies
mkey=$(q "SELECT secret FROM microcred.event_source_add('hyg', 'moodle', 'hyg-moodle')" 2>/dev/null)
ok "$(q "SELECT length(hmac_key) > 32 AND position(convert_to('$mkey', 'UTF8') IN hmac_key) = 0 FROM microcred.event_source WHERE name = 'hyg-moodle'")" t \
   "the Moodle HMAC key is not stored in clear (sealed under the KEK)"
cat >"$TMP/moodle.sql" <<EOS
SELECT state FROM microcred.ingest_moodle('hyg-moodle', :'body',
    'sha256=' || encode(microcred._hmac_sha256(convert_to('$mkey', 'UTF8'), convert_to(:'body', 'UTF8')), 'hex'));
EOS
ok "$(psql -X -At -d $db -v body='{"eventname": "\\core\\event\\course_viewed", "courseid": 7, "relateduserid": 70, "objectid": 1}' -f "$TMP/moodle.sql" 2>&1)" ignored \
   "an event signed with the key still verifies"

# secrets out of core dumps: after issuing, the backend has MADV_DONTDUMP ("dd") mappings
if [ "$(id -u)" -eq 0 ] || [ -r /proc/self/smaps ]; then
    psql -X -q -v ON_ERROR_STOP=1 -d $db >"$TMP/dd.out" 2>&1 <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv MC_PID :pid
\! grep -c "VmFlags:.* dd" /proc/\$MC_PID/smaps
SELECT microcred.generate_key('hyg') IS NOT NULL AS generated;
\! grep -c "VmFlags:.* dd" /proc/\$MC_PID/smaps
SQL
    before=$(sed -n 1p "$TMP/dd.out"); after=$(tail -1 "$TMP/dd.out")
    ok "$( [ "$after" -gt "$before" ] 2>/dev/null && echo yes)" yes \
       "a backend holding the KEK and a key has more memory excluded from core dumps ($before -> $after mappings)"
fi

# statement_timeout stops a huge canonicalization in the C cores within 100 ms
# of the deadline (the deadline falls after the document is read, while the
# cores work; the overrun is measured by the server)
psql -X -q -d $db >"$TMP/cfi.out" 2>&1 <<'SQL'
CREATE TEMP TABLE d (doc jsonb);
ALTER TABLE d ALTER doc SET STORAGE EXTERNAL;
INSERT INTO d SELECT ('[' || repeat('{"b":[1,2.5,"x"],"a":{"z":null,"y":true}},', 600000) || '1]')::jsonb;
SELECT clock_timestamp() AS t0 \gset
SELECT jsonb_typeof(doc) FROM d \gset
SELECT (2 * round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) + 300)::int AS to_ms \gset
SET statement_timeout = :to_ms;
DO $$
BEGIN
    PERFORM length(microcred.canonicalize(doc, 'jcs')) FROM d;
    RAISE NOTICE 'finished before the deadline';
EXCEPTION WHEN query_canceled THEN
    RAISE NOTICE 'overrun_ms=%', round(extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000
                                       - extract(epoch FROM current_setting('statement_timeout')::interval) * 1000);
END $$;
SQL
overrun=$(grep -o 'overrun_ms=-\?[0-9]*' "$TMP/cfi.out" | cut -d= -f2)
ok "$( [ -n "$overrun" ] && [ "$overrun" -lt 100 ] && echo within)" within \
   "statement_timeout stops a canonicalization of a 26 MB document within 100 ms of the deadline (overrun ${overrun:-none} ms: $(grep -o 'finished.*' "$TMP/cfi.out"))"

# a FIFO as the KEK file: refused at once, not a hang
mkfifo "$TMP/kek.fifo"
chmod 600 "$TMP/kek.fifo"
[ "$(id -u)" -eq 0 ] && chown "${CLUSTER_OSUSER:-postgres}" "$TMP/kek.fifo" 2>/dev/null
psql -X -q -d postgres -c "ALTER SYSTEM SET microcred.kek_file = '$TMP/kek.fifo'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
t0=$(date +%s%N)
got=$(timeout 20 psql -X -At -d $db -c "SET statement_timeout = '10s'" -c "SELECT microcred.generate_key('hyg', 'P-256')" 2>&1 | grep -o 'not a regular file')
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "$got" "not a regular file" "a FIFO as microcred.kek_file is refused (${ms} ms)"
ok "$([ $ms -lt 5000 ] && echo fast)" fast "and at once, not after a hang"
echo "1..$n"
