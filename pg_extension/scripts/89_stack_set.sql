/*
 * microcred install script, 89_stack_set.sql: pathways, set-based.
 *
 *   _stack_rule_sql    a pathway's rule as one SQL boolean
 *   _stack_set         the rule evaluated for every candidate learner in one
 *                      query: the answers _stack_check (88) gives learner by
 *                      learner; stack_eligible and the pathway_progress view
 *                      use it, stack_check stays the explaining function
 *   stack_eligible     every learner who satisfies a pathway, for batch awarding
 */

-- the rule of a pathway as one SQL boolean over s.m, the array of the ids of
-- the leaves a learner's items meet: n_of / all_of / any_of count met children
CREATE FUNCTION microcred._stack_rule_sql(pathway uuid)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    node    record;
    expr    jsonb := '{}';      -- node id -> SQL text
    parts   text;
    root    text;
BEGIN
    -- children before parents: deeper nodes have larger ids (as _stack_check evaluates)
    FOR node IN SELECT n.id, n.parent_id, n.kind, n.n FROM microcred.pathway_node n
                 WHERE n.pathway_id = _stack_rule_sql.pathway ORDER BY n.id DESC LOOP
        IF node.kind IN ('credential_type', 'achievement', 'alignment') THEN
            expr := expr || jsonb_build_object(node.id::text, format('coalesce(%s = ANY (s.m), false)', node.id));
        ELSE
            SELECT string_agg(format('(%s)::integer', expr ->> c.id::text), ' + ') INTO parts
              FROM microcred.pathway_node c WHERE c.parent_id = node.id;
            expr := expr || jsonb_build_object(node.id::text,
                                               format('(coalesce(%s, 0) >= %s)', coalesce(parts, 'NULL::integer'), node.n));
        END IF;
        IF node.parent_id IS NULL THEN
            root := expr ->> node.id::text;
        END IF;
    END LOOP;
    RETURN coalesce(root, 'false');
END
$$;
COMMENT ON FUNCTION microcred._stack_rule_sql(uuid) IS
    'internal: the rule tree of a pathway as one SQL condition over the array s.m of met component ids';

-- every candidate learner of a pathway (active credentials of a component
-- type, or anything recognised), evaluated in one pass: the answers
-- _stack_check gives learner by learner.  _stack_check assigns each item to
-- at most one component, greedily; when no item of a learner can meet two
-- components, that assignment is simply each component's earliest item (then
-- the lowest id), which one query computes for everyone.  A learner with an
-- item that could meet two components is checked by _stack_check itself.
CREATE FUNCTION microcred._stack_set(pathway uuid, with_missing boolean)
RETURNS TABLE (learner uuid, satisfied boolean, ects_total numeric, percent numeric, missing jsonb)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.pathway;
    rule    text;
    has_ach boolean;
    has_aln boolean;
    n_leaves integer;
    leaf_ids bigint[];
    leaf_labels text[];
