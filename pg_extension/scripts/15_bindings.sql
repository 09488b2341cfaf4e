/*
 * microcred install script, 15_bindings.sql: every SQL declaration of a C
 * function of the module, grouped by the C file that implements it.
 *
 * The only part with LANGUAGE C: the C layer's SQL surface in one place.  It
 * comes after the catalog tables because some C functions take their row types
 * (microcred._credential_document); later parts call these.  Who may execute
 * them is granted in the part of the feature that uses them.
 */

-- microcred.c ---------------------------------------------------------------

CREATE FUNCTION microcred.version()
RETURNS text
LANGUAGE C STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_version';
COMMENT ON FUNCTION microcred.version() IS
    'version of the microcred library and of the OpenSSL it runs with';

-- crypto_sql.c -------------------------------------------------------------

CREATE FUNCTION microcred._random_bytes(n integer)
RETURNS bytea
LANGUAGE C VOLATILE STRICT
AS 'MODULE_PATHNAME', 'microcred_random_bytes';
COMMENT ON FUNCTION microcred._random_bytes(integer) IS 'internal: n bytes from the strong random source';

-- 256 random bits, base64url without padding (43 characters)
CREATE FUNCTION microcred._random_token()
RETURNS text
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'microcred_random_token';

CREATE FUNCTION microcred._hmac_sha256(key bytea, data bytea)
RETURNS bytea
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_hmac_sha256';
COMMENT ON FUNCTION microcred._hmac_sha256(bytea, bytea) IS 'internal: HMAC-SHA256';

CREATE FUNCTION microcred._equal_ct(a bytea, b bytea)
RETURNS boolean
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_equal_ct';
COMMENT ON FUNCTION microcred._equal_ct(bytea, bytea) IS 'internal: byte strings equal, compared in constant time';

-- keys_sql.c ----------------------------------------------------------------

CREATE FUNCTION microcred._key_generate(key_id uuid, issuer_id uuid, algorithm text,
    OUT sealed_private bytea, OUT public_key bytea, OUT public_key_multibase text,
    OUT public_jwk jsonb, OUT did_key text, OUT fragment text)
RETURNS record
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_key_generate';
COMMENT ON FUNCTION microcred._key_generate(uuid, uuid, text) IS
    'internal: generate a key pair, returning the sealed private key and the public formats';

CREATE FUNCTION microcred.public_key_info(public_key bytea,
    OUT algorithm text, OUT spki bytea, OUT public_key_multibase text,
    OUT public_jwk jsonb, OUT did_key text, OUT fragment text)
RETURNS record
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_public_key_info';
COMMENT ON FUNCTION microcred.public_key_info(bytea) IS
    'the Multikey, JWK and did:key forms of a public key given as SPKI DER';

CREATE FUNCTION microcred.public_key(key text)
RETURNS bytea
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_public_key_parse';
COMMENT ON FUNCTION microcred.public_key(text) IS
    'SPKI DER of a public key given as publicKeyMultibase, did:key or JWK text';

-- reconciliation: polling the LMS for completions that never arrived ---------


CREATE FUNCTION microcred._seal_secret(secret text, aad bytea)
RETURNS bytea
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_seal_secret';
COMMENT ON FUNCTION microcred._seal_secret(text, bytea) IS 'internal: AES-256-GCM under the KEK, bound to aad';

CREATE FUNCTION microcred._unseal_secret(sealed bytea, aad bytea)
RETURNS text
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_unseal_secret';
COMMENT ON FUNCTION microcred._unseal_secret(bytea, bytea) IS 'internal: open a _seal_secret blob';

-- proof_sql.c ---------------------------------------------------------------

-- verification caches registered keys per backend; key changes must reach every backend
CREATE FUNCTION microcred._invalidate_caches()
RETURNS trigger
LANGUAGE C
AS 'MODULE_PATHNAME', 'microcred_invalidate_caches';
COMMENT ON FUNCTION microcred._invalidate_caches() IS
    'internal: statement trigger that invalidates the per-backend caches of registered keys';

