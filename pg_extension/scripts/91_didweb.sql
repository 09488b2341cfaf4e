/*
 * microcred install script, 91_didweb.sql: did:web issuers.
 *
 * An issuer can be identified as did:web:<host>[%3A<port>][:<path>]:issuers:<handle>
 * (host, port and path from its base_url), a DID that resolves (did:web
 * method, W3C CCG) to https://<host>[:<port>][/<path>]/issuers/<handle>/did.json,
 * which the bridge serves (public_resource kind 'did').  The setting is per
 * issuer (set_issuer_did_web); it changes issuer.public_id, so issuing,
 * status lists and JWT kids, which all write <public_id>#<key fragment>,
 * sign with verification method <did>#<fragment> without a change of their
 * own.  The id it replaces is kept in issuer_former_id: credentials issued
 * under it are never changed and still verify (_lookup_key and the status
 * check accept an issuer's former ids), and /issuers/{handle} keeps serving
 * the https controller document, so their keys resolve for other verifiers.
 *
 * The table of former ids and the two helpers that build and resolve ids
 * are in 55_issuer_ids.sql, before the key lookup (60_keys) that uses them.
 *
 * Keys in the DID document (Controlled Identifiers 1.0 / DID Core): every
 * key that still verifies (active and standby: a rotated key stays listed,
 * credentials it signed keep verifying); a retired key is removed from the
 * document, as retirement means its credentials no longer verify
 * (retire_key).  Ed25519 keys appear as Multikey (#<publicKeyMultibase>, what
 * Data Integrity proofs name) and as JsonWebKey (#<JWK thumbprint>, the kid of
 * EdDSA JWTs); P-256 and RSA keys as JsonWebKey.
 */

CREATE FUNCTION microcred._set_issuer_did_web(issuer text, enabled boolean, actor name)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    i       microcred.issuer;
    new_id  text;
BEGIN
    SELECT * INTO i FROM microcred.issuer iss WHERE iss.id = microcred._resolve_issuer(_set_issuer_did_web.issuer) FOR UPDATE;
    PERFORM microcred._check_actor(i.id, actor);
    IF NOT pg_has_role(actor, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may change an issuer''s id', NULL,
            'Grant microcred_admin to the role that manages issuers.');
    END IF;
    IF enabled IS NULL THEN
        PERFORM microcred._fail('22004', 'enabled must be true or false', NULL, NULL);
    END IF;
    IF i.base_url IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no public base URL', i.handle),
            'Its did:web id and the URL of its DID document are made from the base URL.',
            format('Set one first: UPDATE microcred.issuer SET base_url = ''https://credentials.example.eu'' WHERE handle = %L;', i.handle));
    END IF;
    IF enabled THEN
        new_id := microcred._did_web_id(i.base_url, i.handle);
    ELSE
        -- back to the https id it had (or the default one)
        SELECT f.public_id INTO new_id FROM microcred.issuer_former_id f
         WHERE f.issuer_id = i.id AND f.public_id !~ '^did:' ORDER BY f.replaced_at DESC LIMIT 1;
        new_id := coalesce(new_id, i.base_url || '/issuers/' || i.handle);
    END IF;
    IF new_id IS NULL THEN
        PERFORM microcred._fail('22023', format('no did:web id can be made from the base URL "%s"', i.base_url), NULL,
            'The base URL must be an https origin with an optional path.');
    END IF;
    IF new_id = i.public_id THEN
        RETURN new_id;
    END IF;
    IF microcred._issuer_of_id(new_id) IS DISTINCT FROM i.id AND microcred._issuer_of_id(new_id) IS NOT NULL THEN
        PERFORM microcred._fail('23505', format('the id %s belongs to another issuer', new_id), NULL, NULL);
    END IF;
    INSERT INTO microcred.issuer_former_id (issuer_id, public_id) VALUES (i.id, i.public_id)
    ON CONFLICT (public_id) DO UPDATE SET replaced_at = now();
    DELETE FROM microcred.issuer_former_id f WHERE f.issuer_id = i.id AND f.public_id = new_id;
    UPDATE microcred.issuer iss SET public_id = new_id WHERE iss.id = i.id;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION microcred._set_issuer_did_web(text, boolean, name) IS 'internal: see microcred.set_issuer_did_web';

