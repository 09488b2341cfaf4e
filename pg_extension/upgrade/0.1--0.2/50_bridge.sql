/*
 * 0.1 -> 0.2, the bridge (issues 13 and 14): login states are purged as
 * they expire (lti_begin_login deletes expired ones, with an index on
 * expires_at); public_resource() serves either JWT form of a credential,
 * made on first request (_credential_envelope), instead of 406.
 */

CREATE INDEX lti_login_state_expires_at ON microcred.lti_login_state (expires_at);

CREATE OR REPLACE FUNCTION microcred.lti_begin_login(platform_issuer text, client_id text, target_link_uri text,
                                          ttl interval DEFAULT '10 minutes',
                                          OUT state text, OUT nonce text, OUT auth_login_url text,
                                          OUT registered_client_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.lti_platform;
    found_p record;
    n       bigint;
BEGIN
    IF ttl IS NULL OR ttl <= interval '0' OR ttl > interval '1 hour' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 0 and 1 hour', NULL,
            'A login state is short-lived: 10 minutes is usual.');
    END IF;
    -- the registration, and whether it is the only one (one query)
    SELECT lp AS row, count(*) OVER () AS n INTO found_p FROM microcred.lti_platform lp
     WHERE lp.platform_issuer = lti_begin_login.platform_issuer
       AND (lti_begin_login.client_id IS NULL OR lp.client_id = lti_begin_login.client_id)
     LIMIT 1;
    p := found_p.row;
    n := coalesce(found_p.n, 0);
    IF n = 0 THEN
        PERFORM microcred._fail('28000', 'no LTI platform is registered with this issuer and client_id', NULL,
            'Register it with microcred.lti_register_platform.');
    ELSIF n > 1 THEN
        PERFORM microcred._fail('28000', 'the login request has no client_id and the platform has several registrations', NULL,
            'The platform must send client_id.');
    END IF;
    IF target_link_uri IS NULL OR target_link_uri = '' THEN
        PERFORM microcred._fail('23502', 'target_link_uri is required', NULL,
            'The platform sends it with the login request.');
    END IF;
    /*
     * Anyone may start a login, so states must not pile up: each login
     * deletes up to 64 states that expired more than a minute ago (the
     * minute keeps "state_expired" for a slow user's launch), far more
     * than the one it adds, so the table holds little more than the states
     * of the last ttl + 1 minute.  SKIP LOCKED: concurrent logins never wait for each other.
     */
    DELETE FROM microcred.lti_login_state ls
     WHERE ls.state IN (SELECT o.state FROM microcred.lti_login_state o
                         WHERE o.expires_at < now() - interval '1 minute'
                         ORDER BY o.expires_at LIMIT 64 FOR UPDATE SKIP LOCKED);
    state := microcred._random_token();
    nonce := microcred._random_token();
    INSERT INTO microcred.lti_login_state (state, nonce, platform_id, target_link_uri, expires_at)
    VALUES (state, nonce, p.id, target_link_uri, now() + ttl);
    auth_login_url := p.auth_login_url;
    registered_client_id := p.client_id;
END
$$;

