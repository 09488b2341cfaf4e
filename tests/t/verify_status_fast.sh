#!/bin/bash
# verify() checks the status of our own lists in C (verify_status_sql.c) and
# sends everything else through microcred._with_status, the specification.
#   1. the C path writes exactly what _with_status writes, for credentials
#      re-signed with every status shape: our list (pass, revoked, out of
#      range, never issued, wrong purpose, another issuer's list, two
#      entries), a foreign list, an index as a number, another status method,
#      no status, a JSON null, and a credential that already failed;
#   2. the bit is never cached: revoke, suspend and reinstate in the same
#      session show in the next verification; verify(document(issue(...)))
#      in one statement sees the new entry;
#   3. our lists are cached by URL per backend and forgotten when a list's
#      URL changes: in the same session (also after a ROLLBACK) and in
#      another session after it commits;
#   4. keys: retiring the signing key in the same session makes the next
#      verification fail; trusting a key makes a credential it signed valid.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -eu
cd "$(dirname "$0")/../.."
db=mc_vfast
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" 2>/dev/null' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1" | head -c 3000; echo; echo "#   want: $2"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db "$@"; }

# a second issuer with its own list, more credentials, and a helper that
# re-signs a document with its issuer's active Ed25519 key
q -q >/dev/null <<'SQL'
SELECT microcred.add_issuer(legal_name => 'Other College', handle => 'other', country => 'IE',
                            base_url => 'http://127.0.0.1:8080');
SELECT microcred.define_credential(issuer => 'other', code => 'OC-1', title => 'Other course',
    description => 'A course.', learning_outcomes => ARRAY['Does things'], ects => 1, eqf_level => 5,
    assessment => ARRAY['project_work'], participation => 'online', quality_assurance => 'internal');
SELECT microcred.generate_key('other');
SELECT microcred.add_learner(issuer => 'other', email => 'o1@example.org');
SELECT microcred.issue('other/OC-1', (SELECT id FROM microcred.learner WHERE email = 'o1@example.org'));
UPDATE microcred.credential_type SET allow_repeats = true;
SELECT microcred.issue('demo-uas/PY-DATA', l.id) FROM microcred.learner l, generate_series(1, 4)
 WHERE l.email = 'aoife.murphy@student.demo-uas.example';
CREATE TABLE resign_key AS
SELECT DISTINCT ON (i.id) i.id AS issuer_id, k.id AS key_id, i.public_id || '#' || k.fragment AS vm
  FROM microcred.issuer i JOIN microcred.signing_key k ON k.issuer_id = i.id
 WHERE k.state = 'active' AND k.algorithm = 'Ed25519';
