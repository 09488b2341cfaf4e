#!/bin/bash
# Least privilege that works: every public function of microcred (no leading
# underscore) is called by a NON-superuser login role that is a member of only
# the lowest role granted EXECUTE on it, in a filled database, and the call
# succeeds (or, for protocol steps called with made-up input, fails for a
# reason other than privileges).  The list of functions comes from the
# catalog: a public function without a call below fails this test, and so does
# a call whose role is not the lowest one the catalog grants.  The roles named
# in README's role table must hold EXECUTE on the functions it names for them.
# Runs against the cluster of tests/run_tests.sh (PGHOST, PGPORT, PGUSER).
set -u
cd "$(dirname "$0")/../.."
db=mc_least_privilege
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3"; echo "#   got:  $1" | head -c 2000; echo; echo "#   want: $2"; fi; }
q() { psql -X -At -v ON_ERROR_STOP=1 -d $db "$@"; }
roles="regress_lp_admin regress_lp_issuer regress_lp_verifier regress_lp_reader regress_lp_bridge"
cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    for r in $roles; do psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" 2>/dev/null; done
    rm -rf "$tmp"
}
tmp=$(mktemp -d)
trap cleanup EXIT
cleanup >/dev/null 2>&1; tmp=$(mktemp -d)
psql -X -q -d postgres -c "CREATE DATABASE $db"
q -c "CREATE EXTENSION microcred VERSION '0.1'" >/dev/null
q -q -f tests/data/upgrade/fill-0.1.sql -c "ALTER EXTENSION microcred UPDATE" >/dev/null 2>&1 || { echo "not ok 1 - fill"; echo "1..1"; exit 1; }
for r in admin issuer verifier reader bridge; do
    q -c "CREATE ROLE regress_lp_$r LOGIN NOSUPERUSER IN ROLE microcred_$r" >/dev/null
done
q -c "SELECT microcred.grant_issuer('demo-uas', 'regress_lp_issuer')" >/dev/null