CREATE FUNCTION microcred._credential_envelope(credential uuid, format text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       microcred.issued_credential;
    i       microcred.issuer;
    k       microcred.signing_key;
    alg     text;
    tok     text;
BEGIN
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = credential AND e.format = _credential_envelope.format
     ORDER BY e.created_at, e.algorithm LIMIT 1;
    IF tok IS NOT NULL THEN
        RETURN tok;
    END IF;
    SELECT * INTO c FROM microcred.issued_credential ic WHERE ic.id = credential;
    IF c.id IS NULL OR c.document IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = c.issuer_id AND sk.state = 'active'
       AND sk.algorithm = ANY (CASE _credential_envelope.format WHEN 'vc-jwt' THEN ARRAY['Ed25519', 'P-256']
                                                                ELSE ARRAY['RSA', 'P-256'] END)
     ORDER BY sk.algorithm = 'P-256', sk.created_at LIMIT 1;
    IF k.id IS NULL THEN
        RETURN NULL;
    END IF;
    alg := CASE k.algorithm WHEN 'Ed25519' THEN 'EdDSA' WHEN 'RSA' THEN 'RS256' ELSE 'ES256' END;
    SELECT * INTO i FROM microcred.issuer WHERE issuer.id = c.issuer_id;
    tok := microcred._sign_jwt(c.document - 'proof', _credential_envelope.format, k.id, k.issuer_id,
                               k.sealed_private, alg, i.public_id || '#' || k.fragment);
    INSERT INTO microcred.credential_envelope (issuer_id, credential_id, format, algorithm, token)
    VALUES (c.issuer_id, c.id, _credential_envelope.format, alg, tok)
    ON CONFLICT DO NOTHING;
    -- a concurrent first request may have stored its token first: serve that one
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = c.id AND e.format = _credential_envelope.format
     ORDER BY e.created_at, e.algorithm LIMIT 1;
    RETURN tok;
END
$$;
COMMENT ON FUNCTION microcred._credential_envelope(uuid, text) IS
    'internal: the stored JWT form (vc-jwt or ob-jwt) of a credential, signed and stored on first request; NULL when the issuer has no key for it';

DROP FUNCTION microcred.public_resource(text, text, boolean);
CREATE FUNCTION microcred.public_resource(kind text, id text, want_jwt boolean DEFAULT false,
                                          jwt_format text DEFAULT 'vc-jwt',
                                          OUT http_status integer, OUT content_type text,
                                          OUT body text, OUT last_modified timestamptz,
                                          OUT max_age integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    uuid_re constant text := '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
    c       record;
    i       microcred.issuer;
    t       microcred.credential_type;
    tok     text;
BEGIN
    http_status := 404;
    content_type := 'text/plain; charset=utf-8';
    body := 'not found';
    max_age := 60;
    IF kind = 'credential' THEN
        IF public_resource.id !~ uuid_re THEN
            RETURN;
        END IF;
        SELECT ic.document, ic.issued_at INTO c FROM microcred.issued_credential ic WHERE ic.id = public_resource.id::uuid;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        last_modified := c.issued_at;
        IF c.document IS NULL THEN
            http_status := 410;
            body := 'this credential''s document was erased at the learner''s request; its status stays published';
            RETURN;
        END IF;
        -- a signed document never changes after issue (corrections supersede)
        max_age := 86400;
        IF want_jwt THEN
            IF jwt_format IS NULL OR jwt_format NOT IN ('vc-jwt', 'ob-jwt') THEN
                PERFORM microcred._fail('22023', format('jwt_format "%s" is not a JWT form', left(jwt_format, 100)), NULL,
                    'Use ''vc-jwt'' (W3C VC-JOSE) or ''ob-jwt'' (Open Badges 3.0 VC-JWT).');
            END IF;
            tok := microcred._credential_envelope(public_resource.id::uuid, jwt_format);
            IF tok IS NULL THEN
                http_status := 406;
                body := format('the issuer holds no active key for the %s form of this credential; ask for application/vc or application/json',
                               jwt_format);
                max_age := 60;
                RETURN;
            END IF;
            http_status := 200;
            content_type := CASE jwt_format WHEN 'vc-jwt' THEN 'application/vc+jwt' ELSE 'application/jwt' END;
            body := tok;
            RETURN;
        END IF;
        http_status := 200;
        content_type := 'application/vc';
        body := c.document::text;
    ELSIF kind = 'issuer' THEN
        SELECT * INTO i FROM microcred.issuer WHERE handle = public_resource.id;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        -- the OB 3.0 Profile (as credentials carry it) and the controller
        -- document in one, so <public id>#<key fragment> resolves to a key
        body := (microcred._issuer_profile(i)
                 || microcred.controller_document(i.id::text)
                 || jsonb_build_object(
                        '@context', jsonb_build_array('https://www.w3.org/ns/did/v1',
                                                      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
                                                      'https://w3id.org/security/multikey/v1',
                                                      'https://w3id.org/security/jwk/v1'),
                        'type', jsonb_build_array('Profile')))::text;
        http_status := 200;
        content_type := 'application/json';
        max_age := 300;
    ELSIF kind = 'achievement' THEN
        -- the Achievement credentials of a type carry (its id is this URL)
        IF public_resource.id !~ uuid_re THEN
            RETURN;
        END IF;
        SELECT * INTO t FROM microcred.credential_type ct WHERE ct.id = public_resource.id::uuid;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        SELECT * INTO i FROM microcred.issuer iss WHERE iss.id = t.issuer_id;
        body := (jsonb_build_object('@context', jsonb_build_array(
                     'https://www.w3.org/ns/credentials/v2',
                     'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'))
                 || microcred._achievement(t, i))::text;
        http_status := 200;
        content_type := 'application/json';
        max_age := 300;
    ELSIF kind = 'status' THEN
        IF public_resource.id !~ uuid_re THEN
            RETURN;
        END IF;
        IF NOT EXISTS (SELECT FROM microcred.status_list l WHERE l.id = public_resource.id::uuid) THEN
            RETURN;
        END IF;
        body := microcred.status_list_credential(public_resource.id::uuid)::text;
        SELECT l.published_at INTO last_modified FROM microcred.status_list l WHERE l.id = public_resource.id::uuid;
        http_status := 200;
        content_type := 'application/vc';
        -- short: a revocation must reach verifiers soon
        max_age := 60;
    ELSE
        PERFORM microcred._fail('22023', format('kind "%s" is not a public resource', kind), NULL,
            'Use one of: credential, issuer, achievement, status.');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.public_resource(text, text, boolean, text) IS
    'a public resource (credential, issuer profile with keys, achievement, status list) as an HTTP status, content type, body and caching hints; what the bridge serves without login';

REVOKE ALL ON FUNCTION microcred.public_resource(text, text, boolean, text),
    microcred._credential_envelope(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.public_resource(text, text, boolean, text)
    TO microcred_bridge, microcred_admin, microcred_verifier;
