#!/bin/bash
# What microcred._issue reads about a credential type is cached per backend
# (pg_extension/issue_type_sql.c).  A long-lived session A issues while
# session B (and A itself) change everything that cache holds: the type
# (retired, renamed code), the issuer's key (rotation), the roles mapped to
# the issuer, the mail settings, an auto-award pathway, the document parts.
# Each change must show in A's next issue.  The steps run in a fixed order:
# A is a coprocess and every step waits for its output.
set -eu
cd "$(dirname "$0")/../.."
db=mc_issue_cache
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
coproc A { psql -X -At -q -d $db 2>&1; }
# (set +e: a failed cleanup must not turn a passing run into a failure; the
# coprocess is waited for so that its database can be dropped)
cleanup() {
    set +e
    # end of input ends session A's psql (and its backend); kill only what remains
    [ -n "${A[1]:-}" ] && eval "exec ${A[1]}>&-"
    if [ -n "${A_PID:-}" ]; then
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$A_PID" 2>/dev/null || break; sleep 0.2; done
        kill "$A_PID" 2>/dev/null; wait "$A_PID" 2>/dev/null
    fi
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS mc_ic_clerk" 2>/dev/null
    return 0
}
trap cleanup EXIT
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null
n=0
ok() { n=$((n + 1)); if [ "$1" = "$2" ]; then echo "ok $n - $3"; else echo "not ok $n - $3 (got '$1', want '$2')"; fi; }
# run SQL in session A; its output (bounded wait for the marker)
a() {
    local line out=""
    printf '%s\n\\echo __done__\n' "$1" >&"${A[1]}"
    while IFS= read -r -t 60 line <&"${A[0]}"; do
        [ "$line" = "__done__" ] && break
        out="${out:+$out
}$line"
    done
    printf '%s' "$out"
}
# how many lines of A's output match (never a pipe from a(): a pipeline's
# subshell cannot read the coprocess)
count() { local c; c=$(printf '%s\n' "$1" | grep -c "$2") || true; echo "${c:-0}"; }
b() { psql -X -At -q -v ON_ERROR_STOP=1 -d $db -c "$1"; }
learner() { echo "microcred.add_learner(issuer => 'demo-uas', email => '$1@cache.example')"; }
# issue in A; the credential's id goes to A's variable :cid
issue() { a "SELECT microcred.issue('$1', $(learner "$2")) AS cid \gset"; }

# A issues once: the type, key, roles and settings are now cached in A
ok "$(a "SELECT microcred.issue('demo-uas/PY-DATA', $(learner l1)) IS NOT NULL;")" t "session A issues (and caches the type)"

# B rotates the key: A signs its next credential with the new one
old=$(b "SELECT fragment FROM microcred.signing_key WHERE algorithm = 'Ed25519' AND state = 'active'")
b "SELECT microcred.generate_key('demo-uas')" >/dev/null
new=$(b "SELECT fragment FROM microcred.signing_key WHERE algorithm = 'Ed25519' AND state = 'active'")
issue demo-uas/PY-DATA l2
got=$(a "SELECT split_part(document -> 'proof' ->> 'verificationMethod', '#', 2) FROM microcred.issued_credential WHERE id = :'cid';")
ok "$got" "$new" "after session B rotates the key, A signs with the new key (not $old)"
ok "$(a "SELECT count(*) FILTER (WHERE (microcred.verify(document)).valid) FROM microcred.issued_credential;")" 3 \
   "every credential (old key and new) verifies"

# B renames the type's code: A's cached reference 'demo-uas/PY-DATA' no longer names it
b "UPDATE microcred.credential_type SET code = 'PY-DATA-2' WHERE code = 'PY-DATA'"
ok "$(count "$(a "SELECT microcred.issue('demo-uas/PY-DATA', $(learner l3));")" 'credential type "demo-uas/PY-DATA" does not exist')" 1 \
   "after session B renames the code, A's old reference is unknown"
ok "$(a "SELECT microcred.issue('demo-uas/PY-DATA-2', $(learner l4)) IS NOT NULL;")" t "and the new reference issues"

