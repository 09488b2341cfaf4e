/*
 * microcred install script, 93_oid4vci.sql: delivery to wallets with OpenID for
 * Verifiable Credential Issuance 1.0, pre-authorized code flow.
 *
 * All state lives here, like the LTI state: offers (single use, expiring,
 * one per credential), pre-authorized codes and access tokens (stored as
 * SHA-256 hashes only, short-lived), c_nonces (single use, expiring) and
 * deliveries (which holder DID received which credential in which format,
 * when).  The bridge, as microcred_bridge, calls one SECURITY DEFINER
 * function per endpoint and holds no key: key proofs are verified here in C
 * (holder_proof.c, on the JWS and key code credentials already use), so
 * the nonce is spent in the same transaction that checks it.
 *
 * Each awarding body is its own credential issuer:
 *   credential issuer  <base_url>/wallet/<handle>
 *   metadata           <base_url>/.well-known/openid-credential-issuer/wallet/<handle>
 *                      <base_url>/.well-known/oauth-authorization-server/wallet/<handle>
 *   endpoints          <base_url>/wallet/token, /wallet/nonce, /wallet/credential
 *   offers             <base_url>/wallet/offers/<256-bit reference>
 * (base_url of the issuer; the bridge serves them at the root of its URL).
 */

-- the bridge's role (95_public.sql describes it) is created here already: the
-- endpoints below are granted to it
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'microcred_bridge') THEN
        CREATE ROLE microcred_bridge NOLOGIN;
    END IF;
END
$$;

CREATE TABLE microcred.oid4vci_offer (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id           uuid NOT NULL REFERENCES microcred.issuer (id),
    credential_id       uuid NOT NULL REFERENCES microcred.issued_credential (id),
    ref_hash            bytea NOT NULL UNIQUE,
    code_hash           bytea NOT NULL UNIQUE,
    tx_code_hash        bytea,
    tx_code_failures    integer NOT NULL DEFAULT 0,
    configuration_ids   text[] NOT NULL,
    created_by          name NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL,
    redeemed_at         timestamptz,
    CONSTRAINT oid4vci_offer_expiry CHECK (expires_at > created_at)
);
CREATE INDEX oid4vci_offer_credential ON microcred.oid4vci_offer (issuer_id, credential_id);
CREATE INDEX oid4vci_offer_expires_at ON microcred.oid4vci_offer (expires_at);
COMMENT ON TABLE microcred.oid4vci_offer IS
    'OpenID4VCI credential offers: one credential each, single use (redeemed_at), expiring; the offer reference, the pre-authorized code and the transaction code are stored as SHA-256 hashes only';
COMMENT ON COLUMN microcred.oid4vci_offer.ref_hash IS 'SHA-256 of the reference in credential_offer_uri';
COMMENT ON COLUMN microcred.oid4vci_offer.code_hash IS
    'SHA-256 of the pre-authorized code (which is derived from the reference, so only the holder of the offer link learns it)';
COMMENT ON COLUMN microcred.oid4vci_offer.tx_code_hash IS
    'SHA-256 of the offer id and the transaction code (PIN) the learner must type, NULL when none; 5 wrong codes spend the offer';

CREATE TABLE microcred.oid4vci_token (
    token_hash          bytea PRIMARY KEY,
    offer_id            uuid NOT NULL REFERENCES microcred.oid4vci_offer (id) ON DELETE CASCADE,
    issuer_id           uuid NOT NULL REFERENCES microcred.issuer (id),
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL
);
CREATE INDEX oid4vci_token_expires_at ON microcred.oid4vci_token (expires_at);
COMMENT ON TABLE microcred.oid4vci_token IS
    'OpenID4VCI access tokens (SHA-256 hashes), each for one redeemed offer, short-lived';

CREATE TABLE microcred.oid4vci_nonce (
    nonce               text PRIMARY KEY,
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL,
    used_at             timestamptz
);
CREATE INDEX oid4vci_nonce_expires_at ON microcred.oid4vci_nonce (expires_at);
COMMENT ON TABLE microcred.oid4vci_nonce IS
    'c_nonce values of the nonce endpoint: each accepted in one key proof, before it expires';

