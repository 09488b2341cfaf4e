/*
 * microcred install script, 71_issue.sql: issuing, and the envelopes of an
 * issued credential.
 *
 * The row is written once: microcred.issue() and microcred._issue (C:
 * issue_sql.c, declared in 15_bindings.sql) resolve the type, build
 * and sign the document, allocate its status entries (status_alloc_sql.c)
 * and append to the audit chain (audit_sql.c).
 */

-- what _issue reads about a type is cached per backend (issue_type_sql.c);
-- a change to any table it reads empties that cache in every backend (the
-- issuer and signing_key tables have their triggers in 60_keys.sql, the
-- pathways in 90_stack.sql, the mail settings in 94_mail.sql)
CREATE TRIGGER credential_type_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.credential_type
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER document_part_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.document_part
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER issuer_role_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.issuer_role
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();

-- the signed document of a credential, as Data Integrity JSON or as a JWT
CREATE TABLE microcred.credential_envelope (
    issuer_id       uuid NOT NULL,
    credential_id   uuid NOT NULL REFERENCES microcred.issued_credential (id),
    format          text NOT NULL CHECK (format IN ('ob-jwt', 'vc-jwt')),
    algorithm       text NOT NULL,
    token           text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (credential_id, format, algorithm)
);
COMMENT ON TABLE microcred.credential_envelope IS
    'JWT envelopes of issued credentials, made once on first request and then served unchanged';

-- (CREATE OR REPLACE'd by upgrade part 20_verify_trust: the kid of EdDSA JWTs)
CREATE FUNCTION microcred._document(credential uuid, format text, algorithm text, actor name)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c       microcred.issued_credential;
    i       microcred.issuer;
    k       microcred.signing_key;
    keyalg  text;
    tok     text;
BEGIN
    SELECT * INTO c FROM microcred.issued_credential WHERE id = credential;
    IF c.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', credential), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(c.issuer_id, actor);
    IF c.document IS NULL THEN
        PERFORM microcred._fail('55000', 'the stored document of this credential was erased',
            format('Credential %s: its learner''s personal data were erased; the learner''s own copy still verifies.', credential), NULL);
    END IF;
    IF format IS NULL OR format = c.proof_format OR format = 'data-integrity' THEN
        RETURN c.document::text;
    END IF;
    IF format NOT IN ('ob-jwt', 'vc-jwt') THEN
        PERFORM microcred._fail('22023', format('credential format "%s" is not supported', format),
            format('This credential is stored as %s.', c.proof_format),
            'Use ''data-integrity'' (the stored document), ''ob-jwt'' (Open Badges 3.0 VC-JWT) or ''vc-jwt'' (W3C VC-JOSE).');
    END IF;
    algorithm := coalesce(algorithm, CASE format WHEN 'ob-jwt' THEN 'RS256' ELSE 'EdDSA' END);
    IF (format = 'ob-jwt' AND algorithm NOT IN ('RS256', 'ES256'))
       OR (format = 'vc-jwt' AND algorithm NOT IN ('EdDSA', 'ES256')) THEN
        PERFORM microcred._fail('22023', format('algorithm %s is not used with %s', algorithm, format), NULL,
            'Open Badges 3.0 JWTs use RS256 or ES256; VC-JOSE JWTs use EdDSA or ES256.');
    END IF;
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = c.id AND e.format = _document.format AND e.algorithm = _document.algorithm;
    IF tok IS NOT NULL THEN
        RETURN tok;
    END IF;
    keyalg := CASE algorithm WHEN 'RS256' THEN 'RSA' WHEN 'ES256' THEN 'P-256' ELSE 'Ed25519' END;
    SELECT * INTO i FROM microcred.issuer WHERE id = c.issuer_id;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = c.issuer_id AND sk.algorithm = keyalg AND sk.state = 'active';
    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active %s signing key', i.handle, keyalg), NULL,
            format('Create one with: SELECT microcred.generate_key(%L, %L);', i.handle, keyalg));
    END IF;
    -- kid: the key's JsonWebKey verification method in the controller document
    -- (an Ed25519 key's is #<JWK thumbprint>; its #<multibase> is the Multikey)
    tok := microcred._sign_jwt(c.document - 'proof', format, k.id, k.issuer_id, algorithm,
                               i.public_id || '#' || CASE k.algorithm WHEN 'Ed25519' THEN k.public_jwk ->> 'kid' ELSE k.fragment END);
    INSERT INTO microcred.credential_envelope (issuer_id, credential_id, format, algorithm, token)
    VALUES (c.issuer_id, c.id, format, algorithm, tok)
    ON CONFLICT DO NOTHING;
    SELECT e.token INTO tok FROM microcred.credential_envelope e
     WHERE e.credential_id = c.id AND e.format = _document.format AND e.algorithm = _document.algorithm;
    RETURN tok;
END
$$;

CREATE FUNCTION microcred.document(credential uuid, format text DEFAULT 'data-integrity', algorithm text DEFAULT NULL)
RETURNS text
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._document(credential, format, algorithm, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.document(uuid, text, text) IS
    'a credential as JSON with its Data Integrity proof (''data-integrity''), or as a JWT: ''ob-jwt'' (RS256/ES256) or ''vc-jwt'' (EdDSA/ES256); JWTs are made once and then served unchanged';

-- grants for this part
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
GRANT SELECT ON microcred.issuer_keys TO microcred_admin, microcred_issuer, microcred_verifier;
GRANT SELECT ON microcred.trusted_key TO microcred_admin, microcred_verifier;
GRANT EXECUTE ON FUNCTION
    microcred.generate_key(text, text), microcred.retire_key(uuid),
    microcred.trust_key(text, text, text, text, text),
    microcred.trust_controller_document(jsonb, text, text)
    TO microcred_admin;
GRANT INSERT ON microcred.trusted_key TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.issue(text, uuid, text, jsonb, timestamptz, text), microcred.document(uuid, text, text)
    TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION
    microcred.ob3_check(jsonb),
    microcred.canonicalize(jsonb, text), microcred.canonicalize(text, text),
    microcred.public_key_info(bytea), microcred.public_key(text),
    microcred.controller_document(text)
    TO microcred_admin, microcred_issuer, microcred_verifier;
