/*
 * microcred install script, 96_lti.sql: LTI 1.3 state kept for the bridge.
 *
 * Platform registrations (an LMS's issuer, our client id there, its login,
 * token and JWKS URLs and the signing algorithms we accept from it), their
 * deployments, and the OIDC login states (state and nonce, single use,
 * short-lived).  Administrators register platforms; the bridge, through
 * microcred_bridge, can only look a registration up, start a login and
 * consume it.  The bridge holds no state of its own, so any number of
 * bridges can serve the same platforms.
 */

CREATE TABLE microcred.lti_platform (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id        uuid NOT NULL REFERENCES microcred.issuer (id),
    name             text NOT NULL CONSTRAINT lti_platform_name_not_blank CHECK (btrim(name) <> ''),
    platform_issuer  text NOT NULL,
    client_id        text NOT NULL CONSTRAINT lti_platform_client_id_not_blank CHECK (btrim(client_id) <> ''),
    auth_login_url   text NOT NULL,
    auth_token_url   text,
    jwks_url         text NOT NULL,
    algorithms       text[] NOT NULL DEFAULT '{RS256}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    trust_lms_ids    boolean NOT NULL DEFAULT false,
    verified_emails  boolean NOT NULL DEFAULT false,
    CONSTRAINT lti_platform_unique UNIQUE (platform_issuer, client_id)
);
COMMENT ON TABLE microcred.lti_platform IS
    'LTI 1.3 platforms (LMS registrations): whose launches are accepted, for which awarding body';
COMMENT ON COLUMN microcred.lti_platform.algorithms IS
    'id_token signing algorithms accepted from this platform (asymmetric only; none and HS* are refused)';
COMMENT ON COLUMN microcred.lti_platform.trust_lms_ids IS
    'take the LMS''s own course and user ids from the launch''s custom claims (Canvas: set by the developer key); never for platforms where teachers set custom parameters';
COMMENT ON COLUMN microcred.lti_platform.verified_emails IS
    'the platform only sends e-mail addresses it has verified as its user''s: a launch may link an LMS account to the learner with that e-mail (lti_trust_emails)';

CREATE TABLE microcred.lti_deployment (
    platform_id    uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    deployment_id  text NOT NULL CONSTRAINT lti_deployment_id_not_blank CHECK (btrim(deployment_id) <> ''),
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (platform_id, deployment_id)
);
COMMENT ON TABLE microcred.lti_deployment IS 'deployments of the tool known per platform; launches from others are refused';

CREATE TABLE microcred.lti_login_state (
    state            text PRIMARY KEY,
    nonce            text NOT NULL UNIQUE,
    platform_id      uuid NOT NULL REFERENCES microcred.lti_platform (id) ON DELETE CASCADE,
    target_link_uri  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    consumed_at      timestamptz,
    wallet_credential_id uuid,
    wallet_key_hash  bytea
);
COMMENT ON TABLE microcred.lti_login_state IS
    'OIDC login states and nonces of LTI launches: each consumed once, before it expires';
COMMENT ON COLUMN microcred.lti_login_state.wallet_credential_id IS
    'the credential the launch''s learner page showed, which its "Add to wallet" button may offer (lti_wallet_offer)';
COMMENT ON COLUMN microcred.lti_login_state.wallet_key_hash IS
    'SHA-256 of the page''s wallet key (the bridge''s random, in the page only); NULL once an offer was made from it';
/*
 * Every login adds a state (lti_begin_login) and every launch spends one, by index.  The
 * functions that touch states run with enable_seqscan = off: the bridge's
 * connections live long and keep their plans, and a plan made while the
 * table was nearly empty (after a quiet night, or a vacuum) is a scan of
 * the whole table, which then runs for every login and launch of a burst
 * until autovacuum analyzes it: measured, 4,000 logins and launches made
 * 8,003 sequential scans reading 8 million rows.  They also run with jit =
 * off: a sequential scan that remains (a small table without a fitting
 * index, in lti_launch_view's queries) is costed above jit_above_cost once
 * disabled, and JIT compiling a short lookup took 0.7 s per launch.
 */
-- lti_begin_login purges by expiry
CREATE INDEX lti_login_state_expires_at ON microcred.lti_login_state (expires_at);