CREATE TABLE microcred.oid4vci_delivery (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id           uuid NOT NULL REFERENCES microcred.issuer (id),
    credential_id       uuid NOT NULL REFERENCES microcred.issued_credential (id),
    offer_id            uuid NOT NULL REFERENCES microcred.oid4vci_offer (id),
    configuration_id    text NOT NULL,
    format              text NOT NULL CONSTRAINT oid4vci_delivery_format CHECK (format IN ('ldp_vc', 'jwt_vc_json')),
    holder_did          text NOT NULL,
    proof_alg           text NOT NULL,
    delivered_at        timestamptz NOT NULL DEFAULT now(),
    credential          text,
    CONSTRAINT oid4vci_delivery_once UNIQUE (offer_id, configuration_id)
);
CREATE INDEX oid4vci_delivery_credential ON microcred.oid4vci_delivery (issuer_id, credential_id);
COMMENT ON TABLE microcred.oid4vci_delivery IS
    'holder-bound copies delivered to wallets: which holder DID received which credential, in which format, when (the copy itself until the learner is erased)';
COMMENT ON COLUMN microcred.oid4vci_delivery.credential IS
    'the delivered copy (Data Integrity JSON or the Open Badges 3.0 JWT); NULL after the learner''s erasure';

-- the two credential configurations every issuer offers
CREATE FUNCTION microcred._oid4vci_configurations()
RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT ARRAY['OpenBadgeCredential_ldp_vc', 'OpenBadgeCredential_jwt_vc_json'] $$;

-- SHA-256 of a text, for the stored hashes
CREATE FUNCTION microcred._oid4vci_hash(secret text)
RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT sha256(convert_to(secret, 'UTF8')) $$;

