#!/bin/bash
# The audit chain's hash is a C function since 0.3 (pg_extension/audit_sql.c);
# until 0.2 it was an SQL expression.  Both must give the same bytes for
# every row, or audit_verify() would call old chains broken: the SQL formula
# of 0.2 is written out here and compared with microcred._audit_hash on
# ordinary and odd rows (NULL fields, which concat_ws leaves out; non-ASCII
# text; nested and numeric details; a far and an infinite timestamp; NULL
# prev_hash).  Then a chain written by issuing in C verifies, and a changed
# link is found.
set -eu
cd "$(dirname "$0")/../.."
db=mc_audit_hash
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" 2>/dev/null || true' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }

# the 0.2 formula, verbatim
q "CREATE FUNCTION pg_temp_sql_hash(issuer_id uuid, seq bigint, at timestamptz, actor name, action text,
                                   subject uuid, reason text, details jsonb, prev_hash bytea)
   RETURNS bytea LANGUAGE sql STABLE AS \$\$
    SELECT pg_catalog.sha256(prev_hash OPERATOR(pg_catalog.||) pg_catalog.convert_to(pg_catalog.concat_ws(E'\\x1f',
        issuer_id::text, seq::text,
        pg_catalog.to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), actor::text, action,
        coalesce(subject::text, ''), coalesce(reason, ''),
        microcred.canonicalize(details, 'jcs')), 'UTF8'))
   \$\$" >/dev/null

cases="(VALUES
  (1, '7d0c6b8e-3f7e-4a57-9c1e-2b8a5b3c9d10'::uuid, 1::bigint, '2026-12-07 10:11:12.345678+00'::timestamptz, 'issuer_role'::name, 'issue', 'a1b2c3d4-0000-4000-8000-000000000001'::uuid, NULL::text, '{\"credential_type\": \"x\", \"learner\": \"y\", \"supersedes\": null}'::jsonb, sha256(''::bytea)),
  (2, '7d0c6b8e-3f7e-4a57-9c1e-2b8a5b3c9d10', 2, '2026-12-07 10:11:12+01', 'Ärztin Süd', 'revoke', NULL, 'Betrug – «nachgewiesen» 検証', '{\"n\": [1, 2.5, 1e21, -0.0, true, null], \"z\": {\"b\": 1, \"a\": \"ü\"}}', '\\x00ff'::bytea),
  (3, '7d0c6b8e-3f7e-4a57-9c1e-2b8a5b3c9d10', 3, '0044-03-15 12:00:00 BC', 'r', 'erase', NULL, '', '{}', sha256('x'::bytea)),
  (4, '7d0c6b8e-3f7e-4a57-9c1e-2b8a5b3c9d10', 4, '12345-01-01 00:00:00+00', 'r', 'erase', NULL, NULL, '{}', sha256('x'::bytea)),
  (5, '7d0c6b8e-3f7e-4a57-9c1e-2b8a5b3c9d10', 5, 'infinity', 'r', 'issue', NULL, NULL, '[]', sha256('x'::bytea)),
  (6, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, sha256('x'::bytea)),
  (7, '7d0c6b8e-3f7e-4a57-9c1e-2b8a5b3c9d10', 7, '2026-01-01', 'r', 'issue', NULL, NULL, '\"text\"', NULL)
) AS c(k, i, s, a, r, act, sub, rea, d, p)"
for k in 1 2 3 4 5 6 7; do
    ok "$(q "SET TIME ZONE 'Pacific/Chatham'; SELECT coalesce(encode(microcred._audit_hash(i, s, a, r, act, sub, rea, d, p), 'hex'), 'NULL')
                = coalesce(encode(pg_temp_sql_hash(i, s, a, r, act, sub, rea, d, p), 'hex'), 'NULL') FROM $cases WHERE k = $k" | tail -1)" t \
       "case $k: the C hash equals the 0.2 SQL formula"
done
ok "$(q "SELECT encode(microcred._audit_hash(i, s, a, r, act, sub, rea, d, p), 'hex') FROM $cases WHERE k = 1")" \
   "$(q "SELECT encode(sha256(sha256(''::bytea) || convert_to('7d0c6b8e-3f7e-4a57-9c1e-2b8a5b3c9d10' || E'\\x1f' || '1' || E'\\x1f' || '2026-12-07T10:11:12.345678Z' || E'\\x1f' || 'issuer_role' || E'\\x1f' || 'issue' || E'\\x1f' || 'a1b2c3d4-0000-4000-8000-000000000001' || E'\\x1f' || '' || E'\\x1f' || '{\"credential_type\":\"x\",\"learner\":\"y\",\"supersedes\":null}', 'UTF8')), 'hex')")" \
   "case 1 spelled out field by field"

# a chain written by issuing in C (one by one and set-based) verifies link by link with the formula
q "SELECT count(microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', email => 'a' || g || '@hash.example'))) FROM generate_series(1, 40) g" >/dev/null
ok "$(q "SELECT ok FROM microcred.audit_verify('demo-uas')")" t "the chain written by the C issue path verifies"
ok "$(q "SELECT count(*) FROM microcred.audit_log a WHERE a.hash <> pg_temp_sql_hash(a.issuer_id, a.seq, a.at, a.actor, a.action, a.subject, a.reason, a.details, a.prev_hash)")" 0 \
   "every stored link matches the 0.2 formula"
ok "$(q "SELECT count(*) FROM microcred.audit_log WHERE action = 'issue'")" 41 "one link per credential issued"
# a changed link is found (as the owner, disabling the append-only trigger for the test)
q "ALTER TABLE microcred.audit_log DISABLE TRIGGER audit_log_append_only; UPDATE microcred.audit_log SET reason = 'edited' WHERE seq = 20 AND issuer_id = (SELECT id FROM microcred.issuer WHERE handle = 'demo-uas'); ALTER TABLE microcred.audit_log ENABLE TRIGGER audit_log_append_only" >/dev/null
ok "$(q "SELECT ok || ' ' || first_bad_seq FROM microcred.audit_verify('demo-uas')")" "false 20" "a changed link is reported"
echo "1..$n"