# ids the calls use (read as superuser)
v() { q -c "$1"; }
cred=$(v "SELECT c.id FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id WHERE i.handle = 'demo-uas' AND c.status = 'active' AND c.superseded_by IS NULL ORDER BY c.issued_at LIMIT 1")
doc=$(v "SELECT document FROM microcred.issued_credential WHERE id = '$cred'")
doc=${doc//\'/\'\'}
jwt=$(v "SELECT microcred.document('$cred', 'vc-jwt')")
q -c "SELECT microcred.suspend(c.id, 'least privilege test') FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id
      WHERE i.handle = 'demo-uas' AND c.status = 'active' AND c.superseded_by IS NULL AND c.id <> '$cred' LIMIT 1" >/dev/null
susp=$(v "SELECT c.id FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id WHERE i.handle = 'demo-uas' AND c.status = 'suspended' LIMIT 1")
learner=$(v "SELECT learner_id FROM microcred.issued_credential WHERE id = '$cred'")
fresh=$(v "SELECT microcred.add_learner(issuer => 'demo-uas', student_id => 'LP-FRESH')")
pathway=$(v "SELECT id FROM microcred.pathway LIMIT 1")
key=$(v "SELECT k.id FROM microcred.signing_key k JOIN microcred.issuer i ON i.id = k.issuer_id WHERE i.handle = 'demo-uas' AND k.algorithm = 'Ed25519'")
pubkey=$(v "SELECT public_key_multibase FROM microcred.signing_key WHERE id = '$key'")
spki=$(v "SELECT encode(public_key, 'hex') FROM microcred.signing_key WHERE id = '$key'")
platform=$(v "SELECT id FROM microcred.lti_platform LIMIT 1")
pathway=$(v "SELECT p.id FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id WHERE i.handle = 'demo-uas' LIMIT 1")
event=$(v "SELECT id FROM microcred.completion_event ORDER BY id LIMIT 1")
list=$(v "SELECT list_id FROM microcred.status_entry WHERE credential_id = '$cred' AND purpose = 'revocation'")
kid=$(v "SELECT microcred.lti_tool_jwks() -> 'keys' -> 0 ->> 'kid'")
source=$(v "SELECT id FROM microcred.event_source LIMIT 1")
# an independent key (OpenSSL), as the JWK a trusting admin would paste
otherjwk=$(openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout -outform DER 2>/dev/null | tail -c 32 |
           python3 -c 'import base64, json, sys; print(json.dumps({"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(sys.stdin.buffer.read()).decode().rstrip("=")}))')

# signature | lowest role | ok (must succeed) or any (a non-privilege error is fine: made-up protocol input) | SQL
cat >"$tmp/calls" <<CALLS
version()|reader|ok|SELECT microcred.version()
add_issuer(text,text,text,text,text,text,text,text,text,jsonb)|admin|ok|SELECT microcred.add_issuer(legal_name => 'LP College', handle => 'lp-college', country => 'DE')
add_issuer_identifier(text,text,text)|admin|ok|SELECT microcred.add_issuer_identifier('demo-uas', 'vat', 'DE999999999')
define_credential(text,text,text,text,text[],text[],text,text,numeric,numeric,integer,text,text[],text,text,boolean,text,text,text,text,text[],interval,text,text,text,text,text,boolean,boolean,bytea)|admin|ok|SELECT microcred.define_credential(issuer => 'demo-uas', code => 'LP-1', title => 'LP', description => 'Least privilege.', learning_outcomes => ARRAY['Works'], ects => 1, eqf_level => 4, assessment => ARRAY['online_quiz'], participation => 'online', quality_assurance => 'internal')
add_learner(text,text,text,text,text,date,text,boolean,text,text)|issuer|ok|SELECT microcred.add_learner(issuer => 'demo-uas', email => 'lp@example.org')
acts_for(uuid,name)|reader|ok|SELECT microcred.acts_for(gen_random_uuid(), current_user)
purge_issuer_roles()|admin|ok|SELECT microcred.purge_issuer_roles()
grant_issuer(text,name)|admin|ok|SELECT microcred.grant_issuer('demo-uas', 'regress_lp_reader')
public_key_info(bytea)|verifier|ok|SELECT microcred.public_key_info('\\x$spki')
public_key(text)|verifier|ok|SELECT microcred.public_key('$pubkey')
generate_key(text,text)|admin|ok|SELECT microcred.generate_key('demo-uas')
retire_key(uuid)|admin|ok|SELECT microcred.retire_key('$key')
controller_document(text)|verifier|ok|SELECT microcred.controller_document('demo-uas')
did_document(text)|verifier|ok|SELECT microcred.did_document('demo-uas')
set_mail_settings(text,text,boolean,text,text,text,text)|admin|ok|SELECT microcred.set_mail_settings('demo-uas', sender => 'lp@demo-uas.example')
set_mail_template(text,text,text,text,text)|admin|ok|SELECT microcred.set_mail_template('demo-uas', 'en', 'S {{title}}', 'T {{verify_url}}', '<p>{{title}}</p>')
set_learner_mail_preference(uuid,boolean,text)|issuer|ok|SELECT microcred.set_learner_mail_preference('$learner', false, 'de')
mail_retry(bigint)|issuer|ok|SELECT microcred.mail_retry(0)
mail_claim(integer,integer)|bridge|ok|SELECT * FROM microcred.mail_claim(1)
mail_sent(bigint)|bridge|ok|SELECT microcred.mail_sent(0)
mail_failed(bigint,text,text,integer,integer)|bridge|ok|SELECT microcred.mail_failed(0, 'x')
mail_backlog()|bridge|ok|SELECT * FROM microcred.mail_backlog()
set_issuer_did_web(text,boolean)|admin|ok|SELECT microcred.set_issuer_did_web('demo-uas')
trust_controller_document(jsonb,text,text)|admin|ok|SELECT microcred.trust_controller_document(jsonb_build_object('id', 'https://other2.example', 'assertionMethod', jsonb_build_array(jsonb_build_object('id', 'https://other2.example#k1', 'type', 'JsonWebKey', 'controller', 'https://other2.example', 'publicKeyJwk', '$otherjwk'::jsonb))), trusted_by => 'demo-uas', note => 'lp test')
trust_key(text,text,text,text,text)|admin|ok|SELECT microcred.trust_key('https://other.example', 'https://other.example#key-1', '$otherjwk', trusted_by => 'demo-uas', note => 'lp test')
register_context(text,jsonb)|admin|ok|SELECT microcred.register_context('https://lp.example/ns/v1', '{"@context": {"Lp": "https://lp.example/ns#Lp"}}')
to_nquads(jsonb)|verifier|ok|SELECT microcred.to_nquads('$doc')
canonicalize(jsonb,text)|verifier|ok|SELECT microcred.canonicalize('$doc'::jsonb, 'jcs')
canonicalize(text,text)|verifier|ok|SELECT microcred.canonicalize('$doc'::text, 'jcs')
issue(text,uuid,text,jsonb,timestamp with time zone,text)|issuer|ok|SELECT microcred.issue('demo-uas/PY-DATA', '$fresh')
document(uuid,text,text)|issuer|ok|SELECT microcred.document('$cred', 'vc-jwt')
audit_anchor(text)|admin|ok|SELECT microcred.audit_anchor('demo-uas')
audit_verify(text,bigint,text)|admin|ok|SELECT microcred.audit_verify('demo-uas')
status_list_credential(uuid)|verifier|ok|SELECT microcred.status_list_credential('$list')
revoke(uuid,text)|issuer|ok|SELECT microcred.revoke('$cred', 'lp')
revoke_all(uuid[],text)|issuer|ok|SELECT microcred.revoke_all(ARRAY['$cred'::uuid], 'lp')
suspend(uuid,text)|issuer|ok|SELECT microcred.suspend('$cred', 'lp')
suspend_all(uuid[],text)|issuer|ok|SELECT microcred.suspend_all(ARRAY['$cred'::uuid], 'lp')
reinstate(uuid,text)|issuer|ok|SELECT microcred.reinstate('$susp', 'lp')
reinstate_all(uuid[],text)|issuer|ok|SELECT microcred.reinstate_all(ARRAY['$susp'::uuid], 'lp')
supersede(uuid,text,jsonb,text)|issuer|ok|SELECT microcred.supersede('$cred', grade => 'Pass')
erase_learner(uuid,text)|issuer|ok|SELECT microcred.erase_learner('$learner', 'lp')
verify(jsonb,jsonb[],jsonb[])|verifier|ok|SELECT microcred.verify('$doc'::jsonb)
ob3_check(jsonb)|verifier|ok|SELECT microcred.ob3_check('$doc'::jsonb)
verify(text,jsonb[],jsonb[])|verifier|ok|SELECT microcred.verify('$jwt'::text)
verify_jwt(text,jsonb[],jsonb[])|verifier|ok|SELECT microcred.verify_jwt('$jwt')
define_pathway(text,text,text,text,jsonb,numeric,integer,integer,boolean)|admin|ok|SELECT microcred.define_pathway('demo-uas', 'LP', 'LP pathway', 'DH-CERT', '{"all_of": [{"credential_type": "PY-DATA"}]}')
set_pathway_rule(uuid,jsonb)|admin|ok|SELECT microcred.set_pathway_rule('$pathway', '{"all_of": [{"credential_type": "PY-DATA"}]}')
recognise(uuid,jsonb,jsonb[])|issuer|any|SELECT microcred.recognise('$learner', '{"type": ["VerifiableCredential"]}')
recognise_prior_learning(uuid,text,text,text,text[],numeric,integer,text,timestamp with time zone)|issuer|ok|SELECT microcred.recognise_prior_learning('$learner', 'Prior course', 'RPL-1', ects => 1)
stack_check(uuid,text)|issuer|ok|SELECT microcred.stack_check('$learner', 'demo-uas/DH')
stack_eligible(text)|issuer|ok|SELECT microcred.stack_eligible('demo-uas/DH')
stack_issue(uuid,text)|issuer|any|SELECT microcred.stack_issue('$fresh', 'demo-uas/DH')
public_resource(text,text,boolean,text)|verifier|ok|SELECT microcred.public_resource('credential', '$cred', false)
public_image(text,text)|verifier|ok|SELECT microcred.public_image('issuer', 'demo-uas')
set_issuer_image(text,bytea)|admin|ok|SELECT microcred.set_issuer_image('demo-uas', convert_to('<svg xmlns="http://www.w3.org/2000/svg"/>', 'UTF8'))
public_page(text,text)|verifier|ok|SELECT microcred.public_page('credential', '$cred')
public_verify(text)|verifier|ok|SELECT microcred.public_verify('$jwt')
lti_register_platform(text,text,text,text,text,text,text,text[],text[])|admin|ok|SELECT microcred.lti_register_platform('demo-uas', 'LP LMS', 'https://lp-lms.example', 'lp-client', 'https://lp-lms.example/auth', 'https://lp-lms.example/jwks')
lti_add_deployment(uuid,text)|admin|ok|SELECT microcred.lti_add_deployment('$platform', 'lp-dep')
lti_begin_login(text,text,text,interval)|bridge|any|SELECT microcred.lti_begin_login('https://moodle.up.example', 'up-client', 'https://two.example/lti/launch')
lti_consume_login(text,text)|bridge|any|SELECT microcred.lti_consume_login('no-such-state', 'no-such-nonce')
lti_launch(text,text,uuid,text,text,text,text,text,text,text,text,text,text,text,boolean,text,text,text)|bridge|any|SELECT microcred.lti_launch('no-such-state', 'no-such-nonce', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
lti_wallet_offer(text,text)|bridge|any|SELECT microcred.lti_wallet_offer('no-such-state', 'no-such-key')
lti_deployment_known(uuid,text)|bridge|ok|SELECT microcred.lti_deployment_known('$platform', '1')
lti_purge_login_states()|admin|ok|SELECT microcred.lti_purge_login_states()
lti_tool_key_rotate()|admin|ok|SELECT microcred.lti_tool_key_rotate()
lti_tool_key_retire(text)|admin|any|SELECT microcred.lti_tool_key_retire('$kid')
lti_tool_jwks()|bridge|ok|SELECT microcred.lti_tool_jwks()
lti_client_assertion(uuid)|bridge|any|SELECT microcred.lti_client_assertion('$platform')
lti_trust_lms_ids(uuid,boolean)|admin|ok|SELECT microcred.lti_trust_lms_ids('$platform', true)
lti_trust_emails(uuid,boolean)|admin|ok|SELECT microcred.lti_trust_emails('$platform', false)
lti_link_account(uuid,text,uuid)|admin|any|SELECT microcred.lti_link_account('$platform', 'lp-user-1', '$learner')
pathway_progress_of(uuid,uuid)|reader|ok|SELECT * FROM microcred.pathway_progress_of('$pathway', '$learner')
pathway_progress_all(uuid)|reader|ok|SELECT * FROM microcred.pathway_progress_all('$pathway')
lti_map_course(uuid,text,text,text)|admin|ok|SELECT microcred.lti_map_course('$platform', '77', 'GDPR-NURSE')
lti_unmap_course(uuid,text,text)|admin|ok|SELECT microcred.lti_unmap_course('$platform', '42', 'PY-DATA')
lti_begin_deep_link(uuid,text,text,text,text,text,interval,text)|bridge|any|SELECT microcred.lti_begin_deep_link('$platform', '1', '42', 'Course', 'https://moodle.up.example/return', NULL)
lti_credential_choices(uuid)|bridge|ok|SELECT microcred.lti_credential_choices('$platform')
lti_finish_deep_link(text,text,text)|bridge|any|SELECT microcred.lti_finish_deep_link('no-such-handle', 'PY-DATA', 'https://two.example/lti/launch')
lti_launch_view(uuid,text,text,text,text,boolean,text,text)|bridge|any|SELECT microcred.lti_launch_view('$platform', '42', 'PY-DATA', 'sub-1', 'lp@example.org', false)
lti_registration_invite(text,interval)|admin|ok|SELECT microcred.lti_registration_invite('demo-uas')
lti_check_invite(text)|bridge|any|SELECT microcred.lti_check_invite('no-such-invite')
lti_complete_registration(text,text,text,text,text,text,text,text)|bridge|any|SELECT microcred.lti_complete_registration('no-such-invite', 'x', 'https://x.example', 'c', 'https://x.example/a', 'https://x.example/j', NULL, NULL)
event_source_add(text,text,text,uuid,text,text)|admin|ok|SELECT microcred.event_source_add('demo-uas', 'xapi', 'lp-lrs', '$platform')
ingest_xapi(text,text,jsonb)|bridge|any|SELECT microcred.ingest_xapi('up-lrs', 'wrong-password', '{}')
event_source_for_canvas(text)|bridge|any|SELECT microcred.event_source_for_canvas('no-such-account')
ingest_canvas(uuid,jsonb)|bridge|any|SELECT microcred.ingest_canvas('$source', '{}')
ingest_moodle(text,text,text)|bridge|any|SELECT microcred.ingest_moodle('no-such-source', '{}', 'sig')
event_retry(bigint)|admin|any|SELECT microcred.event_retry($event)
event_assign_learner(bigint,uuid)|admin|any|SELECT microcred.event_assign_learner($event, '$learner')
pending_events(interval)|admin|ok|SELECT microcred.pending_events()
event_poll_policy(text,text)|admin|any|SELECT microcred.event_poll_policy('up-lrs', 'linked')
event_poll_set(text,text,text,interval)|admin|any|SELECT microcred.event_poll_set('up-lrs', 'https://canvas.example', 'token')
event_poll_clear(text)|admin|any|SELECT microcred.event_poll_clear('up-lrs')
event_poll_due()|bridge|ok|SELECT microcred.event_poll_due()
event_poll_done(uuid,text)|bridge|any|SELECT microcred.event_poll_done('$source', NULL)
ingest_poll(uuid,text,text,text,text,timestamp with time zone)|bridge|any|SELECT microcred.ingest_poll('$source', '42', 'u1', 'lp@example.org', 'LP', now())
wallet_offer(uuid,boolean,interval)|issuer|any|SELECT microcred.wallet_offer('$cred')
oid4vci_purge()|admin|ok|SELECT microcred.oid4vci_purge()
oid4vci_offer(text)|bridge|ok|SELECT microcred.oid4vci_offer('no-such-offer')
oid4vci_issuer_metadata(text)|bridge|ok|SELECT microcred.oid4vci_issuer_metadata('demo-uas')
oid4vci_as_metadata(text)|bridge|ok|SELECT microcred.oid4vci_as_metadata('demo-uas')
oid4vci_token(text,text,interval)|bridge|ok|SELECT * FROM microcred.oid4vci_token('no-such-code', NULL)
oid4vci_nonce(interval)|bridge|ok|SELECT microcred.oid4vci_nonce()
oid4vci_credential(text,text,text)|bridge|ok|SELECT * FROM microcred.oid4vci_credential('no-such-token', 'x', 'y')
CALLS

# the catalog: every public function and the lowest microcred role granted EXECUTE
q -c "SELECT regexp_replace(p.oid::regprocedure::text, '^microcred\.', ''),
             coalesce((SELECT r FROM unnest(ARRAY['reader', 'verifier', 'bridge', 'issuer', 'admin']) WITH ORDINALITY u(r, o)
                        WHERE has_function_privilege('microcred_' || r, p.oid, 'EXECUTE') ORDER BY o LIMIT 1), 'none')
        FROM pg_proc p WHERE p.pronamespace = 'microcred'::regnamespace AND p.proname !~ '^_' ORDER BY 1" >"$tmp/catalog"
ok "$(wc -l <"$tmp/catalog" | tr -d ' ')" "$(wc -l <"$tmp/calls" | tr -d ' ')" "every public function of the catalog has one call here, and no more"

declare -A expected_role
while IFS='|' read -r sig role; do expected_role[$sig]=$role; done <"$tmp/catalog"
while IFS='|' read -r sig role mode sql; do
    if [ -z "${expected_role[$sig]+x}" ]; then
        ok "no such function" "$sig" "the call for $sig names a function of the catalog"
        continue
    fi
    ok "$role" "${expected_role[$sig]}" "$sig: the lowest role granted EXECUTE is microcred_$role"
    unset "expected_role[$sig]"
    out=$(printf 'BEGIN;\n%s;\nSET CONSTRAINTS ALL IMMEDIATE;\nROLLBACK;\n' "$sql" |
          psql -X -At -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -U "regress_lp_$role" -d $db 2>&1 >/dev/null)
    if [ "$mode" = ok ]; then
        # (a warning, e.g. retire_key's count of affected credentials, is no failure)
        ok "$(printf '%s\n' "$out" | grep -A3 '^ERROR:')" "" "$sig: a non-superuser member of microcred_$role calls it"
    else
        ok "$(printf '%s' "$out" | grep -Ec 'ERROR:  (42501|permission denied)|must be owner|must be superuser')" 0 \
           "$sig: a non-superuser member of microcred_$role may call it (a made-up input may fail, not for privileges)"
    fi
done <"$tmp/calls"
for sig in "${!expected_role[@]}"; do
    ok "missing" "" "public function $sig has a least-privilege call in tests/t/least_privilege.sh"
done

# what the admin does with the tables directly (DEPLOY.md): retire a type (its
# trigger drops the cached document parts), fix an outcome's wording
out=$(printf "BEGIN;\nUPDATE microcred.credential_type SET retired_at = now() WHERE code = 'GDPR-NURSE';\nUPDATE microcred.learning_outcome SET description = description || '.' WHERE position = 1;\nSET CONSTRAINTS ALL IMMEDIATE;\nROLLBACK;\n" |
      psql -X -At -v ON_ERROR_STOP=1 -U regress_lp_admin -d $db 2>&1 >/dev/null)
ok "$out" "" "a non-superuser member of microcred_admin retires a credential type and edits an outcome"

# README's role table: each function it names for a role is granted to it
for r in admin issuer verifier bridge; do
    names=$(grep "^| \`microcred_$r\` |" README.md | cut -d'|' -f3 | grep -o '`[a-z_]*[ (`]' | tr -d '`( ' | sort -u)
    for f in $names; do
        # names the rows mention for another reason: the admin maps issuers, the
        # admin adds event sources (which makes the bridge act), the role itself
        case "$r:$f" in issuer:grant_issuer|bridge:event_source_add|bridge:microcred_bridge) continue ;; esac
        ok "$(q -c "SELECT bool_or(has_function_privilege('microcred_$r', p.oid, 'EXECUTE')) FROM pg_proc p
                     WHERE p.pronamespace = 'microcred'::regnamespace AND p.proname = '$f'")" t \
           "README names $f for microcred_$r, and microcred_$r may execute it"
    done
done
echo "1..$n"
