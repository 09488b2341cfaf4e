#!/bin/bash
# Concurrent issue and revoke on the same status lists, from two connections:
# no duplicated index, no lost bit.  Runs against the cluster of
# tests/run_tests.sh (PGHOST, PGPORT, PGUSER).  Bounded: 2 x 60 operations.
set -eu
cd "$(dirname "$0")/../.."
db=mc_concurrency
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" 2>/dev/null' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
UPDATE microcred.credential_type SET allow_repeats = true;
CREATE TABLE t_learner AS
SELECT g AS n, microcred.add_learner(issuer => 'demo-uas', email => 'c' || g || '@example.org') AS id
  FROM generate_series(1, 120) g;
SQL
# worker K: 60 transactions, each issues one credential and revokes the one issued before
worker() {
    k=$1
    for i in $(seq 1 60); do
        n=$(( (k - 1) * 60 + i ))
        echo "BEGIN;
SELECT microcred.issue('demo-uas/GDPR-NURSE', (SELECT id FROM t_learner WHERE n = $n), idempotency_key => 'c-$n');
SELECT microcred.revoke(c.id, 'concurrency test') FROM microcred.issued_credential c
 WHERE c.idempotency_key = 'c-$((n - 1))' AND c.status = 'active' AND $i > 1;
COMMIT;"
    done | psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null
}
worker 1 & p1=$!
worker 2 & p2=$!
s1=0; s2=0
wait $p1 || s1=$?
wait $p2 || s2=$?
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
ok "$s1$s2" "00" "both workers finished without an error"
ok "$(psql -X -At -d $db -c "SELECT count(*) FROM microcred.issued_credential WHERE idempotency_key LIKE 'c-%'")" 120 "120 credentials issued"
ok "$(psql -X -At -d $db -c "SELECT count(*) - count(DISTINCT (list_id, idx)) FROM microcred.status_entry")" 0 "no status list index was given twice"
ok "$(psql -X -At -d $db -c "SELECT count(*) FROM microcred.issued_credential WHERE status = 'revoked'")" 118 "118 credentials revoked"
ok "$(psql -X -At -d $db -c "SELECT count(*) FROM microcred.issued_credential c JOIN microcred.status_entry e ON e.credential_id = c.id AND e.purpose = 'revocation' WHERE (c.status = 'revoked') <> e.set")" 0 "every revoked credential has its bit set, and only those"
# the published lists agree with the table, bit for bit
ok "$(psql -X -At -d $db -c "SELECT count(*) FROM microcred.issued_credential c
      CROSS JOIN LATERAL jsonb_path_query(c.document, '\$.credentialStatus') e
      JOIN microcred.status_list l ON l.url = e ->> 'statusListCredential'
     WHERE (microcred._status_check(e, microcred.status_list_credential(l.id))).is_set
           <> (c.status = 'revoked' AND e ->> 'statusPurpose' = 'revocation')")" 0 "the signed status lists carry exactly those bits"
# an independent reader (Python's standard library, per the spec) sees the same bits
list=$(psql -X -At -d $db -c "SELECT id FROM microcred.status_list WHERE purpose = 'revocation'")
want=$(psql -X -At -d $db -c "SELECT string_agg(idx::text, ',' ORDER BY idx) FROM microcred.status_entry WHERE list_id = '$list' AND set")
got=$(psql -X -At -d $db -c "SELECT microcred.status_list_credential('$list') -> 'credentialSubject' ->> 'encodedList'" |
      /usr/bin/python3 -c '
import base64, gzip, sys
s = sys.stdin.read().strip()
assert s[0] == "u"
raw = gzip.decompress(base64.urlsafe_b64decode(s[1:] + "=" * (-len(s[1:]) % 4)))
print(",".join(str(i) for i in range(len(raw) * 8) if raw[i // 8] >> (7 - i % 8) & 1))')
ok "$got" "$want" "an independent decoder of encodedList finds exactly the revoked indexes"
ok "$(psql -X -At -d $db -c "SELECT ok FROM microcred.audit_verify('demo-uas')")" t "the audit chain is intact"
echo "1..$n"
