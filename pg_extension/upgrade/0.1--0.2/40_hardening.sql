
-- ---------------------------------------------------------------------------
-- 40_hardening (issue 14): nothing crashes on any argument, only the API is
-- the API, identity linking is explicit, data hygiene.
-- ---------------------------------------------------------------------------

-- the audit log records recognitions and LMS account links
ALTER TABLE microcred.audit_log DROP CONSTRAINT audit_log_action;
ALTER TABLE microcred.audit_log ADD CONSTRAINT audit_log_action CHECK (action IN (
                    'issue', 'revoke', 'suspend', 'reinstate', 'supersede',
                    'key_create', 'key_retire', 'erase', 'recognise', 'link_lms_account'));

-- base_url: a plain https origin and path (http only on loopback)
ALTER TABLE microcred.issuer DROP CONSTRAINT issuer_base_url_https;
ALTER TABLE microcred.issuer ADD CONSTRAINT issuer_base_url_https CHECK (base_url ~ '^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&*+,;=:@-]+)*$');

-- identity linking
ALTER TABLE microcred.lti_platform ADD COLUMN verified_emails boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN microcred.lti_platform.verified_emails IS
    'the platform only sends e-mail addresses it has verified as its user''s: a launch may link an LMS account to the learner with that e-mail (lti_trust_emails)';
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

-- poll results issue only to linked learners unless the admin says otherwise
ALTER TABLE microcred.event_poll ADD COLUMN learners text NOT NULL DEFAULT 'linked'
    CONSTRAINT event_poll_learners CHECK (learners IN ('linked', 'by_email'));
COMMENT ON COLUMN microcred.event_poll.learners IS
    'whom poll results may issue to: ''linked'' (learners already linked to the LMS account; others wait for an admin) or ''by_email'' (also find learners by e-mail and create them from name and e-mail: trusts whoever holds the bridge''s connection string)';

-- Moodle HMAC keys are sealed under the KEK like poll tokens (an update of a
-- database with Moodle sources therefore needs microcred.kek_file set)
UPDATE microcred.event_source SET hmac_key = microcred._seal_secret(convert_from(hmac_key, 'UTF8'), uuid_send(id))
 WHERE kind = 'moodle' AND hmac_key IS NOT NULL;
COMMENT ON COLUMN microcred.event_source.hmac_key IS 'moodle: the key of the body signature, sealed under the KEK (AES-256-GCM bound to the source id) like poll tokens; readable by the extension owner only';

-- functions: the complete 0.2 definitions (new ones with their comments)