CREATE FUNCTION microcred._sign_di(document jsonb, cryptosuite text, key_id uuid, issuer_id uuid,
                                   verification_method text, created timestamptz)
RETURNS jsonb
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_sign_di';
COMMENT ON FUNCTION microcred._sign_di(jsonb, text, uuid, uuid, text, timestamptz) IS
    'internal: secure a document with a DataIntegrityProof made with the issuer''s key of this id (read and opened in C)';

CREATE FUNCTION microcred._sign_jwt(document jsonb, form text, key_id uuid, issuer_id uuid,
                                    alg text, kid text)
RETURNS text
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_sign_jwt';
COMMENT ON FUNCTION microcred._sign_jwt(jsonb, text, uuid, uuid, text, text) IS
    'internal: a compact JWT (ob-jwt or vc-jwt) of an unsecured document, signed with the key of this id (read and opened in C)';

CREATE FUNCTION microcred._verify_document(credential jsonb, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_jsonb';
COMMENT ON FUNCTION microcred._verify_document(jsonb, jsonb[]) IS
    'internal: verify the proofs of a credential secured with Data Integrity, keys bound to the issuer by registration, by the controller documents given, or as its did:key (status: see microcred.verify)';

CREATE FUNCTION microcred._verify_text(credential text, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_text';
COMMENT ON FUNCTION microcred._verify_text(text, jsonb[]) IS
    'internal: verify a credential given as strict I-JSON text or as a compact JWT (status: see microcred.verify)';

CREATE FUNCTION microcred._verify_token(token text, controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_verify_jwt';
COMMENT ON FUNCTION microcred._verify_token(text, jsonb[]) IS
    'internal: verify a JWT credential (status: see microcred.verify_jwt)';

-- The proofs and, for our own lists, the status check in C (proof_sql.c,
-- verify_status_sql.c): the same checks and reasons as _with_status, one index
-- lookup per entry; anything else (a foreign list, another status method) goes
-- through _with_status.  SECURITY DEFINER: the key and status tables and the
-- internal functions are the owner's alone; VOLATILE: verify(document(issue(...)))
-- in one statement sees the new rows.  NULL as the credential is an error
-- naming it.  COST 100, as the SQL functions they replace had: the same plans.
CREATE FUNCTION microcred.verify(credential jsonb, status_lists jsonb[] DEFAULT NULL,
                                 controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE C VOLATILE SECURITY DEFINER COST 100
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_verify_status_jsonb';
COMMENT ON FUNCTION microcred.verify(jsonb, jsonb[], jsonb[]) IS
    'verify a credential secured with Data Integrity (eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020; proof sets and chains), ours or another issuer''s: valid only if a key bound to its issuer signed it (registered, or in a controller document given), including its status: our own lists directly, another issuer''s from the status list credentials given';

CREATE FUNCTION microcred.verify(credential text, status_lists jsonb[] DEFAULT NULL,
                                 controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE C VOLATILE SECURITY DEFINER COST 100
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_verify_status_text';
COMMENT ON FUNCTION microcred.verify(text, jsonb[], jsonb[]) IS
    'verify a credential given as text: strict I-JSON (duplicate members refused) with a Data Integrity proof, or a compact JWT; keys and status as for verify(jsonb)';

CREATE FUNCTION microcred.verify_jwt(token text, status_lists jsonb[] DEFAULT NULL,
                                     controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE C VOLATILE SECURITY DEFINER COST 100
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_verify_status_jwt';
COMMENT ON FUNCTION microcred.verify_jwt(text, jsonb[], jsonb[]) IS
    'verify a credential secured as a JWT: Open Badges 3.0 VC-JWT (typ JWT) or W3C VC-JOSE (typ vc+jwt); keys and status as for verify(jsonb)';

-- canon_sql.c ---------------------------------------------------------------

CREATE FUNCTION microcred.canonicalize(doc jsonb, algorithm text DEFAULT 'jcs')
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_canonicalize';
COMMENT ON FUNCTION microcred.canonicalize(jsonb, text) IS
    'canonical form of a JSON document: ''jcs'' (RFC 8785) or ''rdfc-1.0'' (canonical N-Quads)';

CREATE FUNCTION microcred.canonicalize(doc text, algorithm text DEFAULT 'jcs')
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_canonicalize_text';
COMMENT ON FUNCTION microcred.canonicalize(text, text) IS
    'canonical form of JSON text, parsed as strict I-JSON (duplicate member names, lone surrogates and non-finite numbers refused)';

CREATE FUNCTION microcred.to_nquads(doc jsonb)
RETURNS text
LANGUAGE C STRICT STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_to_nquads';
COMMENT ON FUNCTION microcred.to_nquads(jsonb) IS
    'the RDF dataset of a JSON-LD document as N-Quads (JSON-LD 1.1 toRdf in safe mode: dropped data is an error)';

-- parts_sql.c ---------------------------------------------------------------

-- the issuer as an Open Badges 3.0 Profile (C: ob3.c, read by parts_sql.c)
CREATE FUNCTION microcred._issuer_profile(i microcred.issuer)
RETURNS jsonb
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_issuer_profile';

-- the credential type as an Open Badges 3.0 Achievement with every EU element
-- (C: ob3.c, the mapping of docs/ARCHITECTURE.md; read by parts_sql.c)
CREATE FUNCTION microcred._achievement(t microcred.credential_type, i microcred.issuer)
RETURNS jsonb
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_achievement';

-- document_sql.c ------------------------------------------------------------

-- the OpenBadgeCredential of an issued-credential row (C: document_sql.c); signed
-- in the same call when a key is given
CREATE FUNCTION microcred._credential_document(c microcred.issued_credential, t microcred.credential_type,
                                               i microcred.issuer, l microcred.learner, salt text,
                                               achievement jsonb, profile jsonb,
                                               key_id uuid DEFAULT NULL,
                                               verification_method text DEFAULT NULL,
                                               cryptosuite text DEFAULT NULL,
                                               credential_status jsonb DEFAULT NULL)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'microcred_credential_document';
COMMENT ON FUNCTION microcred._credential_document(microcred.issued_credential, microcred.credential_type, microcred.issuer, microcred.learner, text, jsonb, jsonb, uuid, text, text, jsonb) IS
    'internal: the OpenBadgeCredential (VC 2.0 + OB 3.0.3) of an issued credential, signed when a key is given';

-- audit_sql.c ---------------------------------------------------------------

-- the chained hash of one audit row: SHA-256(prev_hash || UTF-8 of
-- concat_ws(U+001F, issuer_id, seq, at in UTC as YYYY-MM-DDTHH:MI:SS.uuuuuuZ,
-- actor, action, subject or '', reason or '', the JCS of details)); a NULL
-- field is left out as concat_ws leaves it out (it was an SQL function
-- until 0.3; tests/t/audit_hash.sh compares the two)
CREATE FUNCTION microcred._audit_hash(issuer_id uuid, seq bigint, at timestamptz, actor name, action text,
                                      subject uuid, reason text, details jsonb, prev_hash bytea)
RETURNS bytea
LANGUAGE C STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_audit_hash';
COMMENT ON FUNCTION microcred._audit_hash(uuid, bigint, timestamptz, name, text, uuid, text, jsonb, bytea) IS
    'internal: the chained hash of one audit row';

-- status_alloc_sql.c ---------------------------------------------------------

-- an unused, unpredictable status list index for a credential (the locking:
-- status_alloc_sql.c); its BitstringStatusListEntry
CREATE FUNCTION microcred._allocate_status(issuer uuid, base_url text, credential uuid, purpose text)
RETURNS jsonb
LANGUAGE C VOLATILE
AS 'MODULE_PATHNAME', 'microcred_allocate_status';
COMMENT ON FUNCTION microcred._allocate_status(uuid, text, uuid, text) IS
    'internal: allocate an unused, unpredictable status list index for a credential';

-- issue_sql.c ---------------------------------------------------------------

-- issuing in one C call: resolve, check, allocate the status entries, build
-- and sign the document, insert, mail and auto-award, audit (issue_sql.c);
-- microcred.issue (71_issue.sql) is its public face
CREATE FUNCTION microcred._issue(credential_type text, learner uuid, grade text, evidence jsonb,
                                 issued_at timestamptz, idempotency_key text, actor name,
                                 awarded_date timestamptz DEFAULT NULL, supersedes uuid DEFAULT NULL,
                                 credits_earned numeric DEFAULT NULL)
RETURNS uuid
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_issue';
COMMENT ON FUNCTION microcred._issue(text, uuid, text, jsonb, timestamptz, text, name, timestamptz, uuid, numeric) IS 'internal: see microcred.issue';

-- the public face: the caller (the role set with SET ROLE, else the session
-- user, as microcred._caller() says) is the actor; one C call, no SQL wrapper
CREATE FUNCTION microcred.issue(credential_type text, learner uuid, grade text DEFAULT NULL,
                                evidence jsonb DEFAULT NULL, issued_at timestamptz DEFAULT now(),
                                idempotency_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_issue_api';
COMMENT ON FUNCTION microcred.issue(text, uuid, text, jsonb, timestamptz, text) IS
    'issue a micro-credential (type by id or ''issuer/CODE'') to a learner: builds the OB 3.0 document, signs it with the issuer''s active key and stores it; the same idempotency key (or learner and type, unless the type allows repeats) returns the existing credential';

-- statuslist_sql.c ----------------------------------------------------------

CREATE FUNCTION microcred._status_permute(key bytea, size integer, n bigint)
RETURNS integer
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_permute';
COMMENT ON FUNCTION microcred._status_permute(bytea, integer, bigint) IS
    'internal: the index of position n of a status list (keyed Feistel permutation of [0, size))';

CREATE FUNCTION microcred._status_encode(size integer, set_indexes integer[])
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_encode';
COMMENT ON FUNCTION microcred._status_encode(integer, integer[]) IS
    'internal: the encodedList (multibase base64url of the GZIP-compressed bitstring) with these bits set';

CREATE FUNCTION microcred._status_bits(bits bytea, size integer, indexes integer[], value boolean)
RETURNS bytea
LANGUAGE C IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_bits';
COMMENT ON FUNCTION microcred._status_bits(bytea, integer, integer[], boolean) IS
    'internal: a status list''s bitstring (NULL: no bit set) with the bits of these indexes set to value, in one pass (status_list.bits)';

CREATE FUNCTION microcred._status_encode_bits(size integer, bits bytea)
RETURNS text
LANGUAGE C IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_encode_bits';
COMMENT ON FUNCTION microcred._status_encode_bits(integer, bytea) IS
    'internal: the encodedList (multibase base64url of the GZIP-compressed bitstring) of a status list''s stored bits';

CREATE FUNCTION microcred._status_check(entry jsonb, list_credential jsonb, OUT is_set boolean, OUT problem text)
RETURNS record
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_check';
COMMENT ON FUNCTION microcred._status_check(jsonb, jsonb) IS
    'internal: the bit of a BitstringStatusListEntry in a status list credential, or the problem that prevents reading it';

-- ob3_sql.c -----------------------------------------------------------------

CREATE FUNCTION microcred.ob3_check(credential jsonb)
RETURNS jsonb
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_ob3_check';
COMMENT ON FUNCTION microcred.ob3_check(jsonb) IS
    'the Open Badges 3.0 structure of a credential: {applies, conforms, errors, warnings, findings: [{severity, pointer, message}]}, each finding at its JSON pointer (verify''s ob3_structure check)';

-- holder_proof_sql.c -------------------------------------------------------

CREATE FUNCTION microcred._holder_proof(jwt text)
RETURNS jsonb
LANGUAGE C STRICT STABLE
AS 'MODULE_PATHNAME', 'microcred_holder_proof';
COMMENT ON FUNCTION microcred._holder_proof(text) IS
    'internal: an OpenID4VCI jwt key proof checked (size, typ, alg EdDSA/ES256, kid did:key/did:jwk or jwk, signature): {holder_did, alg, aud, nonce, iat, iss} or {problem}';

