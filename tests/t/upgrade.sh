#!/bin/bash
# ALTER EXTENSION microcred UPDATE from every released version gives the same
# schema as a fresh install of the current version, and keeps the data:
#   - an empty 0.1 database, updated, equals a fresh install (normalised
#     pg_dump --binary-upgrade of every extension member: tests/lib/schema_dump.sh);
#   - a 0.1 database filled in every area (tests/data/upgrade/fill-0.1.sql),
#     updated, equals it too, keeps every row and every signed document byte
#     for byte, and then still verifies, audits, revokes and issues.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/schema_dump.sh
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" microcred.control)
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; printf '%s\n' "$1" | head -c 4000 | sed 's/^/#   got:  /'; printf '%s\n' "$2" | head -c 2000 | sed 's/^/#   want: /'; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d "$@"; }
# rows counted per table; a new version may bundle more JSON-LD contexts, so
# of jsonld_context only the rows an admin registered are counted
nobundled() { [ "$1" = jsonld_context ] && echo " WHERE NOT bundled"; }
tmp=$(mktemp -d)
dbs="mc_up_fresh mc_up_empty mc_up_filled"
dropdbs() { for d in $dbs; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" 2>/dev/null; done; }
trap 'dropdbs; rm -rf "$tmp"' EXIT
dropdbs
for d in $dbs; do psql -X -q -d postgres -c "CREATE DATABASE $d"; done

q mc_up_fresh -c "CREATE EXTENSION microcred" >/dev/null
ok "$(q mc_up_fresh -c "SELECT extversion FROM pg_extension WHERE extname = 'microcred'")" "$current" "a fresh install is version $current"
schema_dump mc_up_fresh >"$tmp/fresh.txt"

for released in $(ls pg_extension/released/microcred--*.sql | sed -n 's/.*microcred--\([^-]*\)\.sql$/\1/p' | sort -V); do
    [ "$released" = "$current" ] && continue
    # 1. empty
    q mc_up_empty -c "DROP EXTENSION IF EXISTS microcred CASCADE" -c "CREATE EXTENSION microcred VERSION '$released'" >/dev/null 2>"$tmp/err"
    ok "$(grep -v NOTICE "$tmp/err")" "" "version $released installs with the current library"
    q mc_up_empty -c "ALTER EXTENSION microcred UPDATE" >/dev/null 2>"$tmp/err"
    ok "$(cat "$tmp/err")$(q mc_up_empty -c "SELECT extversion FROM pg_extension WHERE extname = 'microcred'")" "$current" \
       "an empty $released database updates to $current"
    schema_dump mc_up_empty >"$tmp/empty.txt"
    ctx="SELECT string_agg(url || ':' || md5(document), ' ' ORDER BY url) FROM microcred.jsonld_context WHERE bundled"
    ok "$(q mc_up_empty -c "$ctx")" "$(q mc_up_fresh -c "$ctx")" \
       "an empty $released database updated to $current has the bundled JSON-LD contexts of a fresh install, document for document"
    d=$(diff "$tmp/fresh.txt" "$tmp/empty.txt" | head -60)
    ok "$d" "" "empty $released updated to $current has the schema of a fresh $current install"

    # 2. filled
    fill=tests/data/upgrade/fill-$released.sql
    [ -f "$fill" ] || { ok "missing $fill" "" "a fill script for $released exists"; continue; }
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS mc_up_filled" -c "CREATE DATABASE mc_up_filled"
    q mc_up_filled -c "CREATE EXTENSION microcred VERSION '$released'" >/dev/null
    q mc_up_filled -q -f "$fill" >/dev/null 2>"$tmp/err"
    ok "$(grep -v NOTICE "$tmp/err")" "" "the $released database is filled in every area"
    # every table's rows (as text, sorted) and every signed document, before
    tables=$(q mc_up_filled -c "SELECT string_agg(format('%I', c.relname), ' ' ORDER BY c.relname) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'microcred' AND c.relkind IN ('r', 'p')")
    rows_before=$(q mc_up_filled -c "SELECT string_agg(format('%s=%s', t, n), ' ' ORDER BY t) FROM (VALUES $(
        for t in $tables; do printf "('%s', (SELECT count(*) FROM microcred.%s%s))," "$t" "$t" "$(nobundled "$t")"; done | sed 's/,$//')) v(t, n)")
    docs_before=$(q mc_up_filled -c "SELECT md5(string_agg(id::text || document::text, ',' ORDER BY id)), count(*) FROM microcred.issued_credential")
    verdicts_before=$(q mc_up_filled -c "SELECT string_agg(id::text || ':' || (microcred.verify(document)).valid, ',' ORDER BY id) FROM microcred.issued_credential")
    ok "$(echo "$rows_before" | grep -Eo 'issued_credential=[1-9][0-9]*' | wc -l)|$(echo "$verdicts_before" | grep -o ':true' | wc -l | sed 's/^0$/none/')" \
       "1|$(q mc_up_filled -c "SELECT count(*) FILTER (WHERE (microcred.verify(document)).valid) FROM microcred.issued_credential")" \
       "the filled database has credentials, and the valid ones are counted (the comparisons below are not vacuous)"
    q mc_up_filled -c "ALTER EXTENSION microcred UPDATE" >/dev/null 2>"$tmp/err"
    ok "$(cat "$tmp/err")$(q mc_up_filled -c "SELECT extversion FROM pg_extension WHERE extname = 'microcred'")" "$current" \
       "a filled $released database updates to $current"
    schema_dump mc_up_filled >"$tmp/filled.txt"
    d=$(diff "$tmp/fresh.txt" "$tmp/filled.txt" | head -60)
    ok "$d" "" "filled $released updated to $current has the schema of a fresh $current install (no object left behind)"
    rows_after=$(q mc_up_filled -c "SELECT string_agg(format('%s=%s', t, n), ' ' ORDER BY t) FROM (VALUES $(
        for t in $tables; do printf "('%s', (SELECT count(*) FROM microcred.%s%s))," "$t" "$t" "$(nobundled "$t")"; done | sed 's/,$//')) v(t, n)")
    ok "$rows_after" "$rows_before" "every table of $released keeps its rows"
    ok "$(q mc_up_filled -c "SELECT md5(string_agg(id::text || document::text, ',' ORDER BY id)), count(*) FROM microcred.issued_credential")" \
       "$docs_before" "every signed document is unchanged, byte for byte"
    ok "$(q mc_up_filled -c "SELECT string_agg(id::text || ':' || (microcred.verify(document)).valid, ',' ORDER BY id) FROM microcred.issued_credential")" \
       "$verdicts_before" "every credential verifies after the update as before"
    ok "$(q mc_up_filled -c "SELECT count(*) FILTER (WHERE (microcred.verify(document)).valid) || '/' || count(*) FILTER (WHERE status = 'active') FROM microcred.issued_credential")" \
       "$(q mc_up_filled -c "SELECT count(*) FILTER (WHERE status = 'active') || '/' || count(*) FILTER (WHERE status = 'active') FROM microcred.issued_credential")" \
       "every active credential is valid"
    ok "$(q mc_up_filled -c "SELECT bool_and(ok) FROM microcred.issuer i, microcred.audit_verify(i.id::text)")" t \
       "the audit chain of every issuer is intact"
    new=$(q mc_up_filled -c "SELECT microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', student_id => 'AFTER-UPGRADE'))" 2>&1)
    ok "$(q mc_up_filled -c "SELECT (microcred.verify(document)).valid FROM microcred.issued_credential WHERE id = '$new'" 2>&1)" t \
       "issuing continues after the update, and the new credential verifies"
    q mc_up_filled -c "SELECT microcred.revoke('$new', 'upgrade test')" >/dev/null 2>"$tmp/err"
    ok "$(cat "$tmp/err")$(q mc_up_filled -c "SELECT (microcred.verify(document)).valid FROM microcred.issued_credential WHERE id = '$new'")" f \
       "revoking continues after the update, and the revocation shows in verification"
    # credentials issued before the update keep both status entries: they still
    # suspend and reinstate (ob3_structure warns about the array, valid is kept)
    old=$(q mc_up_filled -c "SELECT id FROM microcred.issued_credential WHERE status = 'active'
        AND jsonb_typeof(document -> 'credentialStatus') = 'array' ORDER BY issued_at LIMIT 1")
    # from 0.2 on, only suspendable types carry two entries (one object otherwise)
    [ -n "$old" ] || old=$(q mc_up_filled -c "SELECT ic.id FROM microcred.issued_credential ic
        JOIN microcred.credential_type t ON t.id = ic.credential_type_id WHERE ic.status = 'active' AND t.suspendable
        ORDER BY ic.issued_at LIMIT 1")
    q mc_up_filled -c "SELECT microcred.suspend('$old', 'upgrade test')" >/dev/null 2>"$tmp/err"
    ok "$(cat "$tmp/err")$(q mc_up_filled -c "SELECT (microcred.verify(document)).valid FROM microcred.issued_credential WHERE id = '$old'")" f \
       "a credential issued by $released, with two status entries, can still be suspended"
    q mc_up_filled -c "SELECT microcred.reinstate('$old', 'upgrade test')" >/dev/null 2>"$tmp/err"
    ok "$(cat "$tmp/err")$(q mc_up_filled -c "SELECT v.valid || ':' || (SELECT c ->> 'result' FROM jsonb_array_elements(v.checks) c WHERE c ->> 'check' = 'ob3_structure')
        FROM microcred.issued_credential ic, microcred.verify(ic.document) v WHERE ic.id = '$old'")" "true:warn" \
       "and reinstated: it verifies again, its credentialStatus array a warning of ob3_structure"
    ok "$(q mc_up_filled -c "SELECT jsonb_typeof(document -> 'credentialStatus') FROM microcred.issued_credential WHERE id = '$new'")" object \
       "a credential issued after the update has one credentialStatus object"
done
echo "1..$n"
