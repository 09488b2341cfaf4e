/*
 * microcred install script, 90_stack.sql: awarding a pathway's target.
 *
 * stack_issue() awards the target when the check passes (and auto-award on
 * issue), pathway_progress reports progress; the row-level security and the
 * grants of the pathway parts 86 to 90.
 */

-- award the target credential when the check passes; idempotent per learner and pathway
CREATE FUNCTION microcred._stack_issue(learner uuid, pathway text, actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p       microcred.pathway := (SELECT pw FROM microcred.pathway pw
                                  WHERE pw.id = microcred._resolve_code('microcred.pathway', pathway));
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

-- pathways with auto_award: issuing a component may complete one.  Called by
-- microcred._issue (issue_sql.c) after it stored a credential of this type,
-- only when an auto-award pathway of the issuer has the type as a component.
-- (Until 0.3 a row trigger on issued_credential; rows arriving from
-- pg_restore, a replica or a hand-written INSERT are data being loaded, not
-- credentials being issued, and award nothing.)
CREATE FUNCTION microcred._stack_auto_award(issuer uuid, credential_type uuid, learner uuid)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    p microcred.pathway;
BEGIN
    FOR p IN SELECT DISTINCT pw.* FROM microcred.pathway pw JOIN microcred.pathway_node n ON n.pathway_id = pw.id
              WHERE pw.auto_award AND pw.issuer_id = _stack_auto_award.issuer
                AND n.credential_type_id = _stack_auto_award.credential_type
    LOOP
        IF (microcred._stack_check(p, learner)).satisfied THEN
            PERFORM microcred._stack_issue(learner, p.id::text, session_user COLLATE "default");
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION microcred._stack_auto_award(uuid, uuid, uuid) IS
    'internal: award the auto-award pathways a new credential of this type completes for the learner (called by microcred._issue)';

-- _issue caches whether a type is a component of an auto-award pathway
-- (issue_type_sql.c): a pathway change empties that cache
CREATE TRIGGER pathway_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.pathway
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER pathway_node_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.pathway_node
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();

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
