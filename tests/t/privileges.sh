#!/bin/bash
# Only the API is the API (issue 14): every function and table privilege that
# microcred_admin, _issuer, _verifier, _reader and _bridge hold, read from the
# catalog of a fresh install, must be in the allow-list below, each with its
# reason; a new grant without a reason fails.  No internal (_-prefixed)
# function is executable by any of them except the listed validators, and
# the attacks of the issue are replayed as non-superuser members of the roles.
set -u
cd "$(dirname "$0")/../.."
db=mc_privileges
roles="microcred_admin microcred_issuer microcred_verifier microcred_reader microcred_bridge"
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcpriv.XXXXXX")
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS mcp_issuer, mcp_reader" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
n=0
ok() {  # ok GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"
    else echo "not ok $n - $3"; printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi
}
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db "$@"; }
if [ -z "${PGHOST:-}" ]; then echo "1..0 # SKIP needs a cluster (PGHOST)"; exit 0; fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION microcred CASCADE" >/dev/null

allow=tests/t/privileges.allow
got=$(q -c "
SELECT r.rolname || ' ' || x.priv || ' ' || x.obj
  FROM pg_roles r CROSS JOIN LATERAL (
    SELECT 'EXECUTE' priv, p.proname || '(' || coalesce((SELECT string_agg(format_type(t, NULL), ',' ORDER BY i)
             FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, i)), '') || ')' obj
      FROM pg_proc p JOIN pg_namespace ns ON ns.oid = p.pronamespace
     WHERE ns.nspname = 'microcred' AND has_function_privilege(r.oid, p.oid, 'EXECUTE')
    UNION ALL
    SELECT pr, c.relname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
     CROSS JOIN unnest('{SELECT,INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER}'::text[]) pr
     WHERE ns.nspname = 'microcred' AND c.relkind IN ('r', 'v', 'm', 'p', 'S') AND has_table_privilege(r.oid, c.oid, pr)
    UNION ALL
    SELECT pr || '(col)', c.relname || '.' || a.attname FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     CROSS JOIN unnest('{INSERT,UPDATE}'::text[]) pr
     WHERE ns.nspname = 'microcred' AND NOT has_table_privilege(r.oid, c.oid, pr)
       AND has_column_privilege(r.oid, c.oid, a.attnum, pr)
  ) x WHERE r.rolname = ANY ('{$(echo $roles | tr ' ' ',')}') ORDER BY 1" | LC_ALL=C sort)
want=$(grep -v '^#' "$allow" | sed 's/ *#.*//' | LC_ALL=C sort)
ok "$(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | sed 's/^>/held, not allowed:/; s/^</allowed, not held:/' | tr '\n' ';')" "" \
   "every privilege of the microcred roles is in tests/t/privileges.allow, and every allowed one is held"
ok "$(grep -v '^#' "$allow" | grep -cv ' # [^ ]')" 0 "every allowed privilege has a reason"
ok "$(echo "$got" | grep ' EXECUTE _' | grep -v '_check_\|_fail(\|_vocab(\|_required_text(\|_resolve_issuer(\|_resolve_code(\|_require_outcomes(\|_store_rule(\|_lti_check_url(\|_lti_platform_type(')" "" \
   "no internal function but the validators is executable by a microcred role"
ok "$(echo "$got" | grep -E ' (INSERT|UPDATE|DELETE|TRUNCATE)(\(col\))? (recognition|audit_log|issued_credential|status_entry|status_list|signing_key|completion_event|credential_envelope|document_part|lti_account_link)')" "" \
   "no microcred role writes an internal table"

# the attacks of issue 14, as non-superuser members of the roles
psql -X -q -d postgres -c "DROP ROLE IF EXISTS mcp_issuer, mcp_reader" \
    -c "CREATE ROLE mcp_issuer LOGIN IN ROLE microcred_issuer" -c "CREATE ROLE mcp_reader LOGIN IN ROLE microcred_reader"
q -q >/dev/null <<'SQL'
SELECT microcred.add_issuer('Priv Uni', 'DE', 'priv-uni', base_url => 'https://priv.example');
SELECT microcred.grant_issuer('priv-uni', 'mcp_issuer');
SQL
lid=$(psql -X -At -U mcp_issuer -d $db -c "SELECT microcred.add_learner('priv-uni', email => 'p@example.org')" 2>&1)
as() { who=$1; shift; psql -X -At -U "$who" -d $db -c "$1" 2>&1 | head -1; }
ok "$(as mcp_issuer "SELECT microcred._issue('priv-uni/C1', '$lid', NULL, NULL, now(), NULL, 'mcp_issuer', '1990-01-01', NULL, 999)" | grep -o 'permission denied')" \
   "permission denied" "an issuer cannot call _issue (chosen ECTS, dates, supersedes)"
ok "$(as mcp_issuer "INSERT INTO microcred.recognition (issuer_id, learner_id, kind, title, ects, earned_at, recognised_by, assessment_reference)
      SELECT issuer_id, id, 'prior_learning', 'fake', 60, '1990-01-01', 'someone_else', 'x' FROM microcred.learner WHERE id = '$lid'" | grep -o 'permission denied')" \
   "permission denied" "an issuer cannot INSERT a recognition directly"
rid=$(as mcp_issuer "SELECT microcred.recognise_prior_learning('$lid', 'RPL', 'case-1', ects => 5)")
ok "$(as mcp_issuer "SELECT recognised_by = 'mcp_issuer' AND recognised_at > now() - interval '1 minute' FROM microcred.recognition WHERE id = '$rid'")" \
   t "recognise_prior_learning records the caller as recogniser (not the client's choice)"
ok "$(as mcp_issuer "SELECT microcred.recognise_prior_learning('$lid', 'RPL', 'case-2', earned_at => now() + interval '1 year')" | grep -o 'must be a time in the past')" \
   "must be a time in the past" "recognition of prior learning cannot be dated in the future"
ok "$(as mcp_reader "SELECT microcred._stack_check(NULL::microcred.pathway, '$lid')" | grep -o 'permission denied for function')" \
   "permission denied for function" "a reader cannot call _stack_check"
ok "$(as mcp_reader "SELECT count(*) >= 0 FROM microcred.pathway_progress")" t "a reader still reads pathway_progress"
echo "1..$n"
