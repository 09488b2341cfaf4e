/*
 * microcred install script, part 11: the LTI tool's own key, course
 * mappings, deep linking, launch pages and dynamic registration.
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
CREATE FUNCTION microcred._lti_tool_key(OUT id uuid, OUT kid text, OUT sealed_private bytea)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    SELECT k.id, k.kid, k.sealed_private INTO id, kid, sealed_private
      FROM microcred.lti_tool_key k WHERE k.state = 'active';
    IF NOT FOUND THEN
        PERFORM pg_advisory_xact_lock(hashtext('microcred.lti_tool_key'));
        SELECT k.id, k.kid, k.sealed_private INTO id, kid, sealed_private
          FROM microcred.lti_tool_key k WHERE k.state = 'active';
        IF NOT FOUND THEN
            PERFORM microcred._lti_new_tool_key();
            SELECT k.id, k.kid, k.sealed_private INTO id, kid, sealed_private
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
    RETURN microcred._sign_jwt(claims, 'jwt', k.id, '00000000-0000-0000-0000-000000000000', k.sealed_private, 'RS256', k.kid);
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
ALTER TABLE microcred.lti_platform ADD COLUMN trust_lms_ids boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN microcred.lti_platform.trust_lms_ids IS
    'take the LMS''s own course and user ids from the launch''s custom claims (Canvas: set by the developer key); never for platforms where teachers set custom parameters';

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
ALTER TABLE microcred.lti_platform ADD COLUMN verified_emails boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN microcred.lti_platform.verified_emails IS
    'the platform only sends e-mail addresses it has verified as its user''s: a launch may link an LMS account to the learner with that e-mail (lti_trust_emails)';

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

/*
 * An LMS's own id as a local id.  Canvas names courses and users in its Live
 * Events by global id (shard * 10^13 + local id: 21070000000000565 is course
 * 565) but substitutes local ids in LTI ($Canvas.course.id); ids are
 * compared in the local form.  Small ids (Moodle's, any local id) pass as
 * they are.
 */
