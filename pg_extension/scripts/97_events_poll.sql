/*
 * microcred install script, 97_events_poll.sql: reconciliation, polling the
 * LMS for completions that never arrived (the token sealed under the KEK), and
 * the grants of the event parts.
 */

CREATE TABLE microcred.event_poll (
    source_id       uuid PRIMARY KEY REFERENCES microcred.event_source (id) ON DELETE CASCADE,
    api             text NOT NULL CONSTRAINT event_poll_api CHECK (api IN ('canvas', 'moodle')),
    api_base_url    text NOT NULL,
    sealed_token    bytea NOT NULL,
    every           interval NOT NULL
                    CONSTRAINT event_poll_every CHECK (every >= interval '1 second' AND every <= interval '7 days'),
    last_polled_at  timestamptz,
    last_ok_at      timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    learners        text NOT NULL DEFAULT 'linked'
                    CONSTRAINT event_poll_learners CHECK (learners IN ('linked', 'by_email'))
);
COMMENT ON TABLE microcred.event_poll IS
    'reconciliation: which LMS API the bridge polls for an event source''s completions (the token sealed under the KEK)';
COMMENT ON COLUMN microcred.event_poll.learners IS
    'whom poll results may issue to: ''linked'' (learners already linked to the LMS account; others wait for an admin) or ''by_email'' (also find learners by e-mail and create them from name and e-mail: trusts whoever holds the bridge''s connection string)';
-- Poll results come through the bridge's database role, which could invent
-- them: by default they only issue to learners already linked to the LMS
-- account (by a launch or an admin) and otherwise wait as pending events.