BEGIN
    SELECT * INTO p FROM microcred.pathway pw WHERE pw.id = _stack_set.pathway;
    IF p.id IS NULL THEN
        RETURN;
    END IF;
    -- the check _stack_check makes for each learner, made once when there is one
    IF NOT (microcred.acts_for(p.issuer_id, session_user)
            OR pg_has_role(session_user, 'microcred_reader_all', 'MEMBER'))
       AND (EXISTS (SELECT FROM microcred.issued_credential ic
                     WHERE ic.issuer_id = p.issuer_id AND ic.status = 'active'
                       AND ic.credential_type_id IN (SELECT n.credential_type_id FROM microcred.pathway_node n
                                                      WHERE n.pathway_id = p.id))
            OR EXISTS (SELECT FROM microcred.recognition rc WHERE rc.issuer_id = p.issuer_id)) THEN
        PERFORM microcred._fail('42501', format('role "%s" may not act for the issuer of pathway %s', session_user, p.id), NULL,
            'An admin maps roles to issuers with microcred.grant_issuer(issuer, role).');
    END IF;
    rule := microcred._stack_rule_sql(p.id);
    SELECT bool_or(n.kind = 'achievement'), bool_or(n.kind = 'alignment'),
           count(*) FILTER (WHERE n.kind IN ('credential_type', 'achievement', 'alignment'))
      INTO has_ach, has_aln, n_leaves
      FROM microcred.pathway_node n WHERE n.pathway_id = p.id;
    -- the components in the order stack_check lists them (depth first, by position)
    WITH RECURSIVE t AS (
        SELECT n.id, n.kind, n.label, ARRAY[n.position] AS path FROM microcred.pathway_node n
         WHERE n.pathway_id = p.id AND n.parent_id IS NULL
        UNION ALL
        SELECT n.id, n.kind, n.label, t.path || n.position FROM microcred.pathway_node n JOIN t ON n.parent_id = t.id
    )
    SELECT array_agg(t.id ORDER BY t.path), array_agg(t.label ORDER BY t.path) INTO leaf_ids, leaf_labels
      FROM t WHERE t.kind IN ('credential_type', 'achievement', 'alignment');
    RETURN QUERY EXECUTE format($q$
    WITH cand AS (
        SELECT DISTINCT ic.learner_id AS learner FROM microcred.issued_credential ic
         WHERE ic.issuer_id = $1 AND ic.status = 'active'
           AND ic.credential_type_id IN (SELECT n.credential_type_id FROM microcred.pathway_node n
                                          WHERE n.pathway_id = $2 AND n.credential_type_id IS NOT NULL)
        UNION
        SELECT rc.learner_id FROM microcred.recognition rc WHERE rc.issuer_id = $1
    ), leaf AS MATERIALIZED (
        SELECT n.id, n.kind, n.credential_type_id, n.achievement_id, n.alignment_url, n.min_eqf, n.grades, n.label
          FROM microcred.pathway_node n
         WHERE n.pathway_id = $2 AND n.kind IN ('credential_type', 'achievement', 'alignment')
    ), item AS (
        -- what _stack_items lists: valid credentials of the issuer, and recognitions
        SELECT c.learner_id AS learner, c.id::text AS item, c.credential_type_id,
               CASE WHEN $3 THEN c.document -> 'credentialSubject' -> 'achievement' ->> 'id' END AS achievement_id,
               CASE WHEN $4 THEN ARRAY(SELECT o.esco_uri FROM microcred.learning_outcome o
                                        WHERE o.credential_type_id = t.id AND o.esco_uri IS NOT NULL) END AS alignments,
               coalesce(c.credits_earned, t.ects)::numeric AS ects, t.eqf_level::integer AS eqf, c.grade,
               c.awarded_date::timestamptz AS earned_at
          FROM cand JOIN microcred.issued_credential c ON c.issuer_id = $1 AND c.learner_id = cand.learner
          JOIN microcred.credential_type t ON t.id = c.credential_type_id
         WHERE c.status = 'active' AND c.superseded_by IS NULL AND (c.valid_until IS NULL OR c.valid_until > now())
        UNION ALL
        SELECT r.learner_id, r.id::text, NULL, r.achievement_id, r.alignments, r.ects::numeric, r.eqf_level::integer,
               r.grade, r.earned_at
          FROM microcred.recognition r
         WHERE r.issuer_id = $1 AND (r.valid_until IS NULL OR r.valid_until > now())
    ), hit AS (
        -- microcred._stack_matches, written out
        SELECT i.learner, i.item, i.ects, i.earned_at, l.id AS leaf
          FROM item i JOIN leaf l
            ON CASE l.kind WHEN 'credential_type' THEN l.credential_type_id = i.credential_type_id
                           WHEN 'achievement' THEN l.achievement_id = i.achievement_id
                           WHEN 'alignment' THEN l.alignment_url = ANY (i.alignments)
                           ELSE false END
           AND (l.min_eqf IS NULL OR i.eqf >= l.min_eqf)
           AND (l.grades IS NULL OR i.grade = ANY (l.grades))
    ), hits AS MATERIALIZED (
        SELECT h.*, count(*) OVER (PARTITION BY h.learner, h.item) AS uses FROM hit h
    ), ambiguous AS (
        SELECT DISTINCT h.learner FROM hits h WHERE h.uses > 1
    ), assigned AS (
        SELECT DISTINCT ON (h.learner, h.leaf) h.learner, h.leaf, h.ects, h.earned_at
          FROM hits h WHERE NOT EXISTS (SELECT FROM ambiguous a WHERE a.learner = h.learner)
         ORDER BY h.learner, h.leaf, h.earned_at, h.item
    ), per AS (
        SELECT a.learner, array_agg(a.leaf) AS m, coalesce(sum(a.ects), 0) AS total,
               min(a.earned_at) AS first_at, max(a.earned_at) AS last_at, count(*) AS n_met
          FROM assigned a GROUP BY a.learner
    ), simple AS (
        SELECT c.learner, per.m, coalesce(per.total, 0) AS total, per.first_at, per.last_at,
               coalesce(per.n_met, 0) AS n_met
          FROM cand c LEFT JOIN per ON per.learner = c.learner
         WHERE NOT EXISTS (SELECT FROM ambiguous a WHERE a.learner = c.learner)
    )
    SELECT s.learner,
           (%1$s)
           AND ($5::numeric IS NULL OR s.total >= $5)
           AND ($6::integer IS NULL OR s.first_at IS NULL OR s.last_at <= s.first_at + make_interval(months => $6))
           AND ($7::integer IS NULL OR s.first_at IS NULL OR s.first_at >= now() - make_interval(months => $7)),
           s.total,
           round(100.0 * s.n_met / greatest($8, 1)),
           CASE WHEN $9 THEN coalesce((SELECT jsonb_agg(to_jsonb(lo.label) ORDER BY lo.ord)
                                         FROM unnest($11::bigint[], $12::text[]) WITH ORDINALITY AS lo(id, label, ord)
                                        WHERE NOT lo.id = ANY (coalesce(s.m, '{}'))), '[]') END
      FROM simple s
    UNION ALL
    SELECT a.learner, r.satisfied, r.ects_total,
           round(100.0 * jsonb_array_length(jsonb_path_query_array(r.components, '$[*] ? (@.met == true)'))
                 / greatest(jsonb_array_length(r.components), 1)),
           CASE WHEN $9 THEN jsonb_path_query_array(r.components, '$[*] ? (@.met == false).component') END
      FROM ambiguous a CROSS JOIN LATERAL microcred._stack_check($10, a.learner) r
    $q$, rule)
    USING p.issuer_id, p.id, coalesce(has_ach, false), coalesce(has_aln, false), p.min_ects::numeric,
          p.within_months, p.within_months_of_issue, n_leaves, with_missing, p, leaf_ids, leaf_labels;
