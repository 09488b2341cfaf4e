/*
 * upgrade 0.2 -> 0.3, part 50: the LTI launch in one database call and the
 * learner page's wallet offer made on request (issue 19, item 5).  The two
 * new columns of lti_login_state, then the two new functions as
 * pg_extension/scripts/98_lti_tool_session.sql has them (replayed again at
 * the end) with their grants.
 */
ALTER TABLE microcred.lti_login_state ADD COLUMN wallet_credential_id uuid;
ALTER TABLE microcred.lti_login_state ADD COLUMN wallet_key_hash bytea;
COMMENT ON COLUMN microcred.lti_login_state.wallet_credential_id IS
    'the credential the launch''s learner page showed, which its "Add to wallet" button may offer (lti_wallet_offer)';
COMMENT ON COLUMN microcred.lti_login_state.wallet_key_hash IS
    'SHA-256 of the page''s wallet key (the bridge''s random, in the page only); NULL once an offer was made from it';

/*
 * The launch.  problem is NULL or a code, as lti_consume_login's, plus:
 *   registration  the state was made for another registration than
 *                 platform, or it changed in a value the validation used:
 *                 the state is NOT spent, and the current registration is
 *                 returned (platform_id ... deployment_ids) for the bridge
 *                 to validate the token against it and call again;
 *   target_link_uri_mismatch  the token's target_link_uri is not the
 *                 login's.
 * The state is spent by every other outcome but the state's own problems
 * (unknown, used, expired).  For a resource link the page is in view
 * (lti_launch_view's); when it offers the learner's credential to a
 * wallet, the page's wallet key (the bridge's random, shown only in the
 * page) is kept hashed with the state, for lti_wallet_offer.
 */
CREATE FUNCTION microcred.lti_launch(state text, nonce text, platform uuid,
                                     platform_issuer text, client_id text, jwks_url text,
                                     alg text, deployment_id text, target_link_uri text,
                                     message_type text, context_id text, credential_type text,
                                     sub text, email text, instructor boolean,
                                     lms_course_id text, lms_user_id text, wallet_key text,
                                     OUT problem text, OUT view jsonb,
                                     OUT platform_id uuid, OUT registered_issuer text,
                                     OUT registered_client_id text, OUT registered_jwks_url text,
                                     OUT algorithms text[], OUT deployment_ids text[])
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off       -- see the note on lti_login_state
SET jit = off
AS $$
DECLARE
    s       microcred.lti_login_state;
    p       microcred.lti_platform;
    wallet  uuid;
