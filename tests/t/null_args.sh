#!/bin/bash
# Nothing crashes on any argument (issue 14): every function of the schema,
# read from the catalog, is called with NULL in each position and with
# garbage of each argument type, as each microcred role (through a
# non-superuser login member) and as the owner; then the server must be the
# same postmaster (same start time, no "terminated by signal" in its log).
# Each call runs in its own rolled-back transaction under statement_timeout.
set -u
cd "$(dirname "$0")/../.."
db=mc_nullargs
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcnull.XXXXXX")
chmod 755 "$TMP"
roles="microcred_admin microcred_issuer microcred_verifier microcred_reader microcred_bridge"
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    for r in $roles; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS ${r}_login" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
n=0
ok() {  # ok GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"
    else echo "not ok $n - $3 (got '$1', want '$2')"; fi
}
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db -c "$1"; }
if [ -z "${PGHOST:-}" ]; then echo "1..0 # SKIP needs a cluster (PGHOST)"; exit 0; fi
log=${TEST_TMP:+$TEST_TMP/pg/server.log}

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q "CREATE EXTENSION microcred CASCADE" >/dev/null
for r in $roles; do
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS ${r}_login" -c "CREATE ROLE ${r}_login LOGIN IN ROLE $r"
done
# some data, so that calls get past "does not exist"
q "SELECT microcred.add_issuer('Nullarg Uni', 'DE', 'nullarg', base_url => 'https://nullarg.example')" >/dev/null
q "SELECT microcred.grant_issuer('nullarg', 'microcred_issuer_login')" >/dev/null
start=$(q "SELECT pg_postmaster_start_time()")
crashes_before=$( [ -n "$log" ] && grep -c "terminated by signal" "$log" 2>/dev/null); crashes_before=${crashes_before:-0}

# the calls: per function, one with NULL in each position, one with garbage
# of each argument's type (or NULL where no garbage is known), generated
# from pg_proc (trigger, internal-type and aggregate functions excluded)
q "
WITH garbage(t, v) AS (VALUES
    ('text', \$\$'x''\"<>\\\\' || repeat('é', 300)\$\$), ('name', \$\$'postgres'\$\$), ('uuid', \$\$'00000000-0000-0000-0000-000000000000'\$\$),
    ('integer', '-2147483648'), ('bigint', '-1'), ('numeric', \$\$'NaN'\$\$), ('boolean', 'true'),
    ('jsonb', \$\$'{\"@context\": [1, {\"a\": null}], \"proof\": {}, \"credentialSubject\": []}'\$\$),
    ('bytea', \$\$'\\\\x00ff'\$\$), ('timestamp with time zone', \$\$'-infinity'\$\$), ('date', \$\$'infinity'\$\$),
    ('interval', \$\$'-1 day'\$\$), ('text[]', \$\$'{NULL,\"\"}'\$\$), ('integer[]', \$\$'{-1,2147483647,NULL}'\$\$),
    ('uuid[]', \$\$'{NULL}'\$\$), ('jsonb[]', \$\$'{NULL,\"[]\"}'\$\$), ('regtype', \$\$'int4'\$\$)),
fns AS (
    SELECT p.oid, p.proname, p.pronargs, p.proargtypes::oid[] AS types
      FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
     WHERE ns.nspname = 'microcred' AND p.prokind = 'f' AND p.prorettype <> 'trigger'::regtype
       AND NOT EXISTS (SELECT FROM unnest(p.proargtypes::oid[]) a(t)
                        WHERE a.t IN ('anyelement'::regtype, 'internal'::regtype))),
calls AS (
    SELECT f.oid, f.proname, pos.k AS nullpos, (
        SELECT string_agg(CASE WHEN i = pos.k OR (pos.k = 0 AND g.v IS NULL) THEN 'NULL'
                               WHEN pos.k = 0 THEN g.v ELSE coalesce(g.v, 'NULL') END
                          || '::' || format_type(f.types[i], NULL), ', ' ORDER BY i)
          FROM generate_subscripts(f.types, 1) i
          LEFT JOIN garbage g ON g.t = format_type(f.types[i], NULL)) AS args
      FROM fns f CROSS JOIN LATERAL generate_series(0, f.pronargs) pos(k))
SELECT format('BEGIN; SELECT microcred.%I(%s); ROLLBACK;', proname, coalesce(args, ''))
  FROM calls ORDER BY proname, nullpos" >"$TMP/calls.sql"
ncalls=$(wc -l <"$TMP/calls.sql")
ok "$([ "$ncalls" -gt 300 ] && echo many)" many "the catalog gives many calls ($ncalls)"

for who in postgres $(for r in $roles; do echo ${r}_login; done); do
    { echo "SET statement_timeout = '3s';"; echo "SET client_min_messages = error;"; cat "$TMP/calls.sql"; } |
        psql -X -q -U "$who" -d $db >"$TMP/$who.out" 2>&1
    alive=$(psql -X -At -d $db -c "SELECT pg_postmaster_start_time() = '$start'::timestamptz" 2>&1)
    ok "$alive" t "every function with NULLs and garbage as $who: the server did not restart"
    ok "$(grep -c 'server closed the connection\|terminated abnormally' "$TMP/$who.out")" 0 \
       "as $who no call lost its connection"
done
if [ -n "$log" ] && [ -r "$log" ]; then
    ok "$(grep -c "terminated by signal" "$log")" "$crashes_before" "no backend was terminated by a signal (server log)"
fi
# the two that crashed the cluster before 0.2 (issue 14), directly
ok "$(psql -X -At -d $db -c "SELECT (microcred._status_check(NULL, NULL)).is_set IS NULL, microcred._status_encode(NULL, NULL) IS NULL" 2>&1)" "t|t" \
   "_status_check(NULL, NULL) and _status_encode(NULL, NULL) are NULL (STRICT), not a segfault"
echo "1..$n"