CREATE FUNCTION microcred.event_poll_policy(source text, learners text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may set up polling', NULL, NULL);
    END IF;
    IF learners IS NULL OR learners NOT IN ('linked', 'by_email') THEN
        PERFORM microcred._fail('22023', 'learners policy of a poll must be ''linked'' or ''by_email''', NULL,
            '''linked'': poll results issue only to learners already linked to the LMS account; ''by_email'': also by e-mail, creating learners.');
    END IF;
    UPDATE microcred.event_poll ep SET learners = event_poll_policy.learners
      FROM microcred.event_source es
     WHERE ep.source_id = es.id AND es.name = event_poll_policy.source;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('source "%s" is not polled', left(source, 100)), NULL,
            'Set up polling with microcred.event_poll_set(source, api_base_url, token) first.');
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.event_poll_policy(text, text) IS
    'reconciliation: whom a source''s poll results may issue to (''linked'', the default, or ''by_email'')';

/*
 * Poll an LMS for a source's completions: Canvas's course progress API for
 * a canvas source, Moodle's web services for a moodle or xapi source.  The
 * token is sealed at once (bound to the source) and shown by nothing.
 */
CREATE FUNCTION microcred.event_poll_set(source text, api_base_url text, token text,
                                         every interval DEFAULT '1 hour')
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s   microcred.event_source;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may set up polling', NULL,
            'Grant microcred_admin to the role that manages LMS connections.');
    END IF;
    SELECT * INTO s FROM microcred.event_source es WHERE es.name = event_poll_set.source;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('event source "%s" does not exist', source), NULL,
            'List them with: SELECT name, kind FROM microcred.event_source;');
    END IF;
    IF s.platform_id IS NULL THEN
        PERFORM microcred._fail('55000', format('event source "%s" has no LTI platform', source), NULL,
            'The poller asks about the platform''s mapped courses: UPDATE microcred.event_source SET platform_id = ... first.');
    END IF;
    PERFORM microcred._lti_check_url('api_base_url', api_base_url, true);
    IF api_base_url ~ '[?#]' THEN
        PERFORM microcred._fail('22023', 'api_base_url must be the LMS''s base URL, without query or fragment',
            format('The value given was "%s".', api_base_url), 'For example ''https://moodle.example.edu''.');
    END IF;
    IF token IS NULL OR btrim(token) = '' OR token ~ '\s' OR length(token) > 4096 THEN
        PERFORM microcred._fail('22023', 'token must be an API token without spaces (up to 4096 characters)', NULL,
            'Canvas: an access token of an admin account; Moodle: a web service token allowed core_enrol_get_enrolled_users and core_completion_get_course_completion_status.');
    END IF;
    IF every IS NULL OR every < interval '1 second' OR every > interval '7 days' THEN
        PERFORM microcred._fail('22023', 'every must be between 1 second and 7 days', NULL, '''1 hour'' is usual.');
    END IF;
    INSERT INTO microcred.event_poll (source_id, api, api_base_url, sealed_token, every)
    VALUES (s.id, CASE WHEN s.kind = 'canvas' THEN 'canvas' ELSE 'moodle' END, rtrim(api_base_url, '/'),
            microcred._seal_secret(token, uuid_send(s.id)), every)
    ON CONFLICT (source_id) DO UPDATE
       SET api = EXCLUDED.api, api_base_url = EXCLUDED.api_base_url, sealed_token = EXCLUDED.sealed_token,
           every = EXCLUDED.every, last_polled_at = NULL, last_error = NULL;
END
$$;
COMMENT ON FUNCTION microcred.event_poll_set(text, text, text, interval) IS
    'reconciliation: poll the LMS API for this source''s course completions every interval (the token is sealed)';

CREATE FUNCTION microcred.event_poll_clear(source text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may set up polling', NULL, NULL);
    END IF;
    DELETE FROM microcred.event_poll ep USING microcred.event_source es
     WHERE ep.source_id = es.id AND es.name = event_poll_clear.source;
    RETURN FOUND;
END
$$;
COMMENT ON FUNCTION microcred.event_poll_clear(text) IS 'reconciliation: stop polling for this source; true when it was polled';

CREATE VIEW microcred.event_polls AS
    SELECT s.name AS source, p.api, p.api_base_url, p.every, p.last_polled_at, p.last_ok_at, p.last_error,
           (SELECT count(*) FROM microcred.completion_event e WHERE e.source_id = s.id AND e.via = 'poll') AS completions_found
      FROM microcred.event_poll p JOIN microcred.event_source s ON s.id = p.source_id
     WHERE microcred.acts_for(s.issuer_id, current_user);
COMMENT ON VIEW microcred.event_polls IS 'reconciliation polls: state and errors, never the token';

/*
 * For the bridge: the polls whose time has come, leased (last_polled_at set)
 * so that a second bridge does not poll the same source at once.  The
 * token is opened here and lives in the bridge only for the calls.
 */
CREATE FUNCTION microcred.event_poll_due()
RETURNS TABLE (source_id uuid, api text, api_base_url text, token text, course_keys text[])
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p   record;
BEGIN
    FOR p IN SELECT ep.*, es.platform_id FROM microcred.event_poll ep
               JOIN microcred.event_source es ON es.id = ep.source_id
              WHERE es.disabled_at IS NULL AND es.platform_id IS NOT NULL
                AND (ep.last_polled_at IS NULL OR ep.last_polled_at + ep.every <= now())
              ORDER BY ep.last_polled_at NULLS FIRST
              LIMIT 32
              FOR UPDATE OF ep SKIP LOCKED
    LOOP
        UPDATE microcred.event_poll ep SET last_polled_at = now() WHERE ep.source_id = p.source_id;
        source_id := p.source_id;
        api := p.api;
        api_base_url := p.api_base_url;
        BEGIN
            token := microcred._unseal_secret(p.sealed_token, uuid_send(p.source_id));
        EXCEPTION WHEN data_corrupted THEN
            -- one bad row does not stop the others
            UPDATE microcred.event_poll ep
               SET last_error = 'the stored token does not open under the current KEK: set it again with event_poll_set'
             WHERE ep.source_id = p.source_id;
            CONTINUE;
        END;
        course_keys := ARRAY(SELECT DISTINCT m.context_id FROM microcred.lti_course_mapping m
                              WHERE m.platform_id = p.platform_id AND m.context_id ~ '^[0-9]{1,20}$'
                              ORDER BY 1);
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION microcred.event_poll_due() IS
    'reconciliation, for the bridge: the polls due now (leased), each with its token and the mapped course ids';

CREATE FUNCTION microcred.event_poll_done(source uuid, error text)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE microcred.event_poll ep
       SET last_ok_at = CASE WHEN error IS NULL THEN now() ELSE ep.last_ok_at END,
           last_error = left(error, 300)
     WHERE ep.source_id = source
$$;
COMMENT ON FUNCTION microcred.event_poll_done(uuid, text) IS
    'reconciliation, for the bridge: the outcome of a poll (NULL error: success)';

/*
 * A completion the poller found.  Nothing is stored when the learner
 * already holds a credential of the course's type (whatever its status: a
 * revoked credential is not re-issued by reconciliation); otherwise it is
 * stored like an event (Canvas: under the key its Live Event would have)
 * and processed the same way.
 */
CREATE FUNCTION microcred.ingest_poll(source uuid, course_key text, user_key text, email text, name text,
                                      completed_at timestamptz,
                                      OUT event_id bigint, OUT state text, OUT duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       microcred.event_source;
    ep      microcred.event_poll;
    pf_key  text;
    lid     uuid;
    r       record;
BEGIN
    SELECT * INTO s FROM microcred.event_source es WHERE es.id = source AND es.disabled_at IS NULL;
    SELECT * INTO ep FROM microcred.event_poll p WHERE p.source_id = source;
    IF s.id IS NULL OR ep.source_id IS NULL THEN
        PERFORM microcred._fail('28000', 'the source is not polled', NULL,
            'Set up polling with microcred.event_poll_set(source, api_base_url, token).');
    END IF;
    IF course_key IS NULL OR course_key !~ '^[0-9]{1,20}$' OR user_key IS NULL OR user_key !~ '^[0-9]{1,20}$' THEN
        PERFORM microcred._fail('22023', 'course_key and user_key must be LMS ids (digits)', NULL,
            'The course and user ids the LMS API returned.');
    END IF;
    course_key := microcred._lms_local_id(course_key);
    user_key := microcred._lms_local_id(user_key);
    IF ep.learners = 'linked' THEN
        -- the bridge's word alone does not say who the user is: only an
        -- account already linked issues; anything else waits, pending
        email := NULL;
        name := NULL;
    END IF;
    SELECT coalesce(p.platform_issuer, 'source:' || s.name) INTO pf_key
      FROM microcred.lti_platform p WHERE p.id = s.platform_id;
    SELECT x.id INTO lid FROM (
        SELECT li.learner_id AS id, 1 AS pri FROM microcred.learner_identifier li
         WHERE li.issuer_id = s.issuer_id AND li.kind = 'lms' AND li.platform = pf_key AND li.value = user_key
        UNION ALL
        SELECT l.id, 2 FROM microcred.learner l
         WHERE ingest_poll.email IS NOT NULL AND l.issuer_id = s.issuer_id
           AND lower(l.email) = lower(ingest_poll.email) AND l.erased_at IS NULL) x
     ORDER BY x.pri LIMIT 1;
    IF lid IS NOT NULL AND NOT EXISTS (
        SELECT FROM microcred.lti_course_mapping m
         WHERE m.platform_id = s.platform_id AND m.context_id = course_key
           AND NOT EXISTS (SELECT FROM microcred.issued_credential ic
                            WHERE ic.issuer_id = s.issuer_id AND ic.learner_id = lid
                              AND ic.credential_type_id = m.credential_type_id)) THEN
        state := 'already_issued';
        duplicate := true;
        RETURN;
    END IF;
    SELECT * INTO r FROM microcred._ingest(s,
        CASE WHEN s.kind = 'canvas' THEN s.canvas_account || ':' || course_key || ':' || user_key
             ELSE 'poll:' || course_key || ':' || user_key END,
        NULL, course_key, user_key, email, name, completed_at, NULL);
    event_id := r.event_id;
    state := r.state;
    duplicate := r.duplicate;
    IF NOT duplicate THEN
        UPDATE microcred.completion_event ce SET via = 'poll' WHERE ce.id = event_id;
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.ingest_poll(uuid, text, text, text, text, timestamptz) IS
    'reconciliation, for the bridge: a completion found by polling the LMS, stored and issued unless the learner already has the credential';

REVOKE ALL ON microcred.event_source, microcred.completion_event, microcred.event_report FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._hmac_sha256(bytea, bytea), microcred._equal_ct(bytea, bytea),
    microcred._event_platform_key(microcred.event_source),
    microcred.event_source_add(text, text, text, uuid, text, text),
    microcred._process_event(bigint, name),
    microcred._ingest(microcred.event_source, text, text, text, text, text, text, timestamptz, jsonb),
    microcred._event_time(text), microcred._event_source(text, text),
    microcred.ingest_xapi(text, text, jsonb), microcred.event_source_for_canvas(text),
    microcred.ingest_canvas(uuid, jsonb), microcred.ingest_moodle(text, text, text),
    microcred._process_pending_for(uuid, text, text, uuid),
    microcred.event_retry(bigint), microcred.event_assign_learner(bigint, uuid),
    microcred.pending_events(interval) FROM PUBLIC;
GRANT SELECT (id, issuer_id, kind, name, platform_id, canvas_account, jwks_url, created_at, disabled_at)
    ON microcred.event_source TO microcred_admin;
GRANT UPDATE (platform_id, jwks_url, disabled_at) ON microcred.event_source TO microcred_admin;
GRANT SELECT ON microcred.completion_event, microcred.event_report TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.event_source_add(text, text, text, uuid, text, text),
    microcred.event_retry(bigint), microcred.event_assign_learner(bigint, uuid),
    microcred.pending_events(interval) TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.ingest_xapi(text, text, jsonb), microcred.event_source_for_canvas(text),
    microcred.ingest_canvas(uuid, jsonb), microcred.ingest_moodle(text, text, text) TO microcred_bridge;
REVOKE ALL ON microcred.event_poll, microcred.event_polls FROM PUBLIC;
GRANT SELECT ON microcred.event_polls TO microcred_admin;
GRANT SELECT (source_id, api, api_base_url, every, last_polled_at, last_ok_at, last_error, created_at, learners)
    ON microcred.event_poll TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.event_poll_set(text, text, text, interval), microcred.event_poll_clear(text),
    microcred.event_poll_policy(text, text)
    TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.event_poll_due(), microcred.event_poll_done(uuid, text),
    microcred.ingest_poll(uuid, text, text, text, text, timestamptz) TO microcred_bridge;