BEGIN
    IF state IS NULL OR state = '' THEN
        problem := 'missing_state';
        RETURN;
    END IF;
    -- single use even under concurrent launches with the same state: the row lock decides
    SELECT * INTO s FROM microcred.lti_login_state ls WHERE ls.state = lti_launch.state FOR UPDATE;
    IF NOT FOUND THEN
        problem := 'unknown_state';
        RETURN;
    ELSIF s.consumed_at IS NOT NULL THEN
        problem := 'state_used';
        RETURN;
    ELSIF s.expires_at <= now() THEN
        problem := 'state_expired';
        RETURN;
    END IF;
    SELECT * INTO p FROM microcred.lti_platform lp WHERE lp.id = s.platform_id;
    IF platform IS DISTINCT FROM p.id
       OR lti_launch.platform_issuer IS DISTINCT FROM p.platform_issuer
       OR lti_launch.client_id IS DISTINCT FROM p.client_id
       OR lti_launch.jwks_url IS DISTINCT FROM p.jwks_url
       OR alg IS NULL OR NOT alg = ANY (p.algorithms)
       OR NOT EXISTS (SELECT FROM microcred.lti_deployment d
                       WHERE d.platform_id = p.id AND d.deployment_id = lti_launch.deployment_id) THEN
        problem := 'registration';
        platform_id := p.id;
        registered_issuer := p.platform_issuer;
        registered_client_id := p.client_id;
        registered_jwks_url := p.jwks_url;
        algorithms := p.algorithms;
        deployment_ids := ARRAY(SELECT d.deployment_id FROM microcred.lti_deployment d
                                 WHERE d.platform_id = p.id ORDER BY 1);
        RETURN;
    END IF;
    platform_id := p.id;
    IF nonce IS NULL OR s.nonce <> lti_launch.nonce THEN
        problem := 'nonce_mismatch';
    ELSIF target_link_uri IS NOT NULL AND target_link_uri <> s.target_link_uri THEN
        -- a resource link carries it (the bridge checked); a deep linking request may omit it
        problem := 'target_link_uri_mismatch';
    ELSIF message_type IS DISTINCT FROM 'LtiDeepLinkingRequest' THEN
        view := microcred.lti_launch_view(p.id, context_id, credential_type, sub, email, instructor,
                                          lms_course_id, lms_user_id);
        IF view->>'view' = 'learner-credential' AND (view->'wallet')::boolean
           AND wallet_key IS NOT NULL AND length(wallet_key) >= 32 THEN
            wallet := (view->'credential'->>'id')::uuid;
        ELSE
            view := view - 'wallet';
        END IF;
    END IF;
    -- spent whatever the nonce says (one UPDATE, with the page's wallet key)
    UPDATE microcred.lti_login_state ls
       SET consumed_at = now(), wallet_credential_id = wallet,
           wallet_key_hash = CASE WHEN wallet IS NOT NULL THEN sha256(convert_to(wallet_key, 'UTF8')) END
     WHERE ls.state = s.state;
END
$$;
COMMENT ON FUNCTION microcred.lti_launch(text, text, uuid, text, text, text, text, text, text, text, text, text, text, text, boolean, text, text, text) IS
    'LTI 1.3 launch in one call, after the bridge validated the id_token against a cached registration: spend the state, re-check that registration, the nonce and target_link_uri, and return the page (lti_launch_view)';

/*
 * The learner page's "Add to wallet" button: an OpenID4VCI offer of the
 * credential the launch showed, made now (not on every view).  state and
 * key come from the page's form: the launch's state (spent by that launch)
 * and the page's wallet key, which only that page carried.  Single use: one
 * offer per launch page, within 30 minutes of the launch.  Answers
 * (problem, offer_uri): wallet_unknown (no such launch page, or a wrong
 * key), wallet_used (an offer was made from this page already),
 * wallet_expired, wallet_unavailable (the credential can no longer be
 * offered: revoked, suspended, expired, erased).
 */
CREATE FUNCTION microcred.lti_wallet_offer(state text, key text, OUT problem text, OUT offer_uri text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off       -- see the note on lti_login_state
SET jit = off
AS $$
DECLARE
    s   microcred.lti_login_state;
BEGIN
    SELECT * INTO s FROM microcred.lti_login_state ls
     WHERE ls.state = lti_wallet_offer.state AND ls.wallet_credential_id IS NOT NULL FOR UPDATE;
    IF NOT FOUND OR key IS NULL OR s.consumed_at IS NULL THEN
        problem := 'wallet_unknown';
        RETURN;
    ELSIF s.wallet_key_hash IS NULL THEN
        problem := 'wallet_used';
        RETURN;
    ELSIF NOT microcred._equal_ct(s.wallet_key_hash, sha256(convert_to(key, 'UTF8'))) THEN
        problem := 'wallet_unknown';
        RETURN;
    ELSIF s.consumed_at <= now() - interval '30 minutes' THEN
        problem := 'wallet_expired';
        RETURN;
    END IF;
    UPDATE microcred.lti_login_state ls SET wallet_key_hash = NULL WHERE ls.state = s.state;
    offer_uri := microcred._oid4vci_page_offer(s.wallet_credential_id);
    IF offer_uri IS NULL THEN
        problem := 'wallet_unavailable';
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.lti_wallet_offer(text, text) IS
    'the LTI learner page''s "Add to wallet" button: a single-use OpenID4VCI offer of the credential that launch showed, once per page, within 30 minutes';

REVOKE ALL ON FUNCTION
    microcred.lti_launch(text, text, uuid, text, text, text, text, text, text, text, text, text, text, text, boolean, text, text, text),
    microcred.lti_wallet_offer(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    microcred.lti_launch(text, text, uuid, text, text, text, text, text, text, text, text, text, text, text, boolean, text, text, text),
    microcred.lti_wallet_offer(text, text) TO microcred_bridge;
