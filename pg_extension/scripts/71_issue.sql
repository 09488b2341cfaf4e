/*
 * microcred install script, 71_issue.sql: issuing, and the envelopes of an
 * issued credential.
 *
 * The row is written once: microcred.issue() resolves the type, builds and
 * signs the document (70_document.sql, 15_bindings.sql), allocates its status
 * entries (68_status_list.sql) and appends to the audit chain (50_audit.sql).
 */

CREATE FUNCTION microcred._issue(credential_type text, learner uuid, grade text, evidence jsonb,
                                 issued_at timestamptz, idempotency_key text, actor name,
                                 awarded_date timestamptz DEFAULT NULL, supersedes uuid DEFAULT NULL,
                                 credits_earned numeric DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       microcred.credential_type := (SELECT ct FROM microcred.credential_type ct
                                        WHERE ct.id = microcred._resolve_code('microcred.credential_type', credential_type));
    i       microcred.issuer;
    l       microcred.learner;
    c       microcred.issued_credential;
    k       microcred.signing_key;
    existing uuid;
    part    microcred.document_part;
    salt    text := replace(gen_random_uuid()::text, '-', '');
    ev      jsonb;
    r       record;
    status  jsonb;
BEGIN
    PERFORM microcred._check_actor(t.issuer_id, actor);
    -- one round trip for the rows issuing reads: the issuer, the learner, the
    -- active key and the cached document parts (simple equality joins, so the
    -- plan is generic and cached rather than made again for every credential)
    SELECT iss AS i_row, lr AS l_row, sk AS k_row, dp AS part_row
      INTO r
      FROM microcred.issuer iss
      LEFT JOIN microcred.learner lr ON lr.id = _issue.learner AND lr.issuer_id = iss.id
      LEFT JOIN microcred.signing_key sk ON sk.issuer_id = iss.id AND sk.algorithm = 'Ed25519' AND sk.state = 'active'
      LEFT JOIN microcred.document_part dp ON dp.credential_type_id = t.id
     WHERE iss.id = t.issuer_id;
    -- a credential that already exists for this idempotency key, or for this
    -- learner and type unless repeats are allowed
    -- COLLATE "default": a caller passing a name-typed actor (current_user) gives
    -- every text parameter the C collation, which would keep this lookup off the
    -- unique index and scan the table; callers add COLLATE "default" too
    IF idempotency_key IS NOT NULL THEN
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.idempotency_key = _issue.idempotency_key COLLATE "default";
    END IF;
    IF existing IS NULL AND NOT t.allow_repeats AND supersedes IS NULL THEN
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.learner_id = _issue.learner
           AND ic.credential_type_id = t.id AND ic.status <> 'revoked' AND ic.superseded_by IS NULL
         LIMIT 1;
    END IF;
    i := r.i_row;
    l := r.l_row;
    k := r.k_row;
    part := r.part_row;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for issuer "%s"', learner, i.handle), NULL,
            'Register the learner first with microcred.add_learner(issuer => ...).');
    END IF;
    IF existing IS NOT NULL THEN
        RETURN existing;
    END IF;
    IF l.erased_at IS NOT NULL OR (l.email IS NULL AND l.student_id IS NULL AND l.holder_did IS NULL) THEN
        PERFORM microcred._fail('23502', 'identification of the learner is required to issue a credential',
            'The learner has no email, student id or DID, or was erased.',
            'Complete the learner''s identification (email, student_id or holder_did) first.');
    END IF;
    IF t.retired_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', format('credential type "%s" is retired', t.code), NULL, NULL);
    END IF;

    IF evidence IS NOT NULL THEN
        IF jsonb_typeof(evidence) <> 'array' THEN
            evidence := jsonb_build_array(evidence);
        END IF;
        FOR ev IN SELECT * FROM jsonb_array_elements(evidence) LOOP
            IF jsonb_typeof(ev) <> 'object' THEN
                PERFORM microcred._fail('22023', 'evidence must be JSON objects', NULL,
                    'For example ''[{"id": "https://lms.example/submissions/7", "name": "Final project"}]''.');
            END IF;
        END LOOP;
        SELECT jsonb_agg(CASE WHEN e ? 'type' THEN e ELSE e || '{"type": ["Evidence"]}' END) INTO evidence
          FROM jsonb_array_elements(evidence) AS x(e);
    END IF;

    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active Ed25519 signing key', i.handle), NULL,
            format('Create one with: SELECT microcred.generate_key(%L);', i.handle));
    END IF;

    c.id := gen_random_uuid();
    c.issuer_id := t.issuer_id;
    c.credential_type_id := t.id;
    c.learner_id := l.id;
    c.issued_at := coalesce(issued_at, now());
    c.awarded_date := coalesce(awarded_date, c.issued_at);
    c.supersedes := supersedes;
    c.credits_earned := microcred._check_ects(credits_earned);
    c.valid_from := c.issued_at;
    c.valid_until := c.issued_at + t.validity_period;
    c.grade := grade;
    c.evidence := evidence;
    c.idempotency_key := idempotency_key;
    c.status := 'active';
    c.proof_format := coalesce(t.proof_format, i.proof_format);

    IF part.credential_type_id IS NULL THEN
        part := ROW(t.id, t.issuer_id, microcred._achievement(t, i), microcred._issuer_profile(i));
        INSERT INTO microcred.document_part SELECT part.* ON CONFLICT DO NOTHING;
    END IF;
    -- one credentialStatus object (Open Badges 3.0: 0..1): revocation; a type
    -- that opted into suspension gets a second entry, an array (README, Lifecycle)
    status := microcred._allocate_status(t.issuer_id, i.base_url, c.id, 'revocation');
    IF t.suspendable THEN
        status := jsonb_build_array(status, microcred._allocate_status(t.issuer_id, i.base_url, c.id, 'suspension'));
    END IF;
    c.document := microcred._credential_document(c, t, i, l, salt, part.achievement, part.profile,
                                                 k.id, i.public_id || '#' || k.fragment,
                                                 c.proof_format, status);

    -- pathways with auto_award follow issues made here, not rows loaded by
    -- pg_restore or by hand (microcred._stack_auto_award checks this mark)
    PERFORM set_config('microcred_issue.credential', c.id::text, true);
    INSERT INTO microcred.issued_credential SELECT c.*
    ON CONFLICT ON CONSTRAINT issued_credential_idempotency_key_unique DO NOTHING;
    IF NOT FOUND THEN
        -- a concurrent issue with the same key won; return its credential (our
        -- positions stay unused: an index is never handed out twice)
        DELETE FROM microcred.status_entry e WHERE e.credential_id = c.id;
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.idempotency_key = _issue.idempotency_key COLLATE "default";
        RETURN existing;
    END IF;
    PERFORM microcred._audit(t.issuer_id, 'issue', c.id, NULL,
                             jsonb_build_object('credential_type', t.id, 'learner', l.id, 'supersedes', supersedes), actor);
    RETURN c.id;
END
$$;
COMMENT ON FUNCTION microcred._issue(text, uuid, text, jsonb, timestamptz, text, name, timestamptz, uuid, numeric) IS 'internal: see microcred.issue';

CREATE FUNCTION microcred.issue(credential_type text, learner uuid, grade text DEFAULT NULL,
                                evidence jsonb DEFAULT NULL, issued_at timestamptz DEFAULT now(),
                                idempotency_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._issue(credential_type, learner, grade, evidence, issued_at, idempotency_key, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.issue(text, uuid, text, jsonb, timestamptz, text) IS
    'issue a micro-credential (type by id or ''issuer/CODE'') to a learner: builds the OB 3.0 document, signs it with the issuer''s active key and stores it; the same idempotency key (or learner and type, unless the type allows repeats) returns the existing credential';

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
