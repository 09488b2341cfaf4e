/*
 * microcred install script, 97_events.sql: course completion events from LMSs
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
    via             text NOT NULL DEFAULT 'event'
                    CONSTRAINT completion_event_via CHECK (via IN ('event', 'poll')),
    CONSTRAINT completion_event_once UNIQUE (source_id, event_key)
);
CREATE INDEX completion_event_open ON microcred.completion_event (source_id, user_key) WHERE state IN ('pending', 'failed');
COMMENT ON TABLE microcred.completion_event IS
    'every completion event received, once per source key, with what became of it; the email, name and payload are dropped once it is issued or ignored';
COMMENT ON COLUMN microcred.completion_event.via IS
    'event: sent by the LMS; poll: found by the reconciliation poller';

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
