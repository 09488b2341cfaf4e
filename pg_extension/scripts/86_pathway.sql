/*
 * microcred install script, 86_pathway.sql: learning pathways (stackability).
 *
 * A pathway of an issuer leads to a target credential type.  Its rule is a
 * tree (all_of, any_of, n_of) whose leaves are components: one of the
 * issuer's credential types, an external achievement (by achievement id), or
 * a skill (by alignment URI) of a recognised credential of another issuer or
 * of recognised prior learning.  This part holds the pathway tables and their
 * definition; 87 the recognitions, 88 the check, 90 the award.
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
