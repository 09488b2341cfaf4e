#!/bin/bash
# Status positions are allocated without the issuer's audit lock: while one
# transaction has issued (and holds its position and its audit link, not yet
# committed), a second connection still allocates a position, a different
# one, without waiting (lock_timeout would fail it); a transaction allocating
# more than 16 positions (the set-based path) skips the positions others hold.
# Runs against the cluster of tests/run_tests.sh.  Bounded: the holding
# session sleeps at most 30 s and is cancelled as soon as the checks are done.
set -eu
cd "$(dirname "$0")/../.."
db=mc_status_alloc
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" 2>/dev/null' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
UPDATE microcred.credential_type SET allow_repeats = true;
CREATE TABLE t_learner AS
SELECT g AS n, microcred.add_learner(issuer => 'demo-uas', email => 'a' || g || '@example.org') AS id
  FROM generate_series(1, 3) g;
SQL
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
q() { psql -X -q -At -d $db "$@"; }
issuer=$(q -c "SELECT id || ' ' || coalesce(base_url, '') FROM microcred.issuer WHERE handle = 'demo-uas'")
iid=${issuer%% *}; base=${issuer#* }

base_max=$(q -c "SELECT coalesce(max(position), 0) FROM microcred.status_entry")
held=$((base_max + 1))
# holder: issues one credential (position $held) and keeps its transaction open
psql -X -q -At -d $db -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<SQL &
BEGIN;
SELECT microcred.issue('demo-uas/GDPR-NURSE', (SELECT id FROM t_learner WHERE n = 1), idempotency_key => 'holder');
SELECT pg_sleep(30);
COMMIT;
SQL
holder=$!
for _ in $(seq 1 150); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND query LIKE 'SELECT pg_sleep(30)%'")" = 1 ] && break
    sleep 0.2
done
ok "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND query LIKE 'SELECT pg_sleep(30)%'")" 1 \
   "a transaction has issued and stays open (it holds the issuer's audit lock and a position)"

# another connection allocates a position meanwhile, without waiting
got=$(q -c "SET lock_timeout = '5s'" -c "BEGIN" \
        -c "SELECT (microcred._allocate_status('$iid', nullif('$base', ''), gen_random_uuid(), 'revocation')) ->> 'statusListIndex'" \
        -c "SELECT max(position) FROM microcred.status_entry" -c "ROLLBACK" 2>&1 | tr '\n' ' ')
set -- $got
ok "$(echo "$1" | grep -cE '^[0-9]+$')" 1 "a second connection allocates a status position while the first is open (no wait: $got)"
second_pos=${2:-}
ok "$second_pos" "$((held + 1))" "it skipped the position the open transaction holds ($held)"
# the set-based path: 20 positions in one transaction, none of them the holder's
bulk=$(q -c "SET lock_timeout = '5s'" -c "BEGIN" \
         -c "SELECT count(*) FROM generate_series(1, 20) g, microcred._allocate_status('$iid', nullif('$base', ''), gen_random_uuid(), 'revocation') s" \
         -c "SELECT string_agg(position::text, ',' ORDER BY position) FROM microcred.status_entry" -c "ROLLBACK" 2>&1 | tr '\n' ' ')
set -- $bulk
ok "$1" 20 "a transaction allocates 20 positions (the set-based path) while the first is open"
bulk_positions=${2:-}

q -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND query LIKE 'SELECT pg_sleep(30)%'" >/dev/null
wait "$holder" || true
holder=
# the holder's sleep was cancelled, so its transaction rolled back; issue again and commit
q -c "SELECT microcred.issue('demo-uas/GDPR-NURSE', (SELECT id FROM t_learner WHERE n = 2), idempotency_key => 'after')" >/dev/null
ok "$(q -c "SELECT count(*) FROM microcred.status_entry")" "$(q -c "SELECT count(*) FROM microcred.issued_credential")" \
   "every committed credential has its one status entry; rolled-back allocations left none"
ok "$(q -c "SELECT count(*) - count(DISTINCT (list_id, idx)) FROM microcred.status_entry")" 0 "no index given twice"
ok "$(q -c "SELECT ok FROM microcred.audit_verify('demo-uas')")" t "the audit chain is intact"
ok "$(echo "$bulk_positions" | tr ',' '\n' | grep -c "^$held\$")" 0 \
   "the set-based transaction did not take the position the open transaction held ($held; it saw $bulk_positions)"
echo "1..$n"
