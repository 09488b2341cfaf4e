/*
 * microcred install script, 95_public.sql: the public resources the bridge serves
 * without login (credentials, issuer profiles with their keys, status
 * lists), behind one function, and the role the bridge connects with.
 *
 *   microcred_bridge    may call public_resource() and nothing else
 */

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'microcred_bridge') THEN
        CREATE ROLE microcred_bridge NOLOGIN;
    END IF;
END
$$;

/*
 * The JWT form (format 'vc-jwt' or 'ob-jwt') of an issued credential whose
 * document is stored: the envelope made earlier (any algorithm, the oldest),
 * or a new one signed now with the issuer's active key of the algorithm the
 * form allows (vc-jwt: EdDSA, else ES256; ob-jwt: RS256, else ES256) and
 * stored, so every later request gets the same token.  NULL when the issuer
 * holds no such key.  Internal: public_resource() calls it for anyone, as
 * the credential's public URL is its capability.
 */
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
                               alg, i.public_id || '#' || k.fragment);
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

/*
 * One public resource as an HTTP answer: kind is 'credential' (id: the
 * credential's uuid), 'issuer' (id: the issuer's handle), 'achievement' (id:
 * the credential type's uuid) or 'status' (id: the status list's uuid).  Unknown or malformed ids answer 404, never an error,
 * so a probe learns nothing more than "not here".  A credential whose stored
 * document was erased (erase_learner) answers 410.  want_jwt asks for a
 * JWT form of the credential, jwt_format which one: 'vc-jwt' (W3C VC-JOSE,
 * application/vc+jwt) or 'ob-jwt' (Open Badges 3.0 VC-JWT,
 * application/jwt).  A JWT form is made on first request (signed once with
 * the issuer's active key, _credential_envelope) and then served unchanged;
 * 406 only when the issuer holds no active key that form can be signed with.
 */
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
        -- a did:web issuer's https URL keeps serving the https id its
        -- earlier credentials name (91_didweb)
        IF i.public_id LIKE 'did:web:%' THEN
            i.public_id := i.base_url || '/issuers/' || i.handle;
        END IF;
        -- the OB 3.0 Profile (as credentials carry it) and the controller
        -- document in one, so <public id>#<key fragment> resolves to a key
        body := (microcred._issuer_profile(i)
                 || microcred._issuer_methods(i.id, i.public_id)
                 || jsonb_build_object('id', i.public_id)
                 || jsonb_build_object(
                        '@context', jsonb_build_array('https://www.w3.org/ns/did/v1',
                                                      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
                                                      'https://w3id.org/security/multikey/v1',
                                                      'https://w3id.org/security/jwk/v1'),
                        'type', jsonb_build_array('Profile')))::text;
        http_status := 200;
        content_type := 'application/json';
        max_age := 300;
    ELSIF kind = 'did' THEN
        -- the DID document of a did:web issuer (id: its handle), 91_didweb
        SELECT microcred.did_document(iss.id::text)::text INTO body
          FROM microcred.issuer iss WHERE iss.handle = public_resource.id;
        IF body IS NULL THEN
            body := 'not found';
            RETURN;
        END IF;
        http_status := 200;
        content_type := 'application/did+json';
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
            'Use one of: credential, issuer, did, achievement, status.');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.public_resource(text, text, boolean, text) IS
    'a public resource (credential, issuer profile with keys, achievement, status list) as an HTTP status, content type, body and caching hints; what the bridge serves without login';

REVOKE ALL ON FUNCTION microcred.public_resource(text, text, boolean, text),
    microcred._credential_envelope(uuid, text) FROM PUBLIC;
GRANT USAGE ON SCHEMA microcred TO microcred_bridge;
GRANT EXECUTE ON FUNCTION microcred.public_resource(text, text, boolean, text)
    TO microcred_bridge, microcred_admin, microcred_verifier;