END
$$;
COMMENT ON FUNCTION microcred._stack_set(uuid, boolean) IS
    'internal: a pathway''s rule for every candidate learner in one pass (satisfied, ECTS counted, percent of components met, the missing ones): what _stack_check answers learner by learner';

-- what the pathway_progress view shows, for every learner of one pathway in
-- one pass (readers call it through the view; the tenancy rule is
-- pathway_progress_of's: nothing unless the caller acts for the issuer or
-- reads every issuer)
CREATE FUNCTION microcred.pathway_progress_all(pathway uuid)
RETURNS TABLE (learner_id uuid, satisfied boolean, percent numeric, missing jsonb, ects_total numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss     uuid;
BEGIN
    SELECT p.issuer_id INTO iss FROM microcred.pathway p WHERE p.id OPERATOR(pg_catalog.=) pathway_progress_all.pathway;
    IF iss IS NULL OR NOT (microcred.acts_for(iss, microcred._caller())
                           OR pg_has_role(microcred._caller(), 'microcred_reader_all', 'MEMBER')) THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT s.learner, s.satisfied, s.percent, s.missing, s.ects_total
                   FROM microcred._stack_set(pathway_progress_all.pathway, true) s;
END
$$;
COMMENT ON FUNCTION microcred.pathway_progress_all(uuid) IS
    'progress of every learner who holds something towards one pathway, as the pathway_progress view shows it, computed in one pass';

-- every learner of the issuer who now satisfies the pathway (for batch awarding)
CREATE FUNCTION microcred._stack_eligible_as(pathway text, actor name)
RETURNS TABLE (learner uuid, ects_total numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway := (SELECT pw FROM microcred.pathway pw
                            WHERE pw.id = microcred._resolve_code('microcred.pathway', pathway));
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

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.pathway_progress_all(uuid) TO microcred_admin, microcred_reader;
