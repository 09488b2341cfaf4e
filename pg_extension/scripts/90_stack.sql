/*
 * microcred install script, part 9: stackability and learning pathways.
 *
 * A pathway of an issuer leads to a target credential type.  Its rule is a
 * tree (all_of, any_of, n_of) whose leaves are components: one of the
 * issuer's credential types, an external achievement (by achievement id), or
 * a skill (by alignment URI) of a recognised credential of another issuer or
 * of recognised prior learning.  stack_check() explains, in words, which
 * components are met by what and what is missing; stack_issue() awards the
 * target when the check passes.
 */

CREATE TABLE microcred.pathway (
    id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id               uuid NOT NULL REFERENCES microcred.issuer (id),
    code                    text NOT NULL CONSTRAINT pathway_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    title                   text NOT NULL CONSTRAINT pathway_title_not_blank CHECK (btrim(title) <> ''),
    target_type_id          uuid NOT NULL,
    min_ects                microcred.ects_credits,
    within_months           integer CONSTRAINT pathway_within_months_positive CHECK (within_months > 0),
    within_months_of_issue  integer CONSTRAINT pathway_within_months_of_issue_positive CHECK (within_months_of_issue > 0),
    auto_award              boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (issuer_id, code),
    UNIQUE (issuer_id, id),
    FOREIGN KEY (issuer_id, target_type_id) REFERENCES microcred.credential_type (issuer_id, id)
);
COMMENT ON TABLE microcred.pathway IS
    'learning pathways: the rule by which smaller credentials stack into a larger target credential of the same issuer';

CREATE TABLE microcred.pathway_node (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer_id           uuid NOT NULL,
    pathway_id          uuid NOT NULL,
    parent_id           bigint REFERENCES microcred.pathway_node (id) ON DELETE CASCADE,
    position            integer NOT NULL,
    kind                text NOT NULL CONSTRAINT pathway_node_kind CHECK (kind IN (
                            'all_of', 'any_of', 'n_of', 'credential_type', 'achievement', 'alignment')),
    n                   integer,
    credential_type_id  uuid,
    achievement_id      text,
    alignment_url       text,
    min_eqf             microcred.eqf_level,
    grades              text[],
    label               text NOT NULL,
    FOREIGN KEY (issuer_id, pathway_id) REFERENCES microcred.pathway (issuer_id, id) ON DELETE CASCADE,
    FOREIGN KEY (issuer_id, credential_type_id) REFERENCES microcred.credential_type (issuer_id, id)
);
CREATE INDEX pathway_node_pathway ON microcred.pathway_node (pathway_id, parent_id, position);
COMMENT ON TABLE microcred.pathway_node IS
    'the rule tree of a pathway: all_of / any_of / n_of nodes and component leaves (credential_type, achievement, alignment) with optional minimum EQF level and accepted grades';

-- achievements recognised for a learner: verified credentials of other issuers, and prior learning
CREATE TABLE microcred.recognition (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id           uuid NOT NULL,
    learner_id          uuid NOT NULL,
    kind                text NOT NULL CONSTRAINT recognition_kind CHECK (kind IN ('credential', 'prior_learning')),
    title               text NOT NULL,
    foreign_issuer      text,
    credential_id       text,
    credential          jsonb,
    achievement_id      text,
    alignments          text[] NOT NULL DEFAULT '{}',
    ects                microcred.ects_credits,
    eqf_level           microcred.eqf_level,
    grade               text,
    earned_at           timestamptz NOT NULL,
    valid_until         timestamptz,
    assessment_reference text,
    recognised_by       name NOT NULL DEFAULT current_user,
    recognised_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id),
    CONSTRAINT recognition_prior_learning_assessed CHECK (kind = 'credential' OR assessment_reference IS NOT NULL)
);
CREATE UNIQUE INDEX recognition_credential_once ON microcred.recognition (issuer_id, learner_id, credential_id)
    WHERE credential_id IS NOT NULL;
COMMENT ON TABLE microcred.recognition IS
    'what an issuer recognised for a learner: another issuer''s verified credential, or prior learning with its assessment (validation of non-formal and informal learning)';

ALTER TABLE microcred.issued_credential ADD COLUMN credits_earned microcred.ects_credits;
COMMENT ON COLUMN microcred.issued_credential.credits_earned IS
    'ECTS credits earned when they differ from the type''s (a stacked credential earns the sum of its components)';

-- store one rule (sub)tree; returns the node id
CREATE FUNCTION microcred._store_rule(p microcred.pathway, rule jsonb, parent bigint, pos integer, depth integer)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kinds   text[] := ARRAY(SELECT k FROM jsonb_object_keys(rule) k
                            WHERE k IN ('all_of', 'any_of', 'n_of', 'credential_type', 'achievement', 'alignment'));
    kind    text;
    node    bigint;
    items   jsonb;
    i       integer;
    ct      microcred.credential_type;
    extra   text;
