/*
 * microcred install script, 98_lti_tool_register.sql: LTI dynamic
 * registration by invitation, and the grants of the LTI tool parts.
 */

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
GRANT EXECUTE ON FUNCTION microcred._resolve_code(regclass, text, uuid), microcred._lti_platform_type(microcred.lti_platform, text),
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
