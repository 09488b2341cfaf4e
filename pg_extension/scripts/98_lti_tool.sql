/*
 * microcred install script, 98_lti_tool.sql: the LTI tool's own key, account
 * links and course mappings (deep linking and launch pages in
 * 98_lti_tool_launch.sql, dynamic registration in 98_lti_tool_register.sql).
 *
 * The tool (the bridge) signs two kinds of message to platforms: deep
 * linking responses and RFC 7523 client assertions.  Its RSA key is made,
 * sealed and used here like an issuer's key; the bridge only ever gets the
 * signed message and the public JWKS.  Which course awards which
 * micro-credential type is a mapping stored by deep linking (or by an
 * admin); the launch page's content is computed here, so the bridge needs
 * no table access at all.
 */

-- the tool's signing keys ---------------------------------------------------

CREATE TABLE microcred.lti_tool_key (
    id              uuid PRIMARY KEY,
    state           text NOT NULL DEFAULT 'active'
                    CONSTRAINT lti_tool_key_state CHECK (state IN ('active', 'standby', 'retired')),
    kid             text NOT NULL UNIQUE,
    public_jwk      jsonb NOT NULL,
    sealed_private  bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    retired_at      timestamptz
);
CREATE UNIQUE INDEX lti_tool_key_one_active ON microcred.lti_tool_key ((true)) WHERE state = 'active';
COMMENT ON TABLE microcred.lti_tool_key IS
    'RSA keys the LTI tool signs deep linking responses and client assertions with: the active one signs, standby ones are still published';
COMMENT ON COLUMN microcred.lti_tool_key.sealed_private IS
    'the private key sealed under the KEK (bound to the key id); readable by the extension owner only';

-- tool keys are sealed with the nil uuid in place of an issuer id
CREATE FUNCTION microcred._lti_new_tool_key()
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id  uuid := gen_random_uuid();
    k       record;
BEGIN
    SELECT * INTO k FROM microcred._key_generate(new_id, '00000000-0000-0000-0000-000000000000', 'RSA');
    UPDATE microcred.lti_tool_key SET state = 'standby' WHERE state = 'active';
    INSERT INTO microcred.lti_tool_key (id, kid, public_jwk, sealed_private)
    VALUES (new_id, k.fragment,
            k.public_jwk || jsonb_build_object('kid', k.fragment, 'alg', 'RS256', 'use', 'sig'),
            k.sealed_private);
    RETURN k.fragment;
END
$$;

-- the active tool key, made on first need (one at a time under concurrency)
CREATE FUNCTION microcred._lti_tool_key(OUT id uuid, OUT kid text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT k.id, k.kid INTO id, kid
      FROM microcred.lti_tool_key k WHERE k.state = 'active';
    IF NOT FOUND THEN
        PERFORM pg_advisory_xact_lock(hashtext('microcred.lti_tool_key'));
        SELECT k.id, k.kid INTO id, kid
          FROM microcred.lti_tool_key k WHERE k.state = 'active';
        IF NOT FOUND THEN
            PERFORM microcred._lti_new_tool_key();
            SELECT k.id, k.kid INTO id, kid
              FROM microcred.lti_tool_key k WHERE k.state = 'active';
        END IF;
    END IF;
END
$$;

-- a JWT of claims signed RS256 with the active tool key
CREATE FUNCTION microcred._lti_sign(claims jsonb)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k record;
BEGIN
    SELECT * INTO k FROM microcred._lti_tool_key();
    RETURN microcred._sign_jwt(claims, 'jwt', k.id, '00000000-0000-0000-0000-000000000000', 'RS256', k.kid);
END
$$;

CREATE FUNCTION microcred.lti_tool_key_rotate()
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may rotate the LTI tool key', NULL,
            'Grant microcred_admin to the role that manages keys.');
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('microcred.lti_tool_key'));
    RETURN microcred._lti_new_tool_key();
END
$$;
COMMENT ON FUNCTION microcred.lti_tool_key_rotate() IS
    'make a new RSA key for the LTI tool; the previous one stays published (standby) until retired, so platforms that cached the JWKS keep verifying';

CREATE FUNCTION microcred.lti_tool_key_retire(kid text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may retire the LTI tool key', NULL,
            'Grant microcred_admin to the role that manages keys.');
    END IF;
    UPDATE microcred.lti_tool_key k SET state = 'retired', retired_at = now()
     WHERE k.kid = lti_tool_key_retire.kid AND k.state = 'standby';
    IF NOT FOUND THEN
        PERFORM microcred._fail('22023', format('no standby LTI tool key has kid "%s"', kid), NULL,
            'Only a key replaced by lti_tool_key_rotate() can be retired; list them with: SELECT kid, state FROM microcred.lti_tool_keys;');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_tool_key_retire(text) IS 'stop publishing a replaced LTI tool key';

CREATE VIEW microcred.lti_tool_keys AS
    SELECT kid, state, public_jwk, created_at, retired_at FROM microcred.lti_tool_key;
COMMENT ON VIEW microcred.lti_tool_keys IS 'the LTI tool''s keys, public parts only';

