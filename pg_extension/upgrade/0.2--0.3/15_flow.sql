-- issue 19 (speedflow): set-based lifecycle and pathways.
-- The new functions are defined here once (the replay in 99_replay.sql
-- defines them again, identically) so that the view can use
-- pathway_progress_all and their EXECUTE can be revoked from PUBLIC as the
-- install script does; the new trigger on issued_credential (the document
-- rule, moved out of _issued_credential_immutable), the view and the grant.

-- many links of one issuer's audit chain: the same link per subject, in the
-- order given, as one microcred._audit call per subject would append
CREATE OR REPLACE FUNCTION microcred._audit_many(issuer uuid, action text, subjects uuid[], reason text, details jsonb, actor name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n       integer := coalesce(cardinality(subjects), 0);
    s       bigint;
    prev    bytea;
    t       timestamptz;
    d       jsonb := coalesce(details, '{}');
    seqs    bigint[] := '{}';
    ats     timestamptz[] := '{}';
    prevs   bytea[] := '{}';
    hashes  bytea[] := '{}';
BEGIN
    IF n = 0 THEN
        RETURN;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(issuer::text));
    SELECT a.seq, a.hash INTO s, prev FROM microcred.audit_log a
     WHERE a.issuer_id = issuer ORDER BY a.seq DESC LIMIT 1;
    s := coalesce(s, 0);
    prev := coalesce(prev, sha256(''::bytea));
    FOR i IN 1 .. n LOOP
        s := s + 1;
        t := clock_timestamp();
        seqs[i] := s;
        ats[i] := t;
        prevs[i] := prev;
        prev := microcred._audit_hash(issuer, s, t, actor, action, subjects[i], reason, d, prev);
        hashes[i] := prev;
    END LOOP;
    INSERT INTO microcred.audit_log (issuer_id, seq, at, actor, action, subject, reason, details, prev_hash, hash)
    SELECT issuer, x.seq, x.at, actor, action, x.subject, reason, d, x.prev_hash, x.hash
      FROM unnest(seqs, ats, subjects, prevs, hashes) AS x(seq, at, subject, prev_hash, hash);
END
$$;
COMMENT ON FUNCTION microcred._audit_many(uuid, text, uuid[], text, jsonb, name) IS
    'internal: append one event per subject to an issuer''s audit chain in one INSERT (links as _audit appends them one by one)';