-- the pre-authorized code of an offer reference: base64url(SHA-256("pre-authorized_code:" || reference))
CREATE FUNCTION microcred._oid4vci_code(ref text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT translate(rtrim(encode(sha256(convert_to('pre-authorized_code:' || ref, 'UTF8')), 'base64'), '='), '+/', '-_') $$;

-- percent-encoding of everything but RFC 3986 unreserved characters
CREATE FUNCTION microcred._url_encode(s text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(string_agg(CASE WHEN (b BETWEEN 48 AND 57) OR (b BETWEEN 65 AND 90) OR (b BETWEEN 97 AND 122)
                                         OR b IN (45, 46, 95, 126)
                                    THEN chr(b) ELSE '%' || lpad(upper(to_hex(b)), 2, '0') END, '' ORDER BY n), '')
      FROM (SELECT get_byte(bytes, n) AS b, n
              FROM (SELECT convert_to(s, 'UTF8') AS bytes) x, generate_series(0, length(convert_to(s, 'UTF8')) - 1) n) y
$$;

-- the credential issuer identifier of an issuer (NULL without base_url)
CREATE FUNCTION microcred._oid4vci_issuer_url(i microcred.issuer)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT i.base_url || '/wallet/' || i.handle $$;

/*
 * An offer for an issued credential, made by the API (wallet_offer, actor
 * checked) or by the LTI learner page (lti_launch_view, as the bridge).
 * Refused for a credential that is revoked, suspended, expired or erased,
 * and for an issuer without base_url.  Returns the offer link and, when
 * asked for, the transaction code: once, here, never stored in clear.
 */
CREATE FUNCTION microcred._oid4vci_new_offer(credential uuid, with_tx_code boolean, ttl interval, actor name,
                                             OUT offer_uri text, OUT tx_code text,
                                             OUT expires_at timestamptz, OUT offer_id uuid)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       microcred.issued_credential;
    i       microcred.issuer;
    l       microcred.learner;
    ref     text := microcred._random_token();
BEGIN
    IF ttl IS NULL OR ttl < interval '1 minute' OR ttl > interval '7 days' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 1 minute and 7 days', NULL,
            'An offer is short-lived: 30 minutes is usual; the learner scans it with a wallet right away.');
    END IF;
    SELECT * INTO c FROM microcred.issued_credential ic WHERE ic.id = credential;
    IF c.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', credential), NULL, NULL);
    END IF;
    IF actor IS NOT NULL THEN
        PERFORM microcred._check_actor(c.issuer_id, actor);
    END IF;
    SELECT * INTO i FROM microcred.issuer WHERE id = c.issuer_id;
    SELECT * INTO l FROM microcred.learner WHERE id = c.learner_id;
    IF c.status <> 'active' OR c.superseded_by IS NOT NULL THEN
        PERFORM microcred._fail('55000', format('credential %s is %s and cannot be offered to a wallet', credential,
                                                CASE WHEN c.superseded_by IS NOT NULL THEN 'superseded' ELSE c.status::text END),
            NULL, 'Only an active credential can be delivered; offer the credential that superseded it, if any.');
    END IF;
    IF c.document IS NULL OR l.erased_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', format('credential %s was erased and cannot be offered to a wallet', credential), NULL, NULL);
    END IF;
    IF c.valid_until IS NOT NULL AND c.valid_until <= now() THEN
        PERFORM microcred._fail('55000', format('credential %s has expired and cannot be offered to a wallet', credential), NULL, NULL);
    END IF;
    IF i.base_url IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no base_url', i.handle),
            'Wallets fetch offers, metadata and credentials from the bridge under the issuer''s base_url.',
            format('Set it with: UPDATE microcred.issuer SET base_url = ''https://...'' WHERE handle = %L;', i.handle));
    END IF;
    offer_id := gen_random_uuid();
    expires_at := now() + ttl;
    IF with_tx_code THEN
        tx_code := lpad((('x' || encode(microcred._random_bytes(4), 'hex'))::bit(32)::bigint % 1000000)::text, 6, '0');
    END IF;
    INSERT INTO microcred.oid4vci_offer (id, issuer_id, credential_id, ref_hash, code_hash, tx_code_hash,
                                         configuration_ids, created_by, expires_at)
    VALUES (offer_id, c.issuer_id, c.id, microcred._oid4vci_hash(ref),
            microcred._oid4vci_hash(microcred._oid4vci_code(ref)),
            CASE WHEN with_tx_code THEN microcred._oid4vci_hash(offer_id::text || ':' || tx_code) END,
            microcred._oid4vci_configurations(), coalesce(actor, 'lti_launch'), expires_at);
    offer_uri := 'openid-credential-offer://?credential_offer_uri='
                 || microcred._url_encode(i.base_url || '/wallet/offers/' || ref);
END
$$;
COMMENT ON FUNCTION microcred._oid4vci_new_offer(uuid, boolean, interval, name) IS 'internal: see microcred.wallet_offer';

CREATE FUNCTION microcred.wallet_offer(credential uuid, tx_code boolean DEFAULT false,
                                       ttl interval DEFAULT '30 minutes',
                                       OUT offer_uri text, OUT tx_code text,
                                       OUT expires_at timestamptz, OUT offer_id uuid)
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM microcred._oid4vci_new_offer(credential, tx_code, ttl, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.wallet_offer(uuid, boolean, interval) IS
    'an OpenID4VCI credential offer for an active issued credential: the openid-credential-offer:// link (show it as a link or QR code), single use, expiring after ttl; with tx_code a 6-digit transaction code is returned once (send it to the learner by another channel, e.g. e-mail) and only its hash is kept';

-- the LTI learner page's offer: NULL when none can be made (no base_url, inactive credential)
CREATE FUNCTION microcred._oid4vci_page_offer(credential uuid)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT o.offer_uri FROM microcred._oid4vci_new_offer(credential, false, interval '30 minutes', NULL) o);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred._oid4vci_page_offer(uuid) IS
    'internal: the wallet offer link shown on the LTI learner page (a new single-use offer per view), NULL when the credential cannot be offered';