CREATE FUNCTION resign(d jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT microcred._sign_di(d - 'proof', 'eddsa-jcs-2022', r.key_id, r.issuer_id, r.vm, now())
      FROM resign_key r JOIN microcred.issuer i ON i.id = r.issuer_id
     WHERE i.public_id = coalesce(d -> 'issuer' ->> 'id', d ->> 'issuer') $$;
CREATE TABLE doc AS
SELECT c.id, c.document FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id
 WHERE i.handle = 'demo-uas' ORDER BY c.issued_at, c.id;
UPDATE microcred.credential_type SET suspendable = true WHERE code = 'PY-DATA';
CREATE TABLE susp AS
SELECT microcred.issue('demo-uas/PY-DATA', l.id) AS id FROM microcred.learner l WHERE l.email = 'aoife.murphy@student.demo-uas.example';
SQL
ok "$(q -c "SELECT count(*) FROM doc")" 5 "(five credentials of demo-uas to work with)"
ok "$(q -c "SELECT bool_and((microcred.verify(resign(document))).valid) FROM doc")" t "(re-signing keeps them valid)"
revoked=$(q -c "SELECT id FROM doc ORDER BY id OFFSET 4 LIMIT 1")
q -q -c "SELECT microcred.revoke('$revoked', 'test')"

# 1. the same verdict, checks and reasons as _with_status
q -q >/dev/null <<SQL
CREATE TABLE base AS SELECT document AS b, document -> 'credentialStatus' AS cs FROM doc WHERE id <> '$revoked' ORDER BY id LIMIT 1;
CREATE TABLE shape (name text, d jsonb);
INSERT INTO shape
SELECT 'as issued', b FROM base
UNION ALL SELECT 'revoked', document FROM doc WHERE id = '$revoked'
UNION ALL SELECT 'index out of range', resign(jsonb_set(b, '{credentialStatus,statusListIndex}', '"131072"')) FROM base
UNION ALL SELECT 'never issued', resign(jsonb_set(b, '{credentialStatus,statusListIndex}', to_jsonb(
              (SELECT min(g) FROM generate_series(0, 1000) g WHERE NOT EXISTS (SELECT 1 FROM microcred.status_entry e WHERE e.idx = g))::text))) FROM base
UNION ALL SELECT 'leading zeros', resign(jsonb_set(b, '{credentialStatus,statusListIndex}', to_jsonb(lpad(cs ->> 'statusListIndex', 9, '0')))) FROM base
UNION ALL SELECT 'wrong purpose', resign(jsonb_set(b, '{credentialStatus,statusPurpose}', '"suspension"')) FROM base
UNION ALL SELECT 'list of another issuer', resign(jsonb_set(b, '{credentialStatus,statusListCredential}',
              to_jsonb((SELECT sl.url FROM microcred.status_list sl JOIN microcred.issuer i ON i.id = sl.issuer_id WHERE i.handle = 'other')))) FROM base
UNION ALL SELECT 'two entries', resign(jsonb_set(b, '{credentialStatus}', jsonb_build_array(cs,
              (SELECT document -> 'credentialStatus' FROM doc WHERE id = '$revoked')))) FROM base
UNION ALL SELECT 'one-element array', resign(jsonb_set(b, '{credentialStatus}', jsonb_build_array(cs))) FROM base
UNION ALL SELECT 'foreign list', resign(jsonb_set(b, '{credentialStatus,statusListCredential}', '"https://elsewhere.example/status/1"')) FROM base
UNION ALL SELECT 'index as a number', resign(jsonb_set(b, '{credentialStatus,statusListIndex}', to_jsonb((cs ->> 'statusListIndex')::int))) FROM base
UNION ALL SELECT 'index with a sign', resign(jsonb_set(b, '{credentialStatus,statusListIndex}', '"+1"')) FROM base
UNION ALL SELECT 'no purpose', resign(b #- '{credentialStatus,statusPurpose}') FROM base
UNION ALL SELECT 'other status method', resign(jsonb_set(b, '{credentialStatus,type}', '"StatusList2021Entry"')) FROM base
UNION ALL SELECT 'no status', resign(b - 'credentialStatus') FROM base
UNION ALL SELECT 'null status', resign(jsonb_set(b, '{credentialStatus}', 'null')) FROM base
UNION ALL SELECT 'already failed', jsonb_set(b, '{name}', '"tampered"') FROM base
UNION ALL SELECT 'already failed, two entries', jsonb_set(resign(jsonb_set(b, '{credentialStatus}', jsonb_build_array(cs, cs))), '{name}', '"x"') FROM base;
SQL
ok "$(q -c "SELECT count(*) FROM shape WHERE d IS NOT NULL")" 18 "(eighteen status shapes)"
ok "$(q -c "SELECT string_agg(name, ', ') FROM shape WHERE microcred.verify(d)::text IS DISTINCT FROM microcred._with_status(microcred._verify_document(d, '{}'), NULL, NULL)::text")" "" \
   "verify(jsonb) gives exactly what _with_status gives, for every shape"
ok "$(q -c "SELECT string_agg(name, ', ') FROM shape WHERE microcred.verify(d::text)::text IS DISTINCT FROM microcred._with_status(microcred._verify_text(d::text, '{}'), NULL, NULL)::text")" "" \
   "... and verify(text)"
ok "$(q -c "SELECT string_agg(name, ', ') FROM shape WHERE microcred.verify(d, ARRAY['{}'::jsonb], ARRAY[NULL::jsonb])::text IS DISTINCT FROM microcred._with_status(microcred._verify_document(d, '{}'), ARRAY['{}'::jsonb], ARRAY[NULL::jsonb])::text")" "" \
   "... also with status_lists and controller_documents given"
ok "$(q -F'|' -c "SELECT name, v.valid, (SELECT string_agg(c ->> 'result' || ': ' || regexp_replace(c ->> 'reason', '[0-9a-f-]{36}|[0-9]{2,}', '<x>', 'g'), '; ')
                                  FROM jsonb_array_elements(v.checks) c WHERE c ->> 'check' = 'status')
                  FROM shape, microcred.verify(d) v ORDER BY name")" \
"already failed|f|skip: 1 credentialStatus entry was not checked: the credential already failed verification
already failed, two entries|f|skip: 2 credentialStatus entries were not checked: the credential already failed verification
as issued|t|pass: not revoked (bit <x> of http://<x>.0.0.1:<x>/status/<x>)
foreign list|t|warn: revocation status list https://elsewhere.example/status/1 was not given; pass it in status_lists to check it
index as a number|t|pass: not revoked (bit <x> of http://<x>.0.0.1:<x>/status/<x>)
index out of range|f|fail: status list index <x> is out of range for http://<x>.0.0.1:<x>/status/<x> (<x> entries)
index with a sign|f|fail: status list index +1 is out of range for http://<x>.0.0.1:<x>/status/<x> (<x> entries)
leading zeros|t|pass: not revoked (bit <x> of http://<x>.0.0.1:<x>/status/<x>)
list of another issuer|f|fail: the status list http://<x>.0.0.1:<x>/status/<x> belongs to http://<x>.0.0.1:<x>/issuers/other, not to the credential's issuer
never issued|f|fail: revocation entry 0 of http://<x>.0.0.1:<x>/status/<x> was not issued by this list
no purpose|f|fail:  entry <x> of http://<x>.0.0.1:<x>/status/<x> was not issued by this list
no status|t|skip: the credential has no credentialStatus
null status|f|skip: 1 credentialStatus entry was not checked: the credential already failed verification
one-element array|t|pass: not revoked (bit <x> of http://<x>.0.0.1:<x>/status/<x>)
other status method|t|warn: status method StatusList<x>Entry is not supported
revoked|f|fail: revoked: bit <x> of http://<x>.0.0.1:<x>/status/<x> is set
two entries|f|pass: not revoked (bit <x> of http://<x>.0.0.1:<x>/status/<x>); fail: revoked: bit <x> of http://<x>.0.0.1:<x>/status/<x> is set
wrong purpose|f|fail: suspension entry <x> of http://<x>.0.0.1:<x>/status/<x> was not issued by this list" \
   "each shape has the status check it should: pass, fail, warn or skip, with its reason"

# 2. the bit is never cached
base_id=$(q -c "SELECT id FROM susp")
ok "$(q -c "SELECT jsonb_array_length(c.document -> 'credentialStatus') FROM microcred.issued_credential c WHERE c.id = '$base_id'")" 2 \
   "(a suspendable credential has two status entries)"
out=$(q <<SQL
SELECT 'before', (microcred.verify(c.document)).valid FROM microcred.issued_credential c WHERE c.id = '$base_id';
SELECT microcred.suspend('$base_id', 'check');
SELECT 'suspended', (microcred.verify(c.document)).valid FROM microcred.issued_credential c WHERE c.id = '$base_id';
SELECT microcred.reinstate('$base_id', 'fine');
SELECT 'reinstated', (microcred.verify(c.document)).valid FROM microcred.issued_credential c WHERE c.id = '$base_id';
SELECT microcred.revoke('$base_id', 'gone');
SELECT 'revoked', (microcred.verify(c.document)).valid FROM microcred.issued_credential c WHERE c.id = '$base_id';
SELECT 'one statement', v.valid, (SELECT string_agg(c ->> 'result', ',') FROM jsonb_array_elements(v.checks) c WHERE c ->> 'check' = 'status')
  FROM microcred.verify(microcred.document(microcred.issue('demo-uas/PY-DATA',
       (SELECT id FROM microcred.learner WHERE email = 'aoife.murphy@student.demo-uas.example')))) v;
SQL
)
ok "$(echo "$out" | grep -v '^$' | grep '|' | tr '\n' ' ')" \
   "before|t suspended|f reinstated|t revoked|f one statement|t|pass,pass " \
   "suspend, reinstate and revoke show in the next verification of the same session; verify(document(issue(...))) sees the new entry"

# 3. our lists are cached by URL, and forgotten when a list's URL changes
check_id=$(q -c "SELECT id FROM doc WHERE id <> '$revoked' ORDER BY id LIMIT 1")
list=$(q -c "SELECT e.list_id FROM microcred.status_entry e WHERE e.credential_id = '$check_id' AND e.purpose = 'revocation'")
# the status check's result (and, when it is not pass, the checks that failed)
status() { echo "SELECT '$1', (SELECT c ->> 'result' FROM jsonb_array_elements(v.checks) c WHERE c ->> 'check' = 'status')
                          || coalesce((SELECT ' (' || string_agg(c ->> 'reason', '; ') || ')' FROM jsonb_array_elements(v.checks) c
                                        WHERE c ->> 'result' = 'fail'), '')
                FROM doc, microcred.verify(document) v WHERE id = '$check_id';"; }
out=$(q <<SQL
$(status cached)
BEGIN;
UPDATE microcred.status_list SET url = url || '-moved' WHERE id = '$list';
$(status moved)
ROLLBACK;
$(status 'rolled back')
SQL
)
ok "$(echo "$out" | grep '|' | tr '\n' ' ')" "cached|pass moved|warn rolled back|pass " \
   "in one session: a list whose URL moved is no longer ours (warn: not given), and ours again after ROLLBACK"
out=$(mktemp)
{
    status A1
    sleep 2
    status A2
    sleep 2
    status A3
} | q >"$out" 2>&1 &
a=$!
sleep 1
q -q -c "UPDATE microcred.status_list SET url = url || '-moved' WHERE id = '$list'"
sleep 2
q -q -c "UPDATE microcred.status_list SET url = replace(url, '-moved', '') WHERE id = '$list'"
wait $a || true
ok "$(tr '\n' ' ' <"$out")" "A1|pass A2|warn A3|pass " \
   "another session's change of a list's URL reaches a backend that cached the list, both ways"
rm -f "$out"

# 4. keys: trusted and retired in the same session
out=$(q <<'SQL'
CREATE TABLE foreign_doc AS
SELECT microcred._sign_di(jsonb_set(b - 'credentialStatus' - 'proof', '{issuer,id}', '"https://trusted.example/issuer"'),
                          'eddsa-jcs-2022', r.key_id, r.issuer_id, 'https://trusted.example/issuer#key-1', now()) AS d
  FROM base, resign_key r JOIN microcred.issuer i ON i.id = r.issuer_id WHERE i.handle = 'demo-uas';
SELECT 'unknown', (microcred.verify(d)).valid FROM foreign_doc;
SELECT microcred.trust_key('https://trusted.example/issuer', 'https://trusted.example/issuer#key-1', k.fragment)
  FROM resign_key r JOIN microcred.signing_key k ON k.id = r.key_id JOIN microcred.issuer i ON i.id = r.issuer_id WHERE i.handle = 'demo-uas';
SELECT 'trusted', (microcred.verify(d)).valid FROM foreign_doc;
SQL
)
ok "$(echo "$out" | grep '^[a-z]*|[tf]$' | tr '\n' ' ')" "unknown|f trusted|t " \
   "trusting a key in the same session makes the credential it signed valid at the next verification"
out=$(q <<SQL
$(status key)
SELECT microcred.retire_key(key_id) FROM resign_key WHERE issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'demo-uas');
SELECT 'retired', (microcred.verify(document)).valid FROM doc WHERE id = '$check_id';
SQL
)
ok "$(echo "$out" | grep '|' | tr '\n' ' ')" "key|pass retired|f " "retiring the signing key in the same session makes the next verification fail"
echo "1..$n"
