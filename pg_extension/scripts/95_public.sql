/*
 * microcred install script, part 9: the public resources the bridge serves
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
 * One public resource as an HTTP answer: kind is 'credential' (id: the
 * credential's uuid), 'issuer' (id: the issuer's handle), 'achievement' (id:
 * the credential type's uuid) or 'status' (id: the status list's uuid).  Unknown or malformed ids answer 404, never an error,
 * so a probe learns nothing more than "not here".  A credential whose stored
 * document was erased (erase_learner) answers 410.  want_jwt asks for the
 * credential's stored vc-jwt envelope: 406 when none was made.
 */
CREATE FUNCTION microcred.public_resource(kind text, id text, want_jwt boolean DEFAULT false,
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
            SELECT e.token INTO tok FROM microcred.credential_envelope e
             WHERE e.credential_id = public_resource.id::uuid AND e.format = 'vc-jwt'
             ORDER BY e.created_at LIMIT 1;
            IF tok IS NULL THEN
                http_status := 406;
                body := 'no JWT form of this credential has been made; ask for application/vc or application/json';
                max_age := 60;
                RETURN;
            END IF;
            http_status := 200;
            content_type := 'application/vc+jwt';
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
COMMENT ON FUNCTION microcred.public_resource(text, text, boolean) IS
    'a public resource (credential, issuer profile with keys, achievement, status list) as an HTTP status, content type, body and caching hints; what the bridge serves without login';

REVOKE ALL ON FUNCTION microcred.public_resource(text, text, boolean) FROM PUBLIC;
GRANT USAGE ON SCHEMA microcred TO microcred_bridge;
GRANT EXECUTE ON FUNCTION microcred.public_resource(text, text, boolean)
    TO microcred_bridge, microcred_admin, microcred_verifier;