# B changes the title: the document parts are made again and A's next document has the new title
b "UPDATE microcred.credential_type SET title = 'Python for Data Analysis (2027)' WHERE code = 'PY-DATA-2'"
issue demo-uas/PY-DATA-2 l5
ok "$(a "SELECT document -> 'credentialSubject' -> 'achievement' ->> 'name' FROM microcred.issued_credential WHERE id = :'cid';")" \
   "Python for Data Analysis (2027)" "after session B changes the title, A's next credential carries it"

# B retires the type: A refuses to issue it
b "UPDATE microcred.credential_type SET retired_at = now() WHERE code = 'PY-DATA-2'"
ok "$(count "$(a "SELECT microcred.issue('demo-uas/PY-DATA-2', $(learner l6));")" 'is retired')" 1 \
   "after session B retires the type, A refuses to issue it"

# roles: a clerk mapped to the issuer issues in A; B removes the mapping; A refuses
psql -X -q -d postgres -c "DROP ROLE IF EXISTS mc_ic_clerk" -c "CREATE ROLE mc_ic_clerk IN ROLE microcred_issuer" 2>/dev/null
b "SELECT microcred.grant_issuer('demo-uas', 'mc_ic_clerk')" >/dev/null
ok "$(a "SET ROLE mc_ic_clerk; SELECT microcred.issue('demo-uas/GDPR-NURSE', $(learner l7)) IS NOT NULL; RESET ROLE;")" t \
   "a role mapped to the issuer issues in A"
b "DELETE FROM microcred.issuer_role WHERE role = 'mc_ic_clerk'::regrole"
l8=$(b "SELECT $(learner l8)")
ok "$(count "$(a "SET ROLE mc_ic_clerk; SELECT microcred.issue('demo-uas/GDPR-NURSE', '$l8'); RESET ROLE;")" 'may not act for this issuer')" 1 \
   "after session B removes the mapping, A refuses the role"

# mail: B turns the issuer's e-mail on; A's next credential is queued
b "SELECT microcred.set_mail_settings('demo-uas', sender => 'credentials@demo-uas.example')" >/dev/null
issue demo-uas/GDPR-NURSE l9
ok "$(a "SELECT count(*) FROM microcred.mail_outbox WHERE credential_id = :'cid';")" 1 \
   "after session B turns e-mail on, A's next credential is queued for mail"
b "SELECT microcred.set_mail_settings('demo-uas', sender => 'credentials@demo-uas.example', enabled => false)" >/dev/null
issue demo-uas/GDPR-NURSE l10
ok "$(a "SELECT count(*) FROM microcred.mail_outbox WHERE credential_id = :'cid';")" 0 \
   "after session B turns it off again, nothing is queued"

# auto-award: B defines a pathway from GDPR-NURSE to a new target type
b "SELECT microcred.define_credential(issuer => 'demo-uas', code => 'CERT', title => 'Certificate', description => 'The pathway target.', learning_outcomes => ARRAY['Completes the pathway'], ects => 2, eqf_level => 6, assessment => ARRAY['project_work'], participation => 'online', quality_assurance => 'internal')" >/dev/null
b "SELECT microcred.define_pathway('demo-uas', 'P', 'Pathway', 'CERT', '{\"credential_type\": \"GDPR-NURSE\"}', auto_award => true)" >/dev/null
issue demo-uas/GDPR-NURSE l11
ok "$(a "SELECT count(*) FROM microcred.issued_credential c JOIN microcred.credential_type t ON t.id = c.credential_type_id WHERE t.code = 'CERT' AND c.learner_id = (SELECT learner_id FROM microcred.issued_credential WHERE id = :'cid');")" 1 \
   "after session B defines an auto-award pathway, A's next component issue awards the target"

# A's own change in the same transaction: retire inside a transaction, then issue
ok "$(count "$(a "BEGIN; UPDATE microcred.credential_type SET retired_at = now() WHERE code = 'GDPR-NURSE'; SELECT microcred.issue('demo-uas/GDPR-NURSE', $(learner l12)); ROLLBACK;")" 'is retired')" 1 \
   "a change made earlier in A's own transaction shows in its next issue"
ok "$(a "SELECT microcred.issue('demo-uas/GDPR-NURSE', $(learner l13)) IS NOT NULL;")" t "and is gone after its rollback"

ok "$(a "SELECT ok FROM microcred.audit_verify('demo-uas');")" t "the audit chain verifies after all of it"
echo "1..$n"