-- set or clear the status bits of many credentials, with the status and the audit
CREATE OR REPLACE FUNCTION microcred._set_status_many(credentials uuid[], op text, reason text, actor name)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ids         uuid[];
    issuers     uuid[];
    missing     uuid;
    bad_id      uuid;
    bad_status  microcred.credential_status;
    n           integer;
    iss         record;
    lists       uuid[];
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
    -- each credential once, in the order of the audit (issuer, id); NULLs name nothing.
    -- One pass gives the issuers, the credentials per issuer and the first
    -- credential the operation does not accept (the issuer of a credential
    -- never changes, so the audit can use these lists later)
    SELECT array_agg(x.issuer_id ORDER BY x.issuer_id, x.id), array_agg(x.id ORDER BY x.issuer_id, x.id),
           (array_agg(x.id) FILTER (WHERE x.refused))[1], (array_agg(x.status) FILTER (WHERE x.refused))[1]
      INTO issuers, ids, bad_id, bad_status
      FROM (SELECT DISTINCT c.issuer_id, c.id, c.status,
                   CASE op WHEN 'revoke' THEN c.status = 'revoked'
                           WHEN 'suspend' THEN c.status <> 'active'
                           WHEN 'reinstate' THEN c.status <> 'suspended' END AS refused
              FROM unnest(credentials) u JOIN microcred.issued_credential c ON c.id = u) x;
    ids := coalesce(ids, '{}');
    -- the caller must act for every issuer involved
    PERFORM microcred._check_actor(i, actor) FROM (SELECT DISTINCT i FROM unnest(issuers) i) x;
    -- what each operation accepts
    IF bad_id IS NOT NULL THEN
        PERFORM microcred._fail('55000',
            CASE op WHEN 'revoke' THEN 'credential is already revoked'
                    WHEN 'suspend' THEN format('credential cannot be suspended: it is %s', bad_status)
                    ELSE format('credential cannot be reinstated: it is %s, not suspended', bad_status) END,
            format('Credential %s.', bad_id)
            || CASE op WHEN 'reinstate' THEN ' Only a suspended credential can be reinstated; revocation is final.' ELSE '' END,
            CASE op WHEN 'suspend' THEN 'Only an active credential can be suspended.'
                    WHEN 'revoke' THEN 'Revocation is final and happens once.' END);
    END IF;
    -- suspension needs the credential's suspension entry (suspendable types only)
    IF op = 'suspend' THEN
        SELECT u INTO missing FROM unnest(ids) u
         WHERE NOT EXISTS (SELECT FROM microcred.status_entry e WHERE e.credential_id = u AND e.purpose = 'suspension')
         LIMIT 1;
        IF missing IS NOT NULL THEN
            PERFORM microcred._fail('55000', format('credential %s cannot be suspended: it has no suspension status entry', missing),
                'Its credential type was not suspendable when it was issued, so its only credentialStatus entry is for revocation (Open Badges 3.0 allows one).',
                'Revoke it if it must stop verifying; to suspend credentials issued from now on, make the type suspendable: define_credential(..., suspendable => true) or UPDATE microcred.credential_type SET suspendable = true WHERE ...');
        END IF;
    END IF;

    -- the issuers' audit locks first, as issuing takes them before it reads a
    -- status list: lists and audit chains are always locked in that order
    PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(x.i::text))
       FROM (SELECT DISTINCT i FROM unnest(issuers) i ORDER BY i) x;
    -- the bits in one pass (a join on the (credential, purpose) key), and the
    -- version of each list they are in, bumped once per list
    WITH changed AS (
        UPDATE microcred.status_entry e SET set = (op <> 'reinstate'), changed_at = now()
          FROM unnest(ids) u
         WHERE e.credential_id = u AND e.purpose = status_purpose
        RETURNING e.list_id),
    bumped AS (
        UPDATE microcred.status_list l SET bits_version = l.bits_version + 1
         WHERE l.id IN (SELECT DISTINCT list_id FROM changed)
        RETURNING l.id)
    SELECT array_agg(b.id) INTO lists FROM bumped b;
    -- caches of the signed lists (the bridge's) drop them when this commits
    PERFORM pg_notify('microcred_status', x::text) FROM unnest(lists) x;
    UPDATE microcred.issued_credential c
       SET status = CASE op WHEN 'revoke' THEN 'revoked' WHEN 'suspend' THEN 'suspended' ELSE 'active' END::microcred.credential_status,
           status_reason = reason, status_changed_at = now()
      FROM unnest(ids) u
     WHERE c.id = u;
    GET DIAGNOSTICS n = ROW_COUNT;
    -- the audit: per issuer, one link per credential in id order, one INSERT
    FOR iss IN SELECT x.i AS issuer_id, array_agg(x.s ORDER BY x.s) AS subjects
                 FROM unnest(issuers, ids) AS x(i, s) GROUP BY x.i ORDER BY x.i LOOP
        PERFORM microcred._audit_many(iss.issuer_id, op, iss.subjects, reason, '{}', actor);
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION microcred._set_status_many(uuid[], text, text, name) IS
    'internal: revoke, suspend or reinstate many credentials in one pass (see revoke_all)';

-- the signed document of an issued credential never changes (an erased
-- learner's stored copy may be dropped).  Fired only when an UPDATE names the
-- document column: a status change leaves it out and does not pay for
-- comparing two documents per row.
CREATE OR REPLACE FUNCTION microcred._issued_credential_document_fixed()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF OLD.document IS NOT NULL AND NEW.document IS DISTINCT FROM OLD.document
       AND NOT (NEW.document IS NULL AND EXISTS (SELECT FROM microcred.learner l
                                                  WHERE l.id = OLD.learner_id AND l.erased_at IS NOT NULL)) THEN
        PERFORM microcred._fail('55000', 'issued credentials cannot be changed',
            format('Credential %s was issued; its content is fixed once issued.', OLD.id),
            'Issue a corrected credential that supersedes it; only the status of a credential changes (and an erased learner''s stored copy is dropped).');
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION microcred._issued_credential_document_fixed() IS
    'internal: refuse a change of an issued credential''s signed document (dropping an erased learner''s copy excepted)';
CREATE TRIGGER issued_credential_document_fixed
    BEFORE UPDATE OF document ON microcred.issued_credential
    FOR EACH ROW EXECUTE FUNCTION microcred._issued_credential_document_fixed();

-- pathways, set-based -------------------------------------------------------------

-- the rule of a pathway as one SQL boolean over s.m, the array of the ids of
-- the leaves a learner's items meet: n_of / all_of / any_of count met children
CREATE OR REPLACE FUNCTION microcred._stack_rule_sql(pathway uuid)
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
CREATE OR REPLACE FUNCTION microcred._stack_set(pathway uuid, with_missing boolean)
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
CREATE OR REPLACE FUNCTION microcred.pathway_progress_all(pathway uuid)
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

-- the immutability trigger fires only for an UPDATE that names a fixed
-- column (and every DELETE): a status change no longer runs it
DROP TRIGGER issued_credential_immutable ON microcred.issued_credential;
CREATE TRIGGER issued_credential_immutable
    BEFORE DELETE OR UPDATE OF id, issuer_id, credential_type_id, learner_id, issued_at, awarded_date, valid_from,
                               valid_until, grade, evidence, idempotency_key, supersedes, proof_format, superseded_by
    ON microcred.issued_credential
    FOR EACH ROW EXECUTE FUNCTION microcred._issued_credential_immutable();

CREATE OR REPLACE VIEW microcred.pathway_progress AS
SELECT p.id AS pathway_id, i.handle || '/' || p.code AS pathway, r.learner_id, r.satisfied,
       r.percent, r.missing, r.ects_total
  FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id
  CROSS JOIN LATERAL microcred.pathway_progress_all(p.id) r
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');

REVOKE ALL ON FUNCTION
    microcred._audit_many(uuid, text, uuid[], text, jsonb, name),
    microcred._set_status_many(uuid[], text, text, name),
    microcred._issued_credential_document_fixed(),
    microcred._stack_rule_sql(uuid),
    microcred._stack_set(uuid, boolean),
    microcred.pathway_progress_all(uuid)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred.pathway_progress_all(uuid) TO microcred_admin, microcred_reader;
