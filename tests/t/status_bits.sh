#!/bin/bash
# The stored bitstring of a status list (status_list.bits, issue 19 item 4):
# after bulk revocations, suspensions and reinstatements across the lists of
# an issuer it holds exactly the set entries, the signed lists publish it,
# a refused bulk change leaves it as it was, a status change of a credential
# and of its entry are HOT updates (no index names a status column; the
# document is not in the credential's row), and _status_bits refuses bad input.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -eu
cd "$(dirname "$0")/../.."
db=mc_status_bits
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" 2>/dev/null' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
UPDATE microcred.credential_type SET allow_repeats = true, suspendable = true;
CREATE TABLE t_cred AS
SELECT g AS n, microcred.issue('demo-uas/GDPR-NURSE',
                               microcred.add_learner(issuer => 'demo-uas', email => 'b' || g || '@example.org')) AS id
  FROM generate_series(1, 40) g;
SQL
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db "$@"; }
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
# every list: the stored bits encode exactly as its set entries do
agree="SELECT count(*) FROM microcred.status_list l
        WHERE microcred._status_encode_bits(l.size, l.bits)
              <> microcred._status_encode(l.size, coalesce((SELECT array_agg(e.idx) FROM microcred.status_entry e
                                                             WHERE e.list_id = l.id AND e.set), '{}'))"

ok "$(q -c "SELECT count(*) FROM microcred.status_list WHERE bits IS NOT NULL")" 0 "no list has stored bits before a status change"
ok "$(q -c "$agree")" 0 "before any change: the stored bits (none) are the set entries (none)"
ok "$(q -c "BEGIN" -c "SELECT microcred.revoke_all(array_agg(id), 'bulk test') FROM t_cred WHERE n <= 20" \
        -c "SELECT string_agg(relname || ' ' || n_tup_hot_upd || '/' || n_tup_upd, ', ' ORDER BY relname) FROM pg_stat_xact_user_tables
             WHERE relid IN ('microcred.status_entry'::regclass, 'microcred.issued_credential'::regclass)" \
        -c "COMMIT" | grep "/")" "issued_credential 20/20, status_entry 20/20" \
   "revoke_all of 20: 20 credentials and 20 status entries changed, each a HOT update (no index entry written)"
