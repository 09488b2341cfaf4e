/*
 * microcred install script, part 12: course completion events from LMSs
 * (xAPI statements, Canvas Live Events, Moodle events), issued exactly once.
 *
 * Every event is stored under its source's unique key with INSERT ... ON
 * CONFLICT DO NOTHING and processed in the same transaction: the course
 * mapping gives the credential type(s), the learner is found (or made, or
 * the event waits as pending), and microcred's issue path runs with the
 * event's key as idempotency key, under a lock per learner and type so
 * that concurrent events cannot both issue.  The bridge answers the sender
 * only after this transaction committed; a retry of the same event finds
 * its row and changes nothing.
 *
 * Source secrets stay here: an xAPI password is kept as the HMAC-SHA256 of
 * it under a random salt; a Moodle site's HMAC key is readable by the
 * extension owner only.  Both are generated here and shown once.
 */

CREATE FUNCTION microcred._hmac_sha256(key bytea, data bytea)
RETURNS bytea
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_hmac_sha256';
COMMENT ON FUNCTION microcred._hmac_sha256(bytea, bytea) IS 'internal: HMAC-SHA256';

CREATE FUNCTION microcred._equal_ct(a bytea, b bytea)
RETURNS boolean
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_equal_ct';
COMMENT ON FUNCTION microcred._equal_ct(bytea, bytea) IS 'internal: byte strings equal, compared in constant time';

CREATE TABLE microcred.event_source (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id       uuid NOT NULL REFERENCES microcred.issuer (id),
    kind            text NOT NULL CONSTRAINT event_source_kind CHECK (kind IN ('xapi', 'canvas', 'moodle')),
    name            text NOT NULL UNIQUE
                    CONSTRAINT event_source_name_format CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    platform_id     uuid REFERENCES microcred.lti_platform (id) ON DELETE SET NULL,
    canvas_account  text,
    jwks_url        text,
    secret_salt     bytea,
    secret_hash     bytea,
    hmac_key        bytea,
    created_at      timestamptz NOT NULL DEFAULT now(),
    disabled_at     timestamptz,
    CONSTRAINT event_source_canvas_complete
        CHECK (kind <> 'canvas' OR (canvas_account IS NOT NULL AND jwks_url IS NOT NULL))
);
CREATE UNIQUE INDEX event_source_canvas_account ON microcred.event_source (canvas_account) WHERE kind = 'canvas';
COMMENT ON TABLE microcred.event_source IS
    'senders of course completion events: an LRS client (xapi), a Canvas Live Events subscription (canvas) or a Moodle site (moodle)';
COMMENT ON COLUMN microcred.event_source.platform_id IS
    'the LTI platform whose course mappings and learner ids the events use';
COMMENT ON COLUMN microcred.event_source.secret_hash IS 'xapi: HMAC-SHA256 of the password under secret_salt';
COMMENT ON COLUMN microcred.event_source.hmac_key IS 'moodle: the key of the body signature, sealed under the KEK (AES-256-GCM bound to the source id) like poll tokens; readable by the extension owner only';

CREATE TABLE microcred.completion_event (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_id       uuid NOT NULL REFERENCES microcred.event_source (id),
    event_key       text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    state           text NOT NULL DEFAULT 'received'
                    CONSTRAINT completion_event_state CHECK (state IN ('received', 'issued', 'pending', 'ignored', 'failed')),
    reason          text,
    course_key      text,
    user_key        text,
    user_email      text,
    user_name       text,
    completed_at    timestamptz,
    learner_id      uuid,
    credential_ids  uuid[],
    attempts        integer NOT NULL DEFAULT 0,
    processed_at    timestamptz,
    payload         jsonb,
    CONSTRAINT completion_event_once UNIQUE (source_id, event_key)
);
CREATE INDEX completion_event_open ON microcred.completion_event (source_id, user_key) WHERE state IN ('pending', 'failed');
COMMENT ON TABLE microcred.completion_event IS
    'every completion event received, once per source key, with what became of it; the email, name and payload are dropped once it is issued or ignored';

-- a source by id, with its platform issuer (the learner_identifier platform of its users)
CREATE FUNCTION microcred._event_platform_key(s microcred.event_source)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT p.platform_issuer FROM microcred.lti_platform p WHERE p.id = s.platform_id),
                    'source:' || s.name)
$$;

