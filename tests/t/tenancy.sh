#!/bin/bash
# Tenants kept apart, walked from the catalog: for every relation and every
# function that microcred_issuer, microcred_verifier or microcred_reader may
# use, a non-superuser login role of that group mapped only to issuer B
# ("up-two") sees nothing of issuer A ("demo-uas"): no row of a relation
# carries A's id, handle, learners or credentials, and every function given
# A's objects refuses.  A relation or function without a verdict below fails
# the test (so a new one must be classified).  Also: role mapping by OID (a
# renamed role keeps its mapping, a dropped role's mapping acts for nobody
# and is listed and purged, a new role with the old name gets nothing).
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -u
cd "$(dirname "$0")/../.."
db=mc_tenancy
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1" | head -c 2000; echo; echo "#   want: $2"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db "$@"; }
roles="regress_tn_issuer regress_tn_verifier regress_tn_reader regress_tn_old regress_tn_renamed"
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    for r in $roles; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" 2>/dev/null; done
}
trap cleanup EXIT
cleanup
psql -X -q -d postgres -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION microcred VERSION '0.1'" >/dev/null
q -q -f tests/data/upgrade/fill-0.1.sql -c "ALTER EXTENSION microcred UPDATE" >/dev/null 2>&1 || { echo "not ok 1 - fill"; echo "1..1"; exit 1; }
for r in issuer verifier reader; do
    q -c "CREATE ROLE regress_tn_$r LOGIN NOSUPERUSER IN ROLE microcred_$r" -c "SELECT microcred.grant_issuer('up-two', 'regress_tn_$r')" >/dev/null
done
q -c "SELECT microcred.stack_issue(c.learner_id, 'demo-uas/DH') FROM microcred.issued_credential c LIMIT 0" >/dev/null

# what B must never see of A: its id, handle, learners, credentials, types, lists
markers=$(q -c "SELECT string_agg(m, '|') FROM (
    SELECT id::text FROM microcred.issuer WHERE handle = 'demo-uas' UNION SELECT 'demo-uas'
    UNION SELECT l.id::text FROM microcred.learner l JOIN microcred.issuer i ON i.id = l.issuer_id WHERE i.handle = 'demo-uas'
    UNION SELECT c.id::text FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id WHERE i.handle = 'demo-uas'
    UNION SELECT t.id::text FROM microcred.credential_type t JOIN microcred.issuer i ON i.id = t.issuer_id WHERE i.handle = 'demo-uas') x(m)")
ok "$(echo "$markers" | tr '|' '\n' | wc -l | tr -d ' ' | sed 's/^[0-9]$/few/')" "$(echo "$markers" | tr '|' '\n' | wc -l | tr -d ' ')" \
   "issuer A has learners and credentials to leak (the checks below are not vacuous)"