ok "$(q -c "SELECT microcred.suspend_all(array_agg(id), 'bulk test') FROM t_cred WHERE n > 20 AND n <= 30")" 10 "suspend_all of 10"
ok "$(q -c "SELECT microcred.reinstate_all(array_agg(id), 'bulk test') FROM t_cred WHERE n > 20 AND n <= 25")" 5 "reinstate_all of 5 of them"
ok "$(q -c "$agree")" 0 "after revoke_all, suspend_all, reinstate_all: every list's stored bits are its set entries"
ok "$(q -c "SELECT count(*) FROM microcred.status_entry WHERE set")" 25 "20 revocation and 5 suspension bits set"
# a refused bulk change (one credential already revoked) changes no bit
before=$(q -c "SELECT string_agg(md5(coalesce(bits, '')), ',' ORDER BY id) FROM microcred.status_list")
err=$(q -c "SELECT microcred.revoke_all(array_agg(id), 'again') FROM t_cred WHERE n >= 20 AND n <= 35" 2>&1 || true)
case $err in *"credential is already revoked"*) r=refused ;; *) r="$err" ;; esac
ok "$r" refused "revoke_all including a revoked credential is refused"
ok "$(q -c "SELECT string_agg(md5(coalesce(bits, '')), ',' ORDER BY id) FROM microcred.status_list")" "$before" "a refused change leaves the stored bits as they were"
# the signed lists: an independent decoder (Python's standard library) sees the set entries
for purpose in revocation suspension; do
    list=$(q -c "SELECT id FROM microcred.status_list WHERE purpose = '$purpose'")
    want=$(q -c "SELECT string_agg(idx::text, ',' ORDER BY idx) FROM microcred.status_entry WHERE list_id = '$list' AND set")
    got=$(q -c "SELECT microcred.status_list_credential('$list') -> 'credentialSubject' ->> 'encodedList'" |
          /usr/bin/python3 -c '
import base64, gzip, sys
s = sys.stdin.read().strip()
raw = gzip.decompress(base64.urlsafe_b64decode(s[1:] + "=" * (-len(s[1:]) % 4)))
print(",".join(str(i) for i in range(len(raw) * 8) if raw[i // 8] >> (7 - i % 8) & 1))')
    ok "$got" "$want" "the signed $purpose list publishes exactly the set entries"
done
ok "$(q -c "SELECT count(*) FILTER (WHERE (microcred.verify(c.document)).valid) FROM microcred.issued_credential c JOIN t_cred t ON t.id = c.id")" 15 \
   "15 credentials verify (20 revoked and 5 suspended do not)"
ok "$(q -c "SELECT ok FROM microcred.audit_verify('demo-uas')")" t "the audit chain is intact"
# HOT needs that no index names the columns a status change sets
ok "$(q -c "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
              AND a.attname IN ('set', 'changed_at', 'status', 'status_reason', 'status_changed_at')
            WHERE i.indrelid IN ('microcred.status_entry'::regclass, 'microcred.issued_credential'::regclass)
              AND (a.attnum = ANY (i.indkey::int2[]) OR pg_get_expr(i.indpred, i.indrelid) ~ a.attname
                   OR pg_get_expr(i.indexprs, i.indrelid) ~ a.attname)")" 0 \
   "no index of status_entry or issued_credential names a column a status change sets"
# _status_bits: one pass, exact bits, clear errors
ok "$(q -c "SELECT encode(substr(microcred._status_bits(NULL, 131072, '{0,9,131071}', true), 1, 2), 'hex')
              || encode(substr(microcred._status_bits(NULL, 131072, '{0,9,131071}', true), 16384), 'hex')")" "804001" \
   "_status_bits sets index 0 as the first byte's high bit, 9, and the last"
ok "$(q -c "SELECT microcred._status_bits(microcred._status_bits(NULL, 131072, '{5,6}', true), 131072, '{5}', false)
              = microcred._status_bits(NULL, 131072, '{6}', true)")" t "_status_bits clears bits"
ok "$(q -c "SELECT microcred._status_bits(microcred._status_bits(NULL, 131072, '{5}', true), 131072, NULL, true)
              = microcred._status_bits(NULL, 131072, '{5}', true)")" t "NULL indexes change nothing"
ok "$(q -c "SELECT microcred._status_encode_bits(131072, NULL) = microcred._status_encode(131072, '{}')")" t "NULL bits encode as a list with no bit set"
err() { q -c "$1" 2>&1 | sed -n 's/^ERROR:  //p' | head -1; }
ok "$(err "SELECT microcred._status_bits(NULL, 131072, '{131072}', true)")" \
   "status list index 131072 is out of range (the list has 131072 entries)" "an index past the list is refused"
ok "$(err "SELECT microcred._status_bits(NULL, 131072, '{1,NULL}', true)")" \
   "status list index -1 is out of range (the list has 131072 entries)" "a NULL index is refused"
ok "$(err "SELECT microcred._status_bits('\\x00', 131072, '{1}', true)")" \
   "status list bits have 1 bytes, not the 16384 of a list of 131072 entries" "bits of the wrong length are refused"
ok "$(err "SELECT microcred._status_bits(NULL, NULL, '{1}', true)")" "status list size is required" "a NULL size is refused"
ok "$(err "SELECT microcred._status_bits(NULL, 131072, '{1}', NULL)")" \
   "the value to give the status bits is required (true sets them, false clears them)" "a NULL value is refused"
ok "$(err "SELECT microcred._status_encode_bits(100, NULL)")" \
   "status list size must be a multiple of 8 and at least 131072, not 100" "a bad size is refused"
echo "1..$n"