CREATE FUNCTION microcred.set_issuer_did_web(issuer text, enabled boolean DEFAULT true)
RETURNS text
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_issuer_did_web(issuer, enabled, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.set_issuer_did_web(text, boolean) IS
    'identify an issuer by did:web:<host>[%3A<port>]:issuers:<handle> from now on (false: back to its https id); returns the new id; credentials issued before keep their id and still verify';

/*
 * The verification methods of an issuer's keys as they appear in a document
 * with id doc_id: {verificationMethod: [...], assertionMethod: [ids]}.  Keys
 * that still verify (not retired), oldest first.
 */
CREATE FUNCTION microcred._issuer_methods(issuer_id uuid, doc_id text)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'verificationMethod', coalesce(jsonb_agg(vm.method ORDER BY k.created_at, k.algorithm, k.id, vm.n)
                                       FILTER (WHERE vm.method IS NOT NULL), '[]'::jsonb),
        'assertionMethod', coalesce(jsonb_agg(vm.method -> 'id' ORDER BY k.created_at, k.algorithm, k.id, vm.n)
                                    FILTER (WHERE vm.method IS NOT NULL), '[]'::jsonb))
      FROM microcred.signing_key k
      CROSS JOIN LATERAL (VALUES
            (1, CASE WHEN k.algorithm = 'Ed25519' THEN
                     jsonb_build_object('id', doc_id || '#' || k.fragment, 'type', 'Multikey',
                                        'controller', doc_id, 'publicKeyMultibase', k.public_key_multibase)
                     ELSE
                     jsonb_build_object('id', doc_id || '#' || k.fragment, 'type', 'JsonWebKey',
                                        'controller', doc_id, 'publicKeyJwk', k.public_jwk) END),
            (2, CASE WHEN k.algorithm = 'Ed25519' THEN
                     jsonb_build_object('id', doc_id || '#' || (k.public_jwk ->> 'kid'), 'type', 'JsonWebKey',
                                        'controller', doc_id, 'publicKeyJwk', k.public_jwk) END)) AS vm(n, method)
     WHERE k.issuer_id = _issuer_methods.issuer_id AND k.state <> 'retired'
$$;
COMMENT ON FUNCTION microcred._issuer_methods(uuid, text) IS
    'internal: an issuer''s valid keys as verification methods of the document doc_id (Multikey and JsonWebKey forms)';

/*
 * The DID document of a did:web issuer, as served at
 * <base_url>/issuers/<handle>/did.json; NULL when the issuer does not use
 * did:web.  A service entry points to its Open Badges Profile; alsoKnownAs
 * names its former ids.
 */
CREATE FUNCTION microcred.did_document(issuer text)
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        '@context', jsonb_build_array('https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1',
                                      'https://w3id.org/security/jwk/v1'),
        'id', i.public_id,
        'alsoKnownAs', (SELECT jsonb_agg(f.public_id ORDER BY f.replaced_at) FROM microcred.issuer_former_id f
                         WHERE f.issuer_id = i.id)))
        || microcred._issuer_methods(i.id, i.public_id)
        || jsonb_build_object('service', jsonb_build_array(jsonb_build_object(
               'id', i.public_id || '#ob-profile', 'type', 'OpenBadgesProfile',
               'serviceEndpoint', i.base_url || '/issuers/' || i.handle)))
      FROM microcred.issuer i
     WHERE i.id = microcred._resolve_issuer(issuer) AND i.public_id LIKE 'did:web:%'
$$;
COMMENT ON FUNCTION microcred.did_document(text) IS
    'the DID document of a did:web issuer (keys that still verify as Multikey and JsonWebKey, service entry to its OB Profile), as the bridge serves it at /issuers/{handle}/did.json; NULL for other issuers';

REVOKE ALL ON FUNCTION microcred._set_issuer_did_web(text, boolean, name), microcred.set_issuer_did_web(text, boolean),
    microcred._issuer_methods(uuid, text), microcred.did_document(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.set_issuer_did_web(text, boolean) TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.did_document(text) TO microcred_admin, microcred_issuer, microcred_verifier;
