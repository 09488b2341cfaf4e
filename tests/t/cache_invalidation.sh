#!/bin/bash
# Per-backend caches see changes made by other backends: registered keys
# (verification) and JSON-LD contexts are cached per backend and dropped by
# the relcache invalidation that microcred._invalidate_caches() sends from
# statement triggers on the key and context tables.  Two sessions, in order.
set -eu
cd "$(dirname "$0")/../.."
db=mc_cache
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '$db'" 2>/dev/null' EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
# session A keeps running: verify, wait for B, verify again
out=$(mktemp)
{
    echo "SELECT 'A1', (microcred.verify(document)).valid FROM microcred.issued_credential LIMIT 1;"
    echo "SELECT 'A1ctx', microcred.canonicalize('{\"@context\": \"https://ext.example/c.json\", \"@id\": \"urn:x\", \"k\": 1}'::jsonb, 'rdfc-1.0') IS NOT NULL;"
    sleep 2
    echo "SELECT 'A2', (microcred.verify(document)).valid FROM microcred.issued_credential LIMIT 1;"
    echo "SELECT 'A2ctx', microcred.canonicalize('{\"@context\": \"https://ext.example/c.json\", \"@id\": \"urn:x\", \"k\": 1}'::jsonb, 'rdfc-1.0');"
} | psql -X -At -d $db >"$out" 2>&1 &
a=$!
sleep 1
# session B: retire the key that signed the credential; register the context A lacked
psql -X -q -d $db -c "SELECT microcred.retire_key(id) FROM microcred.issuer_keys WHERE algorithm = 'Ed25519'" >/dev/null
psql -X -q -d $db -c "SELECT microcred.register_context('https://ext.example/c.json', '{\"@context\": {\"k\": \"https://ext.example/k\"}}')" >/dev/null
wait $a || true
ok "$(grep '^A1|' "$out" | cut -d'|' -f2)" t "session A verifies the credential (and caches the issuer's key)"
ok "$(grep -c 'unknown context URL https://ext.example/c.json' "$out")" 1 "session A does not know the extension context yet"
ok "$(grep '^A2|' "$out" | cut -d'|' -f2)" f "after session B retires the key, session A's next verification fails"
ok "$(grep '^A2ctx|' "$out" | cut -d'|' -f2)" '<urn:x> <https://ext.example/k> "1"^^<http://www.w3.org/2001/XMLSchema#integer> .' \
   "after session B registers the context, session A resolves it"
rm -f "$out"
echo "1..$n"