CREATE FUNCTION microcred._lms_local_id(id text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN id ~ '^[0-9]{14,20}$' THEN (id::numeric % 10000000000000)::text ELSE id END
$$;

-- a credential type of the platform's issuer, by uuid, code or handle/code
CREATE FUNCTION microcred._lti_platform_type(p microcred.lti_platform, credential_type text)
RETURNS microcred.credential_type
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t microcred.credential_type;
BEGIN
    IF credential_type ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT * INTO t FROM microcred.credential_type ct WHERE ct.id = credential_type::uuid;
    ELSE
        SELECT ct.* INTO t FROM microcred.credential_type ct JOIN microcred.issuer i ON i.id = ct.issuer_id
         WHERE ct.issuer_id = p.issuer_id
           AND (ct.code = credential_type OR i.handle || '/' || ct.code = credential_type);
    END IF;
    IF t.id IS NULL OR t.issuer_id <> p.issuer_id THEN
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

-- deep linking --------------------------------------------------------------

CREATE TABLE microcred.lti_deep_link (
    handle          text PRIMARY KEY,
    platform_id     uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    deployment_id   text NOT NULL,
    context_id      text NOT NULL,
    context_title   text,
    return_url      text NOT NULL,
    data            text,
    lms_course_id   text,
    expires_at      timestamptz NOT NULL,
    consumed_at     timestamptz
);
COMMENT ON TABLE microcred.lti_deep_link IS
    'open deep linking requests: what the instructor''s choice page needs to answer the platform, single use';

/*
 * An instructor's LtiDeepLinkingRequest was validated by the bridge: keep
 * what the response needs under a random single-use handle (the choice
 * page's form carries it).
 */
CREATE FUNCTION microcred.lti_begin_deep_link(platform uuid, deployment_id text, context_id text,
                                              context_title text, return_url text, data text,
                                              ttl interval DEFAULT '30 minutes',
                                              lms_course_id text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    h text := microcred._random_token();
BEGIN
    IF NOT EXISTS (SELECT FROM microcred.lti_deployment d
                    WHERE d.platform_id = platform AND d.deployment_id = lti_begin_deep_link.deployment_id) THEN
        PERFORM microcred._fail('28000', 'the deployment is not registered for this platform', NULL,
            'Add it with microcred.lti_add_deployment.');
    END IF;
    IF context_id IS NULL OR btrim(context_id) = '' THEN
        PERFORM microcred._fail('23502', 'context_id is required for deep linking', NULL,
            'Add the tool from inside a course, so that the launch carries the course (context claim).');
    END IF;
    PERFORM microcred._lti_check_url('deep_link_return_url', return_url, true);
    IF ttl IS NULL OR ttl <= interval '0' OR ttl > interval '1 day' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 0 and 1 day', NULL, '30 minutes is usual.');
    END IF;
    IF NOT (SELECT lp.trust_lms_ids FROM microcred.lti_platform lp WHERE lp.id = platform) THEN
        lms_course_id := NULL;      -- see lti_trust_lms_ids
    END IF;
    IF lms_course_id IS NOT NULL AND lms_course_id !~ '^[0-9]{1,20}$' THEN
        PERFORM microcred._fail('22023', format('lms_course_id "%s" is not an LMS course id', lms_course_id), NULL,
            'The LMS''s own numeric course id (Canvas: the custom field lms_course_id=$Canvas.course.id), or NULL.');
    END IF;
    lms_course_id := microcred._lms_local_id(lms_course_id);
    INSERT INTO microcred.lti_deep_link (handle, platform_id, deployment_id, context_id, context_title,
                                         return_url, data, lms_course_id, expires_at)
    VALUES (h, platform, deployment_id, context_id, context_title, return_url, data,
            nullif(lms_course_id, context_id), now() + ttl);
    RETURN h;
END
$$;
COMMENT ON FUNCTION microcred.lti_begin_deep_link(uuid, text, text, text, text, text, interval, text) IS
    'keep a validated deep linking request under a single-use handle for the instructor''s choice';

-- what an instructor may choose: the platform's awarding body's current types
CREATE FUNCTION microcred.lti_credential_choices(platform uuid)
RETURNS TABLE (id uuid, code text, title text, description text, eqf_level integer, ects numeric,
               workload_hours numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ct.id, ct.code, ct.title, ct.description, ct.eqf_level::integer, ct.ects::numeric, ct.workload_hours
      FROM microcred.credential_type ct JOIN microcred.lti_platform p ON p.issuer_id = ct.issuer_id
     WHERE p.id = platform AND ct.retired_at IS NULL
     ORDER BY ct.title, ct.code
$$;
COMMENT ON FUNCTION microcred.lti_credential_choices(uuid) IS
    'the micro-credential types an instructor on this platform may attach to a course';

/*
 * The instructor chose: store the course mapping and return the signed
 * LtiDeepLinkingResponse for the platform's return URL.  Problems (the
 * handle spent only on success, so that a wrong choice can be retried):
 * dl_missing, dl_unknown, dl_used, dl_expired, credential_type_unknown.
 */
CREATE FUNCTION microcred.lti_finish_deep_link(handle text, credential_type text, launch_url text,
                                               OUT problem text, OUT return_url text, OUT jwt text,
                                               OUT title text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d   microcred.lti_deep_link;
    p   microcred.lti_platform;
    t   microcred.credential_type;
    ts  bigint := extract(epoch FROM now())::bigint;
    claims jsonb;
BEGIN
    IF handle IS NULL OR handle = '' THEN
        problem := 'dl_missing';
        RETURN;
    END IF;
    SELECT * INTO d FROM microcred.lti_deep_link dl WHERE dl.handle = lti_finish_deep_link.handle FOR UPDATE;
    IF NOT FOUND THEN
        problem := 'dl_unknown';
        RETURN;
    ELSIF d.consumed_at IS NOT NULL THEN
        problem := 'dl_used';
        RETURN;
    ELSIF d.expires_at <= now() THEN
        problem := 'dl_expired';
        RETURN;
    END IF;
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = d.platform_id;
    t := microcred._lti_platform_type(p, credential_type);
    IF t.id IS NULL OR t.retired_at IS NOT NULL THEN
        problem := 'credential_type_unknown';
        RETURN;
    END IF;
    UPDATE microcred.lti_deep_link dl SET consumed_at = now() WHERE dl.handle = d.handle;
    INSERT INTO microcred.lti_course_mapping (platform_id, context_id, credential_type_id, context_title, created_by)
    VALUES (p.id, d.context_id, t.id, d.context_title, 'deep_linking')
    ON CONFLICT ON CONSTRAINT lti_course_mapping_pkey DO NOTHING;
    -- the LMS's own course id, which its completion events name (Canvas Live Events)
    IF d.lms_course_id IS NOT NULL THEN
        INSERT INTO microcred.lti_course_mapping (platform_id, context_id, credential_type_id, context_title, created_by)
        VALUES (p.id, d.lms_course_id, t.id, d.context_title, 'deep_linking')
        ON CONFLICT ON CONSTRAINT lti_course_mapping_pkey DO NOTHING;
    END IF;
    claims := jsonb_build_object(
        'iss', p.client_id, 'aud', p.platform_issuer, 'iat', ts, 'exp', ts + 600,
        'nonce', microcred._random_token(),
        'https://purl.imsglobal.org/spec/lti/claim/message_type', 'LtiDeepLinkingResponse',
        'https://purl.imsglobal.org/spec/lti/claim/version', '1.3.0',
        'https://purl.imsglobal.org/spec/lti/claim/deployment_id', d.deployment_id,
        'https://purl.imsglobal.org/spec/lti-dl/claim/content_items', jsonb_build_array(jsonb_build_object(
            'type', 'ltiResourceLink',
            'title', t.title,
            'text', t.description,
            'url', launch_url,
            'custom', jsonb_build_object('microcred_credential_type', t.id::text))));
    IF d.data IS NOT NULL THEN
        claims := claims || jsonb_build_object('https://purl.imsglobal.org/spec/lti-dl/claim/data', d.data);
    END IF;
    return_url := d.return_url;
    title := t.title;
    jwt := microcred._lti_sign(claims);
END
$$;
COMMENT ON FUNCTION microcred.lti_finish_deep_link(text, text, text) IS
    'deep linking: store the chosen course mapping and sign the LtiDeepLinkingResponse (a problem code instead when the handle or choice is not valid)';

-- launch pages ----------------------------------------------------------------

/*
 * What a resource link launch shows.  The credential type is the link's
 * custom parameter microcred_credential_type (set by our deep linking
 * response, carried in the signed id_token), else the course's first
 * mapping.  Learners are found by (platform issuer, sub), else by the
 * launch's email within the awarding body when the platform verifies
 * e-mails and the learner has no other account there (and then linked by
 * sub, audited), else by the LMS's own user id; an account found by none
 * is a link request for an admin (lti_link_account).  One LMS account per
 * learner per platform (lti_account_link).  lms_course_id and lms_user_id are the LMS's
 * own ids when they differ from the LTI ones (Canvas: custom fields
 * $Canvas.course.id and $Canvas.user.id): the course's mappings and the
 * learner are linked under them too, so that the LMS's completion events,
 * which name those ids, find them.  A launch never issues anything; it
 * issues completions that were pending for this learner.  Returns {"view": "not-configured" |
 * "instructor" | "learner-credential" | "learner-pending", ...}.
 */
CREATE FUNCTION microcred.lti_launch_view(platform uuid, context_id text, credential_type text,
                                          sub text, email text, instructor boolean,
                                          lms_course_id text DEFAULT NULL, lms_user_id text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.lti_platform;
    t       microcred.credential_type;
    lid     uuid;
    c       record;
    have_c  boolean := false;
    by_sub  boolean := false;
    cand    uuid;
    how     text;
    issuer_name text;
BEGIN
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = platform;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL, NULL);
    END IF;
    IF credential_type IS NOT NULL AND credential_type <> '' THEN
        t := microcred._lti_platform_type(p, credential_type);
    END IF;
    IF t.id IS NULL AND context_id IS NOT NULL THEN
        SELECT ct.* INTO t FROM microcred.lti_course_mapping m
          JOIN microcred.credential_type ct ON ct.id = m.credential_type_id
         WHERE m.platform_id = p.id AND m.context_id = lti_launch_view.context_id
         ORDER BY m.created_at, ct.code LIMIT 1;
    END IF;
    IF t.id IS NULL THEN
        RETURN jsonb_build_object('view', 'not-configured');
    END IF;
    IF NOT p.trust_lms_ids OR lms_course_id !~ '^[0-9]{1,20}$' THEN
        lms_course_id := NULL;      -- untrusted (lti_trust_lms_ids), or not substituted ("$Canvas.course.id")
    END IF;
    IF NOT p.trust_lms_ids OR lms_user_id !~ '^[0-9]{1,20}$' THEN
        lms_user_id := NULL;
    END IF;
    lms_course_id := microcred._lms_local_id(lms_course_id);
    lms_user_id := microcred._lms_local_id(lms_user_id);
    IF lms_course_id IS NOT NULL AND context_id IS NOT NULL AND lms_course_id <> context_id
       AND NOT EXISTS (SELECT FROM microcred.lti_course_mapping m
                        WHERE m.platform_id = p.id AND m.context_id = lti_launch_view.lms_course_id) THEN
        INSERT INTO microcred.lti_course_mapping (platform_id, context_id, credential_type_id, context_title, created_by)
        SELECT m.platform_id, lms_course_id, m.credential_type_id, m.context_title, 'lms_course_id'
          FROM microcred.lti_course_mapping m
         WHERE m.platform_id = p.id AND m.context_id = lti_launch_view.context_id
        ON CONFLICT ON CONSTRAINT lti_course_mapping_pkey DO NOTHING;
    END IF;
    SELECT i.legal_name INTO issuer_name FROM microcred.issuer i WHERE i.id = t.issuer_id;
    IF instructor THEN
        RETURN jsonb_build_object('view', 'instructor',
            'credential_type', jsonb_build_object('id', t.id, 'code', t.code, 'title', t.title,
                                                  'eqf_level', t.eqf_level, 'ects', t.ects),
            'issuer_name', issuer_name,
            'issued', (SELECT count(*) FROM microcred.issued_credential ic
                        WHERE ic.issuer_id = t.issuer_id AND ic.credential_type_id = t.id
                          AND ic.superseded_by IS NULL),
            'courses', (SELECT count(*) FROM microcred.lti_course_mapping m WHERE m.credential_type_id = t.id));
    END IF;
    IF sub IS NOT NULL AND sub <> '' THEN
        SELECT li.learner_id INTO lid FROM microcred.learner_identifier li
         WHERE li.issuer_id = p.issuer_id AND li.kind = 'lms' AND li.platform = p.platform_issuer AND li.value = sub;
        by_sub := lid IS NOT NULL;
        -- by e-mail only where the platform verifies e-mails, and only for a
        -- learner no other account of this platform is linked to
        IF lid IS NULL AND p.verified_emails AND email IS NOT NULL AND email <> '' THEN
            SELECT l.id INTO cand FROM microcred.learner l
             WHERE l.issuer_id = p.issuer_id AND lower(l.email) = lower(lti_launch_view.email) AND l.erased_at IS NULL;
            IF cand IS NOT NULL AND NOT EXISTS (
                   SELECT FROM microcred.learner_identifier li
                    WHERE li.issuer_id = p.issuer_id AND li.learner_id = cand AND li.kind = 'lms'
                      AND li.platform = p.platform_issuer) THEN
                lid := cand;
                how := 'verified_email';
            END IF;
        END IF;
        IF lid IS NULL AND lms_user_id IS NOT NULL THEN
            SELECT li.learner_id INTO lid FROM microcred.learner_identifier li
             WHERE li.issuer_id = p.issuer_id AND li.kind = 'lms' AND li.platform = p.platform_issuer
               AND li.value = lms_user_id;
            how := 'lms_user_id';
        END IF;
        IF lid IS NOT NULL AND NOT by_sub AND NOT microcred._lti_link(p, sub, lid, how, microcred._caller()) THEN
            lid := NULL;        -- the learner has another account on this platform: an admin decides
        END IF;
        IF lid IS NULL THEN
            INSERT INTO microcred.lti_link_request AS r (platform_id, sub, email)
            VALUES (p.id, sub, nullif(email, ''))
            ON CONFLICT ON CONSTRAINT lti_link_request_pkey DO UPDATE SET last_seen = now(), email = excluded.email;
        END IF;
        IF lid IS NOT NULL AND (NOT by_sub OR lms_user_id IS NOT NULL) THEN
            INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
            SELECT p.issuer_id, lid, 'lms', p.platform_issuer, v
              FROM unnest(ARRAY[sub, lms_user_id]) v WHERE v IS NOT NULL
            ON CONFLICT DO NOTHING;
        END IF;
    END IF;
    IF lid IS NOT NULL THEN
        -- completions reported before the LMS told us who this learner is: issue them now
        PERFORM microcred._process_pending_for(p.id, sub, email, lid);
        IF lms_user_id IS NOT NULL AND lms_user_id IS DISTINCT FROM sub THEN
            PERFORM microcred._process_pending_for(p.id, lms_user_id, NULL, lid);
        END IF;
        SELECT ic.id, ic.issued_at, ic.document->>'id' AS url,
               CASE WHEN ic.status <> 'active' THEN ic.status::text
                    WHEN ic.valid_until IS NOT NULL AND ic.valid_until <= now() THEN 'expired'
                    ELSE 'active' END AS status
          INTO c
          FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.learner_id = lid AND ic.credential_type_id = t.id
           AND ic.superseded_by IS NULL
         ORDER BY ic.issued_at DESC LIMIT 1;
        have_c := FOUND;
    END IF;
    IF NOT have_c THEN
        -- link: 'linked', or 'awaiting-admin' when this LMS account is linked
        -- to no learner yet (the page should say an administrator must
        -- confirm who the learner is; see lti_link_request)
        RETURN jsonb_build_object('view', 'learner-pending',
            'credential_type', jsonb_build_object('id', t.id, 'code', t.code, 'title', t.title),
            'issuer_name', issuer_name, 'known_learner', lid IS NOT NULL,
            'link', CASE WHEN lid IS NOT NULL THEN 'linked' ELSE 'awaiting-admin' END);
    END IF;
    RETURN jsonb_build_object('view', 'learner-credential',
        'credential_type', jsonb_build_object('id', t.id, 'code', t.code, 'title', t.title),
        'issuer_name', issuer_name,
        -- a wallet offer (OpenID4VCI, 93_oid4vci.sql) for an active credential
        'wallet_offer', CASE WHEN c.status = 'active' THEN microcred._oid4vci_page_offer(c.id) END,
        'credential', jsonb_build_object('id', c.id, 'url', c.url, 'status', c.status,
            'issued_at', to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
            'issued_year', extract(year FROM c.issued_at AT TIME ZONE 'UTC')::integer,
            'issued_month', extract(month FROM c.issued_at AT TIME ZONE 'UTC')::integer));
END
$$;
COMMENT ON FUNCTION microcred.lti_launch_view(uuid, text, text, text, text, boolean, text, text) IS
    'what an LTI resource link launch shows: the learner''s credential or "not yet", or the instructor''s mapping and count; never issues';

-- dynamic registration ----------------------------------------------------------

CREATE TABLE microcred.lti_registration_invite (
    token_hash   bytea PRIMARY KEY,
    issuer_id    uuid NOT NULL REFERENCES microcred.issuer (id),
    created_by   name NOT NULL DEFAULT current_user,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    consumed_at  timestamptz,
    platform_id  uuid REFERENCES microcred.lti_platform (id) ON DELETE SET NULL
);
COMMENT ON TABLE microcred.lti_registration_invite IS
    'single-use LTI Dynamic Registration invitations (only a hash of each is kept): an admin hands the URL to the LMS admin';

CREATE FUNCTION microcred.lti_registration_invite(issuer text, ttl interval DEFAULT '24 hours',
                                                  OUT invite text, OUT url text, OUT expires_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss  uuid := microcred._resolve_issuer(issuer);
    base text;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may invite an LMS to register', NULL,
            'Grant microcred_admin to the role that manages LMS registrations.');
    END IF;
    IF ttl IS NULL OR ttl <= interval '0' OR ttl > interval '30 days' THEN
        PERFORM microcred._fail('22023', 'ttl must be between 0 and 30 days', NULL, '24 hours is usual.');
    END IF;
    invite := microcred._random_token();
    expires_at := now() + ttl;
    INSERT INTO microcred.lti_registration_invite (token_hash, issuer_id, created_by, expires_at)
    VALUES (sha256(convert_to(invite, 'UTF8')), iss, session_user, now() + ttl);
    SELECT i.base_url INTO base FROM microcred.issuer i WHERE i.id = iss;
    url := CASE WHEN base IS NULL THEN NULL ELSE base || '/lti/register?invite=' || invite END;
END
$$;
COMMENT ON FUNCTION microcred.lti_registration_invite(text, interval) IS
    'a single-use LTI Dynamic Registration URL for an awarding body: paste it in Moodle''s "Tool URL" field';

-- problem of an invitation (NULL when usable), without spending it
CREATE FUNCTION microcred.lti_check_invite(invite text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN invite IS NULL OR invite = '' THEN 'invite_missing'
                WHEN r.token_hash IS NULL THEN 'invite_unknown'
                WHEN r.consumed_at IS NOT NULL THEN 'invite_used'
                WHEN r.expires_at <= now() THEN 'invite_expired' END
      FROM (SELECT 1) one
      LEFT JOIN microcred.lti_registration_invite r ON r.token_hash = sha256(convert_to(coalesce(invite, ''), 'UTF8'))
$$;

/*
 * The platform answered our registration: store it (or add the deployment
 * to an existing registration of the same awarding body) and spend the
 * invitation.  Problems: the invite codes of lti_check_invite.  URLs the
 * platform gave that are not https raise 22023 like lti_register_platform.
 */
CREATE FUNCTION microcred.lti_complete_registration(invite text, name text, platform_issuer text,
                                                    client_id text, auth_login_url text, jwks_url text,
                                                    auth_token_url text, deployment_id text,
                                                    OUT problem text, OUT platform_id uuid)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r   microcred.lti_registration_invite;
BEGIN
    problem := microcred.lti_check_invite(invite);
    IF problem IS NOT NULL THEN
        RETURN;
    END IF;
    SELECT * INTO r FROM microcred.lti_registration_invite ri
     WHERE ri.token_hash = sha256(convert_to(invite, 'UTF8')) FOR UPDATE;
    IF r.consumed_at IS NOT NULL THEN
        problem := 'invite_used';
        RETURN;
    END IF;
    SELECT p.id INTO platform_id FROM microcred.lti_platform p
     WHERE p.platform_issuer = lti_complete_registration.platform_issuer
       AND p.client_id = lti_complete_registration.client_id;
    IF platform_id IS NULL THEN
        PERFORM microcred._lti_check_url('platform_issuer', platform_issuer, true);
        PERFORM microcred._lti_check_url('auth_login_url', auth_login_url, true);
        PERFORM microcred._lti_check_url('jwks_url', jwks_url, true);
        PERFORM microcred._lti_check_url('auth_token_url', auth_token_url, false);
        INSERT INTO microcred.lti_platform (issuer_id, name, platform_issuer, client_id, auth_login_url,
                                            auth_token_url, jwks_url)
        VALUES (r.issuer_id, coalesce(nullif(btrim(name), ''), platform_issuer), platform_issuer, client_id,
                auth_login_url, auth_token_url, jwks_url)
        RETURNING id INTO platform_id;
    ELSIF NOT EXISTS (SELECT FROM microcred.lti_platform p WHERE p.id = platform_id AND p.issuer_id = r.issuer_id) THEN
        PERFORM microcred._fail('23505', 'this platform client is registered for another awarding body', NULL,
            'Remove the other registration first.');
    END IF;
    IF deployment_id IS NOT NULL AND btrim(deployment_id) <> '' THEN
        INSERT INTO microcred.lti_deployment (platform_id, deployment_id)
        VALUES (platform_id, deployment_id) ON CONFLICT DO NOTHING;
    END IF;
    UPDATE microcred.lti_registration_invite ri SET consumed_at = now(), platform_id = lti_complete_registration.platform_id
     WHERE ri.token_hash = r.token_hash;
END
$$;
COMMENT ON FUNCTION microcred.lti_complete_registration(text, text, text, text, text, text, text, text) IS
    'LTI Dynamic Registration: store the platform''s answer and spend the invitation';

-- privileges --------------------------------------------------------------------

REVOKE ALL ON microcred.lti_tool_key, microcred.lti_course_mapping, microcred.lti_deep_link,
    microcred.lti_registration_invite, microcred.lti_tool_keys FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._lti_new_tool_key(), microcred._lti_tool_key(), microcred._lti_sign(jsonb),
    microcred.lti_tool_key_rotate(), microcred.lti_tool_key_retire(text), microcred.lti_tool_jwks(),
    microcred.lti_client_assertion(uuid), microcred._lti_platform_type(microcred.lti_platform, text),
    microcred.lti_map_course(uuid, text, text, text), microcred.lti_unmap_course(uuid, text, text),
    microcred.lti_begin_deep_link(uuid, text, text, text, text, text, interval, text),
    microcred.lti_credential_choices(uuid), microcred.lti_finish_deep_link(text, text, text),
    microcred.lti_launch_view(uuid, text, text, text, text, boolean, text, text),
    microcred.lti_registration_invite(text, interval), microcred.lti_check_invite(text),
    microcred.lti_complete_registration(text, text, text, text, text, text, text, text)
    FROM PUBLIC;
GRANT SELECT ON microcred.lti_tool_keys TO microcred_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON microcred.lti_course_mapping TO microcred_admin;
GRANT SELECT ON microcred.lti_registration_invite TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred._lti_platform_type(microcred.lti_platform, text),
    microcred.lti_map_course(uuid, text, text, text), microcred.lti_unmap_course(uuid, text, text),
    microcred.lti_tool_key_rotate(), microcred.lti_tool_key_retire(text), microcred.lti_tool_jwks(),
    microcred.lti_registration_invite(text, interval), microcred.lti_credential_choices(uuid),
    microcred.lti_trust_lms_ids(uuid, boolean), microcred.lti_trust_emails(uuid, boolean),
    microcred.lti_link_account(uuid, text, uuid)
    TO microcred_admin;
GRANT SELECT ON microcred.lti_account_link, microcred.lti_link_request TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.lti_tool_jwks(), microcred.lti_client_assertion(uuid),
    microcred.lti_begin_deep_link(uuid, text, text, text, text, text, interval, text),
    microcred.lti_credential_choices(uuid), microcred.lti_finish_deep_link(text, text, text),
    microcred.lti_launch_view(uuid, text, text, text, text, boolean, text, text),
    microcred.lti_check_invite(text),
    microcred.lti_complete_registration(text, text, text, text, text, text, text, text)
    TO microcred_bridge;
