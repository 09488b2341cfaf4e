/*
 * 0.1 -> 0.2, Open Badges 3.0 conformance (issue 13, items 3, 4 and the xAPI
 * course bullet of item 7):
 * - microcred.ob3_check(jsonb): the OB 3.0 structure check (verify runs it
 *   as its ob3_structure check; issuing refuses a document that fails it);
 * - credential_type.suspendable: credentials get ONE credentialStatus object
 *   (revocation) unless their type opted into suspension (a second entry);
 *   define_credential(..., suspendable) and suspend()'s error for credentials
 *   without a suspension entry.  Existing types become non-suspendable (the
 *   new default); credentials already issued keep their two entries and
 *   stay suspendable (their status_entry rows are unchanged);
 * - ingest_xapi accepts "completed" on http://adlnet.gov/expapi/activities/course;
 * - a credential type's achievement_type must be an OB 3.0 AchievementType term
 *   or an ext: term (it was any capitalised word, which issuing now refuses);
 * - _document_part_drop runs as the owner (an admin's define_credential failed).
 */

ALTER TABLE microcred.credential_type ADD COLUMN suspendable boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN microcred.credential_type.suspendable IS
    'credentials of this type issued from now on can be suspended: they carry a second credentialStatus entry (suspension), which leaves Open Badges 3.0''s credentialStatus 0..1; by default only revocation';

CREATE FUNCTION microcred.ob3_check(credential jsonb)
RETURNS jsonb
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_ob3_check';
COMMENT ON FUNCTION microcred.ob3_check(jsonb) IS
    'the Open Badges 3.0 structure of a credential: {applies, conforms, errors, warnings, findings: [{severity, pointer, message}]}, each finding at its JSON pointer (verify''s ob3_structure check)';

