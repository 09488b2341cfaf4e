#!/bin/bash
# Wallet delivery with OpenID4VCI 1.0 (pre-authorized code flow): the wallet
# emulator (tests/wallet/wallet.py) against the bridge and the test cluster,
# on 127.0.0.1 only.  The whole flow in both formats (ldp_vc with an EdDSA
# did:key holder, jwt_vc_json with an ES256 did:jwk holder, a bare jwk), the
# binding and verification of the delivered copy, revocation reaching it,
# and every error path: reused, expired and unknown codes, transaction
# codes, key proofs with wrong aud / stale or unknown nonce / alg none /
# a key that does not match the DID / wrong typ / old iat, oversized and
# malformed proofs, unknown configurations, wrong content types, bad and
# missing tokens, a second delivery, a revoked credential's offer,
# concurrent redemptions of one code; tenancy and erasure in SQL.
# Every wait is bounded; the trap stops the daemon and drops the database.
set -u
cd "$(dirname "$0")/../.."
BIN=${BRIDGE_BIN:-lti_bridge/microcred-bridge}
# Debian's python3 with python3-cryptography (tests/deps.sh), straight, not
# through a version manager's shim on PATH
PY=python3
/usr/bin/python3 -c 'import cryptography' 2>/dev/null && PY=/usr/bin/python3
W="$PY tests/wallet/wallet.py"
db=mc_oid4vci
role=mc_oid4vci_bridge
other=mc_oid4vci_other
TMP=$(mktemp -d "${TEST_TMP:-/tmp}/mcoid4vci.XXXXXX")
chmod 755 "$TMP"
DPID=
cleanup() {
    [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
    wait 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" -c "DROP ROLE IF EXISTS $other" 2>/dev/null
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
q() {
    local args=() sql=
    while [ $# -gt 0 ]; do
        if [ "$1" = -c ]; then sql=$2; shift 2; else args+=("$1"); shift; fi
    done
    printf '%s\n' "$sql" | psql -X -At -v ON_ERROR_STOP=1 -d $db "${args[@]}"
}
# the SQLSTATE of a statement that must fail (or "no error")
qerr() {
    printf '\\set VERBOSITY sqlstate\n%s\n' "$1" | psql -X -At -v ON_ERROR_STOP=1 -d $db 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1
}
js() {  # js FILE EXPR: a Python expression over the JSON document d
    $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}
status_of() { printf '%s' "$1" | cut -d' ' -f1; }
error_of() { printf '%s' "$1" | cut -d' ' -f2- | $PY -c 'import json,sys; print(json.load(sys.stdin).get("error"))'; }

if [ ! -x "$BIN" ] || [ -z "${PGHOST:-}" ]; then
    echo "1..0 # SKIP needs lti_bridge/microcred-bridge and a cluster (PGHOST)"
    exit 0
fi
if ! $PY -c 'import cryptography' 2>/dev/null; then
    echo "1..0 # SKIP needs python3-cryptography (tests/deps.sh)"
    exit 0
fi
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $role" -c "DROP ROLE IF EXISTS $other" \
    -c "CREATE DATABASE $db" -c "CREATE ROLE $role LOGIN" -c "CREATE ROLE $other LOGIN" >/dev/null 2>&1
psql -X -q -v ON_ERROR_STOP=1 -d $db -f tests/demo.sql >/dev/null || { echo "Bail out! demo.sql"; exit 1; }
q -c "GRANT microcred_bridge TO $role; GRANT microcred_issuer TO $other" >/dev/null

for ((try = 0; try < 10; try++)); do
    PORT=$((20000 + RANDOM % 40000))
    cat >"$TMP/bridge.conf" <<EOC
listen_address = 127.0.0.1
listen_port = $PORT
db_conninfo = "host=$PGHOST port=${PGPORT:-5432} user=$role dbname=$db"
threads = 4
public_base_url = http://127.0.0.1:$PORT
wallet_rate_per_ip = 0
wallet_rate_total = 0
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
ISS=$URL/wallet/demo-uas

# the issuer is served by this bridge; a P-256 key for the JWT form; fresh
# credentials (their status list URLs under the new base_url)
q -c "UPDATE microcred.issuer SET base_url = '$URL' WHERE handle = 'demo-uas';
      SELECT microcred.generate_key('demo-uas', 'P-256');" >/dev/null
newcred() {  # newcred NAME: a PY-DATA credential for a new learner
    q -c "SELECT microcred.issue('demo-uas/PY-DATA', microcred.add_learner(issuer => 'demo-uas', email => '$1@oid4vci.example'))"
}
offer() {  # offer CREDENTIAL [tx]: the offer link (and the tx code on a second line)
    if [ "${2:-}" = tx ]; then q -c "SELECT offer_uri || E'\n' || tx_code FROM microcred.wallet_offer('$1', tx_code => true)"
    else q -c "SELECT offer_uri FROM microcred.wallet_offer('$1')"; fi
}
ref_url() { $PY -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["credential_offer_uri"][0])' "$1"; }
code_of() { $W get "$(ref_url "$1")" | cut -d' ' -f2- | $PY -c 'import json,sys; print(json.load(sys.stdin)["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"])'; }
hdr() {  # hdr METHOD PATH NAME [curl args]: one response header
    local m=$1 p=$2 h=$3; shift 3
    curl -s --max-time 10 -o /dev/null -D - -X "$m" "$@" "$URL$p" | grep -i "^$h:" | head -1 | cut -d' ' -f2- | tr -d '\r'
}
$W keygen ed25519 "$TMP/ed.pem"
$W keygen p256 "$TMP/p256.pem"
$W keygen ed25519 "$TMP/other.pem"

# --- metadata --------------------------------------------------------------
ok "$($W get "$URL/.well-known/openid-credential-issuer/wallet/demo-uas" | cut -d' ' -f1)" 200 "issuer metadata at the well-known URL of <base>/wallet/<handle>"
$W get "$URL/.well-known/openid-credential-issuer/wallet/demo-uas" | cut -d' ' -f2- >"$TMP/meta.json"
ok "$(js "$TMP/meta.json" 'd["credential_issuer"], d["credential_endpoint"], d["nonce_endpoint"]' | tr -d "(),'")" \
   "$ISS $URL/wallet/credential $URL/wallet/nonce" "credential_issuer, credential and nonce endpoints"
ok "$(js "$TMP/meta.json" 'd["display"][0]["name"]')" "Demo University of Applied Sciences" "display names the awarding body"
ok "$(js "$TMP/meta.json" 'd["display"][0]["logo"]["uri"]')" "$(js "$TMP/meta.json" 'd["credential_issuer"].split("/wallet/")[0]')/issuers/demo-uas/image" \
   "display shows the awarding body's image as its logo"
ok "$(js "$TMP/meta.json" '",".join(sorted((k, v["format"]) and k + ":" + v["format"] for k, v in d["credential_configurations_supported"].items()))')" \
   "OpenBadgeCredential_jwt_vc_json:jwt_vc_json,OpenBadgeCredential_ldp_vc:ldp_vc" "two configurations: ldp_vc and jwt_vc_json"
ok "$(js "$TMP/meta.json" 'd["credential_configurations_supported"]["OpenBadgeCredential_ldp_vc"]["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]')" \
   "['EdDSA', 'ES256']" "jwt key proofs with EdDSA or ES256"
ok "$(hdr GET /.well-known/openid-credential-issuer/wallet/demo-uas Content-Type)|$(hdr GET /.well-known/openid-credential-issuer/wallet/demo-uas Cache-Control)" \
   "application/json|no-store" "served as application/json, Cache-Control: no-store"
$W get "$URL/.well-known/oauth-authorization-server/wallet/demo-uas" | cut -d' ' -f2- >"$TMP/as.json"
ok "$(js "$TMP/as.json" 'd["issuer"] == "'"$ISS"'", d["token_endpoint"], d["grant_types_supported"], d["pre-authorized_grant_anonymous_access_supported"]' | tr -d "(),'[]")" \
   "True $URL/wallet/token urn:ietf:params:oauth:grant-type:pre-authorized_code True" "authorization server metadata: the pre-authorized code grant, anonymous"
ok "$($W get "$URL/.well-known/openid-credential-issuer/wallet/nobody" | cut -d' ' -f1)" 404 "an unknown issuer's metadata answers 404"

# --- the flow: ldp_vc, EdDSA holder, did:key ---------------------------------
C1=$(newcred alice)
O1=$(offer "$C1")
ok "$(printf '%s' "$O1" | grep -c '^openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A')" 1 "the offer is a credential_offer_uri link, percent-encoded"
$W get "$(ref_url "$O1")" | cut -d' ' -f2- >"$TMP/offer.json"
ok "$(js "$TMP/offer.json" 'd["credential_issuer"] == "'"$ISS"'" and "tx_code" not in d["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]')" True \
   "the Credential Offer names this issuer, a pre-authorized code and no transaction code"
REF1=$(ref_url "$O1"); REF1=${REF1##*/}
ok "$(hdr GET "/wallet/offers/$REF1" Cache-Control)" "no-store" "the offer is not cached"
$W flow "$O1" "$TMP/ed.pem" did:key OpenBadgeCredential_ldp_vc >"$TMP/f1.json" 2>"$TMP/f1.err"
ok "$(js "$TMP/f1.json" 'd["format"]')" ldp_vc "the wallet received an ldp_vc credential" || cat "$TMP/f1.err"
HOLDER1=$($W did "$TMP/ed.pem" did:key)
js "$TMP/f1.json" 'json.dumps(d["credential"])' >"$TMP/c1.json"
ok "$(js "$TMP/c1.json" 'd["credentialSubject"]["id"]')" "$HOLDER1" "credentialSubject.id is the holder's did:key"
ok "$(q -v d="$(cat "$TMP/c1.json")" -c "SELECT (microcred.verify(:'d'::jsonb)).valid")" t "the delivered copy verifies in microcred.verify"
ok "$(q -v d="$(cat "$TMP/c1.json")" -c "SELECT :'d'::jsonb->'credentialStatus' = document->'credentialStatus' AND :'d'::jsonb->>'id' = document->>'id' AND :'d'::jsonb->'proof'->>'cryptosuite' = 'eddsa-rdfc-2022' FROM microcred.issued_credential WHERE id = '$C1'")" t \
   "it carries the original's id and credentialStatus, signed with eddsa-rdfc-2022"
ok "$(q -c "SELECT holder_did = '$HOLDER1' AND format = 'ldp_vc' AND proof_alg = 'EdDSA' AND configuration_id = 'OpenBadgeCredential_ldp_vc' FROM microcred.wallet_deliveries WHERE credential_id = '$C1'")" t \
   "the delivery is recorded: holder DID, format, key proof alg"
ok "$($W get "$(ref_url "$O1")" | cut -d' ' -f1)" 404 "a redeemed offer is no longer served"
R=$($W token "$URL/wallet/token" "$(js "$TMP/offer.json" 'd["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]')")
ok "$(status_of "$R") $(error_of "$R")" "400 invalid_grant" "a reused pre-authorized code: 400 invalid_grant"
TOK1=$(js "$TMP/f1.json" 'd["access_token"]')
NONCE=$($W nonce "$URL/wallet/nonce")
R=$($W credential "$URL/wallet/credential" "$TOK1" OpenBadgeCredential_ldp_vc "$($W proof "$TMP/ed.pem" did:key "$ISS" "$NONCE")")
ok "$(status_of "$R") $(error_of "$R")" "400 credential_request_denied" "a second delivery in the same format for one offer is denied"

# --- jwt_vc_json, ES256 holder, did:jwk ----------------------------------------
C2=$(newcred bob)
$W flow "$(offer "$C2")" "$TMP/p256.pem" did:jwk OpenBadgeCredential_jwt_vc_json >"$TMP/f2.json" 2>"$TMP/f2.err"
ok "$(js "$TMP/f2.json" 'd["format"]')" jwt_vc_json "the wallet received a jwt_vc_json credential" || cat "$TMP/f2.err"
JWT2=$(js "$TMP/f2.json" 'd["credential"]')
HOLDER2=$($W did "$TMP/p256.pem" did:jwk)
$W payload "$JWT2" >"$TMP/p2.json"
ok "$(js "$TMP/p2.json" '(d.get("credentialSubject") or d["vc"]["credentialSubject"])["id"] == "'"$HOLDER2"'"')" True "credentialSubject.id is the holder's did:jwk"
ok "$(js "$TMP/p2.json" 'd.get("sub")')" "$HOLDER2" "and so is the JWT's sub"
ok "$(q -c "SELECT (microcred.verify_jwt('$JWT2')).valid")" t "the delivered JWT verifies in microcred.verify_jwt"
ok "$($PY -c 'import sys,json,base64; h=sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h+"="*(-len(h)%4)))["alg"])' "$JWT2")" ES256 "signed with the issuer's ES256 key"

# --- ldp_vc with a bare jwk header (P-256): the holder is its did:key ---------
C3=$(newcred carol)
$W flow "$(offer "$C3")" "$TMP/p256.pem" jwk OpenBadgeCredential_ldp_vc >"$TMP/f3.json" 2>"$TMP/f3.err"
ok "$(js "$TMP/f3.json" 'd["credential"]["credentialSubject"]["id"] == "'"$($W did "$TMP/p256.pem" jwk)"'" and d["credential"]["credentialSubject"]["id"].startswith("did:key:zDn")')" True \
   "a jwk header binds to the key's did:key" || cat "$TMP/f3.err"
ok "$(q -c "SELECT proof_alg FROM microcred.wallet_deliveries WHERE credential_id = '$C3'")" ES256 "the ES256 key proof is recorded"

# --- revocation reaches the delivered copy -------------------------------------
q -c "SELECT microcred.revoke('$C1', 'test')" >/dev/null
ok "$(q -v d="$(cat "$TMP/c1.json")" -c "SELECT (v).valid || ' ' || (SELECT c->>'result' FROM jsonb_array_elements((v).checks) c WHERE c->>'check' = 'status') FROM (SELECT microcred.verify(:'d'::jsonb) v) x")" "false fail" \
   "revoking the original: the delivered copy's status check fails"
ok "$(qerr "SELECT microcred.wallet_offer('$C1')")" 55000 "a revoked credential cannot be offered"

# --- transaction codes ------------------------------------------------------------
C4=$(newcred dora)
OT=$(offer "$C4" tx)
O4=$(printf '%s' "$OT" | sed -n 1p)
TX=$(printf '%s' "$OT" | sed -n 2p)
ok "$(printf '%s' "$TX" | grep -cE '^[0-9]{6}$')" 1 "wallet_offer(tx_code => true) returns a 6-digit code once"
ok "$(q -c "SELECT count(*) FROM microcred.oid4vci_offer WHERE tx_code_hash IS NOT NULL AND position(convert_to('$TX', 'UTF8') IN tx_code_hash) = 0 AND credential_id = '$C4'")" 1 \
   "the transaction code is stored only as a hash"
$W get "$(ref_url "$O4")" | cut -d' ' -f2- >"$TMP/offer4.json"
ok "$(js "$TMP/offer4.json" 'd["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["tx_code"]["input_mode"], d["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["tx_code"]["length"]' | tr -d "(),'")" \
   "numeric 6" "the offer asks for a numeric code of length 6"
CODE4=$(code_of "$O4")
R=$($W token "$URL/wallet/token" "$CODE4")
ok "$(status_of "$R") $(error_of "$R")" "400 invalid_request" "no tx_code where the offer has one: invalid_request"
WRONG=$(printf '%06d' $(( (10#$TX + 1) % 1000000 )))
R=$($W token "$URL/wallet/token" "$CODE4" "$WRONG")
ok "$(status_of "$R") $(error_of "$R")" "400 invalid_grant" "a wrong transaction code: invalid_grant"
ok "$($W flow "$O4" "$TMP/ed.pem" did:key OpenBadgeCredential_ldp_vc "$TX" | $PY -c 'import json,sys; print(json.load(sys.stdin)["format"])')" ldp_vc \
   "the right transaction code then redeems the offer"
C5=$(newcred eve)
OT=$(offer "$C5" tx); O5=$(printf '%s' "$OT" | sed -n 1p); TX5=$(printf '%s' "$OT" | sed -n 2p)
CODE5=$(code_of "$O5")
for i in 1 2 3 4 5; do $W token "$URL/wallet/token" "$CODE5" "$(printf '%06d' $(( (10#$TX5 + i) % 1000000 )))" >/dev/null; done
R=$($W token "$URL/wallet/token" "$CODE5" "$TX5")
ok "$(status_of "$R") $(error_of "$R")" "400 invalid_grant" "after five wrong transaction codes even the right one is refused"
R=$($W token "$URL/wallet/token" "$(code_of "$(offer "$C5")")" 123456)
ok "$(status_of "$R") $(error_of "$R")" "400 invalid_request" "a tx_code where the offer has none: invalid_request"

# --- token endpoint errors -----------------------------------------------------------
O6=$(offer "$C5"); CODE6=$(code_of "$O6")
q -c "UPDATE microcred.oid4vci_offer SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' WHERE credential_id = '$C5' AND redeemed_at IS NULL AND tx_code_hash IS NULL" >/dev/null
R=$($W token "$URL/wallet/token" "$CODE6")
ok "$(status_of "$R") $(error_of "$R")" "400 invalid_grant" "an expired pre-authorized code: invalid_grant"
ok "$($W get "$(ref_url "$O6")" | cut -d' ' -f1)" 404 "an expired offer is not served"
R=$($W token "$URL/wallet/token" "not-a-code")
ok "$(status_of "$R") $(error_of "$R")" "400 invalid_grant" "an unknown pre-authorized code: invalid_grant"
R=$(curl -s --max-time 10 -w ' %{http_code}' -H 'Content-Type: application/json' -d '{"grant_type":"urn:ietf:params:oauth:grant-type:pre-authorized_code","pre-authorized_code":"x"}' "$URL/wallet/token")
ok "${R##* } $(printf '%s' "${R% *}" | $PY -c 'import json,sys; print(json.load(sys.stdin)["error"])')" "400 invalid_request" "a JSON token request (wrong content type): invalid_request"
R=$(curl -s --max-time 10 -w ' %{http_code}' -d 'grant_type=authorization_code&code=x' "$URL/wallet/token")
ok "${R##* } $(printf '%s' "${R% *}" | $PY -c 'import json,sys; print(json.load(sys.stdin)["error"])')" "400 unsupported_grant_type" "another grant type: unsupported_grant_type"
R=$(curl -s --max-time 10 -w ' %{http_code}' -d "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=a&pre-authorized_code=b" "$URL/wallet/token")
ok "${R##* } $(printf '%s' "${R% *}" | $PY -c 'import json,sys; print(json.load(sys.stdin)["error"])')" "400 invalid_request" "a repeated parameter: invalid_request"
ok "$(hdr POST /wallet/token Cache-Control -d x=y)|$(hdr POST /wallet/token Pragma -d x=y)" "no-store|no-cache" "token answers carry Cache-Control: no-store and Pragma: no-cache"

# --- concurrent redemptions of one code: exactly one wins --------------------------------
C7=$(newcred frank)
ok "$($W race "$URL/wallet/token" "$(code_of "$(offer "$C7")")" 8)" "1 7" "8 concurrent redemptions of one code: one access token, seven invalid_grant"

# --- credential endpoint errors ---------------------------------------------------------
C8=$(newcred grace)
O8=$(offer "$C8")
R=$($W token "$URL/wallet/token" "$(code_of "$O8")")
TOK8=$(printf '%s' "$R" | cut -d' ' -f2- | $PY -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
ok "$(q -c "SELECT count(*) FROM microcred.oid4vci_token WHERE token_hash = sha256(convert_to('$TOK8', 'UTF8'))")" 1 "the access token is stored as its hash"
cred() {  # cred PROOF [wallet credential options]: "STATUS ERROR"
    local p=$1; shift
    local r; r=$($W credential "$URL/wallet/credential" "$TOK8" OpenBadgeCredential_ldp_vc "$p" "$@")
    echo "$(status_of "$r") $(error_of "$r")"
}
fresh() { $W nonce "$URL/wallet/nonce"; }
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$URL/wallet/other" "$(fresh)")")" "400 invalid_proof" "a key proof for another audience: invalid_proof"
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)" --alg none)")" "400 invalid_proof" "alg none: invalid_proof"
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)" --signer "$TMP/other.pem")")" "400 invalid_proof" "signed by a key that is not the DID's: invalid_proof"
ok "$(cred "$($W proof "$TMP/ed.pem" did:jwk "$ISS" "$(fresh)" --signer "$TMP/other.pem")")" "400 invalid_proof" "signed by a key that is not the did:jwk's: invalid_proof"
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)" --alg ES256)")" "400 invalid_proof" "an EdDSA key claiming ES256: invalid_proof"
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)" --typ JWT)")" "400 invalid_proof" "typ JWT instead of openid4vci-proof+jwt: invalid_proof"
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)" --iat-offset -3600)")" "400 invalid_proof" "iat an hour ago: invalid_proof"
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" x --no-nonce)")" "400 invalid_proof" "no nonce: invalid_proof"
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "unknown-nonce")")" "400 invalid_nonce" "an unknown nonce: invalid_nonce"
STALE=$(fresh)
q -c "UPDATE microcred.oid4vci_nonce SET expires_at = now() - interval '1 second' WHERE nonce = '$STALE'" >/dev/null
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "$STALE")")" "400 invalid_nonce" "an expired nonce: invalid_nonce"
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)" --pad 9000)")" "400 invalid_proof" "an oversized key proof (9 KB): invalid_proof"
ok "$(cred "not.a.jwt")" "400 invalid_proof" "a malformed key proof: invalid_proof"
ok "$(cred "$(printf '%s' "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)")" | cut -d. -f1-2).AAAA")" "400 invalid_proof" "a truncated signature: invalid_proof"
R=$($W credential "$URL/wallet/credential" "$TOK8" OpenBadgeCredential_sd_jwt "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)")")
ok "$(status_of "$R") $(error_of "$R")" "400 unknown_credential_configuration" "an unknown credential configuration id: unknown_credential_configuration"
ok "$(cred x --content-type text/plain)" "400 invalid_credential_request" "a text/plain credential request: invalid_credential_request"
ok "$(cred x --raw '{"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": ')" "400 invalid_credential_request" "malformed JSON: invalid_credential_request"
ok "$(cred x --raw '{"credential_configuration_id": "OpenBadgeCredential_ldp_vc"}')" "400 invalid_proof" "no proofs: invalid_proof"
ok "$(cred x --raw '{"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": ["a", "b"]}}')" "400 invalid_credential_request" "two key proofs (no batch issuance): invalid_credential_request"
ok "$(cred x --raw '{"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proof": {"proof_type": "jwt", "jwt": "a"}}')" "400 invalid_credential_request" "the pre-1.0 proof parameter: invalid_credential_request"
ok "$(cred x --raw "{\"credential_configuration_id\": \"OpenBadgeCredential_ldp_vc\", \"pad\": \"$(head -c 20000 /dev/zero | tr '\0' x)\"}")" "400 invalid_credential_request" "a 20 KB request: invalid_credential_request"
R=$(curl -s --max-time 10 -o /dev/null -D - -H 'Content-Type: application/json' -d '{}' "$URL/wallet/credential" | tr -d '\r')
ok "$(printf '%s' "$R" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p')|$(printf '%s' "$R" | sed -n 's/^WWW-Authenticate: //ip')" '401|Bearer realm="microcred"' "no access token: 401 with WWW-Authenticate: Bearer"
R=$(curl -s --max-time 10 -D - -H 'Content-Type: application/json' -H 'Authorization: Bearer forged' -d '{"credential_configuration_id": "OpenBadgeCredential_ldp_vc", "proofs": {"jwt": ["a"]}}' "$URL/wallet/credential" | tr -d '\r')
ok "$(printf '%s' "$R" | sed -n '1s/^HTTP[^ ]* \([0-9]*\).*/\1/p')|$(printf '%s' "$R" | grep -ic '^WWW-Authenticate: Bearer realm="microcred", error="invalid_token"')|$(printf '%s' "$R" | tail -1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["error"])')" \
   "401|1|invalid_token" "an unknown access token: 401 invalid_token"