CREATE FUNCTION microcred.event_source_add(issuer text, kind text, name text, platform uuid DEFAULT NULL,
                                           canvas_account text DEFAULT NULL, jwks_url text DEFAULT NULL,
                                           OUT source_id uuid, OUT secret text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss  uuid := microcred._resolve_issuer(issuer);
    salt bytea;
    sid  uuid := gen_random_uuid();
BEGIN
    IF NOT pg_has_role(session_user, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may add event sources', NULL,
            'Grant microcred_admin to the role that manages LMS connections.');
    END IF;
    IF kind IS NULL OR kind NOT IN ('xapi', 'canvas', 'moodle') THEN
        PERFORM microcred._fail('22023', format('kind "%s" is not an event source kind', kind), NULL,
            'Use ''xapi'' (an LRS client such as Moodle''s logstore_xapi), ''canvas'' (Canvas Live Events) or ''moodle'' (a Moodle event webhook).');
    END IF;
    IF name IS NULL OR name !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' THEN
        PERFORM microcred._fail('22023', format('name "%s" is not a valid source name', name), NULL,
            'Letters, digits, dot, dash and underscore, up to 64; it is the xAPI user name and the X-Microcred-Source header value.');
    END IF;
    IF EXISTS (SELECT FROM microcred.event_source s WHERE s.name = event_source_add.name) THEN
        PERFORM microcred._fail('23505', format('event source "%s" already exists', name), NULL,
            'Choose another name, or remove the old source first.');
    END IF;
    IF platform IS NOT NULL AND NOT EXISTS (SELECT FROM microcred.lti_platform p WHERE p.id = platform AND p.issuer_id = iss) THEN
        PERFORM microcred._fail('42704', format('LTI platform %s does not exist for this awarding body', platform), NULL,
            'List them with: SELECT id, name, platform_issuer FROM microcred.lti_platform;');
    END IF;
    IF kind = 'canvas' THEN
        IF canvas_account IS NULL OR btrim(canvas_account) = '' THEN
            PERFORM microcred._fail('23502', 'canvas_account is required for a Canvas source', NULL,
                'The root account uuid (or id) that Canvas puts in metadata.root_account_uuid of each event.');
        END IF;
        PERFORM microcred._lti_check_url('jwks_url', jwks_url, true);
    ELSIF canvas_account IS NOT NULL OR jwks_url IS NOT NULL THEN
        PERFORM microcred._fail('22023', 'canvas_account and jwks_url are for Canvas sources only', NULL, NULL);
    END IF;
    IF platform IS NULL THEN
        RAISE WARNING 'event source "%" has no LTI platform: its courses cannot be mapped until one is set', name
            USING HINT = 'UPDATE microcred.event_source SET platform_id = ... WHERE name = ...; course mappings are per platform (microcred.lti_map_course).';
    END IF;
    IF kind <> 'canvas' THEN
        secret := microcred._random_token();
    END IF;
    IF kind = 'xapi' THEN
        salt := microcred._random_bytes(16);
    END IF;
    -- the Moodle key must be used, not only compared: sealed like poll tokens
    INSERT INTO microcred.event_source (id, issuer_id, kind, name, platform_id, canvas_account, jwks_url,
                                        secret_salt, secret_hash, hmac_key)
    VALUES (sid, iss, kind, name, platform, canvas_account, jwks_url, salt,
            CASE WHEN kind = 'xapi' THEN microcred._hmac_sha256(salt, convert_to(secret, 'UTF8')) END,
            CASE WHEN kind = 'moodle' THEN microcred._seal_secret(secret, uuid_send(sid)) END)
    RETURNING id INTO source_id;
    -- the bridge issues for this awarding body when its events say so
    INSERT INTO microcred.issuer_role (issuer_id, role) VALUES (iss, 'microcred_bridge'::regrole)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.event_source_add(text, text, text, uuid, text, text) IS
    'add a sender of completion events; returns the secret once (xAPI password or Moodle HMAC key)';

/*
 * Process a stored event: mapping, learner, issue.  Returns the new state.
 * Issuing failures are kept on the event (failed, with the reason) rather
 * than raised, so that the event itself is never lost.
 */
CREATE FUNCTION microcred._process_event(event_id bigint, actor name)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e       microcred.completion_event;
    s       microcred.event_source;
    pf_key  text;
    types   uuid[];
    lid     uuid;
    t       uuid;
    cids    uuid[] := '{}';
    given   text;
    family  text;
    r       record;
    by_key  boolean := false;
BEGIN
    SELECT * INTO e FROM microcred.completion_event ce WHERE ce.id = event_id FOR UPDATE;
    -- the source, and the platform key its users' LMS ids are linked under
    SELECT es AS src, coalesce(p.platform_issuer, 'source:' || es.name) AS pf INTO r
      FROM microcred.event_source es LEFT JOIN microcred.lti_platform p ON p.id = es.platform_id
     WHERE es.id = e.source_id;
    s := r.src;
    pf_key := r.pf;
    -- done, or not a completion; a completion of a course that had no mapping
    -- is processed again (event_retry once the course is mapped)
    IF e.state = 'issued' OR (e.state = 'ignored' AND e.reason IS DISTINCT FROM 'no_mapping') THEN
        RETURN e.state;
    END IF;
    types := ARRAY(SELECT m.credential_type_id FROM microcred.lti_course_mapping m
                    WHERE m.platform_id = s.platform_id AND m.context_id = e.course_key
                    ORDER BY m.created_at, m.credential_type_id);
    IF cardinality(types) = 0 THEN
        UPDATE microcred.completion_event ce
           SET state = 'ignored', reason = 'no_mapping', processed_at = now(), attempts = ce.attempts + 1,
               user_email = NULL, user_name = NULL, payload = NULL
         WHERE ce.id = e.id;
        RETURN 'ignored';
    END IF;
    IF e.learner_id IS NOT NULL THEN
        lid := e.learner_id;
    ELSE
        -- by LMS id, else by e-mail (one query)
        SELECT x.id, x.by_key INTO lid, by_key FROM (
            SELECT li.learner_id AS id, true AS by_key, 1 AS pri FROM microcred.learner_identifier li
             WHERE e.user_key IS NOT NULL AND li.issuer_id = s.issuer_id AND li.kind = 'lms'
               AND li.platform = pf_key AND li.value = e.user_key
            UNION ALL
            SELECT l.id, false, 2 FROM microcred.learner l
             WHERE e.user_email IS NOT NULL AND l.issuer_id = s.issuer_id
               AND lower(l.email) = lower(e.user_email) AND l.erased_at IS NULL) x
         ORDER BY x.pri LIMIT 1;
    END IF;
    IF lid IS NULL AND e.user_email IS NOT NULL AND e.user_name IS NOT NULL
       AND e.user_email ~ '^[^@\s]+@[^@\s]+$' THEN
        -- a new learner from the LMS's data (concurrent events for the same person meet on the email index)
        given := CASE WHEN position(' ' IN btrim(e.user_name)) > 0
                      THEN regexp_replace(btrim(e.user_name), '\s+\S+$', '') ELSE btrim(e.user_name) END;
        family := CASE WHEN position(' ' IN btrim(e.user_name)) > 0
                       THEN regexp_replace(btrim(e.user_name), '^.*\s', '') END;
        INSERT INTO microcred.learner (issuer_id, given_name, family_name, email)
        VALUES (s.issuer_id, given, family, e.user_email)
        ON CONFLICT (issuer_id, lower(email)) WHERE email IS NOT NULL DO NOTHING
        RETURNING id INTO lid;
        IF lid IS NULL THEN
            SELECT l.id INTO lid FROM microcred.learner l
             WHERE l.issuer_id = s.issuer_id AND lower(l.email) = lower(e.user_email);
        END IF;
    END IF;
    IF lid IS NULL THEN
        UPDATE microcred.completion_event ce
           SET state = 'pending', reason = CASE WHEN e.user_email IS NULL THEN 'unknown_learner_no_email'
                                                ELSE 'unknown_learner_no_name' END,
               attempts = ce.attempts + 1
         WHERE ce.id = e.id;
        RETURN 'pending';
    END IF;
    IF e.user_key IS NOT NULL AND NOT coalesce(by_key, false) THEN
        INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
        VALUES (s.issuer_id, lid, 'lms', pf_key, e.user_key)
        ON CONFLICT DO NOTHING;
    END IF;
    BEGIN
        FOREACH t IN ARRAY types LOOP
            -- one issue at a time per learner and type: microcred.issue returns the existing credential
            PERFORM pg_advisory_xact_lock(hashtextextended(t::text || '/' || lid::text, 0));
            cids := cids || microcred._issue(t::text, lid, NULL, NULL, now(),
                        'event:' || s.name || ':' || e.event_key
                            || CASE WHEN cardinality(types) > 1 THEN ':' || t::text ELSE '' END,
                        actor, awarded_date => coalesce(e.completed_at, now()));
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        UPDATE microcred.completion_event ce
           SET state = 'failed', reason = left(SQLSTATE || ': ' || SQLERRM, 300), learner_id = lid,
               attempts = ce.attempts + 1
         WHERE ce.id = e.id;
        RETURN 'failed';
    END;
    UPDATE microcred.completion_event ce
       SET state = 'issued', reason = NULL, learner_id = lid, credential_ids = cids, processed_at = now(),
           attempts = ce.attempts + 1, user_email = NULL, user_name = NULL, payload = NULL
     WHERE ce.id = e.id;
    RETURN 'issued';
END
$$;

/*
 * Store an event once and process it.  A second arrival of the same key
 * (a retry, a duplicate delivery) changes nothing and says so.
 */
CREATE FUNCTION microcred._ingest(s microcred.event_source, event_key text, ignore_reason text,
                                  course_key text, user_key text, email text, name text,
                                  completed_at timestamptz, payload jsonb,
                                  OUT event_id bigint, OUT state text, OUT duplicate boolean)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF event_key IS NULL OR event_key = '' THEN
        PERFORM microcred._fail('23502', 'the event has no key', NULL,
            'xAPI statements need an id, Canvas events a course and user, Moodle events an objectid.');
    END IF;
    INSERT INTO microcred.completion_event (source_id, event_key, course_key, user_key, user_email, user_name,
                                            completed_at, payload)
    VALUES (s.id, event_key, course_key, user_key,
            CASE WHEN ignore_reason IS NULL THEN nullif(btrim(email), '') END,
            CASE WHEN ignore_reason IS NULL THEN nullif(btrim(name), '') END,
            completed_at, CASE WHEN ignore_reason IS NULL THEN payload END)
    ON CONFLICT ON CONSTRAINT completion_event_once DO NOTHING
    RETURNING id INTO event_id;
    IF event_id IS NULL THEN
        SELECT ce.id, ce.state INTO event_id, state FROM microcred.completion_event ce
         WHERE ce.source_id = s.id AND ce.event_key = _ingest.event_key;
        duplicate := true;
        RETURN;
    END IF;
    duplicate := false;
    IF ignore_reason IS NOT NULL THEN
        UPDATE microcred.completion_event ce SET state = 'ignored', reason = ignore_reason, processed_at = now()
         WHERE ce.id = event_id;
        state := 'ignored';
        RETURN;
    END IF;
    state := microcred._process_event(event_id, 'microcred_bridge'::name COLLATE "default");
END
$$;

-- a timestamp from an event, or NULL when it does not parse
CREATE FUNCTION microcred._event_time(t text)
RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF t IS NULL OR t !~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d' THEN
        RETURN NULL;
    END IF;
    RETURN t::timestamptz;
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;

CREATE FUNCTION microcred._event_source(kind text, name text)
RETURNS microcred.event_source
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s microcred.event_source;
BEGIN
    SELECT * INTO s FROM microcred.event_source es
     WHERE es.kind = _event_source.kind AND es.name = _event_source.name AND es.disabled_at IS NULL;
    RETURN s;
END
$$;

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

-- reconciliation: polling the LMS for completions that never arrived ---------

ALTER TABLE microcred.completion_event ADD COLUMN via text NOT NULL DEFAULT 'event'
    CONSTRAINT completion_event_via CHECK (via IN ('event', 'poll'));
COMMENT ON COLUMN microcred.completion_event.via IS
    'event: sent by the LMS; poll: found by the reconciliation poller';

CREATE FUNCTION microcred._seal_secret(secret text, aad bytea)
RETURNS bytea
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_seal_secret';
COMMENT ON FUNCTION microcred._seal_secret(text, bytea) IS 'internal: AES-256-GCM under the KEK, bound to aad';
CREATE FUNCTION microcred._unseal_secret(sealed bytea, aad bytea)
RETURNS text
LANGUAGE C STRICT VOLATILE
AS 'MODULE_PATHNAME', 'microcred_unseal_secret';
COMMENT ON FUNCTION microcred._unseal_secret(bytea, bytea) IS 'internal: open a _seal_secret blob';

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
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE microcred.event_poll IS
    'reconciliation: which LMS API the bridge polls for an event source''s completions (the token sealed under the KEK)';
-- Poll results come through the bridge's database role, which could invent
-- them: by default they only issue to learners already linked to the LMS
-- account (by a launch or an admin) and otherwise wait as pending events.
ALTER TABLE microcred.event_poll ADD COLUMN learners text NOT NULL DEFAULT 'linked'
    CONSTRAINT event_poll_learners CHECK (learners IN ('linked', 'by_email'));
COMMENT ON COLUMN microcred.event_poll.learners IS
    'whom poll results may issue to: ''linked'' (learners already linked to the LMS account; others wait for an admin) or ''by_email'' (also find learners by e-mail and create them from name and e-mail: trusts whoever holds the bridge''s connection string)';

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