REVOKE ALL ON FUNCTION microcred.ob3_check(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.ob3_check(jsonb) TO microcred_admin, microcred_issuer, microcred_verifier;

-- an admin's define_credential inserts learning outcomes, whose trigger drops the
-- owner's document_part cache entry: the trigger runs as the owner
ALTER FUNCTION microcred._document_part_drop() SECURITY DEFINER;

-- achievementType: the OB 3.0 vocabulary or an ext: term, checked when a type is defined
CREATE OR REPLACE FUNCTION microcred._credential_type_check()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.title := microcred._required_text('title of the micro-credential', NEW.title,
        'Give the title learners and employers will see, e.g. ''Data Protection for Nurses''.');
    NEW.description := microcred._required_text('description of the micro-credential', NEW.description,
        'Describe in a sentence or two what the learner did and can now do; Open Badges 3.0 requires it.');
    IF NEW.ects IS NULL AND NEW.workload_hours IS NULL THEN
        PERFORM microcred._fail('23502', 'notional workload is required',
            'Neither ECTS credits nor workload hours were given.',
            'Give ects (e.g. 2.5) or, where ECTS does not apply, workload_hours.');
    END IF;
    IF NEW.eqf_level IS NULL AND NEW.qf_ehea_cycle IS NULL THEN
        PERFORM microcred._fail('23502', 'level of the micro-credential is required',
            'Neither an EQF level nor a QF-EHEA cycle was given.',
            'Give eqf_level (1 to 8) and, for higher education, qf_ehea_cycle (short, first, second, third).');
    END IF;
    IF NEW.assessment IS NULL OR cardinality(NEW.assessment) = 0
       OR array_position(NEW.assessment, NULL) IS NOT NULL THEN
        PERFORM microcred._fail('23502', 'type of assessment is required',
            'No assessment type was given.',
            'Give one or more of: ' || array_to_string(enum_range(NULL::microcred.assessment_type), ', ') || '.');
    END IF;
    IF NEW.quality_assurance IN ('external', 'accreditation', 'certification')
       AND (NEW.quality_assurance_body IS NULL OR btrim(NEW.quality_assurance_body) = '') THEN
        PERFORM microcred._fail('23502', 'body responsible for quality assurance is required',
            format('Quality assurance "%s" names no body.', NEW.quality_assurance),
            'Give quality_assurance_body, e.g. the agency''s name as registered in DEQAR.');
    END IF;
    PERFORM microcred._check_nfc('prerequisites', NEW.prerequisites);
    PERFORM microcred._check_nfc('further information', NEW.further_information);
    PERFORM microcred._check_nfc('grading scheme', NEW.grading_scheme);
    PERFORM microcred._check_nfc('body responsible for quality assurance', NEW.quality_assurance_body);
    -- Open Badges 3.0 AchievementType: a term of the vocabulary or an ext: term
    -- (the same list as pg_extension/ob3_check.c, which checks issued documents)
    IF NOT (NEW.achievement_type = ANY (ARRAY['Achievement', 'ApprenticeshipCertificate', 'Assessment',
            'Assignment', 'AssociateDegree', 'Award', 'Badge', 'BachelorDegree', 'Certificate',
            'CertificateOfCompletion', 'Certification', 'CommunityService', 'Competency', 'Course',
            'CoCurricular', 'Degree', 'Diploma', 'DoctoralDegree', 'Fieldwork', 'GeneralEducationDevelopment',
            'JourneymanCertificate', 'LearningProgram', 'License', 'Membership', 'ProfessionalDoctorate',
            'QualityAssuranceCredential', 'MasterCertificate', 'MasterDegree', 'MicroCredential',
            'ResearchDoctorate', 'SecondarySchoolDiploma'])
            OR NEW.achievement_type ~ '^ext:[A-Za-z0-9._-]+$') THEN
        PERFORM microcred._fail('22023', format('achievement type "%s" is not an Open Badges 3.0 achievement type', NEW.achievement_type),
            NULL, 'Use a term of the Open Badges 3.0 AchievementType vocabulary (MicroCredential, the default; Course, Certificate, Badge, ...) or an extension term such as ''ext:Nanodegree''.');
    END IF;
    RETURN NEW;
END
$$;
-- define_credential gains suspendable (a new signature: drop, create, grant again)
DROP FUNCTION microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean);
CREATE FUNCTION microcred.define_credential(
    issuer              text,
    code                text,
    title               text,
    description         text,
    learning_outcomes   text[],
    assessment          text[],
    participation       text,
    quality_assurance   text,
    ects                numeric DEFAULT NULL,
    workload_hours      numeric DEFAULT NULL,
    eqf_level           integer DEFAULT NULL,
    qf_ehea_cycle       text DEFAULT NULL,
    esco_skills         text[] DEFAULT NULL,
    quality_assurance_body text DEFAULT NULL,
    quality_assurance_url  text DEFAULT NULL,
    synchronous         boolean DEFAULT NULL,
    prerequisites       text DEFAULT NULL,
    supervision         text DEFAULT NULL,
    integration         text DEFAULT 'stand_alone',
    stackable_towards   text DEFAULT NULL,
    languages           text[] DEFAULT NULL,
    validity_period     interval DEFAULT NULL,
    grading_scheme      text DEFAULT NULL,
    further_information text DEFAULT NULL,
    info_url            text DEFAULT NULL,
    human_code          text DEFAULT NULL,
    achievement_type    text DEFAULT 'MicroCredential',
    allow_repeats       boolean DEFAULT false,
    suspendable         boolean DEFAULT false)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    issuer_uuid uuid := microcred._resolve_issuer(issuer);
    new_id      uuid := gen_random_uuid();
    checked_assessment microcred.assessment_type[];
    i           integer;