# relations public by design (no issuer's private data): reference data, the
# JSON-LD contexts, public keys (served to anyone by the bridge)
public_rels=" country vocabulary jsonld_context issuer_keys trusted_key "
rels=$(q -c "SELECT DISTINCT c.relname FROM pg_class c, unnest(ARRAY['issuer', 'verifier', 'reader']) r
              WHERE c.relnamespace = 'microcred'::regnamespace AND c.relkind IN ('r', 'v', 'p')
                AND has_any_column_privilege('microcred_' || r, c.oid, 'SELECT') ORDER BY 1")
for rel in $rels; do
    if [[ "$public_rels" == *" $rel "* ]]; then
        echo "ok $((n += 1)) - $rel is public by design # SKIP no issuer data"
        continue
    fi
    for r in issuer verifier reader; do
        [ "$(q -c "SELECT has_any_column_privilege('microcred_$r', 'microcred.$rel', 'SELECT')")" = t ] || continue
        cols=$(q -c "SELECT string_agg(format('%I', a.attname), ', ') FROM pg_attribute a
                      WHERE a.attrelid = 'microcred.$rel'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                        AND has_column_privilege('microcred_$r', a.attrelid, a.attnum, 'SELECT')")
        out=$(psql -X -At -U regress_tn_$r -d $db -c "SELECT ($cols) FROM microcred.$rel" 2>&1)
        ok "$(printf '%s' "$out" | grep -Ec "$markers")" 0 "$rel: a microcred_$r role of issuer B sees nothing of issuer A"
    done
done
# ... and B's own rows are visible (the filter is not simply empty)
ok "$(psql -X -At -U regress_tn_reader -d $db -c "SELECT string_agg(DISTINCT issuer, ',') FROM microcred.issued_credentials_report")" "up-two" \
   "a reader mapped to B sees B's credentials in the report"
ok "$(psql -X -At -U regress_tn_reader -d $db -c "SELECT count(*) FROM microcred.expiring_credentials WHERE issuer = 'demo-uas'")" 0 \
   "expiring_credentials shows a role of B no credential of A"

# a reader granted microcred_reader_all (an admin's explicit choice) sees every issuer
q -c "GRANT microcred_reader_all TO regress_tn_reader" >/dev/null
ok "$(psql -X -At -U regress_tn_reader -d $db -c "SELECT string_agg(DISTINCT issuer, ',' ORDER BY issuer) FROM microcred.issued_credentials_report")|$(psql -X -At -U regress_tn_reader -d $db -c "SELECT count(DISTINCT pathway) > 0 FROM microcred.pathway_progress" 2>&1)" \
   "demo-uas,up-two|t" "a reader granted microcred_reader_all sees the reports and pathway progress of every issuer"
ok "$(psql -X -At -U regress_tn_reader -d $db -c "SELECT email FROM microcred.learner" 2>&1 | grep -c 'permission denied')" 1 \
   "... and still no personal data"
q -c "REVOKE microcred_reader_all FROM regress_tn_reader" >/dev/null

# functions: each with a call on A's objects that must refuse, or a reason
a_cred=$(q -c "SELECT c.id FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id WHERE i.handle = 'demo-uas' AND c.status = 'active' LIMIT 1")
a_learner=$(q -c "SELECT learner_id FROM microcred.issued_credential WHERE id = '$a_cred'")
# the whole row, as a reader could forge it (it cannot read it)
a_pathway=$(q -c "SELECT p.id FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id WHERE i.handle = 'demo-uas' LIMIT 1")
a_pathway_row=$(q -c "SELECT p::text FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id WHERE i.handle = 'demo-uas' LIMIT 1")
cat >/tmp/tn_calls.$$ <<CALLS
version()|none|
_fail(text,text,text,text)|none|
_check_nfc(text,text)|none|
_required_text(text,text,text)|none|
_check_eqf_level(integer)|none|
_check_qf_ehea_cycle(text)|none|
_check_ects(numeric)|none|
_check_country(text)|none|
_vocab(regtype,text,text)|none|
public_key_info(bytea)|none|
public_key(text)|none|
to_nquads(jsonb)|none|
canonicalize(jsonb,text)|none|
canonicalize(text,text)|none|
_status_check(jsonb,jsonb)|none|
_verify_document(jsonb,jsonb[])|none|
_verify_text(text,jsonb[])|none|
_verify_token(text,jsonb[])|none|
_with_status(microcred.verification,jsonb[],jsonb[])|none|
verify(jsonb,jsonb[],jsonb[])|none|
ob3_check(jsonb)|none|
verify(text,jsonb[],jsonb[])|none|
verify_jwt(text,jsonb[],jsonb[])|none|
_context_document(text)|public|
_lookup_key(text,text)|public|
controller_document(text)|public|
did_document(text)|public|
status_list_credential(uuid)|public|
public_resource(text,text,boolean,text)|public|
public_page(text,text)|public|
public_image(text,text)|public|
public_verify(text)|public|
_page_elements(jsonb)|none|
_page_credential(jsonb,microcred.verification)|none|
pathway_progress_of(uuid,uuid)|refuse|SELECT * FROM microcred.pathway_progress_of('$a_pathway', '$a_learner')
pathway_progress_all(uuid)|refuse|SELECT * FROM microcred.pathway_progress_all('$a_pathway')
acts_for(uuid,name)|refuse|SELECT microcred.acts_for((SELECT id FROM microcred.issuer WHERE handle = 'demo-uas'), current_user)
_require_outcomes(uuid)|none|
_resolve_issuer(text)|refuse|SELECT microcred._resolve_issuer('demo-uas')
add_learner(text,text,text,text,text,date,text,boolean,text,text)|refuse|SELECT microcred.add_learner(issuer => 'demo-uas', email => 'tn@example.org')
_issue(text,uuid,text,jsonb,timestamp with time zone,text,name,timestamp with time zone,uuid,numeric)|refuse|SELECT microcred._issue('demo-uas/PY-DATA', '$a_learner', NULL, NULL, now(), NULL, 'postgres')
issue(text,uuid,text,jsonb,timestamp with time zone,text)|refuse|SELECT microcred.issue('demo-uas/PY-DATA', '$a_learner')
_document(uuid,text,text,name)|refuse|SELECT microcred._document('$a_cred', 'vc-jwt', NULL, 'postgres')
document(uuid,text,text)|refuse|SELECT microcred.document('$a_cred')
_set_status(uuid[],text,text,name)|refuse|SELECT microcred._set_status(ARRAY['$a_cred'::uuid], 'revoke', 'x', 'postgres')
revoke(uuid,text)|refuse|SELECT microcred.revoke('$a_cred', 'x')
revoke_all(uuid[],text)|refuse|SELECT microcred.revoke_all(ARRAY['$a_cred'::uuid], 'x')
suspend(uuid,text)|refuse|SELECT microcred.suspend('$a_cred', 'x')
suspend_all(uuid[],text)|refuse|SELECT microcred.suspend_all(ARRAY['$a_cred'::uuid], 'x')
reinstate(uuid,text)|refuse|SELECT microcred.reinstate('$a_cred', 'x')
reinstate_all(uuid[],text)|refuse|SELECT microcred.reinstate_all(ARRAY['$a_cred'::uuid], 'x')
_supersede(uuid,text,jsonb,text,name)|refuse|SELECT microcred._supersede('$a_cred', 'A', NULL, 'x', 'postgres')
supersede(uuid,text,jsonb,text)|refuse|SELECT microcred.supersede('$a_cred', 'A')
_erase_learner(uuid,text,name)|refuse|SELECT microcred._erase_learner('$a_learner', 'x', 'postgres')
erase_learner(uuid,text)|refuse|SELECT microcred.erase_learner('$a_learner')
set_learner_mail_preference(uuid,boolean,text)|refuse|SELECT microcred.set_learner_mail_preference('$a_learner', true)
mail_retry(bigint)|refuse|SELECT microcred.mail_retry((SELECT min(id) FROM microcred.mail_outbox))
_recognise(uuid,jsonb,jsonb[],name)|refuse|SELECT microcred._recognise('$a_learner', '{}', NULL, 'postgres')
recognise(uuid,jsonb,jsonb[])|refuse|SELECT microcred.recognise('$a_learner', '{}')
recognise_prior_learning(uuid,text,text,text,text[],numeric,integer,text,timestamp with time zone)|refuse|SELECT microcred.recognise_prior_learning('$a_learner', 'x', 'y')
_stack_check(microcred.pathway,uuid)|refuse|SELECT microcred._stack_check('$a_pathway_row'::microcred.pathway, '$a_learner')
_stack_check_as(uuid,text,name)|refuse|SELECT microcred._stack_check_as('$a_learner', 'demo-uas/DH', 'postgres')
stack_check(uuid,text)|refuse|SELECT microcred.stack_check('$a_learner', 'demo-uas/DH')
_stack_eligible_as(text,name)|refuse|SELECT microcred._stack_eligible_as('demo-uas/DH', 'postgres')
stack_eligible(text)|refuse|SELECT microcred.stack_eligible('demo-uas/DH')
_stack_issue(uuid,text,name)|refuse|SELECT microcred._stack_issue('$a_learner', 'demo-uas/DH', 'postgres')
stack_issue(uuid,text)|refuse|SELECT microcred.stack_issue('$a_learner', 'demo-uas/DH')
wallet_offer(uuid,boolean,interval)|refuse|SELECT microcred.wallet_offer('$a_cred')
CALLS
declare -A verdict call
while IFS='|' read -r sig v sql; do verdict[$sig]=$v; call[$sig]=$sql; done </tmp/tn_calls.$$
rm -f /tmp/tn_calls.$$
funcs=$(q -c "SELECT DISTINCT regexp_replace(p.oid::regprocedure::text, '^microcred\.', '') FROM pg_proc p, unnest(ARRAY['issuer', 'verifier', 'reader']) r
               WHERE p.pronamespace = 'microcred'::regnamespace AND has_function_privilege('microcred_' || r, p.oid, 'EXECUTE') ORDER BY 1")
while read -r sig; do
    v=${verdict[$sig]:-missing}
    case $v in
    none) echo "ok $((n += 1)) - $sig reads no issuer data # SKIP input only" ;;
    public) echo "ok $((n += 1)) - $sig serves what the bridge serves publicly # SKIP public by design" ;;
    refuse)
        for r in issuer verifier reader; do
            fn=${sig%%(*}
            [ "$(q -c "SELECT bool_or(has_function_privilege('microcred_$r', p.oid, 'EXECUTE')) FROM pg_proc p WHERE p.oid::regprocedure::text = 'microcred.$sig'")" = t ] || continue
            out=$(printf 'BEGIN;\n%s;\nROLLBACK;\n' "${call[$sig]}" | psql -X -At -v ON_ERROR_STOP=1 -v VERBOSITY=terse -v SHOW_CONTEXT=never -U regress_tn_$r -d $db 2>&1)
            # refused: an error, or an empty / false answer; never a marker of A
            res=$(printf '%s' "$out" | grep -v '^ERROR:\|^DETAIL:\|^HINT:\|^CONTEXT:\|^LINE\|^ *^\|^BEGIN\|^ROLLBACK\|^f$' | grep -v '^$')
            ok "$(printf '%s' "$res" | grep -Ec "$markers")|$(printf '%s' "$res" | wc -l | tr -d ' ')" "0|0" \
               "$fn: a microcred_$r role of issuer B is refused issuer A's objects"
        done ;;
    *) ok "unclassified" "" "function $sig is classified in tests/t/tenancy.sh" ;;
    esac
