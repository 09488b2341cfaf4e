/*
 * microcred install script, 97_events_ingest.sql: the entry points of each
 * kind of completion event (xAPI, Canvas Live Events, Moodle), pending events
 * and what an admin does about them.
 */

/*
 * xAPI statements (already shaped by the bridge: each an object with an id,
 * actor, verb.id and object.id).  Completion: verb completed on an LMS
 * course activity (Moodle logstore_xapi) or on the ADL course activity type
 * (LRS-forwarding LMSs, cmi5 tooling), or cmi5 satisfied on a course.  The
 * course key is the Moodle course id of a .../course/view.php?id=N activity,
 * otherwise the full activity IRI.
 * Everything else is stored as ignored.
 */
CREATE FUNCTION microcred.ingest_xapi(source text, password text, statements jsonb)
RETURNS TABLE (statement_id text, state text, duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       microcred.event_source := microcred._event_source('xapi', source);
    st      jsonb;
    n       integer := 0;
    verb    text;
    otype   text;
    oid     text;
    ckey    text;
    ukey    text;
    email   text;
    r       record;
BEGIN
    -- the same work whether or not the source exists, so timing tells nothing
    IF NOT microcred._equal_ct(
            microcred._hmac_sha256(coalesce(s.secret_salt, '\x00'::bytea), convert_to(coalesce(password, ''), 'UTF8')),
            coalesce(s.secret_hash, '\x01'::bytea)) THEN
        PERFORM microcred._fail('28000', 'the xAPI credentials are not valid', NULL,
            'Use the source name and the secret microcred.event_source_add returned (HTTP Basic).');
    END IF;
    IF jsonb_typeof(statements) = 'object' THEN
        statements := jsonb_build_array(statements);
    END IF;
    IF jsonb_typeof(statements) IS DISTINCT FROM 'array' THEN
        PERFORM microcred._fail('22023', 'statements must be a JSON object or array', NULL, NULL);
    END IF;
    FOR st IN SELECT x FROM jsonb_array_elements(statements) x LOOP
        n := n + 1;
        IF jsonb_typeof(st) IS DISTINCT FROM 'object' OR jsonb_typeof(st->'actor') IS DISTINCT FROM 'object'
           OR st->'verb'->>'id' IS NULL OR st->'object'->>'id' IS NULL OR st->>'id' IS NULL THEN
            PERFORM microcred._fail('22023', format('statement %s lacks id, actor, verb.id or object.id', n), NULL,
                'Every xAPI statement needs an actor, a verb with an id and an object with an id.');
        END IF;
        verb := st->'verb'->>'id';
        otype := st->'object'->'definition'->>'type';
        oid := st->'object'->>'id';
        ckey := coalesce(substring(oid FROM '/course/view\.php\?(?:.*&)?id=([0-9]+)'), oid);
        email := CASE WHEN st->'actor'->>'mbox' ILIKE 'mailto:%' THEN substr(st->'actor'->>'mbox', 8) END;
        ukey := coalesce(st->'actor'->'account'->>'name', email, st->'actor'->>'mbox_sha1sum', st->'actor'->>'openid');
        SELECT * INTO r FROM microcred._ingest(s, st->>'id',
            CASE WHEN (verb = 'http://adlnet.gov/expapi/verbs/completed'
                       AND otype IN ('http://id.tincanapi.com/activitytype/lms/course',
                                     'http://adlnet.gov/expapi/activities/course'))
                   OR (verb = 'https://w3id.org/xapi/adl/verbs/satisfied'
                       AND otype = 'https://w3id.org/xapi/cmi5/activitytype/course')
                 THEN NULL ELSE 'not_a_completion' END,
            ckey, ukey, email, st->'actor'->>'name', microcred._event_time(st->>'timestamp'), st);
        statement_id := st->>'id';
        state := r.state;
        duplicate := r.duplicate;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION microcred.ingest_xapi(text, text, jsonb) IS
    'store xAPI statements once each (by statement id) and issue for course completions; the bridge''s POST /xapi/statements';

-- the Canvas source of an account (before the JWT is verified, to find its JWKS)
CREATE FUNCTION microcred.event_source_for_canvas(account text, OUT source_id uuid, OUT jwks_url text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.id, s.jwks_url FROM microcred.event_source s
     WHERE s.kind = 'canvas' AND s.canvas_account = account AND s.disabled_at IS NULL
$$;

/* a verified Canvas Live Event (the JWT's claims); course_completed issues */
CREATE FUNCTION microcred.ingest_canvas(source uuid, claims jsonb,
                                        OUT event_id bigint, OUT state text, OUT duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       microcred.event_source;
    acct    text := coalesce(claims->'metadata'->>'root_account_uuid', claims->'metadata'->>'root_account_id');
    b       jsonb := claims->'body';
    r       record;
BEGIN
    SELECT * INTO s FROM microcred.event_source es WHERE es.id = source AND es.kind = 'canvas' AND es.disabled_at IS NULL;
    IF s.id IS NULL OR acct IS DISTINCT FROM s.canvas_account THEN
        PERFORM microcred._fail('28000', 'the event is not from this Canvas account', NULL,
            'metadata.root_account_uuid must be the source''s canvas_account.');
    END IF;
    IF b->'course'->>'id' IS NULL OR b->'user'->>'id' IS NULL THEN
        PERFORM microcred._fail('22023', 'the Canvas event has no body.course.id or body.user.id', NULL, NULL);
    END IF;
    -- the key in local ids: the reconciliation poller (Canvas's API speaks local ids) makes the same
    SELECT * INTO r FROM microcred._ingest(s, acct || ':' || microcred._lms_local_id(b->'course'->>'id') || ':'
                                               || microcred._lms_local_id(b->'user'->>'id'),
        CASE WHEN claims->'metadata'->>'event_name' = 'course_completed' THEN NULL ELSE 'not_a_completion' END,
        microcred._lms_local_id(b->'course'->>'id'), microcred._lms_local_id(b->'user'->>'id'),
        b->'user'->>'email', b->'user'->>'name',
        coalesce(microcred._event_time(b->'progress'->>'completed_at'),
                 microcred._event_time(claims->'metadata'->>'event_time')),
        claims);
    event_id := r.event_id;
    state := r.state;
    duplicate := r.duplicate;
END
$$;
COMMENT ON FUNCTION microcred.ingest_canvas(uuid, jsonb) IS
    'store a verified Canvas Live Event once (root account, course, user) and issue on course_completed; the bridge''s POST /canvas/live-events';

/* a Moodle event, signed with the site's key (HMAC-SHA256 over the raw body) */
CREATE FUNCTION microcred.ingest_moodle(source text, body text, signature text,
                                        OUT event_id bigint, OUT state text, OUT duplicate boolean)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       microcred.event_source := microcred._event_source('moodle', source);
    mac     bytea;
    ev      jsonb;
    u       jsonb;
    r       record;
    key     bytea;
BEGIN
    IF signature ~ '^sha256=[0-9a-fA-F]{64}$' THEN
        mac := decode(substr(signature, 8), 'hex');
    END IF;
    IF s.hmac_key IS NOT NULL THEN
        BEGIN
            key := convert_to(microcred._unseal_secret(s.hmac_key, uuid_send(s.id)), 'UTF8');
        EXCEPTION WHEN data_corrupted THEN
            key := NULL;        -- sealed under another KEK: no signature verifies
            mac := NULL;
        END;
    END IF;
    IF NOT microcred._equal_ct(microcred._hmac_sha256(coalesce(key, '\x00'::bytea), convert_to(coalesce(body, ''), 'UTF8')),
                               coalesce(mac, '\x01'::bytea)) OR s.id IS NULL THEN
        PERFORM microcred._fail('28000', 'the event signature does not verify', NULL,
            'X-Microcred-Signature must be sha256=<hex HMAC-SHA256 of the raw body under the source''s key>.');
    END IF;
    BEGIN
        ev := body::jsonb;
    EXCEPTION WHEN OTHERS THEN
        PERFORM microcred._fail('22P02', 'the event body is not JSON', NULL, NULL);
    END;
    IF jsonb_typeof(ev) IS DISTINCT FROM 'object' OR ev->>'objectid' IS NULL OR ev->>'courseid' IS NULL OR ev->>'relateduserid' IS NULL THEN
        PERFORM microcred._fail('22023', 'the Moodle event lacks objectid, courseid or relateduserid', NULL,
            'Send the fields of \core\event\course_completed.');
    END IF;
    u := ev->'user';
    SELECT * INTO r FROM microcred._ingest(s, s.name || ':' || (ev->>'objectid'),
        CASE WHEN ev->>'eventname' = '\core\event\course_completed' THEN NULL ELSE 'not_a_completion' END,
        ev->>'courseid', ev->>'relateduserid', u->>'email',
        nullif(btrim(concat_ws(' ', u->>'firstname', u->>'lastname')), ''),
        CASE WHEN ev->>'timecreated' ~ '^[0-9]{1,12}$' THEN to_timestamp((ev->>'timecreated')::bigint) END,
        ev);
    event_id := r.event_id;
    state := r.state;
    duplicate := r.duplicate;
END
$$;
COMMENT ON FUNCTION microcred.ingest_moodle(text, text, text) IS
    'verify a Moodle event''s HMAC, store it once (site, course_completions id) and issue on course_completed; the bridge''s POST /moodle/events';

-- events of a learner that were waiting for them (called when they launch the tool)
CREATE FUNCTION microcred._process_pending_for(platform uuid, user_key text, email text, learner uuid)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ev  record;
    n   integer := 0;
BEGIN
    FOR ev IN SELECT ce.id FROM microcred.completion_event ce JOIN microcred.event_source s ON s.id = ce.source_id
               WHERE s.platform_id = platform AND ce.state = 'pending'
                 AND (ce.user_key = _process_pending_for.user_key
                      OR (email IS NOT NULL AND lower(ce.user_email) = lower(email)))
    LOOP
        UPDATE microcred.completion_event ce SET learner_id = learner WHERE ce.id = ev.id;
        IF microcred._process_event(ev.id, 'microcred_bridge'::name COLLATE "default") = 'issued' THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

CREATE FUNCTION microcred.event_retry(event_id bigint)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e microcred.completion_event;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may retry events', NULL, NULL);
    END IF;
    SELECT * INTO e FROM microcred.completion_event ce WHERE ce.id = event_id;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('completion event %s does not exist', event_id), NULL,
            'List open ones with: SELECT * FROM microcred.pending_events();');
    END IF;
    RETURN microcred._process_event(event_id, session_user COLLATE "default");
END
$$;
COMMENT ON FUNCTION microcred.event_retry(bigint) IS
    'process a pending or failed completion event again (after a course mapping or learner data was fixed); returns its new state';

CREATE FUNCTION microcred.event_assign_learner(event_id bigint, learner uuid)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e microcred.completion_event;
    s microcred.event_source;
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may assign events to learners', NULL, NULL);
    END IF;
    SELECT * INTO e FROM microcred.completion_event ce WHERE ce.id = event_id;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('completion event %s does not exist', event_id), NULL,
            'List open ones with: SELECT * FROM microcred.pending_events();');
    END IF;
    SELECT * INTO s FROM microcred.event_source es WHERE es.id = e.source_id;
    IF NOT EXISTS (SELECT FROM microcred.learner l WHERE l.id = learner AND l.issuer_id = s.issuer_id AND l.erased_at IS NULL) THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for this event''s awarding body', learner), NULL,
            'Register the learner with microcred.add_learner first.');
    END IF;
    IF e.state NOT IN ('pending', 'failed') THEN
        PERFORM microcred._fail('55000', format('completion event %s is %s, not pending', event_id, e.state), NULL, NULL);
    END IF;
    UPDATE microcred.completion_event ce SET learner_id = learner WHERE ce.id = event_id;
    IF e.user_key IS NOT NULL THEN
        INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
        VALUES (s.issuer_id, learner, 'lms', microcred._event_platform_key(s), e.user_key)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN microcred._process_event(event_id, session_user COLLATE "default");
END
$$;
COMMENT ON FUNCTION microcred.event_assign_learner(bigint, uuid) IS
    'say who a pending event''s user is (also for their later events) and issue; returns the event''s new state';

CREATE VIEW microcred.event_report AS
    SELECT s.name AS source, s.kind, e.state, count(*) AS events,
           min(e.received_at) AS oldest, max(e.received_at) AS newest
      FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id
     WHERE microcred.acts_for(s.issuer_id, current_user)
     GROUP BY s.name, s.kind, e.state;
COMMENT ON VIEW microcred.event_report IS 'completion events by source and state (issued, pending, ignored, failed)';

CREATE FUNCTION microcred.pending_events(older_than interval DEFAULT '1 hour')
RETURNS TABLE (event_id bigint, source text, state text, age interval, reason text,
               course_key text, user_key text, attempts integer)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT e.id, s.name, e.state, now() - e.received_at, e.reason, e.course_key, e.user_key, e.attempts
      FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id
     WHERE e.state IN ('pending', 'failed', 'received') AND e.received_at <= now() - older_than
     ORDER BY e.received_at
$$;
COMMENT ON FUNCTION microcred.pending_events(interval) IS
    'completion events still waiting (pending or failed) longer than older_than: a learner to identify, a mapping to add, an error to fix';