BEGIN
    IF code IS NULL OR code !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' THEN
        PERFORM microcred._fail('22023', 'code of the micro-credential must be letters, digits, dots, hyphens or underscores',
            format('The value given was %s.', coalesce('"' || code || '"', 'NULL')),
            'Use the issuer''s own short code, e.g. ''DPN-101'' (at most 64 characters).');
    END IF;
    IF learning_outcomes IS NULL OR cardinality(learning_outcomes) = 0 THEN
        PERFORM microcred._fail('23502', 'learning outcomes are required', 'No learning outcome was given.',
            'Give at least one learning outcome (learning_outcomes => ARRAY[''...'']); each may carry an ESCO skill URI.');
    END IF;
    IF esco_skills IS NOT NULL AND cardinality(esco_skills) <> cardinality(learning_outcomes) THEN
        PERFORM microcred._fail('22023', 'ESCO skills must be given one per learning outcome',
            format('%s learning outcomes but %s ESCO skill entries were given.',
                   cardinality(learning_outcomes), cardinality(esco_skills)),
            'Use NULL in esco_skills for an outcome without an ESCO skill.');
    END IF;
    IF assessment IS NULL OR cardinality(assessment) = 0 THEN
        PERFORM microcred._fail('23502', 'type of assessment is required', 'No assessment type was given.',
            'Give one or more of: ' || array_to_string(enum_range(NULL::microcred.assessment_type), ', ') || '.');
    END IF;
    FOR i IN 1 .. cardinality(assessment) LOOP
        checked_assessment := checked_assessment ||
            microcred._vocab('microcred.assessment_type'::regtype, 'type of assessment',
                             coalesce(assessment[i], '(null)'))::microcred.assessment_type;
    END LOOP;
    IF participation IS NULL THEN
        PERFORM microcred._fail('23502', 'form of participation is required', NULL,
            'Give one of: ' || array_to_string(enum_range(NULL::microcred.participation_form), ', ') || '.');
    END IF;
    IF quality_assurance IS NULL THEN
        PERFORM microcred._fail('23502', 'type of quality assurance is required', NULL,
            'Give one of: ' || array_to_string(enum_range(NULL::microcred.quality_assurance), ', ') || '.');
    END IF;
    IF languages IS NOT NULL AND (array_position(languages, NULL) IS NOT NULL
        OR array_to_string(languages, ' ') !~ '^([a-z]{2,3}(-[A-Za-z0-9]{2,8})*( |$))+$') THEN
        PERFORM microcred._fail('22023', 'languages of the micro-credential must be BCP 47 language tags',
            format('The value given was %s.', languages),
            'Use lower-case ISO 639-1 codes such as ''en'', ''de'', ''fr'' (optionally with a region, ''pt-BR'').');
    END IF;
    IF validity_period IS NOT NULL AND validity_period <= interval '0' THEN
        PERFORM microcred._fail('22023', 'validity period must be positive',
            format('The value given was %s.', validity_period), 'For example interval ''3 years''; NULL means no expiry.');
    END IF;

    INSERT INTO microcred.credential_type (
        id, issuer_id, code, title, description, ects, workload_hours, eqf_level, qf_ehea_cycle,
        assessment, participation, synchronous, quality_assurance, quality_assurance_body,
        quality_assurance_url, prerequisites, supervision, integration, stackable_towards, languages,
        validity_period, grading_scheme, further_information, info_url, human_code, achievement_type,
        allow_repeats, suspendable)
    VALUES (
        new_id, issuer_uuid, code, title, description,
        microcred._check_ects(ects), workload_hours,
        microcred._check_eqf_level(eqf_level), microcred._check_qf_ehea_cycle(qf_ehea_cycle),
        checked_assessment,
        microcred._vocab('microcred.participation_form'::regtype, 'form of participation', participation)::microcred.participation_form,
        synchronous,
        microcred._vocab('microcred.quality_assurance'::regtype, 'type of quality assurance', quality_assurance)::microcred.quality_assurance,
        quality_assurance_body, quality_assurance_url, prerequisites,
        microcred._vocab('microcred.supervision'::regtype, 'supervision and identity verification', supervision)::microcred.supervision,
        coalesce(microcred._vocab('microcred.integration'::regtype, 'integration option', integration), 'stand_alone')::microcred.integration,
        stackable_towards, languages, validity_period, grading_scheme, further_information, info_url,
        human_code, coalesce(achievement_type, 'MicroCredential'), coalesce(allow_repeats, false),
        coalesce(suspendable, false));

    FOR i IN 1 .. cardinality(learning_outcomes) LOOP
        INSERT INTO microcred.learning_outcome (issuer_id, credential_type_id, position, description, esco_uri)
        VALUES (issuer_uuid, new_id, i,
                microcred._required_text(format('learning outcome %s', i), learning_outcomes[i],
                    'State what the learner knows or can do, e.g. ''Applies the GDPR to patient records''.'),
                esco_skills[i]);
    END LOOP;
    RETURN new_id;