-- the tool's JWKS (what GET /lti/jwks serves); makes the first key if needed
CREATE FUNCTION microcred.lti_tool_jwks()
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM microcred._lti_tool_key();
    RETURN jsonb_build_object('keys', coalesce(
        (SELECT jsonb_agg(k.public_jwk ORDER BY k.state = 'active' DESC, k.created_at DESC)
           FROM microcred.lti_tool_key k WHERE k.state IN ('active', 'standby')), '[]'::jsonb));
END
$$;
COMMENT ON FUNCTION microcred.lti_tool_jwks() IS 'the LTI tool''s public keys as a JWKS (active first, then standby)';

/*
 * An RFC 7523 client assertion for the platform's token endpoint (LTI
 * Advantage services): iss = sub = our client id, aud = the token URL, a
 * random jti, five minutes of validity.
 */
CREATE FUNCTION microcred.lti_client_assertion(platform uuid)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p   microcred.lti_platform;
    t   bigint := extract(epoch FROM now())::bigint;
BEGIN
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
    IF p.auth_token_url IS NULL THEN
        PERFORM microcred._fail('55000', format('LTI platform "%s" has no auth_token_url', p.name), NULL,
            'Give the platform''s token endpoint URL when registering it (auth_token_url).');
    END IF;
    RETURN microcred._lti_sign(jsonb_build_object(
        'iss', p.client_id, 'sub', p.client_id, 'aud', p.auth_token_url,
        'iat', t, 'exp', t + 300, 'jti', microcred._random_token()));
END
$$;
COMMENT ON FUNCTION microcred.lti_client_assertion(uuid) IS
    'a signed client assertion (RFC 7523, private_key_jwt) for the platform''s OAuth 2 token endpoint';

-- course to credential type ---------------------------------------------------

/*
 * The LMS's own course and user ids come in custom claims of the launch
 * (lms_course_id, lms_user_id).  Only platforms whose custom fields are set
 * by their administrators may be trusted with them: in Canvas they come
 * from the developer key; in Moodle a teacher can type custom parameters
 * into an activity, and could then link another course or another user's
 * id (Moodle does not need them: its LTI ids are its own).  Off by default.
 */

CREATE FUNCTION microcred.lti_trust_lms_ids(platform uuid, trust boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may change a platform''s trust', NULL, NULL);
    END IF;
    UPDATE microcred.lti_platform lp SET trust_lms_ids = coalesce(trust, false) WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_trust_lms_ids(uuid, boolean) IS
    'let launches from this platform link the LMS''s own course and user ids (custom lms_course_id, lms_user_id): for Canvas, whose custom fields come from the developer key';

-- Identity linking.  A launch is linked to a learner by its (platform, sub)
-- once linked; the first link is made by e-mail only when the platform is
-- marked as asserting verified e-mails (lti_trust_emails) and no other
-- account of that platform is linked to the learner; otherwise the launch
-- is recorded as a link request and waits for an admin (lti_link_account).
-- Every link made is in lti_account_link and in the audit log.

CREATE FUNCTION microcred.lti_trust_emails(platform uuid, trust boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may change a platform''s trust', NULL, NULL);
    END IF;
    UPDATE microcred.lti_platform lp SET verified_emails = coalesce(trust, false) WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_trust_emails(uuid, boolean) IS
    'let launches from this platform link an LMS account to the learner with the launch''s e-mail (only for a platform that verifies its users'' e-mail addresses)';

CREATE TABLE microcred.lti_account_link (
    platform_id  uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    sub          text NOT NULL,
    issuer_id    uuid NOT NULL,
    learner_id   uuid NOT NULL,
    how          text NOT NULL CONSTRAINT lti_account_link_how CHECK (how IN ('verified_email', 'lms_user_id', 'admin')),
    linked_by    name NOT NULL,
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, sub),
    CONSTRAINT lti_account_link_one_per_learner UNIQUE (platform_id, learner_id),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE microcred.lti_account_link IS
    'which LMS account (platform, LTI sub) is which learner: one account per learner per platform, how and by whom it was linked';

CREATE TABLE microcred.lti_link_request (
    platform_id  uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    sub          text NOT NULL,
    email        text,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, sub)
);
COMMENT ON TABLE microcred.lti_link_request IS
    'LMS accounts that launched but are linked to no learner: an admin links them with lti_link_account';

-- link an LMS account to a learner (internal: the caller has decided it may)
CREATE FUNCTION microcred._lti_link(p microcred.lti_platform, sub text, learner uuid, how text, actor name)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO microcred.lti_account_link (platform_id, sub, issuer_id, learner_id, how, linked_by)
    VALUES (p.id, sub, p.issuer_id, learner, how, actor)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN EXISTS (SELECT FROM microcred.lti_account_link a
                        WHERE a.platform_id = p.id AND a.sub = _lti_link.sub AND a.learner_id = learner);
    END IF;
    INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
    VALUES (p.issuer_id, learner, 'lms', p.platform_issuer, sub)
    ON CONFLICT DO NOTHING;
    DELETE FROM microcred.lti_link_request r WHERE r.platform_id = p.id AND r.sub = _lti_link.sub;
    PERFORM microcred._audit(p.issuer_id, 'link_lms_account', learner, NULL,
                             jsonb_build_object('platform', p.id, 'sub', sub, 'how', how), actor);
    RETURN true;
END
$$;
COMMENT ON FUNCTION microcred._lti_link(microcred.lti_platform, text, uuid, text, name) IS
    'internal: record the link of an LMS account to a learner (false when the account or the learner is linked otherwise)';

CREATE FUNCTION microcred.lti_link_account(platform uuid, sub text, learner uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.lti_platform;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may link LMS accounts to learners', NULL, NULL);
    END IF;
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL, NULL);
    END IF;
    IF NOT EXISTS (SELECT FROM microcred.learner l WHERE l.id = learner AND l.issuer_id = p.issuer_id AND l.erased_at IS NULL) THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for this platform''s awarding body', learner), NULL,
            'Register the learner with microcred.add_learner first.');
    END IF;
    IF NOT microcred._lti_link(p, microcred._not_null('sub', sub), learner, 'admin', microcred._caller()) THEN
        PERFORM microcred._fail('23505', 'this LMS account or this learner is already linked on this platform', NULL,
            'See microcred.lti_account_link; one LMS account per learner per platform.');
    END IF;
    PERFORM microcred._process_pending_for(p.id, sub, NULL, learner);