BEGIN
    IF depth > 16 THEN
        PERFORM microcred._fail('22023', 'pathway rule is nested deeper than 16 levels', NULL, NULL);
    END IF;
    IF jsonb_typeof(rule) <> 'object' OR cardinality(kinds) <> 1 THEN
        PERFORM microcred._fail('22023', format('pathway rule element %s is not one rule', rule::text),
            'Each element has exactly one of all_of, any_of, n_of (with "of"), credential_type, achievement or alignment.',
            'For example {"all_of": [{"credential_type": "PY-DATA"}, {"n_of": 2, "of": [...]}]}.');
    END IF;
    kind := kinds[1];
    SELECT k INTO extra FROM jsonb_object_keys(rule) k
     WHERE k NOT IN (kind, 'of', 'min_eqf', 'grades', 'label') LIMIT 1;
    IF extra IS NOT NULL OR (kind <> 'n_of' AND rule ? 'of') THEN
        PERFORM microcred._fail('22023', format('pathway rule element has an unknown member "%s"', coalesce(extra, 'of')),
            format('In %s.', rule::text), 'Known members: all_of, any_of, n_of + of, credential_type, achievement, alignment, min_eqf, grades, label.');
    END IF;
    IF kind IN ('all_of', 'any_of', 'n_of') THEN
        items := CASE kind WHEN 'n_of' THEN rule -> 'of' ELSE rule -> kind END;
        IF items IS NULL OR jsonb_typeof(items) <> 'array' OR jsonb_array_length(items) = 0 THEN
            PERFORM microcred._fail('22023', format('%s needs a non-empty list of components', kind),
                format('In %s.', rule::text), CASE kind WHEN 'n_of' THEN 'Write {"n_of": 2, "of": [...]}.' END);
        END IF;
        IF kind = 'n_of' AND (jsonb_typeof(rule -> 'n_of') <> 'number'
                              OR (rule ->> 'n_of')::numeric NOT BETWEEN 1 AND jsonb_array_length(items)
                              OR (rule ->> 'n_of')::numeric <> round((rule ->> 'n_of')::numeric)) THEN
            PERFORM microcred._fail('22023', format('n_of(%s) over %s components is not possible', rule -> 'n_of', jsonb_array_length(items)),
                NULL, 'n must be a whole number between 1 and the number of components.');
        END IF;
        INSERT INTO microcred.pathway_node (issuer_id, pathway_id, parent_id, position, kind, n, label)
        VALUES (p.issuer_id, p.id, parent, pos, kind,
                CASE kind WHEN 'n_of' THEN (rule ->> 'n_of')::integer WHEN 'all_of' THEN jsonb_array_length(items) ELSE 1 END,
                coalesce(rule ->> 'label', CASE kind WHEN 'all_of' THEN 'all of' WHEN 'any_of' THEN 'any of'
                                                     ELSE format('%s of %s', rule ->> 'n_of', jsonb_array_length(items)) END))
        RETURNING id INTO node;
        FOR i IN 0 .. jsonb_array_length(items) - 1 LOOP
            PERFORM microcred._store_rule(p, items -> i, node, i + 1, depth + 1);
        END LOOP;
        RETURN node;
    END IF;
    IF rule ? 'grades' AND (jsonb_typeof(rule -> 'grades') <> 'array' OR jsonb_array_length(rule -> 'grades') = 0) THEN
        PERFORM microcred._fail('22023', 'grades of a component must be a non-empty list of accepted grades', NULL,
            'For example "grades": ["1.0", "1.3", "1.7"].');
    END IF;
    IF kind = 'credential_type' THEN
        SELECT t.* INTO ct FROM microcred.credential_type t JOIN microcred.issuer i ON i.id = t.issuer_id
         WHERE t.issuer_id = p.issuer_id AND (t.code = rule ->> kind OR i.handle || '/' || t.code = rule ->> kind);
        IF ct.id IS NULL THEN
            PERFORM microcred._fail('42704', format('credential type "%s" of a pathway component does not exist', rule ->> kind),
                'Components that are credential types must be types of the pathway''s own issuer.',
                'Components from other issuers are "achievement" or "alignment" components, met by recognised credentials.');
        END IF;
        IF ct.id = p.target_type_id THEN
            PERFORM microcred._fail('22023', format('pathway %s needs its own target "%s" as a component', p.code, ct.code),
                'A credential cannot be a component of itself.', NULL);
        END IF;
    ELSIF jsonb_typeof(rule -> kind) <> 'string' OR (rule ->> kind) !~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$' THEN
        PERFORM microcred._fail('22023', format('%s of a pathway component must be a URI', kind),
            format('In %s.', rule::text), CASE kind WHEN 'alignment' THEN 'For example an ESCO skill: http://data.europa.eu/esco/skill/...'
                                                      ELSE 'The achievement id as the other issuer''s credentials state it.' END);
    END IF;
    INSERT INTO microcred.pathway_node (issuer_id, pathway_id, parent_id, position, kind, credential_type_id,
                                        achievement_id, alignment_url, min_eqf, grades, label)
    VALUES (p.issuer_id, p.id, parent, pos, kind, ct.id,
            CASE kind WHEN 'achievement' THEN rule ->> kind END,
            CASE kind WHEN 'alignment' THEN rule ->> kind END,
            microcred._check_eqf_level((rule ->> 'min_eqf')::integer),
            CASE WHEN rule ? 'grades' THEN ARRAY(SELECT jsonb_array_elements_text(rule -> 'grades')) END,
            coalesce(rule ->> 'label', CASE kind WHEN 'credential_type' THEN ct.code || ' (' || ct.title || ')'
                                                 ELSE kind || ' ' || (rule ->> kind) END))
    RETURNING id INTO node;
    RETURN node;