# the access token names its own offer: grace's token gives grace's credential, never another
R=$($W credential "$URL/wallet/credential" "$TOK8" OpenBadgeCredential_jwt_vc_json "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)")")
ok "$(status_of "$R")|$($W payload "$(printf '%s' "$R" | cut -d' ' -f2- | $PY -c 'import json,sys; print(json.load(sys.stdin)["credentials"][0]["credential"])')" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["jti"])')" \
   "200|$(q -c "SELECT document->>'id' FROM microcred.issued_credential WHERE id = '$C8'")" "an access token delivers the credential of its own offer only"
q -c "UPDATE microcred.oid4vci_token SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(convert_to('$TOK8', 'UTF8'))" >/dev/null
ok "$(cred "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)")")" "401 invalid_token" "an expired access token: 401 invalid_token"

# a revoked credential: its earlier offer and token are dead
C9=$(newcred heidi)
O9=$(offer "$C9"); O9b=$(offer "$C9")
R=$($W token "$URL/wallet/token" "$(code_of "$O9")")
TOK9=$(printf '%s' "$R" | cut -d' ' -f2- | $PY -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
CODE9b=$(code_of "$O9b")
q -c "SELECT microcred.revoke('$C9', 'test')" >/dev/null
R=$($W token "$URL/wallet/token" "$CODE9b")
ok "$(status_of "$R") $(error_of "$R")" "400 invalid_grant" "the offer of a credential revoked since: invalid_grant"
R=$($W credential "$URL/wallet/credential" "$TOK9" OpenBadgeCredential_ldp_vc "$($W proof "$TMP/ed.pem" did:key "$ISS" "$(fresh)")")
ok "$(status_of "$R") $(error_of "$R")" "400 credential_request_denied" "an access token for a credential revoked since: credential_request_denied"

# --- the LTI learner page: the offer made when the learner asks (POST /lti/wallet) ----------
# The launch as the bridge makes it once the id_token is valid (bridge_launch.sh
# covers the token): microcred.lti_launch as the bridge's role, with the page's
# wallet key; then the page's button, and the wallet redeems what it gave.
CW=$(newcred wally)
q -c "SELECT microcred.lti_register_platform('demo-uas', 'W LMS', 'https://w-lms.example', 'w-client',
          'https://w-lms.example/auth', 'https://w-lms.example/jwks', NULL, '{w-dep}')" >"$TMP/wpid"