-- a URL a platform endpoint may have: https, or http on loopback (tests, make run)
CREATE FUNCTION microcred._lti_check_url(field text, url text, required boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF url IS NULL THEN
        IF required THEN
            PERFORM microcred._fail('23502', format('%s is required', field), NULL,
                'Give the URL from the platform''s tool registration page.');
        END IF;
        RETURN;
    END IF;
    IF url !~ '^https://[^/\s]+(/\S*)?$' AND url !~ '^http://(127\.0\.0\.1|\[::1\]|localhost)(:[0-9]+)?(/\S*)?$' THEN
        PERFORM microcred._fail('22023', format('%s must be an https URL', field),
            format('The value given was "%s".', url),
            'Platforms are reached over TLS; plain http is accepted only on loopback, for tests.');
    END IF;
END
$$;

CREATE FUNCTION microcred.lti_register_platform(
    issuer           text,
    name             text,
    platform_issuer  text,
    client_id        text,
    auth_login_url   text,
    jwks_url         text,
    auth_token_url   text DEFAULT NULL,
    deployment_ids   text[] DEFAULT '{}',
    algorithms       text[] DEFAULT '{RS256}')
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss   uuid := microcred._resolve_issuer(issuer);
    bad   text;
    new_id uuid;
BEGIN
    PERFORM microcred._lti_check_url('platform_issuer', platform_issuer, true);
    PERFORM microcred._lti_check_url('auth_login_url', auth_login_url, true);
    PERFORM microcred._lti_check_url('jwks_url', jwks_url, true);
    PERFORM microcred._lti_check_url('auth_token_url', auth_token_url, false);
    IF client_id IS NULL OR btrim(client_id) = '' THEN
        PERFORM microcred._fail('23502', 'client_id is required', NULL,
            'The client id the platform assigned to the tool when it was registered there.');
    END IF;
    IF algorithms IS NULL OR cardinality(algorithms) = 0 THEN
        PERFORM microcred._fail('22023', 'algorithms must name at least one signing algorithm', NULL,
            'LTI 1.3 platforms sign with RS256; give ''{RS256}''.');
    END IF;
    SELECT a INTO bad FROM unnest(algorithms) a
     WHERE a IS NULL OR a NOT IN ('RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA')
     LIMIT 1;
    IF FOUND THEN
        PERFORM microcred._fail('22023', format('algorithm "%s" is not accepted for id_tokens', coalesce(bad, 'NULL')),
            NULL, CASE WHEN bad ~* '^(none|HS)' THEN 'Unsigned and shared-secret (HS*) tokens are never accepted: anyone holding the secret could forge a launch. '
                       ELSE '' END
                  || 'Use RS256 (the LTI 1.3 default), RS384, RS512, PS256-PS512, ES256, ES384 or EdDSA.');
    END IF;
    IF EXISTS (SELECT FROM microcred.lti_platform p
                WHERE p.platform_issuer = lti_register_platform.platform_issuer
                  AND p.client_id = lti_register_platform.client_id) THEN
        PERFORM microcred._fail('23505', format('platform %s with client_id "%s" is already registered', platform_issuer, client_id),
            NULL, 'Add deployments with microcred.lti_add_deployment; remove the old registration first to change it.');
    END IF;
    INSERT INTO microcred.lti_platform (issuer_id, name, platform_issuer, client_id, auth_login_url,
                                        auth_token_url, jwks_url, algorithms)
    VALUES (iss, name, platform_issuer, client_id, auth_login_url, auth_token_url, jwks_url,
            ARRAY(SELECT DISTINCT a FROM unnest(algorithms) a ORDER BY 1))
    RETURNING id INTO new_id;
    INSERT INTO microcred.lti_deployment (platform_id, deployment_id)
    SELECT new_id, d FROM unnest(deployment_ids) d;
    RETURN new_id;
END
$$;
COMMENT ON FUNCTION microcred.lti_register_platform(text, text, text, text, text, text, text, text[], text[]) IS
    'register an LTI 1.3 platform (LMS) for an awarding body: its issuer, our client id, login/JWKS/token URLs, deployments and accepted algorithms';

CREATE FUNCTION microcred.lti_add_deployment(platform uuid, deployment_id text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM microcred.lti_platform p WHERE p.id = platform) THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist', platform), NULL,
            'List them with: SELECT id, name, platform_issuer, client_id FROM microcred.lti_platform;');
    END IF;
    IF deployment_id IS NULL OR btrim(deployment_id) = '' THEN
        PERFORM microcred._fail('23502', 'deployment_id is required', NULL,
            'The deployment id the platform shows for this installation of the tool.');
    END IF;
    INSERT INTO microcred.lti_deployment (platform_id, deployment_id) VALUES (platform, deployment_id)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.lti_add_deployment(uuid, text) IS 'accept launches from one more deployment of the tool on a platform';

/*
 * Third-party initiated login: the registration for (iss, client_id), a new
 * state and nonce (256 bits each), valid for ttl.  client_id may be NULL when
 * the platform did not send it and has one registration only.
 */