-- GET /wallet/offers/{ref}: the Credential Offer object, NULL when unknown, spent or expired
CREATE FUNCTION microcred.oid4vci_offer(ref text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
               'credential_issuer', microcred._oid4vci_issuer_url(i),
               'credential_configuration_ids', to_jsonb(o.configuration_ids),
               'grants', jsonb_build_object('urn:ietf:params:oauth:grant-type:pre-authorized_code',
                   jsonb_strip_nulls(jsonb_build_object(
                       'pre-authorized_code', microcred._oid4vci_code(ref),
                       'tx_code', CASE WHEN o.tx_code_hash IS NOT NULL THEN jsonb_build_object(
                           'input_mode', 'numeric', 'length', 6,
                           'description', 'The 6-digit code sent to you by e-mail') END))))
      FROM microcred.oid4vci_offer o
      JOIN microcred.issuer i ON i.id = o.issuer_id
     WHERE o.ref_hash = microcred._oid4vci_hash(ref)
       AND o.redeemed_at IS NULL AND o.expires_at > now()
$$;
COMMENT ON FUNCTION microcred.oid4vci_offer(text) IS
    'OpenID4VCI: the Credential Offer behind a credential_offer_uri (NULL when unknown, redeemed or expired)';

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

-- expired offers without deliveries, tokens and nonces older than a day go
CREATE FUNCTION microcred.oid4vci_purge()
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n1 bigint;
    n2 bigint;
    n3 bigint;
BEGIN
    DELETE FROM microcred.oid4vci_token x WHERE x.expires_at < now() - interval '1 day';
    GET DIAGNOSTICS n1 = ROW_COUNT;
    DELETE FROM microcred.oid4vci_nonce x WHERE x.expires_at < now() - interval '1 day';
    GET DIAGNOSTICS n2 = ROW_COUNT;
    DELETE FROM microcred.oid4vci_offer x
     WHERE x.expires_at < now() - interval '1 day'
       AND NOT EXISTS (SELECT FROM microcred.oid4vci_delivery d WHERE d.offer_id = x.id);
    GET DIAGNOSTICS n3 = ROW_COUNT;
    RETURN n1 + n2 + n3;
END
$$;
COMMENT ON FUNCTION microcred.oid4vci_purge() IS
    'remove wallet-delivery state older than a day: expired access tokens, nonces, and expired offers nothing was delivered for; the number of rows removed';

-- erasing a learner: offers not yet redeemed go, delivered copies are dropped (their record stays)
CREATE FUNCTION microcred._oid4vci_erase()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM microcred.oid4vci_token t
     USING microcred.oid4vci_offer o, microcred.issued_credential c
     WHERE t.offer_id = o.id AND o.credential_id = c.id AND c.learner_id = NEW.id;
    UPDATE microcred.oid4vci_offer o SET expires_at = least(o.expires_at, now())
      FROM microcred.issued_credential c
     WHERE o.credential_id = c.id AND c.learner_id = NEW.id AND o.expires_at > now();
    UPDATE microcred.oid4vci_delivery d SET credential = NULL
      FROM microcred.issued_credential c
     WHERE d.credential_id = c.id AND c.learner_id = NEW.id AND d.credential IS NOT NULL;
    RETURN NULL;
END
$$;
CREATE TRIGGER oid4vci_erase AFTER UPDATE OF erased_at ON microcred.learner
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION microcred._oid4vci_erase();

-- what admins and issuers see: offers and deliveries of their issuers
CREATE VIEW microcred.wallet_offers AS
SELECT o.id, i.handle AS issuer, o.credential_id, o.configuration_ids, o.tx_code_hash IS NOT NULL AS tx_code_required,
       o.created_by, o.created_at, o.expires_at, o.redeemed_at,
       CASE WHEN o.redeemed_at IS NOT NULL THEN 'redeemed'
            WHEN o.expires_at <= now() THEN 'expired' ELSE 'open' END AS state
  FROM microcred.oid4vci_offer o
  JOIN microcred.issuer i ON i.id = o.issuer_id
 WHERE microcred.acts_for(o.issuer_id, current_user);