WPID=$(cat "$TMP/wpid")
q -c "SELECT microcred.lti_map_course('$WPID', 'w-course', 'PY-DATA');
      INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
      SELECT issuer_id, learner_id, 'lms', 'https://w-lms.example', 'w-sub' FROM microcred.issued_credential WHERE id = '$CW'" >/dev/null
WKEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
q -c "SET ROLE $role; SELECT state || ' ' || nonce FROM microcred.lti_begin_login('https://w-lms.example', 'w-client', '$URL/lti/launch')" | tail -1 >"$TMP/wlogin"
read -r WSTATE WNONCE <"$TMP/wlogin"
offers_cw() { q -c "SELECT count(*) FROM microcred.oid4vci_offer WHERE credential_id = '$CW'"; }
ok "$(q -c "SET ROLE $role; SELECT coalesce(problem, 'none') || ' ' || (view->>'view') || ' ' || (view->>'wallet')
            FROM microcred.lti_launch('$WSTATE', '$WNONCE', '$WPID', 'https://w-lms.example', 'w-client', 'https://w-lms.example/jwks',
                 'RS256', 'w-dep', '$URL/lti/launch', 'LtiResourceLinkRequest', 'w-course', NULL, 'w-sub', NULL, false, NULL, NULL, '$WKEY')" | tail -1)" \
   "none learner-credential true" "lti_launch (the launch in one call) shows the learner her credential, offerable to a wallet"