CREATE OR REPLACE FUNCTION microcred._fail(code text, message text, detail text DEFAULT NULL, hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- echoed input ("%s" in the texts) is cut to 100 characters, and the
    -- texts to 500: an error never carries a caller's megabytes back
    message := left(regexp_replace(message, '"([^"]{100})[^"]+"', '"\1..."', 'g'), 500);
    detail := left(regexp_replace(detail, '"([^"]{100})[^"]+"', '"\1..."', 'g'), 500);
    IF detail IS NULL AND hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message;
    ELSIF detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, HINT = hint;
    ELSIF hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = detail;
    ELSE
        RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message, DETAIL = detail, HINT = hint;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION microcred._not_null(element text, value anyelement)
RETURNS anyelement
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = format('%s must not be NULL', element),
            HINT = 'Pass a value; NULL has no meaning here.';
    END IF;
    RETURN value;
END
$$;
COMMENT ON FUNCTION microcred._not_null(text, anyelement) IS
    'internal: the value, or an error naming the element when it is NULL';

CREATE OR REPLACE FUNCTION microcred.add_issuer(
    legal_name  text,
    country     text,
    handle      text,
    region      text DEFAULT NULL,
    url         text DEFAULT NULL,
    email       text DEFAULT NULL,
    phone       text DEFAULT NULL,
    base_url    text DEFAULT NULL,
    public_id   text DEFAULT NULL,
    identifiers jsonb DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id  uuid := gen_random_uuid();
    ident   record;
BEGIN
    legal_name := microcred._required_text('legal name of the awarding body', legal_name,
        'Give the awarding body''s registered legal name.');
    country := microcred._check_country(country);
    IF handle IS NULL OR handle !~ '^[a-z0-9][a-z0-9-]{0,62}$' THEN
        PERFORM microcred._fail('22023', 'handle of the awarding body must be lower-case letters, digits and hyphens',
            format('The value given was %s.', coalesce('"' || handle || '"', 'NULL')),
            'Use a short name such as ''tu-example'' (at most 63 characters); it appears in URLs.');
    END IF;
    IF url IS NOT NULL AND url !~ '^https?://' THEN
        PERFORM microcred._fail('22023', 'URL of the awarding body must start with https:// or http://',
            format('The value given was "%s".', url), NULL);
    END IF;
    -- it prefixes every id we sign and serve: a plain https origin and path
    -- (http only on loopback, for demos), nothing to quote or escape
    IF base_url IS NOT NULL AND base_url !~ '^(https://[A-Za-z0-9.-]+|http://(127\.0\.0\.1|localhost))(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&*+,;=:@-]+)*$' THEN
        PERFORM microcred._fail('22023', 'public base URL must be a plain https origin and path without a trailing slash',
            format('The value given was "%s".', left(base_url, 100)),
            'For example ''https://credentials.example.eu''; no quotes, spaces, angle brackets, query or fragment (http only for 127.0.0.1 or localhost).');
    END IF;
    public_id := coalesce(public_id,
                          base_url || '/issuers/' || handle,
                          'urn:uuid:' || new_id::text);
    IF public_id !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' THEN
        PERFORM microcred._fail('22023', 'public id of the awarding body must be a URI',
            format('The value given was "%s".', public_id),
            'Use the https URL at which the issuer profile is served, or a DID.');
    END IF;
    IF identifiers IS NOT NULL AND jsonb_typeof(identifiers) <> 'object' THEN
        PERFORM microcred._fail('22023', 'legal identifiers of the awarding body must be a JSON object',
            NULL, 'For example ''{"vat": "DE123456789", "euid": "DEB1234.HRB5678"}''.');
    END IF;

    INSERT INTO microcred.issuer (id, handle, legal_name, country, region, url, email, phone, public_id, base_url)
    VALUES (new_id, add_issuer.handle, add_issuer.legal_name, add_issuer.country, add_issuer.region,
            add_issuer.url, add_issuer.email, add_issuer.phone, add_issuer.public_id, add_issuer.base_url);

    FOR ident IN SELECT key, value FROM jsonb_each_text(coalesce(identifiers, '{}')) LOOP
        PERFORM microcred.add_issuer_identifier(new_id::text, ident.key, ident.value);
    END LOOP;
    RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION microcred._caller()
RETURNS name
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;
COMMENT ON FUNCTION microcred._caller() IS
    'internal: the calling role of a SECURITY DEFINER API function (SET ROLE, else the session user)';

CREATE OR REPLACE FUNCTION microcred.generate_key(issuer text, algorithm text DEFAULT 'Ed25519')
RETURNS uuid
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._generate_key(issuer, algorithm, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.retire_key(key_id uuid)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._retire_key(key_id, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.to_nquads(doc jsonb)
RETURNS text
LANGUAGE C STRICT STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_to_nquads';

CREATE OR REPLACE FUNCTION microcred.canonicalize(doc jsonb, algorithm text DEFAULT 'jcs')
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_canonicalize';

CREATE OR REPLACE FUNCTION microcred.canonicalize(doc text, algorithm text DEFAULT 'jcs')
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'microcred_canonicalize_text';

CREATE OR REPLACE FUNCTION microcred.issue(credential_type text, learner uuid, grade text DEFAULT NULL,
                                evidence jsonb DEFAULT NULL, issued_at timestamptz DEFAULT now(),
                                idempotency_key text DEFAULT NULL)
RETURNS uuid
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._issue(credential_type, learner, grade, evidence, issued_at, idempotency_key, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.document(credential uuid, format text DEFAULT 'data-integrity', algorithm text DEFAULT NULL)
RETURNS text
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._document(credential, format, algorithm, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred._status_encode(size integer, set_indexes integer[])
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_encode';

CREATE OR REPLACE FUNCTION microcred._status_check(entry jsonb, list_credential jsonb, OUT is_set boolean, OUT problem text)
RETURNS record
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_check';

CREATE OR REPLACE FUNCTION microcred.revoke(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'revoke', reason, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.revoke_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'revoke', reason, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.suspend(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'suspend', reason, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.suspend_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'suspend', reason, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.reinstate(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'reinstate', reason, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.reinstate_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'reinstate', reason, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.supersede(credential uuid, grade text DEFAULT NULL, evidence jsonb DEFAULT NULL,
                                    reason text DEFAULT 'corrected')
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._supersede(credential, grade, evidence, reason, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred._erase_learner(learner uuid, reason text, actor name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
BEGIN
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner FOR UPDATE;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    IF l.erased_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', 'learner was already erased', format('Learner %s was erased at %s.', learner, l.erased_at), NULL);
    END IF;
    -- every copy: completion events that name the learner (by learner, e-mail,
    -- student id or LMS account) lose user, e-mail, name and payload, and a
    -- key that contains them is replaced by its hash; open ones are closed
    UPDATE microcred.completion_event e
       SET user_key = NULL, user_email = NULL, user_name = NULL, payload = NULL,
           event_key = CASE WHEN (l.email IS NOT NULL AND strpos(lower(e.event_key), lower(l.email)) > 0)
                              OR (l.student_id IS NOT NULL AND strpos(e.event_key, l.student_id) > 0)
                              OR (e.user_key IS NOT NULL AND strpos(e.event_key, e.user_key) > 0)
                            THEN 'erased:' || encode(sha256(convert_to(e.event_key, 'UTF8')), 'hex')
                            ELSE e.event_key END,
           state = CASE WHEN e.state IN ('received', 'pending', 'failed') THEN 'ignored' ELSE e.state END,
           reason = CASE WHEN e.state IN ('received', 'pending', 'failed') THEN 'the learner''s personal data were erased'
                         ELSE e.reason END
     WHERE e.source_id IN (SELECT s.id FROM microcred.event_source s WHERE s.issuer_id = l.issuer_id)
       AND (e.learner_id = l.id
            OR lower(e.user_email) = lower(l.email) OR lower(e.user_key) = lower(l.email)
            OR e.user_key = l.student_id
            OR e.user_key IN (SELECT li.value FROM microcred.learner_identifier li
                               WHERE li.learner_id = l.id AND li.kind = 'lms'));
    DELETE FROM microcred.lti_link_request r
     WHERE lower(r.email) = lower(l.email)
       AND r.platform_id IN (SELECT p.id FROM microcred.lti_platform p WHERE p.issuer_id = l.issuer_id);
    DELETE FROM microcred.lti_account_link a WHERE a.learner_id = l.id;
    UPDATE microcred.learner lr SET given_name = NULL, family_name = NULL, email = NULL, student_id = NULL,
           date_of_birth = NULL, holder_did = NULL, name_in_credential = false, erased_at = now()
     WHERE lr.id = l.id;
    DELETE FROM microcred.learner_identifier li WHERE li.learner_id = l.id;
    -- stored documents that name the learner go; their ids and status bits stay
    UPDATE microcred.issued_credential c SET document = NULL
     WHERE c.learner_id = l.id AND c.document IS NOT NULL
       AND jsonb_path_exists(c.document, '$.credentialSubject.identifier[*] ? (@.hashed == false)');
    DELETE FROM microcred.credential_envelope e
     WHERE e.credential_id IN (SELECT c.id FROM microcred.issued_credential c WHERE c.learner_id = l.id);
    PERFORM microcred._audit(l.issuer_id, 'erase', l.id, coalesce(reason, 'erasure requested'), '{}', actor);
END
$$;

CREATE OR REPLACE FUNCTION microcred.erase_learner(learner uuid, reason text DEFAULT 'erasure requested')
RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._erase_learner(learner, reason, microcred._caller() COLLATE "default") $$;

-- verify, verify(text) and verify_jwt become SECURITY DEFINER with a NULL
-- check: their final definitions come with 99_replay.sql (20_verify_trust.sql
-- changed their signatures)

CREATE OR REPLACE FUNCTION microcred.set_pathway_rule(pathway uuid, rule jsonb)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway;
BEGIN
    SELECT * INTO p FROM microcred.pathway pw WHERE pw.id = set_pathway_rule.pathway;
    IF p.id IS NULL THEN
        PERFORM microcred._fail('42704', format('pathway %s does not exist', set_pathway_rule.pathway), NULL, NULL);
    END IF;
    DELETE FROM microcred.pathway_node n WHERE n.pathway_id = p.id;
    PERFORM microcred._store_rule(p, rule, NULL, 1, 0);
    PERFORM microcred._check_pathway_cycles(p.issuer_id);
END
$$;

CREATE OR REPLACE FUNCTION microcred.recognise(learner uuid, credential jsonb, status_lists jsonb[] DEFAULT NULL)
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._recognise(learner, credential, status_lists, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.recognise_prior_learning(learner uuid, title text, assessment_reference text,
                                                   achievement_id text DEFAULT NULL, alignments text[] DEFAULT '{}',
                                                   ects numeric DEFAULT NULL, eqf_level integer DEFAULT NULL,
                                                   grade text DEFAULT NULL, earned_at timestamptz DEFAULT now())
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
    new_id  uuid;
    actor   name := microcred._caller();
BEGIN
    -- SECURITY DEFINER (nobody but the owner writes recognition): the
    -- caller's own rights are checked here, and who recognised what when is
    -- not the caller's to choose
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner;
    IF l.id IS NULL OR NOT microcred.acts_for(l.issuer_id, actor) THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    IF earned_at IS NULL OR earned_at > now() THEN
        PERFORM microcred._fail('22007', 'earned_at must be a time in the past', NULL,
            'Give when the prior learning was achieved (default: now).');
    END IF;
    INSERT INTO microcred.recognition (issuer_id, learner_id, kind, title, achievement_id, alignments, ects,
                                       eqf_level, grade, earned_at, assessment_reference,
                                       recognised_by, recognised_at)
    VALUES (l.issuer_id, l.id, 'prior_learning',
            microcred._required_text('title of the recognised prior learning', title, 'Say what was recognised.'),
            achievement_id, coalesce(alignments, '{}'), microcred._check_ects(ects), microcred._check_eqf_level(eqf_level),
            grade, earned_at,
            microcred._required_text('assessment reference', assessment_reference,
                'Name the assessment that validated the prior learning (e.g. the RPL procedure''s case number).'),
            actor, now())
    RETURNING id INTO new_id;
    PERFORM microcred._audit(l.issuer_id, 'recognise', l.id, NULL,
                             jsonb_build_object('recognition', new_id, 'kind', 'prior_learning'), actor);
    RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION microcred.stack_check(learner uuid, pathway text)
RETURNS microcred.stack_result LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._stack_check_as(learner, pathway, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.stack_eligible(pathway text)
RETURNS TABLE (learner uuid, ects_total numeric) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM microcred._stack_eligible_as(pathway, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.stack_issue(learner uuid, pathway text)
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._stack_issue(learner, pathway, microcred._caller() COLLATE "default") $$;

CREATE OR REPLACE FUNCTION microcred.pathway_progress_of(pathway uuid, learner uuid,
                                              OUT satisfied boolean, OUT percent numeric,
                                              OUT missing jsonb, OUT ects_total numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.satisfied,
           round(100.0 * jsonb_array_length(jsonb_path_query_array(r.components, '$[*] ? (@.met == true)'))
                 / greatest(jsonb_array_length(r.components), 1)),
           jsonb_path_query_array(r.components, '$[*] ? (@.met == false).component'),
           r.ects_total
      FROM microcred.pathway p CROSS JOIN LATERAL microcred._stack_check(p, pathway_progress_of.learner) r
     WHERE p.id OPERATOR(pg_catalog.=) pathway_progress_of.pathway
$$;
COMMENT ON FUNCTION microcred.pathway_progress_of(uuid, uuid) IS
    'progress of one learner towards one pathway as the pathway_progress view shows it (satisfied, percent of components met, the missing ones, ECTS counted)';

CREATE OR REPLACE FUNCTION microcred.lti_trust_emails(platform uuid, trust boolean DEFAULT true)
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

CREATE OR REPLACE FUNCTION microcred._lti_link(p microcred.lti_platform, sub text, learner uuid, how text, actor name)
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

CREATE OR REPLACE FUNCTION microcred.lti_link_account(platform uuid, sub text, learner uuid)
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

CREATE OR REPLACE FUNCTION microcred.lti_launch_view(platform uuid, context_id text, credential_type text,
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
        'credential', jsonb_build_object('id', c.id, 'url', c.url, 'status', c.status,
            'issued_at', to_char(c.issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
            'issued_year', extract(year FROM c.issued_at AT TIME ZONE 'UTC')::integer,
            'issued_month', extract(month FROM c.issued_at AT TIME ZONE 'UTC')::integer));
END
$$;

CREATE OR REPLACE FUNCTION microcred.event_source_add(issuer text, kind text, name text, platform uuid DEFAULT NULL,
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
    INSERT INTO microcred.issuer_role (issuer_id, role_name) VALUES (iss, 'microcred_bridge')
    ON CONFLICT DO NOTHING;
END
$$;

CREATE OR REPLACE FUNCTION microcred.ingest_moodle(source text, body text, signature text,
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

CREATE OR REPLACE FUNCTION microcred.event_poll_policy(source text, learners text)
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

CREATE OR REPLACE FUNCTION microcred.ingest_poll(source uuid, course_key text, user_key text, email text, name text,
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

-- the progress view calls pathway_progress_of, not _stack_check
CREATE OR REPLACE VIEW microcred.pathway_progress AS
SELECT p.id AS pathway_id, i.handle || '/' || p.code AS pathway, l.learner_id, r.satisfied,
       r.percent, r.missing, r.ects_total
  FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id
  JOIN LATERAL (SELECT DISTINCT c.learner_id FROM microcred.issued_credential c
                 WHERE c.issuer_id = p.issuer_id AND c.status = 'active'
                   AND c.credential_type_id IN (SELECT n.credential_type_id FROM microcred.pathway_node n
                                                 WHERE n.pathway_id = p.id)
                UNION
                SELECT rc.learner_id FROM microcred.recognition rc WHERE rc.issuer_id = p.issuer_id) l ON true
  CROSS JOIN LATERAL microcred.pathway_progress_of(p.id, l.learner_id) r
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');

-- backups: the tables this part adds hold user data (99_backup.sql does this
-- for a fresh install; 10_operability.sql ran before they existed)
SELECT pg_catalog.pg_extension_config_dump('microcred.lti_account_link', '');
SELECT pg_catalog.pg_extension_config_dump('microcred.lti_link_request', '');

-- privileges: no role but the owner executes an internal function or writes
-- an internal table (tests/t/privileges.sh holds the allow-list)
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
    microcred._generate_key(text, text, name), microcred._retire_key(uuid, name),
    microcred._issue(text, uuid, text, jsonb, timestamptz, text, name, timestamptz, uuid, numeric),
    microcred._document(uuid, text, text, name),
    microcred._verify_document(jsonb, jsonb[]), microcred._verify_text(text, jsonb[]), microcred._verify_token(text, jsonb[]),
    microcred._register_context(text, jsonb, name),
    microcred._lookup_key(text, text), microcred._context_document(text),
    microcred._set_status(uuid[], text, text, name), microcred._supersede(uuid, text, jsonb, text, name),
    microcred._erase_learner(uuid, text, name),
    microcred._with_status(microcred.verification, jsonb[], jsonb[]), microcred._status_check(jsonb, jsonb),
    microcred._stack_check(microcred.pathway, uuid),
    microcred._recognise(uuid, jsonb, jsonb[], name), microcred._stack_check_as(uuid, text, name),
    microcred._stack_eligible_as(text, name), microcred._stack_issue(uuid, text, name)
    FROM microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;
REVOKE EXECUTE ON FUNCTION microcred._resolve_issuer(text), microcred._fail(text, text, text, text)
    FROM microcred_verifier;
REVOKE INSERT ON microcred.recognition FROM microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.pathway_progress_of(uuid, uuid) TO microcred_admin, microcred_reader;
GRANT EXECUTE ON FUNCTION microcred.lti_trust_emails(uuid, boolean), microcred.lti_link_account(uuid, text, uuid)
    TO microcred_admin;
GRANT SELECT ON microcred.lti_account_link, microcred.lti_link_request TO microcred_admin;
GRANT SELECT (learners) ON microcred.event_poll TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.event_poll_policy(text, text) TO microcred_admin;