EXCEPTION WHEN unique_violation THEN
    PERFORM microcred._fail('23505', format('code of the micro-credential "%s" is already used by this issuer', code),
        NULL, 'Each credential type of an issuer has its own code; choose another or look the existing type up in microcred.credential_type.');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean) IS
    'define a micro-credential type with every EU standard element; returns its id (suspendable: its credentials carry a suspension entry too)';
REVOKE ALL ON FUNCTION microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean) TO microcred_admin;

-- issue: one credentialStatus object unless the type is suspendable
CREATE OR REPLACE FUNCTION microcred._issue(credential_type text, learner uuid, grade text, evidence jsonb,
                                 issued_at timestamptz, idempotency_key text, actor name,
                                 awarded_date timestamptz DEFAULT NULL, supersedes uuid DEFAULT NULL,
                                 credits_earned numeric DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       microcred.credential_type := microcred._resolve_type(credential_type);
    i       microcred.issuer;
    l       microcred.learner;
    c       microcred.issued_credential;
    k       microcred.signing_key;
    existing uuid;
    part    microcred.document_part;
    salt    text := replace(gen_random_uuid()::text, '-', '');
    ev      jsonb;
    r       record;
    status  jsonb;
BEGIN
    PERFORM microcred._check_actor(t.issuer_id, actor);
    -- one round trip for the rows issuing reads: the issuer, the learner, the
    -- active key and the cached document parts (simple equality joins, so the
    -- plan is generic and cached rather than made again for every credential)
    SELECT iss AS i_row, lr AS l_row, sk AS k_row, dp AS part_row
      INTO r
      FROM microcred.issuer iss
      LEFT JOIN microcred.learner lr ON lr.id = _issue.learner AND lr.issuer_id = iss.id
      LEFT JOIN microcred.signing_key sk ON sk.issuer_id = iss.id AND sk.algorithm = 'Ed25519' AND sk.state = 'active'
      LEFT JOIN microcred.document_part dp ON dp.credential_type_id = t.id
     WHERE iss.id = t.issuer_id;
    -- a credential that already exists for this idempotency key, or for this
    -- learner and type unless repeats are allowed
    -- COLLATE "default": a caller passing a name-typed actor (current_user) gives
    -- every text parameter the C collation, which would keep this lookup off the
    -- unique index and scan the table; callers add COLLATE "default" too
    IF idempotency_key IS NOT NULL THEN
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.idempotency_key = _issue.idempotency_key COLLATE "default";
    END IF;
    IF existing IS NULL AND NOT t.allow_repeats AND supersedes IS NULL THEN
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.learner_id = _issue.learner
           AND ic.credential_type_id = t.id AND ic.status <> 'revoked' AND ic.superseded_by IS NULL
         LIMIT 1;
    END IF;
    i := r.i_row;
    l := r.l_row;
    k := r.k_row;
    part := r.part_row;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for issuer "%s"', learner, i.handle), NULL,
            'Register the learner first with microcred.add_learner(issuer => ...).');
    END IF;
    IF existing IS NOT NULL THEN
        RETURN existing;
    END IF;
    IF l.erased_at IS NOT NULL OR (l.email IS NULL AND l.student_id IS NULL AND l.holder_did IS NULL) THEN
        PERFORM microcred._fail('23502', 'identification of the learner is required to issue a credential',
            'The learner has no email, student id or DID, or was erased.',
            'Complete the learner''s identification (email, student_id or holder_did) first.');
    END IF;
    IF t.retired_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', format('credential type "%s" is retired', t.code), NULL, NULL);
    END IF;

    IF evidence IS NOT NULL THEN
        IF jsonb_typeof(evidence) <> 'array' THEN
            evidence := jsonb_build_array(evidence);
        END IF;
        FOR ev IN SELECT * FROM jsonb_array_elements(evidence) LOOP
            IF jsonb_typeof(ev) <> 'object' THEN
                PERFORM microcred._fail('22023', 'evidence must be JSON objects', NULL,
                    'For example ''[{"id": "https://lms.example/submissions/7", "name": "Final project"}]''.');
            END IF;
        END LOOP;
        SELECT jsonb_agg(CASE WHEN e ? 'type' THEN e ELSE e || '{"type": ["Evidence"]}' END) INTO evidence
          FROM jsonb_array_elements(evidence) AS x(e);
    END IF;

    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active Ed25519 signing key', i.handle), NULL,
            format('Create one with: SELECT microcred.generate_key(%L);', i.handle));
    END IF;

    c.id := gen_random_uuid();
    c.issuer_id := t.issuer_id;
    c.credential_type_id := t.id;
    c.learner_id := l.id;
    c.issued_at := coalesce(issued_at, now());
    c.awarded_date := coalesce(awarded_date, c.issued_at);
    c.supersedes := supersedes;
    c.credits_earned := microcred._check_ects(credits_earned);
    c.valid_from := c.issued_at;
    c.valid_until := c.issued_at + t.validity_period;
    c.grade := grade;
    c.evidence := evidence;
    c.idempotency_key := idempotency_key;
    c.status := 'active';
    c.proof_format := coalesce(t.proof_format, i.proof_format);

    IF part.credential_type_id IS NULL THEN
        part := ROW(t.id, t.issuer_id, microcred._achievement(t, i), microcred._issuer_profile(i));
        INSERT INTO microcred.document_part SELECT part.* ON CONFLICT DO NOTHING;
    END IF;
    -- one credentialStatus object (Open Badges 3.0: 0..1): revocation; a type
    -- that opted into suspension gets a second entry, an array (README, Lifecycle)
    status := microcred._allocate_status(t.issuer_id, i.base_url, c.id, 'revocation');
    IF t.suspendable THEN
        status := jsonb_build_array(status, microcred._allocate_status(t.issuer_id, i.base_url, c.id, 'suspension'));
    END IF;
    c.document := microcred._credential_document(c, t, i, l, salt, part.achievement, part.profile,
                                                 k.id, k.sealed_private, i.public_id || '#' || k.fragment,
                                                 c.proof_format, status);

    INSERT INTO microcred.issued_credential SELECT c.*
    ON CONFLICT ON CONSTRAINT issued_credential_idempotency_key_unique DO NOTHING;
    IF NOT FOUND THEN
        -- a concurrent issue with the same key won; return its credential (our
        -- positions stay unused: an index is never handed out twice)
        DELETE FROM microcred.status_entry e WHERE e.credential_id = c.id;
        SELECT ic.id INTO existing FROM microcred.issued_credential ic
         WHERE ic.issuer_id = t.issuer_id AND ic.idempotency_key = _issue.idempotency_key COLLATE "default";
        RETURN existing;
    END IF;
    PERFORM microcred._audit(t.issuer_id, 'issue', c.id, NULL,
                             jsonb_build_object('credential_type', t.id, 'learner', l.id, 'supersedes', supersedes), actor);
    RETURN c.id;