ok "$(offers_cw)" 0 "the launch itself made no wallet offer"
wallet_post() { curl -s --max-time 10 -D "$TMP/wh" -o "$TMP/wb" -w '%{http_code}' -H "Origin: $URL" --data-urlencode "state=$1" --data-urlencode "key=$2" "$URL/lti/wallet"; }
ok "$(wallet_post "$WSTATE" "$WKEY")" 200 "the page's \"Add to wallet\" button: POST /lti/wallet answers the offer page"
WOFFER=$(sed -n 's/.*data-link="wallet" href="\([^"]*\)".*/\1/p' "$TMP/wb" | sed 's/&amp;/\&/g')
ok "$(offers_cw)|$(printf '%s' "$WOFFER" | grep -c '^openid-credential-offer://?credential_offer_uri=http%3A%2F%2F127.0.0.1%3A')|$(grep -c 'QR code of the wallet offer' "$TMP/wb")" "1|1|1" \
   "one offer made on request, shown as a link and a QR code"
$W flow "$WOFFER" "$TMP/ed.pem" did:key OpenBadgeCredential_ldp_vc >"$TMP/fw.json" 2>"$TMP/fw.err"
ok "$(js "$TMP/fw.json" 'd["format"], d["credential"]["credentialSubject"]["id"]' | tr -d "(),'")" "ldp_vc $HOLDER1" \
   "the wallet redeemed the offer made on request: an ldp_vc bound to its did:key" || cat "$TMP/fw.err"
