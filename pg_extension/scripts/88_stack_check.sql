/*
 * microcred install script, 88_stack_check.sql: whether a learner satisfies
 * a pathway.  stack_check() explains, in words, which components are met by
 * what and what is missing; stack_eligible() lists who satisfies it.
 */

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

CREATE FUNCTION microcred._stack_check_as(learner uuid, pathway text, actor name)
RETURNS microcred.stack_result
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway := (SELECT pw FROM microcred.pathway pw
                            WHERE pw.id = microcred._resolve_code('microcred.pathway', pathway));
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

