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

-- the LTI learner page's offer, made on the learner's request: NULL when none can be made (no base_url, inactive credential)
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
    'internal: the wallet offer link the LTI learner page makes when the learner asks for it (lti_wallet_offer), NULL when the credential cannot be offered';

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
