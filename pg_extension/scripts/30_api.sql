/*
 * microcred install script, 30_api.sql: the catalog API a DBA calls instead of
 * raw INSERTs.  Named parameters, defaults for the optional EU elements,
 * every value checked with an error that names the element.  These run with
 * the caller's rights (SECURITY INVOKER): grants and row-level security
 * decide who may do what.
 */

-- an issuer by handle or id
CREATE FUNCTION microcred._resolve_issuer(issuer text)
RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found uuid;
BEGIN
    IF issuer IS NULL THEN
        PERFORM microcred._fail('23502', 'issuer is required', NULL,
            'Give the issuer''s handle or id; list them with: SELECT handle, legal_name FROM microcred.issuer;');
    END IF;
    IF issuer ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT i.id INTO found FROM microcred.issuer i WHERE i.id OPERATOR(pg_catalog.=) issuer::uuid;
    ELSE
        SELECT i.id INTO found FROM microcred.issuer i WHERE i.handle OPERATOR(pg_catalog.=) issuer;
    END IF;
    IF found IS NULL THEN
        PERFORM microcred._fail('42704', format('issuer "%s" does not exist', issuer),
            'No awarding body you may act for has this handle or id.',
            'List issuers with: SELECT handle, legal_name FROM microcred.issuer;');
    END IF;
    RETURN found;
END
$$;
COMMENT ON FUNCTION microcred._resolve_issuer(text) IS 'internal: issuer id from a handle or id';

-- a credential type or pathway by id or by 'issuer-handle/CODE': the one
-- resolver of such references.  Its id; an error that names the kind when there
-- is none.  With within_issuer, only that issuer's rows count, the bare CODE is
-- accepted too (an LMS names the types of its platform's issuer), and none is
-- NULL.  Runs with the caller's rights: row-level security applies.
CREATE FUNCTION microcred._resolve_code(tbl regclass, ref text, within_issuer uuid DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found uuid;
BEGIN
    IF tbl IS NULL OR tbl NOT IN ('microcred.credential_type'::regclass, 'microcred.pathway'::regclass) THEN
        PERFORM microcred._fail('22023', format('cannot resolve a code in %s', tbl), NULL,
            'Only credential types and pathways have codes.');
    END IF;
    IF ref ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        EXECUTE format('SELECT x.id FROM %s x WHERE x.id = $1::uuid AND ($2 IS NULL OR x.issuer_id = $2)', tbl)
           INTO found USING ref, within_issuer;
    ELSE
        EXECUTE format('SELECT x.id FROM %s x JOIN microcred.issuer i ON i.id = x.issuer_id
                         WHERE (i.handle || ''/'' || x.code = $1 OR ($2 IS NOT NULL AND x.code = $1))
                           AND ($2 IS NULL OR x.issuer_id = $2)', tbl)
           INTO found USING ref, within_issuer;
    END IF;
    IF found IS NULL AND within_issuer IS NULL THEN
        PERFORM microcred._fail('42704',
            format('%s "%s" does not exist', (SELECT replace(c.relname, '_', ' ') FROM pg_class c WHERE c.oid = tbl), ref), NULL,
            'Give its id or ''issuer-handle/CODE''; list them with: '
            || CASE WHEN tbl = 'microcred.credential_type'::regclass
                    THEN 'SELECT issuer, code FROM microcred.credential_types_report;'
                    ELSE format('SELECT * FROM %s;', tbl) END);
    END IF;
    RETURN found;
END
$$;
COMMENT ON FUNCTION microcred._resolve_code(regclass, text, uuid) IS
    'internal: the id of a credential type or pathway given by id or ''issuer-handle/CODE'' (within an issuer also by CODE)';

CREATE FUNCTION microcred.add_issuer(
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
COMMENT ON FUNCTION microcred.add_issuer(text, text, text, text, text, text, text, text, text, jsonb) IS
    'register an awarding body; returns its id';

CREATE FUNCTION microcred.add_issuer_identifier(issuer text, scheme text, value text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO microcred.issuer_identifier (issuer_id, scheme, value)
    VALUES (microcred._resolve_issuer(issuer),
            microcred._vocab('microcred.identifier_scheme'::regtype, 'legal identifier scheme', scheme)::microcred.identifier_scheme,
            microcred._required_text('legal identifier of the awarding body', value, 'Give the identifier as registered.'))
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.add_issuer_identifier(text, text, text) IS
    'add a legal identifier (VAT, EUID, DEQAR id, ...) to an awarding body';

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
    suspendable         boolean DEFAULT false,
    image               bytea DEFAULT NULL)
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
        allow_repeats, suspendable, image, image_type)
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
        coalesce(suspendable, false), image, microcred._check_image(image, 'badge image of the micro-credential'));

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
COMMENT ON FUNCTION microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean, bytea) IS
    'define a micro-credential type with every EU standard element; returns its id (suspendable: its credentials carry a suspension entry too; image: its badge, PNG or SVG bytes)';

CREATE FUNCTION microcred.add_learner(
    issuer          text,
    email           text DEFAULT NULL,
    given_name      text DEFAULT NULL,
    family_name     text DEFAULT NULL,
    student_id      text DEFAULT NULL,
    date_of_birth   date DEFAULT NULL,
    holder_did      text DEFAULT NULL,
    name_in_credential boolean DEFAULT false,
    lms_platform    text DEFAULT NULL,
    lms_user_id     text DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    issuer_uuid uuid := microcred._resolve_issuer(issuer);
    new_id      uuid := gen_random_uuid();
BEGIN
    IF email IS NOT NULL AND email !~ '^[^@\s]+@[^@\s]+$' THEN
        PERFORM microcred._fail('22023', 'email of the learner is not an email address',
            format('The value given was "%s".', email), 'Give an address like ''name@example.org''.');
    END IF;
    IF holder_did IS NOT NULL AND holder_did !~ '^did:[a-z0-9]+:\S+$' THEN
        PERFORM microcred._fail('22023', 'holder DID of the learner is not a DID',
            format('The value given was "%s".', holder_did), 'A DID looks like ''did:key:z6Mk...''.');
    END IF;
    IF (lms_platform IS NULL) <> (lms_user_id IS NULL) THEN
        PERFORM microcred._fail('22023', 'LMS platform and LMS user id must be given together', NULL,
            'Give the LMS issuer URL as lms_platform and the user''s id on it as lms_user_id.');
    END IF;
    INSERT INTO microcred.learner (id, issuer_id, email, given_name, family_name, student_id,
                                   date_of_birth, holder_did, name_in_credential)
    VALUES (new_id, issuer_uuid, lower(email), given_name, family_name, student_id,
            date_of_birth, holder_did, coalesce(name_in_credential, false));
    IF lms_platform IS NOT NULL THEN
        INSERT INTO microcred.learner_identifier (issuer_id, learner_id, kind, platform, value)
        VALUES (issuer_uuid, new_id, 'lms', lms_platform, lms_user_id);
    END IF;
    RETURN new_id;
EXCEPTION WHEN unique_violation THEN
    PERFORM microcred._fail('23505', 'a learner with this email, student id or LMS id already exists for this issuer',
        NULL, 'Look the learner up instead: SELECT id FROM microcred.learner WHERE email = ...;');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred.add_learner(text, text, text, text, text, date, text, boolean, text, text) IS
    'register a learner of an issuer; at least one identifier (email, student id or DID) is required; returns its id';