END
$$;
COMMENT ON FUNCTION microcred.lti_link_account(uuid, text, uuid) IS
    'link an LMS account (platform, LTI sub; see lti_link_request) to a learner, audited; its pending completions are issued';

CREATE TABLE microcred.lti_course_mapping (
    platform_id         uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    context_id          text NOT NULL CONSTRAINT lti_course_mapping_context_not_blank CHECK (btrim(context_id) <> ''),
    credential_type_id  uuid NOT NULL REFERENCES microcred.credential_type (id),
    context_title       text,
    created_by          text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, context_id, credential_type_id)
);
CREATE INDEX lti_course_mapping_type ON microcred.lti_course_mapping (credential_type_id);
COMMENT ON TABLE microcred.lti_course_mapping IS
    'which course (platform + LTI context id, e.g. the Moodle course id) awards which micro-credential type';
COMMENT ON COLUMN microcred.lti_course_mapping.created_by IS 'deep_linking (an instructor chose it in the LMS), lms_course_id (the LMS''s own course id of a deep-linked course, for its events) or sql:<role>';

-- a credential type of the platform's issuer, by uuid, code or handle/code
CREATE FUNCTION microcred._lti_platform_type(p microcred.lti_platform, credential_type text)
RETURNS microcred.credential_type
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t microcred.credential_type;
BEGIN
    IF p.issuer_id IS NULL THEN   -- no such platform
        RETURN NULL;
    END IF;
    SELECT * INTO t FROM microcred.credential_type ct
     WHERE ct.id = microcred._resolve_code('microcred.credential_type', credential_type, p.issuer_id);
    IF t.id IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN t;
END
$$;

CREATE FUNCTION microcred.lti_map_course(platform uuid, context_id text, credential_type text,
                                         context_title text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p   microcred.lti_platform;
    t   microcred.credential_type;
BEGIN
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
    IF context_id IS NULL OR btrim(context_id) = '' THEN
        PERFORM microcred._fail('23502', 'context_id is required', NULL,
            'The LTI context id of the course: the course id in Moodle, the course''s lti_context_id in Canvas.');
    END IF;
    t := microcred._lti_platform_type(p, credential_type);
    IF t.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential_type "%s" is not a credential type of this platform''s awarding body', credential_type),
            NULL, 'Give the code or id of one of its types; list them with: SELECT code, title FROM microcred.lti_credential_choices(<platform id>);');
    END IF;
    IF t.retired_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', format('credential_type "%s" is retired', t.code), NULL,
            'Map the course to a current credential type.');
    END IF;
    INSERT INTO microcred.lti_course_mapping (platform_id, context_id, credential_type_id, context_title, created_by)
    VALUES (platform, context_id, t.id, context_title, 'sql:' || current_user)
    ON CONFLICT ON CONSTRAINT lti_course_mapping_pkey DO UPDATE SET context_title = coalesce(EXCLUDED.context_title, lti_course_mapping.context_title);
END
$$;
COMMENT ON FUNCTION microcred.lti_map_course(uuid, text, text, text) IS
    'map a course (platform + LTI context id) to the micro-credential type it awards';

CREATE FUNCTION microcred.lti_unmap_course(platform uuid, context_id text, credential_type text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p   microcred.lti_platform;
    t   microcred.credential_type;
BEGIN
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    t := microcred._lti_platform_type(p, credential_type);
    DELETE FROM microcred.lti_course_mapping m
     WHERE m.platform_id = platform AND m.context_id = lti_unmap_course.context_id AND m.credential_type_id = t.id;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION microcred.lti_unmap_course(uuid, text, text) IS 'remove a course mapping; true when there was one';