done <<<"$funcs"

# role mapping by OID
q -c "CREATE ROLE regress_tn_old LOGIN IN ROLE microcred_issuer" -c "SELECT microcred.grant_issuer('up-two', 'regress_tn_old')" >/dev/null
q -c "ALTER ROLE regress_tn_old RENAME TO regress_tn_renamed" >/dev/null 2>&1
ok "$(psql -X -At -U regress_tn_renamed -d $db -c "SELECT string_agg(handle, ',') FROM microcred.issuer" 2>&1)" "up-two" \
   "a renamed role keeps its mapping"
q -c "DROP ROLE regress_tn_renamed" >/dev/null
ok "$(q -c "SELECT count(*) FROM microcred.issuer_roles WHERE role_dropped")" 1 "issuer_roles lists the dropped role's mapping"
q -c "CREATE ROLE regress_tn_renamed LOGIN IN ROLE microcred_issuer" >/dev/null
ok "$(psql -X -At -U regress_tn_renamed -d $db -c "SELECT count(*) FROM microcred.issuer" 2>&1)" 0 \
   "a new role with the dropped role's name gets nothing"
ok "$(q -c "SELECT microcred.purge_issuer_roles()")|$(q -c "SELECT count(*) FROM microcred.issuer_roles WHERE role_dropped")" "1|0" \
   "purge_issuer_roles removes the dropped role's mapping"
echo "1..$n"
