#!/bin/bash
# did:web issuers (pg_extension/scripts/91_didweb.sql) against the test
# cluster: the id made from base_url, switching an issuer (credentials issued
# before keep their https id and still verify), issuing and verifying under
# the DID (Data Integrity and VC-JOSE), the DID document (keys, rotation,
# retirement, service entry), a foreign did:web in a second database with and
# without its registered DID document, tenancy, bad input, and the bridge
# serving /issuers/{handle}/did.json on 127.0.0.1.  Bounded waits; the trap
# stops the daemon and drops the databases.
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
db=mc_didweb
db2=mc_didweb_foreign
role=mc_didweb_bridge
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcdidweb.XXXXXX")
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    wait 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $db2" \
        -c "DROP ROLE IF EXISTS $role" -c "DROP ROLE IF EXISTS regress_dw_other" 2>/dev/null
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
n=0
fails=0
ok() {  # ok GOT WANT NAME
    n=$((n + 1))
    if [ "$1" = "$2" ]; then echo "ok $n - $3"
    else echo "not ok $n - $3 (got '$1', want '$2')"; fails=$((fails + 1)); fi
}
q() {  # q [-d DB] [-v name=value]... -c SQL
    local args=() sql= d=$db
    while [ $# -gt 0 ]; do
        case $1 in
            -c) sql=$2; shift 2 ;;
            -d) d=$2; shift 2 ;;
            *) args+=("$1"); shift ;;
        esac
    done
    printf '%s\n' "$sql" | psql -X -At -v ON_ERROR_STOP=1 -d "$d" "${args[@]}" 2>&1
}
if [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs a cluster (PGHOST)"
    exit 0
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $db2" \
    -c "DROP ROLE IF EXISTS $role" -c "DROP ROLE IF EXISTS regress_dw_other" \
    -c "CREATE DATABASE $db" -c "CREATE DATABASE $db2" -c "CREATE ROLE $role LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
q -d $db2 -c "CREATE EXTENSION microcred" >/dev/null

# --- the id ------------------------------------------------------------------
ok "$(q -c "SELECT microcred._did_web_id('https://Creds.Example.eu', 'tu-x')")" "did:web:creds.example.eu:issuers:tu-x" \
   "did:web id of an https base URL: lower-case host, then issuers:<handle>"
ok "$(q -c "SELECT microcred._did_web_id('https://creds.example.eu:8443/mc/v1', 'tu-x')")" "did:web:creds.example.eu%3A8443:mc:v1:issuers:tu-x" \
   "the port is percent-encoded, the path becomes segments"
ok "$(q -c "SELECT microcred._did_web_id('https://h.example/a~b', 'tu-x')")" "did:web:h.example:a%7Eb:issuers:tu-x" \
   "characters a DID segment may not hold are percent-encoded"
ok "$(q -c "SELECT microcred._did_web_id('ftp://h.example', 'tu-x') IS NULL AND microcred._did_web_id('https://h.example', 'Bad Handle') IS NULL")" t \
   "no did:web id for a non-http URL or a bad handle"

OLD=$(q -c "SELECT id FROM microcred.issued_credential LIMIT 1")
OLDDOC=$(q -c "SELECT document FROM microcred.issued_credential WHERE id = '$OLD'")
HTTPS_ID=$(q -c "SELECT public_id FROM microcred.issuer WHERE handle = 'demo-uas'")
ok "$HTTPS_ID" "http://127.0.0.1:8080/issuers/demo-uas" "before: the demo issuer has its https id"
ok "$(q -c "SELECT microcred.did_document('demo-uas') IS NULL")" t "no DID document while the issuer does not use did:web"

# --- switching ----------------------------------------------------------------
DID=$(q -c "SELECT microcred.set_issuer_did_web('demo-uas')")
ok "$DID" "did:web:127.0.0.1%3A8080:issuers:demo-uas" "set_issuer_did_web returns the new id"
ok "$(q -c "SELECT public_id FROM microcred.issuer WHERE handle = 'demo-uas'")" "$DID" "the issuer's public id is the DID"
ok "$(q -c "SELECT microcred.set_issuer_did_web('demo-uas')")" "$DID" "switching again changes nothing"
ok "$(q -c "SELECT document = '$OLDDOC'::jsonb FROM microcred.issued_credential WHERE id = '$OLD'")" t \
   "the credential issued before is unchanged"
ok "$(q -c "SELECT (microcred.verify(document)).valid FROM microcred.issued_credential WHERE id = '$OLD'")" t \
   "the credential issued under the https id still verifies (key and status)"
ok "$(q -c "SELECT document->'issuer'->>'id' FROM microcred.issued_credential WHERE id = '$OLD'")" "$HTTPS_ID" \
   "and still names the https id"

# --- issuing under the DID -------------------------------------------------------
L2=$(q -c "SELECT microcred.add_learner(issuer => 'demo-uas', email => 'ciara@student.demo-uas.example')")
NEW=$(q -c "SELECT microcred.issue('demo-uas/PY-DATA', '$L2')")
q -c "SELECT document FROM microcred.issued_credential WHERE id = '$NEW'" >"$TMP/new.json"
ok "$(q -v d="$(cat "$TMP/new.json")" -c "SELECT :'d'::jsonb->'issuer'->>'id'")" "$DID" "a new credential's issuer id is the DID"
FRAG=$(q -c "SELECT public_key_multibase FROM microcred.signing_key WHERE state = 'active' AND algorithm = 'Ed25519'")
ok "$(q -v d="$(cat "$TMP/new.json")" -c "SELECT :'d'::jsonb->'proof'->>'verificationMethod'")" "$DID#$FRAG" \
   "its proof's verificationMethod is <did>#<key id>"
ok "$(q -v d="$(cat "$TMP/new.json")" -c "SELECT (microcred.verify(:'d'::jsonb)).valid")" t "the did:web credential verifies"
ok "$(q -v d="$(cat "$TMP/new.json")" -c "SELECT c->>'result' FROM jsonb_array_elements((microcred.verify(:'d'::jsonb)).checks) c WHERE c->>'check' = 'status'")" pass \
   "its status check passes (the status list is signed under the DID)"
TOK=$(q -c "SELECT microcred.document('$NEW', 'vc-jwt')")
ok "$(printf '%s' "$TOK" | cut -d. -f1 | python3 -c 'import sys,base64,json; s=sys.stdin.read().strip(); print(json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))["kid"].startswith(sys.argv[1] + "#"))' "$DID")" True \
   "its VC-JOSE form's kid is <did>#<JWK thumbprint>"
ok "$(q -c "SELECT (microcred.verify_jwt('$TOK')).valid")" t "the VC-JOSE form verifies"

# --- the DID document -----------------------------------------------------------
q -c "SELECT microcred.did_document('demo-uas')" >"$TMP/did.json"
dd() { q -v d="$(cat "$TMP/did.json")" -c "$1"; }
ok "$(dd "SELECT :'d'::jsonb->>'id'")" "$DID" "the DID document's id is the DID"
ok "$(dd "SELECT :'d'::jsonb->'@context'")" '["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1", "https://w3id.org/security/jwk/v1"]' \
   "@context: DID Core v1, Multikey, JWK"
ok "$(dd "SELECT string_agg(vm->>'type', ',' ORDER BY vm->>'type') FROM jsonb_array_elements(:'d'::jsonb->'verificationMethod') vm")" "JsonWebKey,Multikey" \
   "the Ed25519 key appears as Multikey and as JsonWebKey"
ok "$(dd "SELECT (:'d'::jsonb->'assertionMethod') ? '$DID#$FRAG'")" t "the signing key is under assertionMethod"
ok "$(dd "SELECT bool_and(vm->>'controller' = '$DID') FROM jsonb_array_elements(:'d'::jsonb->'verificationMethod') vm")" t \
   "every verification method is controlled by the DID"
ok "$(dd "SELECT vm->>'publicKeyMultibase' FROM jsonb_array_elements(:'d'::jsonb->'verificationMethod') vm WHERE vm->>'type' = 'Multikey'")" "$FRAG" \
   "the Multikey is the issuer's public key"
ok "$(dd "SELECT :'d'::jsonb->'service'->0->>'serviceEndpoint'")" "http://127.0.0.1:8080/issuers/demo-uas" \
   "a service entry points to the OB Profile"
ok "$(dd "SELECT :'d'::jsonb->'alsoKnownAs'")" "[\"$HTTPS_ID\"]" "alsoKnownAs names the former https id"
ok "$(grep -ci 'private\|sealed\|"d"' "$TMP/did.json")" 0 "the DID document holds no private key material"

# rotation: a new key joins, the old one stays (standby keys still verify)
q -c "SELECT microcred.generate_key('demo-uas')" >/dev/null
ok "$(q -c "SELECT jsonb_array_length(microcred.did_document('demo-uas')->'assertionMethod')")" 4 \
   "after rotation both keys are listed (Multikey + JsonWebKey each)"
ok "$(q -v d="$(cat "$TMP/new.json")" -c "SELECT (microcred.verify(:'d'::jsonb)).valid")" t "the credential of the rotated-out key still verifies"
# retirement: the key leaves the document, its credentials stop verifying
q -c "SELECT microcred.retire_key(id) FROM microcred.signing_key WHERE public_key_multibase = '$FRAG'" >/dev/null 2>&1
ok "$(q -c "SELECT microcred.did_document('demo-uas')::text LIKE '%$FRAG%'")" f "a retired key is no longer in the DID document"
ok "$(q -c "SELECT jsonb_array_length(microcred.did_document('demo-uas')->'assertionMethod')")" 2 "only the new key is listed"

# --- the foreign did:web (a second database: no such issuer there) -----------------
# a fresh credential under the new key, and the DID document, as another verifier gets them
NEW2=$(q -c "SELECT microcred.issue('demo-uas/GDPR-NURSE', '$L2')")
q -c "SELECT document FROM microcred.issued_credential WHERE id = '$NEW2'" >"$TMP/new2.json"
q -c "SELECT microcred.did_document('demo-uas')" >"$TMP/did2.json"
ok "$(q -d $db2 -v d="$(cat "$TMP/new2.json")" -c "SELECT (microcred.verify(:'d'::jsonb)).valid")" f \
   "elsewhere, without a registered DID document, the did:web credential is not valid"
ok "$(q -d $db2 -v d="$(cat "$TMP/new2.json")" -c "SELECT c->>'result' FROM jsonb_array_elements((microcred.verify(:'d'::jsonb)).checks) c WHERE c->>'check' = 'issuer_key'")" fail \
   "its issuer_key check fails (never fetched from the network)"
ok "$(q -d $db2 -v d="$(cat "$TMP/did2.json")" -c "SELECT microcred.trust_controller_document(:'d'::jsonb)")" 2 \
   "trust_controller_document registers the DID document's two verification methods"
ok "$(q -d $db2 -v d="$(cat "$TMP/new2.json")" -c "SELECT c->>'result' FROM jsonb_array_elements((microcred.verify(:'d'::jsonb)).checks) c WHERE c->>'check' = 'issuer_key'")" pass \
   "with the registered DID document its issuer_key check passes"
ok "$(q -d $db2 -v d="$(cat "$TMP/new2.json")" -c "SELECT c->>'result' FROM jsonb_array_elements((microcred.verify(:'d'::jsonb)).checks) c WHERE c->>'check' = 'signature'")" pass \
   "and its signature verifies"
ok "$(q -d $db2 -v d="$(cat "$TMP/new2.json")" -v dd="$(cat "$TMP/did2.json")" -c "SELECT c->>'result' FROM jsonb_array_elements((microcred.verify(:'d'::jsonb, controller_documents => ARRAY[:'dd'::jsonb])).checks) c WHERE c->>'check' = 'issuer_key'")" pass \
   "a DID document given to verify() binds the key too"

# --- tenancy and privileges ------------------------------------------------------------
q -c "SELECT microcred.add_issuer(legal_name => 'Other College', country => 'FR', handle => 'other', base_url => 'https://other.example')" >/dev/null
q -c "CREATE ROLE regress_dw_other LOGIN IN ROLE microcred_issuer" >/dev/null
q -c "SELECT microcred.grant_issuer('other', 'regress_dw_other')" >/dev/null
ok "$(q -c "SET ROLE regress_dw_other; SELECT microcred.set_issuer_did_web('demo-uas')" | grep -Ec '^ERROR:.*(may not act for this issuer|permission denied)')" 1 \
   "another issuer's role may not switch this issuer"
ok "$(q -c "SET ROLE regress_dw_other; SELECT microcred.set_issuer_did_web('other')" | grep -Ec '^ERROR:.*(only a microcred admin|permission denied)')" 1 \
   "an issuer role may not switch even its own issuer (admins manage ids)"
ok "$(q -c "SET ROLE regress_dw_other; SELECT count(*) FROM microcred.issuer_former_id" | grep -c 'permission denied')" 1 \
   "issuer roles cannot read the former ids"
ok "$(q -c "SET ROLE regress_dw_other; SELECT count(*) FROM microcred.issuer WHERE public_id = '$DID'" | tail -1)" 0 \
   "another issuer's role does not see the did:web issuer's row"

# --- bad input -----------------------------------------------------------------------
ok "$(q -c "SELECT microcred.set_issuer_did_web('nobody')" | grep -c '^ERROR:.*issuer "nobody" does not exist')" 1 "unknown issuer: clear error"
ok "$(q -c "SELECT microcred.set_issuer_did_web('demo-uas', NULL)" | grep -c '^ERROR:.*enabled must be true or false')" 1 "NULL setting: clear error"
q -c "SELECT microcred.add_issuer(legal_name => 'No URL', country => 'DE', handle => 'no-url')" >/dev/null
ok "$(q -c "SELECT microcred.set_issuer_did_web('no-url')" | grep -c '^ERROR:.*has no public base URL')" 1 "an issuer without base URL cannot use did:web"
ok "$(q -c "SELECT microcred.did_document('nobody')" | grep -c '^ERROR.*does not exist')" 1 "did_document of an unknown issuer: clear error"

# switching back: the https id returns, credentials of both periods verify
ok "$(q -c "SELECT microcred.set_issuer_did_web('demo-uas', false)")" "$HTTPS_ID" "switching back restores the https id"
ok "$(q -v d="$(cat "$TMP/new2.json")" -c "SELECT (microcred.verify(:'d'::jsonb)).valid")" t "the did:web credential still verifies after switching back"
ok "$(q -c "SELECT public_id FROM microcred.issuer_former_id")" "$DID" "the DID is now the former id"
q -c "SELECT microcred.set_issuer_did_web('demo-uas')" >/dev/null

# --- the bridge --------------------------------------------------------------------
if [ ! -x "$BIN" ]; then
    echo "ok $((n + 1)) # SKIP bridge checks: no lti_bridge/microcred-bridge"
    n=$((n + 1))
else
    q -c "GRANT microcred_bridge TO $role" >/dev/null
    for ((try = 0; try < 10; try++)); do
        PORT=$((20000 + RANDOM % 40000))
        cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 2
public_base_url = https://tool.example
EOC
        "$BIN" -c "$TMP/bridge.conf" 2>>"$TMP/bridge.log" &
        DPID=$!
        for ((i = 0; i < 50; i++)); do
            kill -0 "$DPID" 2>/dev/null || break
            curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/metrics" && break 2
            sleep 0.1
        done
        kill -KILL "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null; DPID=
    done
    [ -n "$DPID" ] || { echo "Bail out! the bridge did not start"; cat "$TMP/bridge.log"; exit 1; }
    URL=http://127.0.0.1:$PORT
    get() { curl -s --max-time 10 -D "$TMP/head" -o "$TMP/body" -w '%{http_code}' "$URL$1"; }
    header() { grep -i "^$1:" "$TMP/head" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
    ok "$(get /issuers/demo-uas/did.json)" 200 "GET /issuers/{handle}/did.json answers 200"
    ok "$(header Content-Type)" "application/did+json" "served as application/did+json"
    ok "$(q -v b="$(cat "$TMP/body")" -c "SELECT :'b'::jsonb = microcred.did_document('demo-uas')")" t \
       "the served document is the DID document, with the issuer's keys"
    ok "$(q -v b="$(cat "$TMP/body")" -v c="$(cat "$TMP/new2.json")" -c "SELECT (:'b'::jsonb->'assertionMethod') ? (:'c'::jsonb->'proof'->>'verificationMethod')")" t \
       "the credential's verificationMethod is listed under assertionMethod of the served document"
    ok "$(get /issuers/demo-uas)" 200 "the https profile is still served"
    ok "$(q -v b="$(cat "$TMP/body")" -c "SELECT :'b'::jsonb->>'id' = '$HTTPS_ID' AND (:'b'::jsonb->'assertionMethod')->0 #>> '{}' LIKE '$HTTPS_ID#%'")" t \
       "/issuers/{handle} keeps the https id and its key ids, so credentials issued before resolve"
    ok "$(get /issuers/other/did.json)" 404 "an issuer that does not use did:web has no DID document (404)"
    ok "$(get /issuers/nobody/did.json)" 404 "an unknown issuer: 404"
    ok "$(get /issuers/demo-uas/x.json)" 404 "another file under the issuer: 404"
    ok "$(get '/issuers/demo-uas/did.json/')" 404 "a trailing slash: 404"
    ok "$(get /issuers/../did.json)" 404 "a dot-dot segment: 404"
    kill -TERM "$DPID"
    for ((i = 0; i < 100; i++)); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
    DPID=
fi
echo "1..$n"
[ "$fails" -eq 0 ]
