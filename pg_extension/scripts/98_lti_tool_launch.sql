/*
 * microcred install script, 98_lti_tool_launch.sql: deep linking (a teacher
 * picks the micro-credential a course awards) and the content of the launch
 * page, computed here so the bridge needs no table access.
 */

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
    has_base_url boolean;
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
    SELECT i.legal_name, i.base_url IS NOT NULL INTO issuer_name, has_base_url FROM microcred.issuer i WHERE i.id = t.issuer_id;
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
        -- whether the page may offer it to a wallet (OpenID4VCI, 93_oid4vci.sql):
        -- an active credential of an awarding body with a base_url; the offer
        -- itself is made only when the learner asks (lti_wallet_offer)
        'wallet', c.status = 'active' AND c.url IS NOT NULL AND has_base_url,
        'credential', jsonb_build_object('id', c.id, 'url', c.url, 'status', c.status,
            'issued_at', to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
            'issued_year', extract(year FROM c.issued_at AT TIME ZONE 'UTC')::integer,
            'issued_month', extract(month FROM c.issued_at AT TIME ZONE 'UTC')::integer));
END
$$;
COMMENT ON FUNCTION microcred.lti_launch_view(uuid, text, text, text, text, boolean, text, text) IS
    'what an LTI resource link launch shows: the learner''s credential or "not yet", or the instructor''s mapping and count; never issues';