END
$$;
COMMENT ON FUNCTION microcred._store_rule(microcred.pathway, jsonb, bigint, integer, integer) IS 'internal: validate and store a rule tree';

-- refuse pathways that, together, need a credential to earn itself
CREATE FUNCTION microcred._check_pathway_cycles(issuer uuid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cyc text;
BEGIN
    WITH RECURSIVE edge AS (
        SELECT p.target_type_id AS target, n.credential_type_id AS needs
          FROM microcred.pathway p JOIN microcred.pathway_node n ON n.pathway_id = p.id
         WHERE p.issuer_id = issuer AND n.kind = 'credential_type'
    ), walk AS (
        SELECT e.target AS start, e.needs AS at, ARRAY[e.target, e.needs] AS path FROM edge e
        UNION ALL
        SELECT w.start, e.needs, w.path || e.needs FROM walk w JOIN edge e ON e.target = w.at
         WHERE NOT e.needs = ANY (w.path[2:]) AND cardinality(w.path) < 64
    )
    SELECT string_agg(t.code, ' needs ' ORDER BY o) INTO cyc
      FROM (SELECT path FROM walk WHERE at = start LIMIT 1) w, unnest(w.path) WITH ORDINALITY AS x(tid, o)
      JOIN microcred.credential_type t ON t.id = x.tid;
    IF cyc IS NOT NULL THEN
        PERFORM microcred._fail('22023', 'pathways form a cycle: ' || cyc,
            'Following the pathways, a credential would be needed to earn itself.',
            'Remove the component that closes the circle.');
    END IF;
END
$$;

CREATE FUNCTION microcred.define_pathway(issuer text, code text, title text, target text, rule jsonb,
                                         min_ects numeric DEFAULT NULL, within_months integer DEFAULT NULL,
                                         within_months_of_issue integer DEFAULT NULL, auto_award boolean DEFAULT false)
RETURNS uuid
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.pathway;
    t       microcred.credential_type;
BEGIN
    p.issuer_id := microcred._resolve_issuer(issuer);
    SELECT ct.* INTO t FROM microcred.credential_type ct JOIN microcred.issuer i ON i.id = ct.issuer_id
     WHERE ct.issuer_id = p.issuer_id AND (ct.code = target OR i.handle || '/' || ct.code = target);
    IF t.id IS NULL THEN
        PERFORM microcred._fail('42704', format('target credential type "%s" does not exist for this issuer', target), NULL,
            'Define the larger credential first with microcred.define_credential().');
    END IF;
    IF rule IS NULL THEN
        PERFORM microcred._fail('23502', 'the rule of a pathway is required', NULL,
            'For example {"all_of": [{"credential_type": "A"}, {"credential_type": "B"}]}.');
    END IF;
    p.id := gen_random_uuid();
    p.code := code;
    p.title := microcred._required_text('title of the pathway', title, 'Name the larger credential''s pathway.');
    p.target_type_id := t.id;
    p.min_ects := microcred._check_ects(min_ects);
    p.within_months := within_months;
    p.within_months_of_issue := within_months_of_issue;
    p.auto_award := coalesce(auto_award, false);
    p.created_at := now();
    INSERT INTO microcred.pathway SELECT p.*;
    PERFORM microcred._store_rule(p, rule, NULL, 1, 0);
    PERFORM microcred._check_pathway_cycles(p.issuer_id);
    RETURN p.id;
END
$$;
COMMENT ON FUNCTION microcred.define_pathway(text, text, text, text, jsonb, numeric, integer, integer, boolean) IS
    'define a learning pathway to a target credential type: a rule tree (all_of, any_of, n_of over credential types, external achievements and skills) and constraints (minimum ECTS, months between components or before the award)';

CREATE FUNCTION microcred.set_pathway_rule(pathway uuid, rule jsonb)
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
COMMENT ON FUNCTION microcred.set_pathway_rule(uuid, jsonb) IS 'replace the rule of a pathway (validated like define_pathway)';

-- recognition ------------------------------------------------------------------------

CREATE FUNCTION microcred._recognise(learner uuid, credential jsonb, status_lists jsonb[], actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
    v       microcred.verification;
    subj    jsonb := CASE jsonb_typeof(credential -> 'credentialSubject')
                     WHEN 'array' THEN credential -> 'credentialSubject' -> 0 ELSE credential -> 'credentialSubject' END;
    ach     jsonb := subj -> 'achievement';
    ident   jsonb;
    mine    boolean := false;
    new_id  uuid;
    eqf     integer;
BEGIN
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner;
    IF l.id IS NULL OR l.erased_at IS NOT NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    -- valid: a key bound to the issuer signed it (ours, or registered by an
    -- admin; recognise takes no caller-supplied controller documents), and
    -- the status lists given verify for that issuer
    v := microcred.verify(credential, status_lists);
    IF NOT v.valid THEN
        PERFORM microcred._fail('22023', 'the credential does not verify and cannot be recognised',
            (SELECT string_agg(c ->> 'check' || ': ' || (c ->> 'reason'), '; ') FROM jsonb_array_elements(v.checks) c
              WHERE c ->> 'result' = 'fail'), NULL);
    END IF;
    IF NOT EXISTS (SELECT FROM microcred.trusted_key k
                    WHERE k.issuer = v.issuer AND (k.trusted_by IS NULL OR k.trusted_by = l.issuer_id))
       AND NOT EXISTS (SELECT FROM microcred.issuer i WHERE i.public_id = v.issuer) THEN
        PERFORM microcred._fail('42501', format('issuer %s is not trusted by this issuer', v.issuer),
            'Only credentials of issuers whose keys an admin registered are recognised.',
            'Register the issuer''s key with microcred.trust_key(issuer, verification_method, key, trusted_by => ...).');
    END IF;
    -- the credential must be about this learner: a matching salted hash or DID
    FOR ident IN SELECT x FROM jsonb_array_elements(coalesce(subj -> 'identifier', '[]')) x LOOP
        IF (ident ->> 'hashed')::boolean AND ident ->> 'identityHash' IN (
               'sha256$' || encode(sha256(convert_to(coalesce(l.email, '') || coalesce(ident ->> 'salt', ''), 'UTF8')), 'hex'),
               'sha256$' || encode(sha256(convert_to(coalesce(l.student_id, '') || coalesce(ident ->> 'salt', ''), 'UTF8')), 'hex')) THEN
            mine := true;
        END IF;
    END LOOP;
    IF l.holder_did IS NOT NULL AND subj ->> 'id' = l.holder_did THEN
        mine := true;
    END IF;
    IF NOT mine THEN
        PERFORM microcred._fail('22023', 'the credential is not about this learner',
            'No identity hash or DID in its credentialSubject matches the learner''s e-mail, student id or DID.', NULL);
    END IF;
    SELECT (regexp_match(a ->> 'targetUrl', '^http://data\.europa\.eu/snb/eqf/([1-8])$'))[1]::integer INTO eqf
      FROM jsonb_array_elements(coalesce(ach -> 'alignment', '[]')) a
     WHERE a ->> 'targetUrl' ~ '^http://data\.europa\.eu/snb/eqf/[1-8]$' LIMIT 1;
    INSERT INTO microcred.recognition (issuer_id, learner_id, kind, title, foreign_issuer, credential_id, credential,
                                       achievement_id, alignments, ects, eqf_level, grade, earned_at, valid_until,
                                       recognised_by)
    VALUES (l.issuer_id, l.id, 'credential', coalesce(ach ->> 'name', credential ->> 'name', '(untitled)'), v.issuer,
            coalesce(credential ->> 'id', encode(sha256(convert_to(credential::text, 'UTF8')), 'hex')), credential,
            ach ->> 'id',
            ARRAY(SELECT a ->> 'targetUrl' FROM jsonb_array_elements(coalesce(ach -> 'alignment', '[]')) a WHERE a ? 'targetUrl'),
            CASE WHEN jsonb_typeof(subj -> 'creditsEarned') = 'number' THEN (subj ->> 'creditsEarned')::numeric
                 WHEN jsonb_typeof(ach -> 'creditsAvailable') = 'number' THEN (ach ->> 'creditsAvailable')::numeric END,
            eqf, subj -> 'result' -> 0 ->> 'value',
            coalesce((credential ->> 'awardedDate')::timestamptz, (credential ->> 'validFrom')::timestamptz,
                     (credential ->> 'issuanceDate')::timestamptz, now()),
            (credential ->> 'validUntil')::timestamptz, actor)
    ON CONFLICT (issuer_id, learner_id, credential_id) WHERE credential_id IS NOT NULL DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        SELECT r.id INTO new_id FROM microcred.recognition r
         WHERE r.issuer_id = l.issuer_id AND r.learner_id = l.id AND r.credential_id = _recognise.credential ->> 'id';
    END IF;
    RETURN new_id;
END
$$;
CREATE FUNCTION microcred.recognise(learner uuid, credential jsonb, status_lists jsonb[] DEFAULT NULL)
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._recognise(learner, credential, status_lists, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.recognise(uuid, jsonb, jsonb[]) IS
    'recognise another issuer''s Open Badges 3.0 credential for a learner: it must verify (status included), come from an issuer this issuer trusts, and be about this learner; returns the recognition id';

CREATE FUNCTION microcred.recognise_prior_learning(learner uuid, title text, assessment_reference text,
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
COMMENT ON FUNCTION microcred.recognise_prior_learning(uuid, text, text, text, text[], numeric, integer, text, timestamptz) IS
    'record recognised prior learning (validation of non-formal and informal learning) for a learner, with its assessment reference';

-- checks ---------------------------------------------------------------------------

CREATE TYPE microcred.stack_result AS (
    satisfied   boolean,
    ects_total  numeric,
    explanation text,
    components  jsonb
);
COMMENT ON TYPE microcred.stack_result IS
    'result of a pathway check: satisfied, the ECTS counted, an explanation in words, and each component with what met it';

CREATE TYPE microcred.stack_item AS (item text, kind text, credential_type_id uuid, achievement_id text,
                                     alignments text[], ects numeric, eqf integer, grade text,
                                     earned_at timestamptz, label text);
COMMENT ON TYPE microcred.stack_item IS 'internal: something a learner holds that can meet a pathway component';

-- what a learner holds that can count: valid credentials of the issuer, and recognitions
CREATE FUNCTION microcred._stack_items(learner uuid, issuer uuid)
RETURNS SETOF microcred.stack_item
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT c.id::text, 'issued', c.credential_type_id,
           c.document -> 'credentialSubject' -> 'achievement' ->> 'id',
           ARRAY(SELECT o.esco_uri FROM microcred.learning_outcome o WHERE o.credential_type_id = t.id AND o.esco_uri IS NOT NULL),
           coalesce(c.credits_earned, t.ects), t.eqf_level, c.grade, c.awarded_date, t.code
      FROM microcred.issued_credential c JOIN microcred.credential_type t ON t.id = c.credential_type_id
     WHERE c.issuer_id = issuer AND c.learner_id = learner AND c.status = 'active' AND c.superseded_by IS NULL
       AND (c.valid_until IS NULL OR c.valid_until > now())
    UNION ALL
    SELECT r.id::text, r.kind, NULL, r.achievement_id, r.alignments, r.ects, r.eqf_level, r.grade, r.earned_at,
           r.title || CASE WHEN r.foreign_issuer IS NOT NULL THEN ' (' || r.foreign_issuer || ')' ELSE ' (prior learning)' END
      FROM microcred.recognition r
     WHERE r.issuer_id = issuer AND r.learner_id = learner AND (r.valid_until IS NULL OR r.valid_until > now())
$$;

CREATE FUNCTION microcred._stack_check(p microcred.pathway, learner uuid)
RETURNS microcred.stack_result
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    leaves      record;
    items       record;
    it          record;
    assigned    jsonb := '{}';      -- node id -> item
    used        text[] := '{}';
    met         jsonb := '{}';      -- node id -> boolean
    node        record;
    child       record;
    cnt         integer;
    total       numeric := 0;
    lines       text[] := '{}';
    comps       jsonb := '[]';
    first_at    timestamptz;
    last_at     timestamptz;
    ok          boolean;
    res         microcred.stack_result;
    target      microcred.credential_type;
    held        microcred.stack_item[];
BEGIN
    -- callable by readers (pathway_progress calls it), who could pass a
    -- pathway row of any issuer: the session's role must act for its issuer
    -- (or see every issuer's reports, as members of microcred_reader_all do)
    IF NOT (microcred.acts_for(p.issuer_id, session_user)
            OR pg_has_role(session_user, 'microcred_reader_all', 'MEMBER')) THEN
        PERFORM microcred._fail('42501', format('role "%s" may not act for the issuer of pathway %s', session_user, p.id), NULL,
            'An admin maps roles to issuers with microcred.grant_issuer(issuer, role).');
    END IF;
    SELECT * INTO target FROM microcred.credential_type WHERE id = p.target_type_id;
    -- the learner's items, once
    SELECT coalesce(array_agg(x), '{}') INTO held FROM microcred._stack_items(learner, p.issuer_id) x;
    -- components with the fewest candidates first, each item counted once
    FOR leaves IN
        SELECT pn AS node, (SELECT count(*) FROM unnest(held) s
                             WHERE microcred._stack_matches(pn, s.credential_type_id, s.achievement_id, s.alignments, s.eqf, s.grade)) AS candidates
          FROM microcred.pathway_node pn
         WHERE pn.pathway_id = p.id AND pn.kind IN ('credential_type', 'achievement', 'alignment')
         ORDER BY candidates, pn.parent_id, pn.position
    LOOP
        SELECT s.* INTO it FROM unnest(held) s
         WHERE microcred._stack_matches(leaves.node, s.credential_type_id, s.achievement_id, s.alignments, s.eqf, s.grade)
           AND NOT s.item = ANY (used)
         ORDER BY (SELECT count(*) FROM microcred.pathway_node pn2
                    WHERE pn2.pathway_id = p.id AND microcred._stack_matches(pn2, s.credential_type_id, s.achievement_id, s.alignments, s.eqf, s.grade)),
                  s.earned_at, s.item
         LIMIT 1;
        IF it.item IS NOT NULL THEN
            used := used || it.item;
            assigned := assigned || jsonb_build_object((leaves.node).id::text, to_jsonb(it));
        END IF;
        it := NULL;
    END LOOP;
    -- evaluate the tree bottom-up (children before parents: deeper nodes have larger ids)
    FOR node IN SELECT * FROM microcred.pathway_node n WHERE n.pathway_id = p.id ORDER BY n.id DESC LOOP
        IF node.kind IN ('credential_type', 'achievement', 'alignment') THEN
            met := met || jsonb_build_object(node.id::text, assigned ? node.id::text);
        ELSE
            SELECT count(*) FILTER (WHERE (met ->> c.id::text)::boolean) INTO cnt
              FROM microcred.pathway_node c WHERE c.parent_id = node.id;
            met := met || jsonb_build_object(node.id::text, cnt >= node.n);
        END IF;
    END LOOP;
    -- explanation, top-down
    FOR node IN
        WITH RECURSIVE t AS (
            SELECT n.*, 0 AS depth, ARRAY[n.position] AS path FROM microcred.pathway_node n
             WHERE n.pathway_id = p.id AND n.parent_id IS NULL
            UNION ALL
            SELECT n.*, t.depth + 1, t.path || n.position FROM microcred.pathway_node n JOIN t ON n.parent_id = t.id
        ) SELECT * FROM t ORDER BY path
    LOOP
        IF node.kind IN ('all_of', 'any_of', 'n_of') THEN
            SELECT count(*) FILTER (WHERE (met ->> c.id::text)::boolean), count(*) INTO cnt, total
              FROM microcred.pathway_node c WHERE c.parent_id = node.id;
            lines := lines || (repeat('  ', node.depth) || '- ' || node.label || ': '
                               || CASE WHEN (met ->> node.id::text)::boolean THEN 'met' ELSE 'not met' END
                               || format(' (%s of %s components met, %s needed)', cnt, total, node.n));
            total := 0;
        ELSIF assigned ? node.id::text THEN
            it := NULL;
            lines := lines || (repeat('  ', node.depth) || '- ' || node.label || ': met by '
                               || (assigned -> node.id::text ->> 'label')
                               || coalesce(', ' || (assigned -> node.id::text ->> 'ects') || ' ECTS', '')
                               || coalesce(', grade ' || (assigned -> node.id::text ->> 'grade'), '')
                               || ', earned ' || to_char((assigned -> node.id::text ->> 'earned_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD'));
            comps := comps || jsonb_build_object('component', node.label, 'met', true,
                                                 'kind', assigned -> node.id::text ->> 'kind',
                                                 'item', assigned -> node.id::text ->> 'item',
                                                 'achievement_id', assigned -> node.id::text ->> 'achievement_id',
                                                 'ects', (assigned -> node.id::text ->> 'ects')::numeric,
                                                 'earned_at', assigned -> node.id::text ->> 'earned_at');
        ELSE
            lines := lines || (repeat('  ', node.depth) || '- ' || node.label || ': missing'
                               || CASE WHEN node.min_eqf IS NOT NULL THEN format(' (needs EQF %s or higher)', node.min_eqf) ELSE '' END
                               || CASE WHEN node.grades IS NOT NULL THEN format(' (needs grade %s)', array_to_string(node.grades, ', ')) ELSE '' END);
            comps := comps || jsonb_build_object('component', node.label, 'met', false);
        END IF;
    END LOOP;

    ok := coalesce((SELECT (met ->> n.id::text)::boolean FROM microcred.pathway_node n
                     WHERE n.pathway_id = p.id AND n.parent_id IS NULL), false);
    SELECT coalesce(sum((c ->> 'ects')::numeric), 0), min((c ->> 'earned_at')::timestamptz), max((c ->> 'earned_at')::timestamptz)
      INTO total, first_at, last_at
      FROM jsonb_array_elements(comps) c WHERE (c ->> 'met')::boolean;
    IF p.min_ects IS NOT NULL THEN
        lines := lines || format('ECTS: %s counted, at least %s needed: %s', total, p.min_ects,
                                 CASE WHEN total >= p.min_ects THEN 'met' ELSE 'not met' END);
        ok := ok AND total >= p.min_ects;
    END IF;
    IF p.within_months IS NOT NULL AND first_at IS NOT NULL THEN
        lines := lines || format('Components earned within %s months of each other: %s', p.within_months,
                                 CASE WHEN last_at <= first_at + make_interval(months => p.within_months) THEN 'yes'
                                      ELSE format('no (%s to %s)', to_char(first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'),
                                                  to_char(last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')) END);
        ok := ok AND last_at <= first_at + make_interval(months => p.within_months);
    END IF;
    IF p.within_months_of_issue IS NOT NULL AND first_at IS NOT NULL THEN
        lines := lines || format('Components earned within %s months before the award: %s', p.within_months_of_issue,
                                 CASE WHEN first_at >= now() - make_interval(months => p.within_months_of_issue) THEN 'yes'
                                      ELSE format('no (the oldest is from %s)', to_char(first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')) END);
        ok := ok AND first_at >= now() - make_interval(months => p.within_months_of_issue);
    END IF;
    res.satisfied := ok;
    res.ects_total := total;
    res.components := comps;
    res.explanation := format('Pathway %s (%s) to %s: %s', p.code, p.title, target.code,
                              CASE WHEN ok THEN 'satisfied' ELSE 'not satisfied' END)
                       || E'\n' || array_to_string(lines, E'\n');
    RETURN res;
END
$$;

-- does a component node accept an item?
CREATE FUNCTION microcred._stack_matches(n microcred.pathway_node, credential_type_id uuid, achievement_id text,
                                         alignments text[], eqf integer, grade text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE n.kind
               WHEN 'credential_type' THEN n.credential_type_id = credential_type_id
               WHEN 'achievement' THEN n.achievement_id = achievement_id
               WHEN 'alignment' THEN n.alignment_url = ANY (alignments)
               ELSE false END
       AND (n.min_eqf IS NULL OR eqf >= n.min_eqf)
       AND (n.grades IS NULL OR grade = ANY (n.grades))
$$;

CREATE FUNCTION microcred._resolve_pathway(pathway text)
RETURNS microcred.pathway
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway;
BEGIN
    IF pathway ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        SELECT * INTO p FROM microcred.pathway pw WHERE pw.id = pathway::uuid;
    ELSE
        SELECT pw.* INTO p FROM microcred.pathway pw JOIN microcred.issuer i ON i.id = pw.issuer_id
         WHERE i.handle || '/' || pw.code = pathway;
    END IF;
    IF p.id IS NULL THEN
        PERFORM microcred._fail('42704', format('pathway "%s" does not exist', pathway), NULL,
            'Give its id or ''issuer-handle/CODE''; list them with: SELECT * FROM microcred.pathway;');
    END IF;
    RETURN p;
END
$$;

CREATE FUNCTION microcred._stack_check_as(learner uuid, pathway text, actor name)
RETURNS microcred.stack_result
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway := microcred._resolve_pathway(pathway);
BEGIN
    PERFORM microcred._check_actor(p.issuer_id, actor);
    IF NOT EXISTS (SELECT FROM microcred.learner l WHERE l.id = learner AND l.issuer_id = p.issuer_id) THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist for the pathway''s issuer', learner), NULL, NULL);
    END IF;
    RETURN microcred._stack_check(p, learner);
END
$$;
CREATE FUNCTION microcred.stack_check(learner uuid, pathway text)
RETURNS microcred.stack_result LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._stack_check_as(learner, pathway, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.stack_check(uuid, text) IS
    'whether a learner satisfies a pathway (id or ''issuer/CODE''), with an explanation: which components are met by what, what is missing, ECTS against the minimum, time constraints; only valid credentials count';

-- every learner of the issuer who now satisfies the pathway (for batch awarding)
CREATE FUNCTION microcred._stack_eligible_as(pathway text, actor name)
RETURNS TABLE (learner uuid, ects_total numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway := microcred._resolve_pathway(pathway);
BEGIN
    PERFORM microcred._check_actor(p.issuer_id, actor);
    -- the rule over every candidate learner in one pass (microcred._stack_set), not yet holding the target
    RETURN QUERY
    SELECT r.learner, r.ects_total
      FROM microcred._stack_set(p.id, false) r
     WHERE NOT EXISTS (SELECT FROM microcred.issued_credential t
                        WHERE t.issuer_id = p.issuer_id AND t.learner_id = r.learner
                          AND t.credential_type_id = p.target_type_id AND t.status <> 'revoked')
       AND r.satisfied;
END
$$;
CREATE FUNCTION microcred.stack_eligible(pathway text)
RETURNS TABLE (learner uuid, ects_total numeric) LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM microcred._stack_eligible_as(pathway, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.stack_eligible(text) IS
    'every learner who satisfies a pathway and does not hold its target yet, for batch awarding: SELECT microcred.stack_issue(learner, ''issuer/CODE'') FROM microcred.stack_eligible(''issuer/CODE'')';

-- award the target credential when the check passes; idempotent per learner and pathway
CREATE FUNCTION microcred._stack_issue(learner uuid, pathway text, actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.pathway := microcred._resolve_pathway(pathway);
    r       microcred.stack_result;
    key     text;
    existing uuid;
    evidence jsonb;
    base    text;
BEGIN
    PERFORM microcred._check_actor(p.issuer_id, actor);
    key := format('pathway:%s:%s', p.id, learner);
    SELECT c.id INTO existing FROM microcred.issued_credential c
     WHERE c.issuer_id = p.issuer_id AND c.idempotency_key = key;
    IF existing IS NOT NULL THEN
        RETURN existing;
    END IF;
    r := microcred._stack_check(p, learner);
    IF NOT r.satisfied THEN
        PERFORM microcred._fail('55000', format('learner does not satisfy pathway %s yet', p.code), r.explanation,
            'Award it when every required component is met; microcred.stack_check() explains what is missing.');
    END IF;
    SELECT i.base_url INTO base FROM microcred.issuer i WHERE i.id = p.issuer_id;
    -- each component becomes an Evidence entry pointing at what met it
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
               'id', CASE c ->> 'kind'
                       WHEN 'issued' THEN coalesce(base || '/credentials/' || (c ->> 'item'), 'urn:uuid:' || (c ->> 'item'))
                       ELSE (SELECT coalesce(rc.credential_id, 'urn:uuid:' || rc.id) FROM microcred.recognition rc
                              WHERE rc.id::text = c ->> 'item') END,
               'type', jsonb_build_array('Evidence'),
               'name', c ->> 'component',
               'description', CASE c ->> 'kind' WHEN 'issued' THEN 'Credential of this issuer'
                                                 WHEN 'prior_learning' THEN 'Recognised prior learning'
                                                 ELSE 'Recognised credential of another issuer' END
                              || coalesce(', achievement ' || (c ->> 'achievement_id'), '')
                              || coalesce(', ' || (c ->> 'ects') || ' ECTS', ''),
               'genre', 'Pathway component')) ORDER BY c ->> 'component')
      INTO evidence
      FROM jsonb_array_elements(r.components) c WHERE (c ->> 'met')::boolean;
    RETURN microcred._issue(p.target_type_id::text, learner, NULL, evidence, now(), key, actor,
                            credits_earned => CASE WHEN r.ects_total > 0 THEN r.ects_total END);
END
$$;
CREATE FUNCTION microcred.stack_issue(learner uuid, pathway text)
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._stack_issue(learner, pathway, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.stack_issue(uuid, text) IS
    'issue a pathway''s target credential to a learner if the check passes, listing its components as Evidence and earning their summed ECTS; idempotent per learner and pathway';

-- pathways with auto_award: issuing a component may complete one.  Only an
-- issue by microcred._issue (which marks the credential it inserts) awards:
-- rows arriving from pg_restore, a replica or a hand-written INSERT are data
-- being loaded, not credentials being issued.
CREATE FUNCTION microcred._stack_auto_award()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway;
BEGIN
    IF current_setting('microcred_issue.credential', true) IS DISTINCT FROM NEW.id::text THEN
        RETURN NULL;
    END IF;
    FOR p IN SELECT DISTINCT pw.* FROM microcred.pathway pw JOIN microcred.pathway_node n ON n.pathway_id = pw.id
              WHERE pw.auto_award AND pw.issuer_id = NEW.issuer_id AND n.credential_type_id = NEW.credential_type_id
    LOOP
        IF (microcred._stack_check(p, NEW.learner_id)).satisfied THEN
            PERFORM microcred._stack_issue(NEW.learner_id, p.id::text, session_user COLLATE "default");
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER stack_auto_award AFTER INSERT ON microcred.issued_credential
    FOR EACH ROW EXECUTE FUNCTION microcred._stack_auto_award();

-- the figures of pathway_progress for one learner: no grades, no items.  The
-- view's readers call this, not _stack_check (which only the owner may call:
-- it takes a pathway row, which a caller could forge, and returns grades).
CREATE FUNCTION microcred.pathway_progress_of(pathway uuid, learner uuid,
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
       -- tenancy: only for a caller acting for the pathway's issuer (or an
       -- admin-granted reader of every issuer); nothing otherwise
       AND (microcred.acts_for(p.issuer_id, microcred._caller())
            OR pg_has_role(microcred._caller(), 'microcred_reader_all', 'MEMBER'))
$$;
COMMENT ON FUNCTION microcred.pathway_progress_of(uuid, uuid) IS
    'progress of one learner towards one pathway as the pathway_progress view shows it (satisfied, percent of components met, the missing ones, ECTS counted)';

-- reporting: progress of every learner who holds something towards a pathway
CREATE VIEW microcred.pathway_progress AS
SELECT p.id AS pathway_id, i.handle || '/' || p.code AS pathway, r.learner_id, r.satisfied,
       r.percent, r.missing, r.ects_total
  FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id
  CROSS JOIN LATERAL microcred.pathway_progress_all(p.id) r
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.pathway_progress IS
    'progress of each learner towards each pathway: satisfied, percent of components met, the missing ones, ECTS counted (learner by id only)';

ALTER TABLE microcred.pathway ENABLE ROW LEVEL SECURITY;
ALTER TABLE microcred.pathway_node ENABLE ROW LEVEL SECURITY;
ALTER TABLE microcred.recognition ENABLE ROW LEVEL SECURITY;
CREATE POLICY per_issuer ON microcred.pathway USING (microcred.acts_for(issuer_id, current_user));
CREATE POLICY per_issuer ON microcred.pathway_node USING (microcred.acts_for(issuer_id, current_user));
CREATE POLICY per_issuer ON microcred.recognition USING (microcred.acts_for(issuer_id, current_user));

-- grants for this part
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
GRANT SELECT ON microcred.pathway, microcred.pathway_node TO microcred_admin, microcred_issuer, microcred_reader;
GRANT SELECT ON microcred.pathway_progress TO microcred_admin, microcred_reader;
-- the progress view calls pathway_progress_of; readers see every learner's progress (by id only) anyway
GRANT EXECUTE ON FUNCTION microcred.pathway_progress_of(uuid, uuid) TO microcred_admin, microcred_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON microcred.pathway, microcred.pathway_node TO microcred_admin;
GRANT SELECT ON microcred.recognition TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION
    microcred.define_pathway(text, text, text, text, jsonb, numeric, integer, integer, boolean),
    microcred.set_pathway_rule(uuid, jsonb),
    microcred._store_rule(microcred.pathway, jsonb, bigint, integer, integer),
    microcred._check_pathway_cycles(uuid)
    TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.recognise(uuid, jsonb, jsonb[]),
    microcred.recognise_prior_learning(uuid, text, text, text, text[], numeric, integer, text, timestamptz),
    microcred.stack_check(uuid, text), microcred.stack_eligible(text), microcred.stack_issue(uuid, text)
    TO microcred_admin, microcred_issuer;