CREATE FUNCTION microcred.lti_begin_login(platform_issuer text, client_id text, target_link_uri text,
                                          ttl interval DEFAULT '10 minutes',
                                          OUT state text, OUT nonce text, OUT auth_login_url text,
                                          OUT registered_client_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off       -- see the note on lti_login_state
SET jit = off
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
COMMENT ON FUNCTION microcred.lti_begin_login(text, text, text, interval) IS
    'LTI 1.3 login initiation: look up the platform registration and create a single-use state and nonce';

/*
 * The launch: consume the state (once, before it expires) and check the
 * id_token's nonce against it.  The state is spent by any attempt, whatever
 * the nonce says.  A failure is a problem code, not an error (an error would
 * roll the spending back): missing_state, unknown_state, state_used,
 * state_expired, or nonce_mismatch (an empty nonce too).  With a known state
 * the registration the launch must come from is returned even on
 * nonce_mismatch, so that the bridge can report the token's own faults
 * (bad signature, wrong version...) first; it then checks the id_token's
 * iss, aud, deployment_id and signature against it.
 */
CREATE FUNCTION microcred.lti_consume_login(state text, nonce text,
                                            OUT problem text,
                                            OUT platform_id uuid, OUT platform_issuer text,
                                            OUT client_id text, OUT jwks_url text,
                                            OUT algorithms text[], OUT target_link_uri text,
                                            OUT deployment_ids text[])
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off       -- see the note on lti_login_state
SET jit = off
AS $$
DECLARE
    s   microcred.lti_login_state;
BEGIN
    IF state IS NULL OR state = '' THEN
        problem := 'missing_state';
        RETURN;
    END IF;
    -- single use even under concurrent launches with the same state: the row lock decides
    SELECT * INTO s FROM microcred.lti_login_state ls WHERE ls.state = lti_consume_login.state FOR UPDATE;
    IF NOT FOUND THEN
        problem := 'unknown_state';
        RETURN;
    END IF;
    IF s.consumed_at IS NOT NULL THEN
        problem := 'state_used';
        RETURN;
    END IF;
    IF s.expires_at <= now() THEN
        problem := 'state_expired';
        RETURN;
    END IF;
    -- spent whatever the nonce says
    UPDATE microcred.lti_login_state ls SET consumed_at = now() WHERE ls.state = s.state;
    SELECT p.id, p.platform_issuer, p.client_id, p.jwks_url, p.algorithms, s.target_link_uri,
           ARRAY(SELECT d.deployment_id FROM microcred.lti_deployment d WHERE d.platform_id = p.id ORDER BY 1)
      INTO platform_id, platform_issuer, client_id, jwks_url, algorithms, target_link_uri, deployment_ids
      FROM microcred.lti_platform p WHERE p.id = s.platform_id;
    IF nonce IS NULL OR s.nonce <> lti_consume_login.nonce THEN
        problem := 'nonce_mismatch';
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_consume_login(text, text) IS
    'LTI 1.3 launch: spend the login state (once, unexpired), check the nonce; a problem code on failure, and the registration to validate the id_token against';

CREATE FUNCTION microcred.lti_deployment_known(platform uuid, deployment_id text)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT FROM microcred.lti_deployment d
                    WHERE d.platform_id = platform AND d.deployment_id = lti_deployment_known.deployment_id)
$$;

-- expired or spent states older than a day go
CREATE FUNCTION microcred.lti_purge_login_states()
RETURNS bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM microcred.lti_login_state s
         WHERE s.expires_at < now() - interval '1 day'
            OR s.consumed_at < now() - interval '1 day'
        RETURNING 1)
    SELECT count(*) FROM gone
$$;
COMMENT ON FUNCTION microcred.lti_purge_login_states() IS 'delete login states that expired or were used more than a day ago (run it daily)';

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

REVOKE ALL ON microcred.lti_platform, microcred.lti_deployment, microcred.lti_login_state FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._lti_check_url(text, text, boolean),
    microcred.lti_register_platform(text, text, text, text, text, text, text, text[], text[]),
    microcred.lti_add_deployment(uuid, text),
    microcred.lti_begin_login(text, text, text, interval), microcred._random_token(),
    microcred._random_bytes(integer),
    microcred.lti_consume_login(text, text), microcred.lti_deployment_known(uuid, text),
    microcred.lti_purge_login_states() FROM PUBLIC;
-- registering runs with the caller's rights: microcred_admin's
GRANT SELECT, INSERT, DELETE ON microcred.lti_platform, microcred.lti_deployment TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred._lti_check_url(text, text, boolean) TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.lti_register_platform(text, text, text, text, text, text, text, text[], text[]),
    microcred.lti_add_deployment(uuid, text), microcred.lti_purge_login_states()
    TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.lti_begin_login(text, text, text, interval), microcred.lti_consume_login(text, text),
    microcred.lti_deployment_known(uuid, text)
    TO microcred_bridge;
