/*
 * microcred install script, 93_oid4vci_endpoints.sql: the OpenID4VCI endpoints
 * the bridge serves (issuer and authorization server metadata, token, nonce,
 * credential, with the holder-bound copy).  The tables and offers are in
 * 93_oid4vci.sql; purge, erasure, views and grants in 93_oid4vci_views.sql.
 */

-- GET /.well-known/openid-credential-issuer/wallet/{handle}
CREATE FUNCTION microcred.oid4vci_issuer_metadata(handle text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'credential_issuer', microcred._oid4vci_issuer_url(i),
        'credential_endpoint', i.base_url || '/wallet/credential',
        'nonce_endpoint', i.base_url || '/wallet/nonce',
        'display', jsonb_build_array(jsonb_build_object('name', i.legal_name, 'locale', 'en',
            -- the awarding body's image (a generated badge when none is stored: 92_page)
            'logo', jsonb_build_object('uri', i.base_url || '/issuers/' || i.handle || '/image',
                                       'alt_text', i.legal_name))),
        'credential_configurations_supported', jsonb_build_object(
            'OpenBadgeCredential_ldp_vc', jsonb_build_object(
                'format', 'ldp_vc',
                'credential_definition', jsonb_build_object(
                    '@context', jsonb_build_array('https://www.w3.org/ns/credentials/v2',
                                                  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'),
                    'type', jsonb_build_array('VerifiableCredential', 'OpenBadgeCredential')),
                'cryptographic_binding_methods_supported', jsonb_build_array('did:key', 'did:jwk', 'jwk'),
                'credential_signing_alg_values_supported', jsonb_build_array('eddsa-rdfc-2022', 'eddsa-jcs-2022'),
                'proof_types_supported', jsonb_build_object('jwt', jsonb_build_object(
                    'proof_signing_alg_values_supported', jsonb_build_array('EdDSA', 'ES256'))),
                'credential_metadata', jsonb_build_object('display', jsonb_build_array(jsonb_build_object(
                    'name', 'Micro-credential (Open Badges 3.0, Data Integrity)', 'locale', 'en',
                    'description', 'A micro-credential of ' || i.legal_name || ', signed with eddsa-rdfc-2022')))),
            'OpenBadgeCredential_jwt_vc_json', jsonb_build_object(
                'format', 'jwt_vc_json',
                'credential_definition', jsonb_build_object(
                    'type', jsonb_build_array('VerifiableCredential', 'OpenBadgeCredential')),
                'cryptographic_binding_methods_supported', jsonb_build_array('did:key', 'did:jwk', 'jwk'),
                'credential_signing_alg_values_supported', jsonb_build_array('ES256', 'RS256'),
                'proof_types_supported', jsonb_build_object('jwt', jsonb_build_object(
                    'proof_signing_alg_values_supported', jsonb_build_array('EdDSA', 'ES256'))),
                'credential_metadata', jsonb_build_object('display', jsonb_build_array(jsonb_build_object(
                    'name', 'Micro-credential (Open Badges 3.0, JWT)', 'locale', 'en',
                    'description', 'A micro-credential of ' || i.legal_name || ', as an Open Badges 3.0 VC-JWT'))))))
      FROM microcred.issuer i
     WHERE i.handle = oid4vci_issuer_metadata.handle AND i.base_url IS NOT NULL
$$;
COMMENT ON FUNCTION microcred.oid4vci_issuer_metadata(text) IS
    'OpenID4VCI Credential Issuer Metadata of an awarding body (NULL when unknown or without base_url)';

-- GET /.well-known/oauth-authorization-server/wallet/{handle} (RFC 8414)
CREATE FUNCTION microcred.oid4vci_as_metadata(handle text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'issuer', microcred._oid4vci_issuer_url(i),
        'token_endpoint', i.base_url || '/wallet/token',
        'response_types_supported', '[]'::jsonb,
        'grant_types_supported', jsonb_build_array('urn:ietf:params:oauth:grant-type:pre-authorized_code'),
        'token_endpoint_auth_methods_supported', jsonb_build_array('none'),
        'pre-authorized_grant_anonymous_access_supported', true)
      FROM microcred.issuer i
     WHERE i.handle = oid4vci_as_metadata.handle AND i.base_url IS NOT NULL
$$;
COMMENT ON FUNCTION microcred.oid4vci_as_metadata(text) IS
    'OAuth 2.0 Authorization Server Metadata of an awarding body''s credential issuer: pre-authorized code grant only, anonymous access';

/*
 * POST /wallet/token: a pre-authorized code (and the transaction code when
 * the offer has one) for an access token.  Failures are results (the
 * OAuth error code and description), not errors, so that what they spend
 * stays spent: invalid_grant (unknown, used or expired code, wrong
 * transaction code, credential no longer active), invalid_request
 * (transaction code missing or not expected).  The row lock makes the
 * redemption atomic: of concurrent requests with one code exactly one wins.
 */
CREATE FUNCTION microcred.oid4vci_token(pre_authorized_code text, tx_code text,
                                        ttl interval DEFAULT '10 minutes',
                                        OUT error text, OUT error_description text,
                                        OUT access_token text, OUT expires_in integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o   microcred.oid4vci_offer;
    c   microcred.issued_credential;
BEGIN
    IF ttl IS NULL OR ttl < interval '1 minute' OR ttl > interval '1 hour' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 1 minute and 1 hour', NULL, NULL);
    END IF;
    IF pre_authorized_code IS NULL OR pre_authorized_code = '' THEN
        error := 'invalid_request';
        error_description := 'pre-authorized_code is required';
        RETURN;
    END IF;
    SELECT * INTO o FROM microcred.oid4vci_offer x
     WHERE x.code_hash = microcred._oid4vci_hash(pre_authorized_code) FOR UPDATE;
    IF o.id IS NULL THEN
        error := 'invalid_grant';
        error_description := 'unknown pre-authorized code';
        RETURN;
    END IF;
    IF o.redeemed_at IS NOT NULL THEN
        error := 'invalid_grant';
        error_description := 'the pre-authorized code was already used';
        RETURN;
    END IF;
    IF o.expires_at <= now() THEN
        error := 'invalid_grant';
        error_description := 'the pre-authorized code has expired';
        RETURN;
    END IF;
    IF o.tx_code_hash IS NULL AND tx_code IS NOT NULL THEN
        error := 'invalid_request';
        error_description := 'this offer has no transaction code, but tx_code was sent';
        RETURN;
    END IF;
    IF o.tx_code_hash IS NOT NULL THEN
        IF tx_code IS NULL OR tx_code = '' THEN
            error := 'invalid_request';
            error_description := 'tx_code is required for this offer';
            RETURN;
        END IF;
        IF microcred._oid4vci_hash(o.id::text || ':' || tx_code) <> o.tx_code_hash THEN
            -- five wrong codes spend the offer (10^6 codes: no guessing)
            UPDATE microcred.oid4vci_offer x SET tx_code_failures = x.tx_code_failures + 1,
                   expires_at = CASE WHEN x.tx_code_failures + 1 >= 5 THEN now() ELSE x.expires_at END
             WHERE x.id = o.id;
            error := 'invalid_grant';
            error_description := 'wrong transaction code';
            RETURN;
        END IF;
    END IF;
    SELECT * INTO c FROM microcred.issued_credential ic WHERE ic.id = o.credential_id;
    IF c.status <> 'active' OR c.superseded_by IS NOT NULL OR c.document IS NULL THEN
        error := 'invalid_grant';
        error_description := 'the offered credential is no longer active';
        RETURN;
    END IF;
    UPDATE microcred.oid4vci_offer x SET redeemed_at = now() WHERE x.id = o.id;
    access_token := microcred._random_token();
    expires_in := extract(epoch FROM ttl)::integer;
    INSERT INTO microcred.oid4vci_token (token_hash, offer_id, issuer_id, expires_at)
    VALUES (microcred._oid4vci_hash(access_token), o.id, o.issuer_id, now() + ttl);
END
$$;
COMMENT ON FUNCTION microcred.oid4vci_token(text, text, interval) IS
    'OpenID4VCI token endpoint (pre-authorized code grant): spend the code once and return an access token, or an OAuth error code and description';

-- POST /wallet/nonce: a fresh c_nonce (single use, valid for ttl)
CREATE FUNCTION microcred.oid4vci_nonce(ttl interval DEFAULT '5 minutes')
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n   text := microcred._random_token();
BEGIN
    IF ttl IS NULL OR ttl < interval '10 seconds' OR ttl > interval '1 hour' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 10 seconds and 1 hour', NULL, NULL);
    END IF;
    -- anyone may ask: each call removes up to 64 expired nonces, more than it adds
    DELETE FROM microcred.oid4vci_nonce x
     WHERE x.nonce IN (SELECT y.nonce FROM microcred.oid4vci_nonce y
                        WHERE y.expires_at < now() - interval '1 minute'
                        ORDER BY y.expires_at LIMIT 64 FOR UPDATE SKIP LOCKED);
    INSERT INTO microcred.oid4vci_nonce (nonce, expires_at) VALUES (n, now() + ttl);
    RETURN n;
END
$$;
COMMENT ON FUNCTION microcred.oid4vci_nonce(interval) IS 'OpenID4VCI nonce endpoint: a new c_nonce, accepted once in a key proof before it expires';

-- internal: a credential error of oid4vci_credential (status, body)
CREATE FUNCTION microcred._oid4vci_error(status integer, code text, description text)
RETURNS record
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT status, jsonb_build_object('error', code, 'error_description', description) $$;

/*
 * The holder-bound copy of a credential: the stored document without its
 * proof, credentialSubject.id set to the holder's DID, everything else (id,
 * dates, credentialStatus: a revocation of the original shows in every
 * copy) unchanged, signed with the issuer's active key like every
 * credential: Data Integrity with the credential's cryptosuite (ldp_vc) or
 * the Open Badges 3.0 VC-JWT with ES256, else RS256 (jwt_vc_json).
 * NULL body with a problem when the issuer has no key for the format.
 */
CREATE FUNCTION microcred._oid4vci_copy(c microcred.issued_credential, holder_did text, fmt text,
                                        OUT credential text, OUT problem text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    i       microcred.issuer;
    k       microcred.signing_key;
    doc     jsonb;
BEGIN
    SELECT * INTO i FROM microcred.issuer WHERE id = c.issuer_id;
    doc := jsonb_set(c.document - 'proof', '{credentialSubject,id}', to_jsonb(holder_did));
    IF fmt = 'ldp_vc' THEN
        SELECT * INTO k FROM microcred.signing_key sk
         WHERE sk.issuer_id = c.issuer_id AND sk.algorithm = 'Ed25519' AND sk.state = 'active';
        IF k.id IS NULL THEN
            problem := 'the issuer has no active Ed25519 key';
            RETURN;
        END IF;
        credential := microcred._sign_di(doc, coalesce(c.proof_format, 'eddsa-rdfc-2022'), k.id, k.issuer_id,
                                         i.public_id || '#' || k.fragment, now())::text;
        RETURN;
    END IF;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = c.issuer_id AND sk.algorithm IN ('P-256', 'RSA') AND sk.state = 'active'
     ORDER BY sk.algorithm = 'P-256' DESC LIMIT 1;
    IF k.id IS NULL THEN
        problem := 'the issuer has no active P-256 or RSA key for JWT credentials';
        RETURN;
    END IF;
    credential := microcred._sign_jwt(doc, 'ob-jwt', k.id, k.issuer_id,
                                      CASE k.algorithm WHEN 'P-256' THEN 'ES256' ELSE 'RS256' END,
                                      i.public_id || '#' || k.fragment);
END
$$;
COMMENT ON FUNCTION microcred._oid4vci_copy(microcred.issued_credential, text, text) IS
    'internal: the holder-bound copy of a credential, signed in the database (see microcred.oid4vci_credential)';

/*
 * POST /wallet/credential: the access token, the requested configuration
 * and one jwt key proof for a holder-bound copy.  Returns the HTTP status
 * and the JSON body, the Credential Response or an error as OpenID4VCI 1.0
 * section 8.3.1 and RFC 6750 define them: 401 invalid_token; 400
 * unknown_credential_configuration, invalid_proof (bad signature, typ,
 * alg, key, aud, iat, no nonce), invalid_nonce (unknown, used or expired
 * c_nonce), credential_request_denied (credential no longer active, already
 * delivered in this format, no issuer key).  What was spent (the nonce)
 * stays spent.
 */
CREATE FUNCTION microcred.oid4vci_credential(access_token text, configuration_id text, proof_jwt text,
                                             OUT status integer, OUT body jsonb)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       microcred.oid4vci_token;
    o       microcred.oid4vci_offer;
    c       microcred.issued_credential;
    i       microcred.issuer;
    p       jsonb;
    fmt     text;
    cp      record;
BEGIN
    SELECT * INTO t FROM microcred.oid4vci_token x
     WHERE x.token_hash = microcred._oid4vci_hash(coalesce(access_token, '')) FOR UPDATE;
    IF t.token_hash IS NULL OR t.expires_at <= now() THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(401, 'invalid_token',
            CASE WHEN t.token_hash IS NULL THEN 'unknown access token' ELSE 'the access token has expired' END)
            AS e(status integer, body jsonb);
        RETURN;
    END IF;
    SELECT * INTO o FROM microcred.oid4vci_offer x WHERE x.id = t.offer_id;
    IF configuration_id IS NULL OR NOT configuration_id = ANY (o.configuration_ids) THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'unknown_credential_configuration',
            'this access token is for ' || array_to_string(o.configuration_ids, ' or ')) AS e(status integer, body jsonb);
        RETURN;
    END IF;
    fmt := CASE configuration_id WHEN 'OpenBadgeCredential_ldp_vc' THEN 'ldp_vc' ELSE 'jwt_vc_json' END;
    SELECT * INTO c FROM microcred.issued_credential ic WHERE ic.id = o.credential_id;
    IF c.status <> 'active' OR c.superseded_by IS NOT NULL OR c.document IS NULL THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'credential_request_denied',
            'the credential is no longer active') AS e(status integer, body jsonb);
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM microcred.oid4vci_delivery d
                WHERE d.offer_id = o.id AND d.configuration_id = oid4vci_credential.configuration_id) THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'credential_request_denied',
            'this credential was already delivered in this format for this offer') AS e(status integer, body jsonb);
        RETURN;
    END IF;
    IF proof_jwt IS NULL OR proof_jwt = '' THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'invalid_proof',
            'a jwt key proof is required (proofs.jwt)') AS e(status integer, body jsonb);
        RETURN;
    END IF;
    p := microcred._holder_proof(proof_jwt);
    SELECT * INTO i FROM microcred.issuer WHERE id = o.issuer_id;
    IF p ? 'problem' THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'invalid_proof', p->>'problem') AS e(status integer, body jsonb);
        RETURN;
    END IF;
    IF NOT (p->'aud') ? microcred._oid4vci_issuer_url(i) THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'invalid_proof',
            'the key proof''s aud is not this credential issuer (' || microcred._oid4vci_issuer_url(i) || ')')
            AS e(status integer, body jsonb);
        RETURN;
    END IF;
    IF (p->>'iat')::double precision < extract(epoch FROM now()) - 300
       OR (p->>'iat')::double precision > extract(epoch FROM now()) + 60 THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'invalid_proof',
            'the key proof''s iat is not within the last 5 minutes') AS e(status integer, body jsonb);
        RETURN;
    END IF;
    IF NOT p ? 'nonce' THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'invalid_proof',
            'the key proof has no nonce (get a c_nonce from the nonce endpoint)') AS e(status integer, body jsonb);
        RETURN;
    END IF;
    UPDATE microcred.oid4vci_nonce x SET used_at = now()
     WHERE x.nonce = p->>'nonce' AND x.used_at IS NULL AND x.expires_at > now();
    IF NOT FOUND THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'invalid_nonce',
            'the c_nonce of the key proof is unknown, used or expired: get a new one from the nonce endpoint')
            AS e(status integer, body jsonb);
        RETURN;
    END IF;
    cp := microcred._oid4vci_copy(c, p->>'holder_did', fmt);
    IF cp.credential IS NULL THEN
        SELECT * INTO status, body FROM microcred._oid4vci_error(400, 'credential_request_denied', cp.problem)
            AS e(status integer, body jsonb);
        RETURN;
    END IF;
    INSERT INTO microcred.oid4vci_delivery (issuer_id, credential_id, offer_id, configuration_id, format,
                                            holder_did, proof_alg, credential)
    VALUES (o.issuer_id, c.id, o.id, configuration_id, fmt, p->>'holder_did', p->>'alg', cp.credential);
    status := 200;
    body := jsonb_build_object('credentials', jsonb_build_array(jsonb_build_object('credential',
                CASE fmt WHEN 'ldp_vc' THEN cp.credential::jsonb ELSE to_jsonb(cp.credential) END)));
END
$$;
COMMENT ON FUNCTION microcred.oid4vci_credential(text, text, text) IS
    'OpenID4VCI credential endpoint: check the access token and the jwt key proof (signature, typ, aud, iat, single-use c_nonce), sign a copy bound to the holder''s DID and record its delivery; HTTP status and JSON body';