END
$$;
-- suspend: a clear error for a credential without a suspension entry
CREATE OR REPLACE FUNCTION microcred._set_status(credentials uuid[], op text, reason text, actor name)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n_given     integer := cardinality(credentials);
    missing     uuid;
    bad         record;
    n           integer;
    status_purpose text := CASE op WHEN 'revoke' THEN 'revocation' ELSE 'suspension' END;
BEGIN
    IF reason IS NULL OR btrim(reason) = '' THEN
        PERFORM microcred._fail('23502', format('a reason is required to %s a credential', op), NULL,
            'Say why, e.g. ''academic misconduct'' or ''issued in error''; it goes into the audit log.');
    END IF;
    SELECT u INTO missing FROM unnest(credentials) u
     WHERE NOT EXISTS (SELECT FROM microcred.issued_credential c WHERE c.id = u) LIMIT 1;
    IF missing IS NOT NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', missing), NULL,
            'Check the id: SELECT id FROM microcred.issued_credentials_report WHERE ...;');
    END IF;
    -- the caller must act for every issuer involved
    PERFORM microcred._check_actor(x.issuer_id, actor)
       FROM (SELECT DISTINCT c.issuer_id FROM microcred.issued_credential c WHERE c.id = ANY (credentials)) x;
    -- what each operation accepts
    SELECT c.id, c.status INTO bad FROM microcred.issued_credential c
     WHERE c.id = ANY (credentials)
       AND CASE op WHEN 'revoke' THEN c.status = 'revoked'
                   WHEN 'suspend' THEN c.status <> 'active'
                   WHEN 'reinstate' THEN c.status <> 'suspended' END
     LIMIT 1;
    IF bad.id IS NOT NULL THEN
        PERFORM microcred._fail('55000',
            CASE op WHEN 'revoke' THEN 'credential is already revoked'
                    WHEN 'suspend' THEN format('credential cannot be suspended: it is %s', bad.status)
                    ELSE format('credential cannot be reinstated: it is %s, not suspended', bad.status) END,
            format('Credential %s.', bad.id)
            || CASE op WHEN 'reinstate' THEN ' Only a suspended credential can be reinstated; revocation is final.' ELSE '' END,
            CASE op WHEN 'suspend' THEN 'Only an active credential can be suspended.'
                    WHEN 'revoke' THEN 'Revocation is final and happens once.' END);
    END IF;
    -- suspension needs the credential's suspension entry (suspendable types only)
    IF op = 'suspend' THEN
        SELECT u INTO missing FROM unnest(credentials) u
         WHERE NOT EXISTS (SELECT FROM microcred.status_entry e WHERE e.credential_id = u AND e.purpose = 'suspension')
         LIMIT 1;
        IF missing IS NOT NULL THEN
            PERFORM microcred._fail('55000', format('credential %s cannot be suspended: it has no suspension status entry', missing),
                'Its credential type was not suspendable when it was issued, so its only credentialStatus entry is for revocation (Open Badges 3.0 allows one).',
                'Revoke it if it must stop verifying; to suspend credentials issued from now on, make the type suspendable: define_credential(..., suspendable => true) or UPDATE microcred.credential_type SET suspendable = true WHERE ...');
        END IF;
    END IF;

    -- the bits, and the version of each list they are in (the published list
    -- credential is re-signed when its version is behind)
    WITH changed AS (
        UPDATE microcred.status_entry e SET set = (op <> 'reinstate'), changed_at = now()
         WHERE e.credential_id = ANY (credentials) AND e.purpose = status_purpose
        RETURNING e.list_id)
    UPDATE microcred.status_list l SET bits_version = l.bits_version + 1
     WHERE l.id IN (SELECT DISTINCT list_id FROM changed);
    UPDATE microcred.issued_credential c
       SET status = CASE op WHEN 'revoke' THEN 'revoked' WHEN 'suspend' THEN 'suspended' ELSE 'active' END::microcred.credential_status,
           status_reason = reason, status_changed_at = now()
     WHERE c.id = ANY (credentials);
    GET DIAGNOSTICS n = ROW_COUNT;
    PERFORM microcred._audit(c.issuer_id, op, c.id, reason, '{}', actor)
       FROM microcred.issued_credential c WHERE c.id = ANY (credentials) ORDER BY c.issuer_id, c.id;
    RETURN n;
END
$$;
-- xAPI: completed on the ADL course activity type
CREATE OR REPLACE FUNCTION microcred.ingest_xapi(source text, password text, statements jsonb)
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