js "$TMP/fw.json" 'json.dumps(d["credential"])' >"$TMP/cw.json"
ok "$(q -v d="$(cat "$TMP/cw.json")" -c "SELECT (microcred.verify(:'d'::jsonb)).valid")|$(q -c "SELECT count(*) FROM microcred.oid4vci_delivery WHERE credential_id = '$CW'")" "t|1" \
   "the delivered copy verifies, and the delivery of that credential is recorded"
ok "$(wallet_post "$WSTATE" "$WKEY")|$(grep -i '^X-LTI-Error:' "$TMP/wh" | tr -d '\r' | cut -d' ' -f2)|$(offers_cw)" "401|wallet_used|1" \
   "the same page's button again: wallet_used, no second offer"

# --- SQL: tenancy, privileges, erasure ------------------------------------------------------
ok "$(q -c "SET ROLE $other; SELECT (SELECT count(*) FROM microcred.wallet_offers) + (SELECT count(*) FROM microcred.wallet_deliveries)" | tail -1)" 0 \
   "a role of no issuer sees no offers and no deliveries"
ok "$(qerr "SET ROLE $other; SELECT microcred.wallet_offer('$C8')")" 42501 "nor can it offer another issuer's credential"
ok "$(qerr "SET ROLE $role; SELECT * FROM microcred.oid4vci_offer")" 42501 "the bridge's role reads no offer table"
ok "$(qerr "SET ROLE $role; SELECT microcred.wallet_offer('$C8')")" 42501 "the bridge's role cannot make offers (only the LTI page makes them)"
ok "$(q -c "SELECT microcred._oid4vci_page_offer('$C8') LIKE 'openid-credential-offer://%', microcred._oid4vci_page_offer('$C9') IS NULL" | tr '|' ' ')" "t t" \
   "the LTI learner page gets an offer for an active credential, none for a revoked one"
q -c "SELECT microcred.erase_learner((SELECT learner_id FROM microcred.issued_credential WHERE id = '$C3'))" >/dev/null
ok "$(q -c "SELECT count(*) FILTER (WHERE credential IS NULL) || '/' || count(*) FROM microcred.oid4vci_delivery WHERE credential_id = '$C3'")" "1/1" \
   "erasing the learner drops the delivered copy (the record of the delivery stays)"

# the key-proof check itself (microcred._holder_proof), called directly: bad
# proofs come back as a named problem, never an error or a crash
hp() { q -c "SELECT microcred._holder_proof(\$\$$1\$\$) ->> 'problem' IS NOT NULL"; }
ok "$(hp 'not a jwt')|$(hp 'a.b.c')|$(hp "$(head -c 9000 /dev/zero | tr '\\0' 'a').b.c")" "t|t|t" \
   "_holder_proof: a non-JWT, a JWT of garbage and one over 8 KiB each give a problem"
ok "$(hp 'eyJhbGciOiJub25lIiwidHlwIjoib3BlbmlkNHZjaS1wcm9vZitqd3QifQ.eyJhdWQiOiJ4In0.')" t \
   "_holder_proof: alg none gives a problem"

echo "1..$n"
[ "$fails" -eq 0 ]