COMMENT ON VIEW microcred.wallet_offers IS 'OpenID4VCI credential offers of the issuers the current role acts for (no secrets: codes are stored hashed)';
COMMENT ON COLUMN microcred.wallet_offers.id IS 'the offer''s id (wallet_offer returned it as offer_id)';
COMMENT ON COLUMN microcred.wallet_offers.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.wallet_offers.credential_id IS 'the issued credential offered';
COMMENT ON COLUMN microcred.wallet_offers.configuration_ids IS 'the credential configurations offered (ldp_vc, jwt_vc_json)';
COMMENT ON COLUMN microcred.wallet_offers.tx_code_required IS 'whether the wallet must send a transaction code';
COMMENT ON COLUMN microcred.wallet_offers.created_by IS 'the role that made the offer, or lti_launch for the LTI learner page';
COMMENT ON COLUMN microcred.wallet_offers.created_at IS 'when the offer was made';
COMMENT ON COLUMN microcred.wallet_offers.expires_at IS 'when its pre-authorized code stops working';
COMMENT ON COLUMN microcred.wallet_offers.redeemed_at IS 'when a wallet redeemed its pre-authorized code (once)';
COMMENT ON COLUMN microcred.wallet_offers.state IS 'open, redeemed or expired';

CREATE VIEW microcred.wallet_deliveries AS
SELECT d.id, i.handle AS issuer, d.credential_id, d.configuration_id, d.format, d.holder_did, d.proof_alg,
       d.delivered_at, d.credential
  FROM microcred.oid4vci_delivery d
  JOIN microcred.issuer i ON i.id = d.issuer_id
 WHERE microcred.acts_for(d.issuer_id, current_user);
COMMENT ON VIEW microcred.wallet_deliveries IS
    'holder-bound copies delivered to wallets, of the issuers the current role acts for: which holder DID received which credential, in which format, when';
COMMENT ON COLUMN microcred.wallet_deliveries.id IS 'the delivery''s id';
COMMENT ON COLUMN microcred.wallet_deliveries.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.wallet_deliveries.credential_id IS 'the issued credential a copy of which was delivered';
COMMENT ON COLUMN microcred.wallet_deliveries.configuration_id IS 'the credential configuration the wallet asked for';
COMMENT ON COLUMN microcred.wallet_deliveries.format IS 'ldp_vc (Data Integrity) or jwt_vc_json (Open Badges 3.0 VC-JWT)';
COMMENT ON COLUMN microcred.wallet_deliveries.holder_did IS 'the holder''s DID written into credentialSubject.id (did:key or did:jwk)';
COMMENT ON COLUMN microcred.wallet_deliveries.proof_alg IS 'the algorithm of the wallet''s key proof (EdDSA or ES256)';
COMMENT ON COLUMN microcred.wallet_deliveries.delivered_at IS 'when the copy was delivered';
COMMENT ON COLUMN microcred.wallet_deliveries.credential IS 'the delivered copy; NULL after the learner''s erasure';

-- grants for this part
REVOKE ALL ON microcred.oid4vci_offer, microcred.oid4vci_token, microcred.oid4vci_nonce,
              microcred.oid4vci_delivery FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._oid4vci_configurations(), microcred._oid4vci_hash(text),
              microcred._oid4vci_code(text), microcred._url_encode(text),
              microcred._oid4vci_issuer_url(microcred.issuer),
              microcred._oid4vci_new_offer(uuid, boolean, interval, name), microcred.wallet_offer(uuid, boolean, interval),
              microcred._oid4vci_page_offer(uuid), microcred.oid4vci_offer(text),
              microcred.oid4vci_issuer_metadata(text), microcred.oid4vci_as_metadata(text),
              microcred.oid4vci_token(text, text, interval), microcred.oid4vci_nonce(interval),
              microcred._oid4vci_error(integer, text, text),
              microcred._oid4vci_copy(microcred.issued_credential, text, text),
              microcred.oid4vci_credential(text, text, text), microcred.oid4vci_purge(),
              microcred._oid4vci_erase(), microcred._holder_proof(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.wallet_offer(uuid, boolean, interval) TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.oid4vci_purge() TO microcred_admin;
GRANT SELECT ON microcred.wallet_offers, microcred.wallet_deliveries TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.oid4vci_offer(text), microcred.oid4vci_issuer_metadata(text),
              microcred.oid4vci_as_metadata(text), microcred.oid4vci_token(text, text, interval),
              microcred.oid4vci_nonce(interval), microcred.oid4vci_credential(text, text, text)
    TO microcred_bridge;
