
-- ---------------------------------------------------------------------------
-- operability (#15): backups that restore, tenants kept apart, least privilege
-- ---------------------------------------------------------------------------

-- Status list positions: 0.1 handed them out from a sequence per list,
-- created at run time (pg_dump restored none of them, DROP EXTENSION left them
-- behind).  0.2 keeps the position of each entry in status_entry.position and
-- takes the highest plus one; the positions of 0.1's entries are recovered by
-- running each list's permutation over the positions its sequence handed out.
ALTER TABLE microcred.status_entry ADD COLUMN position integer
    CONSTRAINT status_entry_position_positive CHECK (position > 0);
DO $$
DECLARE
    l       record;
    last    bigint;
    called  boolean;
BEGIN
    FOR l IN SELECT sl.id, sl.size, sl.permutation_key, sl.sequence FROM microcred.status_list sl LOOP
        EXECUTE format('SELECT last_value, is_called FROM %s', l.sequence) INTO last, called;
        IF called THEN
            UPDATE microcred.status_entry e SET position = p.n
              FROM (SELECT g AS n, microcred._status_permute(l.permutation_key, l.size, g - 1) AS idx
                      FROM generate_series(1, last) g) p
             WHERE e.list_id = l.id AND e.idx = p.idx;
        END IF;
        EXECUTE format('DROP SEQUENCE %s', l.sequence);
    END LOOP;
END
$$;
CREATE UNIQUE INDEX status_entry_position ON microcred.status_entry (list_id, position);
ALTER TABLE microcred.status_list DROP COLUMN sequence;
COMMENT ON COLUMN microcred.status_entry.position IS
    'the position (1, 2, 3, ... in order of allocation) the index was computed from; the next allocation takes the highest plus one, so the counter is data that pg_dump restores';


-- Role mapping by OID (regrole): 0.1 stored role names, so a renamed role lost
-- its mapping and a new role with an old name inherited it.  Mappings of roles
-- that no longer exist act for nobody and are not carried over.
ALTER TABLE microcred.issuer_role ADD COLUMN role regrole;
UPDATE microcred.issuer_role r SET role = pr.oid::regrole FROM pg_catalog.pg_roles pr WHERE pr.rolname = r.role_name;
DELETE FROM microcred.issuer_role WHERE role IS NULL;
ALTER TABLE microcred.issuer_role DROP CONSTRAINT issuer_role_pkey;
ALTER TABLE microcred.issuer_role DROP COLUMN role_name;
ALTER TABLE microcred.issuer_role ALTER COLUMN role SET NOT NULL;
ALTER TABLE microcred.issuer_role ADD PRIMARY KEY (issuer_id, role);
COMMENT ON COLUMN microcred.issuer_role.role IS
    'the role by OID: a renamed role keeps its mapping, a new role with a dropped role''s name gets none (list with issuer_roles, purge with purge_issuer_roles); pg_dump writes it by name, so restore the roles (pg_dumpall --roles-only) first';

-- readers are mapped per issuer; microcred_reader_all lets an admin give a
-- role the reports of every issuer
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'microcred_reader_all') THEN
        CREATE ROLE microcred_reader_all NOLOGIN;
    END IF;
END
$$;

-- functions and views changed by this part (complete definitions, as in pg_extension/scripts/)

-- may this role act for this issuer?  Policies pass current_user: inside a
-- SECURITY DEFINER function current_user would be the owner.
CREATE OR REPLACE FUNCTION microcred.acts_for(issuer uuid, role_name name)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_has_role(role_name, 'microcred_admin', 'MEMBER')
        OR EXISTS (SELECT FROM microcred.issuer_role r
                    WHERE r.issuer_id OPERATOR(pg_catalog.=) issuer
                      AND pg_has_role(acts_for.role_name, r.role::oid, 'MEMBER'))
$$;
COMMENT ON FUNCTION microcred.acts_for(uuid, name) IS
    'true when the role is a microcred admin or is mapped to the issuer (microcred.grant_issuer); used by the row-level security policies';

CREATE OR REPLACE FUNCTION microcred.grant_issuer(issuer text, role_name name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname OPERATOR(pg_catalog.=) role_name) THEN
        PERFORM microcred._fail('42704', format('role "%s" does not exist', role_name), NULL,
            'Create the role first (CREATE ROLE ... LOGIN IN ROLE microcred_issuer).');
    END IF;
    INSERT INTO microcred.issuer_role (issuer_id, role)
    VALUES (microcred._resolve_issuer(issuer), (SELECT r.oid FROM pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role_name)::regrole)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.grant_issuer(text, name) IS
    'let a database role act for an awarding body (see its learners, issue its credentials, read its reports); a microcred_reader is granted per issuer this way';

-- remove the mappings of dropped roles; how many
CREATE OR REPLACE FUNCTION microcred.purge_issuer_roles()
RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM microcred.issuer_role r
         WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles pr WHERE pr.oid OPERATOR(pg_catalog.=) r.role::oid)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;
COMMENT ON FUNCTION microcred.purge_issuer_roles() IS
    'delete the issuer mappings of roles that were dropped (see microcred.issuer_roles); returns how many';

-- the mappings, with the roles' current names; a dropped role shows by OID
CREATE OR REPLACE VIEW microcred.issuer_roles AS
SELECT i.handle AS issuer, r.role::oid AS role_oid, pr.rolname AS role_name, pr.oid IS NULL AS role_dropped
  FROM microcred.issuer_role r
  JOIN microcred.issuer i ON i.id = r.issuer_id
  LEFT JOIN pg_catalog.pg_roles pr ON pr.oid = r.role::oid;
COMMENT ON VIEW microcred.issuer_roles IS
    'which roles act for which awarding body; role_dropped marks mappings of dropped roles (microcred.purge_issuer_roles() removes them)';
COMMENT ON COLUMN microcred.issuer_roles.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issuer_roles.role_oid IS 'OID of the mapped role (mappings follow the role, not its name)';
COMMENT ON COLUMN microcred.issuer_roles.role_name IS 'current name of the role; NULL when it was dropped';
COMMENT ON COLUMN microcred.issuer_roles.role_dropped IS 'the role no longer exists: the mapping acts for nobody and can be purged';

-- a new open list for an issuer and purpose
CREATE OR REPLACE FUNCTION microcred._new_status_list(issuer uuid, base_url text, purpose text)
RETURNS microcred.status_list
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.status_list;
BEGIN
    l.id := gen_random_uuid();
    INSERT INTO microcred.status_list (id, issuer_id, purpose, url, permutation_key)
    VALUES (l.id, issuer, purpose, microcred._status_list_url(l.id, base_url),
            sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text, 'UTF8')))
    RETURNING * INTO l;
    RETURN l;
END
$$;

-- an unused index in the issuer's open list of this purpose; a new list when
-- 90% are taken.  The next position is the list's highest allocated position
-- plus one (status_entry.position, an index-only lookup), read under the
-- issuer's audit lock, which issuing takes anyway (microcred._audit) and every
-- lifecycle operation takes before it touches a status list: allocations of
-- one issuer are one at a time, and the counter is table data, so pg_dump
-- carries it (no sequence created at run time).
CREATE OR REPLACE FUNCTION microcred._allocate_status(issuer uuid, base_url text, credential uuid, purpose text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.status_list;
    n       bigint;
    i       integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(issuer::text));
    LOOP
        SELECT * INTO l FROM microcred.status_list sl
         WHERE sl.issuer_id = issuer AND sl.purpose = _allocate_status.purpose AND NOT sl.closed;
        IF l.id IS NULL THEN
            l := microcred._new_status_list(issuer, base_url, purpose);
        END IF;
        SELECT coalesce(max(e.position), 0) + 1 INTO n FROM microcred.status_entry e WHERE e.list_id = l.id;
        EXIT WHEN n <= l.size * 0.9;
        UPDATE microcred.status_list sl SET closed = true WHERE sl.id = l.id AND NOT sl.closed;
    END LOOP;
    i := microcred._status_permute(l.permutation_key, l.size, n - 1);
    INSERT INTO microcred.status_entry (issuer_id, list_id, idx, credential_id, purpose, position)
    VALUES (issuer, l.id, i, credential, purpose, n);
    RETURN jsonb_build_object('id', l.url || '#' || i, 'type', 'BitstringStatusListEntry',
                              'statusPurpose', purpose, 'statusListIndex', i::text,
                              'statusListCredential', l.url);
END
$$;
COMMENT ON FUNCTION microcred._allocate_status(uuid, text, uuid, text) IS
    'internal: allocate an unused, unpredictable status list index for a credential';

-- set or clear the status bits of many credentials, with the status and the audit
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

    -- the issuers' audit locks first, as issuing takes them before it reads a
    -- status list: lists and audit chains are always locked in that order
    PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(x.issuer_id::text))
       FROM (SELECT DISTINCT c.issuer_id FROM microcred.issued_credential c WHERE c.id = ANY (credentials)
              ORDER BY c.issuer_id) x;
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
COMMENT ON FUNCTION microcred._set_status(uuid[], text, text, name) IS 'internal: see revoke, suspend, reinstate';

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
    status := jsonb_build_array(microcred._allocate_status(t.issuer_id, i.base_url, c.id, 'revocation'),
                                microcred._allocate_status(t.issuer_id, i.base_url, c.id, 'suspension'));
    c.document := microcred._credential_document(c, t, i, l, salt, part.achievement, part.profile,
                                                 k.id, k.sealed_private, i.public_id || '#' || k.fragment,
                                                 c.proof_format, status);

    -- pathways with auto_award follow issues made here, not rows loaded by
    -- pg_restore or by hand (microcred._stack_auto_award checks this mark)
    PERFORM set_config('microcred_issue.credential', c.id::text, true);
    INSERT INTO microcred.issued_credential SELECT c.*
    ON CONFLICT ON CONSTRAINT issued_credential_idempotency_key_unique DO NOTHING;
    IF NOT FOUND THEN
        -- a concurrent issue with the same key won; return its credential (our two
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
COMMENT ON FUNCTION microcred._issue(text, uuid, text, jsonb, timestamptz, text, name, timestamptz, uuid, numeric) IS 'internal: see microcred.issue';

-- pathways with auto_award: issuing a component may complete one.  Only an
-- issue by microcred._issue (which marks the credential it inserts) awards:
-- rows arriving from pg_restore, a replica or a hand-written INSERT are data
-- being loaded, not credentials being issued.
CREATE OR REPLACE FUNCTION microcred._stack_auto_award()
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

CREATE OR REPLACE FUNCTION microcred._stack_check(p microcred.pathway, learner uuid)
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

-- (SECURITY DEFINER: the admin who changes a type, an outcome or an issuer may
-- not touch the cache table itself)
CREATE OR REPLACE FUNCTION microcred._document_part_drop()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME = 'credential_type' THEN
        DELETE FROM microcred.document_part WHERE credential_type_id = OLD.id;
    ELSIF TG_TABLE_NAME = 'learning_outcome' THEN
        DELETE FROM microcred.document_part
         WHERE credential_type_id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.credential_type_id END,
                                      CASE WHEN TG_OP <> 'DELETE' THEN NEW.credential_type_id END);
    ELSIF TG_TABLE_NAME = 'issuer' THEN
        DELETE FROM microcred.document_part WHERE issuer_id = OLD.id;
    ELSIF TG_TABLE_NAME = 'issuer_identifier' THEN
        DELETE FROM microcred.document_part
         WHERE issuer_id IN (CASE WHEN TG_OP <> 'INSERT' THEN OLD.issuer_id END,
                             CASE WHEN TG_OP <> 'DELETE' THEN NEW.issuer_id END);
    ELSE
        DELETE FROM microcred.document_part;
    END IF;
    RETURN NULL;
END
$$;

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
        PERFORM microcred._fail('42704', format('pathway %s does not exist', pathway), NULL, NULL);
    END IF;
    DELETE FROM microcred.pathway_node n WHERE n.pathway_id = p.id;
    PERFORM microcred._store_rule(p, rule, NULL, 1, 0);
    PERFORM microcred._check_pathway_cycles(p.issuer_id);
END
$$;
COMMENT ON FUNCTION microcred.set_pathway_rule(uuid, jsonb) IS 'replace the rule of a pathway (validated like define_pathway)';

-- SECURITY DEFINER: admins may not write the table (the bundled contexts must
-- stay as shipped); the function checks the actor and refuses bundled URLs
CREATE OR REPLACE FUNCTION microcred._register_context(url text, document jsonb, actor name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF actor IS NULL OR NOT pg_has_role(session_user, actor, 'MEMBER')
       OR NOT pg_has_role(actor, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may register JSON-LD contexts', NULL,
            'Grant microcred_admin to the role that registers contexts.');
    END IF;
    IF url IS NULL OR url !~ '^https?://\S+$' THEN
        PERFORM microcred._fail('22023', 'context URL must be an absolute http(s) URL', NULL,
            'Give the exact URL the context document is served at, as credentials cite it.');
    END IF;
    IF document IS NULL OR jsonb_typeof(document) <> 'object' OR NOT document ? '@context' THEN
        PERFORM microcred._fail('22023', format('context document for %s must be a JSON object with an @context member', url), NULL,
            'Register the document exactly as it is served, e.g. {"@context": {...}}.');
    END IF;
    IF EXISTS (SELECT FROM microcred.jsonld_context c WHERE c.url = _register_context.url AND c.bundled) THEN
        PERFORM microcred._fail('42710', format('context %s is bundled with microcred and cannot be replaced', url), NULL, NULL);
    END IF;
    INSERT INTO microcred.jsonld_context (url, document, added_by) VALUES (url, document::text, actor)
    ON CONFLICT ON CONSTRAINT jsonld_context_pkey DO UPDATE SET document = EXCLUDED.document,
        added_by = EXCLUDED.added_by, added_at = now();
END
$$;
COMMENT ON FUNCTION microcred._register_context(text, jsonb, name) IS 'internal: see microcred.register_context';

CREATE OR REPLACE FUNCTION microcred.register_context(url text, document jsonb)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._register_context(url, document, current_user COLLATE "default") $$;
COMMENT ON FUNCTION microcred.register_context(text, jsonb) IS
    'register an additional JSON-LD context document (e.g. an issuer''s extension) under its exact URL';

CREATE OR REPLACE FUNCTION microcred.event_source_add(issuer text, kind text, name text, platform uuid DEFAULT NULL,
                                           canvas_account text DEFAULT NULL, jwks_url text DEFAULT NULL,
                                           OUT source_id uuid, OUT secret text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss  uuid := microcred._resolve_issuer(issuer);
    salt bytea;
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
    INSERT INTO microcred.event_source (issuer_id, kind, name, platform_id, canvas_account, jwks_url,
                                        secret_salt, secret_hash, hmac_key)
    VALUES (iss, kind, name, platform, canvas_account, jwks_url, salt,
            CASE WHEN kind = 'xapi' THEN microcred._hmac_sha256(salt, convert_to(secret, 'UTF8')) END,
            CASE WHEN kind = 'moodle' THEN convert_to(secret, 'UTF8') END)
    RETURNING id INTO source_id;
    -- the bridge issues for this awarding body when its events say so
    INSERT INTO microcred.issuer_role (issuer_id, role) VALUES (iss, 'microcred_bridge'::regrole)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.event_source_add(text, text, text, uuid, text, text) IS
    'add a sender of completion events; returns the secret once (xAPI password or Moodle HMAC key)';

CREATE OR REPLACE VIEW microcred.issuers_report AS
SELECT i.id, i.handle, i.legal_name, i.country, c.name AS country_name, i.region, i.url, i.public_id,
       (SELECT jsonb_object_agg(ii.scheme, ii.value) FROM microcred.issuer_identifier ii
         WHERE ii.issuer_id = i.id) AS legal_identifiers,
       i.created_at
  FROM microcred.issuer i
  JOIN microcred.country c ON c.code = i.country
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.issuers_report IS 'awarding bodies with country and legal identifiers';

CREATE OR REPLACE VIEW microcred.credential_types_report AS
SELECT t.id, i.handle AS issuer, i.legal_name AS awarding_body, i.country, i.region,
       t.code, t.title, t.description,
       (SELECT array_agg(o.description ORDER BY o.position) FROM microcred.learning_outcome o
         WHERE o.credential_type_id = t.id) AS learning_outcomes,
       (SELECT array_agg(o.esco_uri ORDER BY o.position) FILTER (WHERE o.esco_uri IS NOT NULL)
          FROM microcred.learning_outcome o WHERE o.credential_type_id = t.id) AS esco_skills,
       t.ects, t.workload_hours, t.eqf_level, t.qf_ehea_cycle, t.assessment, t.participation,
       t.synchronous, t.quality_assurance, t.quality_assurance_body, t.prerequisites, t.supervision,
       t.integration, t.stackable_towards, t.languages, t.validity_period, t.grading_scheme,
       t.further_information, t.info_url, t.achievement_type, t.created_at, t.retired_at
  FROM microcred.credential_type t
  JOIN microcred.issuer i ON i.id = t.issuer_id
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.credential_types_report IS
    'micro-credential types with every EU standard element, one row per type';

CREATE OR REPLACE VIEW microcred.issued_credentials_report AS
SELECT c.id, i.handle AS issuer, t.code AS credential_code, t.title, c.learner_id,
       c.issued_at, c.awarded_date, c.valid_from, c.valid_until,
       (c.valid_until IS NOT NULL AND c.valid_until <= now()) AS expired,
       c.status, c.status_changed_at, c.proof_format, t.ects, t.eqf_level,
       c.supersedes, c.superseded_by,
       (SELECT k.state FROM microcred.signing_key k
         WHERE k.issuer_id = c.issuer_id
           AND i.public_id || '#' || k.fragment = coalesce(c.document -> 'proof' ->> 'verificationMethod',
                                                           c.document -> 'proof' -> 0 ->> 'verificationMethod')) AS signing_key_state
  FROM microcred.issued_credential c
  JOIN microcred.credential_type t ON t.id = c.credential_type_id
  JOIN microcred.issuer i ON i.id = c.issuer_id
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.issued_credentials_report IS
    'issued credentials without personal data (learner by opaque id only, no grade)';

CREATE OR REPLACE VIEW microcred.expiring_credentials AS
SELECT c.id, i.handle AS issuer, t.code AS credential_code, t.title, c.learner_id, c.valid_until,
       (c.valid_until::date - current_date) AS days_left,
       (SELECT k.state FROM microcred.signing_key k
         WHERE k.issuer_id = c.issuer_id
           AND i.public_id || '#' || k.fragment = coalesce(c.document -> 'proof' ->> 'verificationMethod',
                                                           c.document -> 'proof' -> 0 ->> 'verificationMethod')) AS signing_key_state
  FROM microcred.issued_credential c
  JOIN microcred.credential_type t ON t.id = c.credential_type_id
  JOIN microcred.issuer i ON i.id = c.issuer_id
 WHERE c.status = 'active' AND c.superseded_by IS NULL AND c.valid_until > now()
   AND (microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER'));
COMMENT ON VIEW microcred.expiring_credentials IS
    'active credentials that have a validUntil still ahead, with the days left (filter: WHERE days_left <= 30)';

-- reporting: progress of every learner who holds something towards a pathway
CREATE OR REPLACE VIEW microcred.pathway_progress AS
SELECT p.id AS pathway_id, i.handle || '/' || p.code AS pathway, l.learner_id, r.satisfied,
       round(100.0 * jsonb_array_length(jsonb_path_query_array(r.components, '$[*] ? (@.met == true)'))
             / greatest(jsonb_array_length(r.components), 1)) AS percent,
       jsonb_path_query_array(r.components, '$[*] ? (@.met == false).component') AS missing,
       r.ects_total
  FROM microcred.pathway p JOIN microcred.issuer i ON i.id = p.issuer_id
  JOIN LATERAL (SELECT DISTINCT c.learner_id FROM microcred.issued_credential c
                 WHERE c.issuer_id = p.issuer_id AND c.status = 'active'
                   AND c.credential_type_id IN (SELECT n.credential_type_id FROM microcred.pathway_node n
                                                 WHERE n.pathway_id = p.id)
                UNION
                SELECT rc.learner_id FROM microcred.recognition rc WHERE rc.issuer_id = p.issuer_id) l ON true
  CROSS JOIN LATERAL microcred._stack_check(p, l.learner_id) r
 WHERE microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER');
COMMENT ON VIEW microcred.pathway_progress IS
    'progress of each learner towards each pathway: satisfied, percent of components met, the missing ones, ECTS counted (learner by id only)';

CREATE OR REPLACE VIEW microcred.event_report AS
    SELECT s.name AS source, s.kind, e.state, count(*) AS events,
           min(e.received_at) AS oldest, max(e.received_at) AS newest
      FROM microcred.completion_event e JOIN microcred.event_source s ON s.id = e.source_id
     WHERE microcred.acts_for(s.issuer_id, current_user)
     GROUP BY s.name, s.kind, e.state;
COMMENT ON VIEW microcred.event_report IS 'completion events by source and state (issued, pending, ignored, failed)';

CREATE OR REPLACE VIEW microcred.event_polls AS
    SELECT s.name AS source, p.api, p.api_base_url, p.every, p.last_polled_at, p.last_ok_at, p.last_error,
           (SELECT count(*) FROM microcred.completion_event e WHERE e.source_id = s.id AND e.via = 'poll') AS completions_found
      FROM microcred.event_poll p JOIN microcred.event_source s ON s.id = p.source_id
     WHERE microcred.acts_for(s.issuer_id, current_user);
COMMENT ON VIEW microcred.event_polls IS 'reconciliation polls: state and errors, never the token';

CREATE OR REPLACE FUNCTION microcred._retire_key(key_id uuid, actor name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k microcred.signing_key;
    affected bigint;
BEGIN
    SELECT * INTO k FROM microcred.signing_key WHERE id = key_id;
    IF NOT FOUND THEN
        PERFORM microcred._fail('42704', format('signing key %s does not exist', key_id), NULL,
            'List keys with: SELECT * FROM microcred.issuer_keys;');
    END IF;
    PERFORM microcred._check_actor(k.issuer_id, actor);
    IF NOT pg_has_role(actor, 'microcred_admin', 'MEMBER') THEN
        PERFORM microcred._fail('42501', 'only a microcred admin may retire signing keys', NULL, NULL);
    END IF;
    IF k.state = 'retired' THEN
        PERFORM microcred._fail('55000', 'signing key is already retired', format('Key %s was retired at %s.', key_id, k.retired_at), NULL);
    END IF;
    UPDATE microcred.signing_key SET state = 'retired', retired_at = now() WHERE id = key_id;
    PERFORM microcred._audit(k.issuer_id, 'key_retire', key_id, NULL, jsonb_build_object('algorithm', k.algorithm), actor);
    -- the active credentials whose proof names this key no longer verify: say how many
    SELECT count(*) INTO affected FROM microcred.issued_credential c JOIN microcred.issuer i ON i.id = c.issuer_id
     WHERE c.issuer_id = k.issuer_id AND c.status = 'active' AND c.superseded_by IS NULL
       AND coalesce(c.document -> 'proof' ->> 'verificationMethod', c.document -> 'proof' -> 0 ->> 'verificationMethod')
           = i.public_id || '#' || k.fragment;
    IF affected > 0 THEN
        RAISE WARNING '% active credential(s) signed with the retired key no longer verify', affected
            USING DETAIL = 'The reports show them with signing_key_state ''retired''.',
                  HINT = 'Re-issue them with the active key: SELECT microcred.supersede(id, reason => ''signing key retired'') FROM microcred.issued_credentials_report WHERE signing_key_state = ''retired'' AND status = ''active'' AND superseded_by IS NULL;';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION microcred._credential_type_has_outcomes()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_query() ~* '^\s*COPY\s' THEN
        -- rows loaded by COPY: most likely a restore table by table, where the
        -- outcomes arrive in a later table; say how to restore instead
        BEGIN
            PERFORM microcred._require_outcomes(NEW.id);
        EXCEPTION WHEN not_null_violation THEN
            PERFORM microcred._fail('23502', 'learning outcomes are required',
                format('Credential type %s has no learning outcome when its rows are committed; in a restore they arrive in a later table.', NEW.code),
                'Restore into a fresh database in one transaction: pg_restore --single-transaction, or psql --single-transaction -f (README "Backup and restore").');
        END;
    ELSE
        PERFORM microcred._require_outcomes(NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION microcred.retire_key(key_id uuid)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._retire_key(key_id, current_user COLLATE "default") $$;
COMMENT ON FUNCTION microcred.retire_key(uuid) IS
    'retire a signing key: it no longer signs, and credentials it signed no longer verify (a warning counts the active ones; supersede re-issues them)';

-- grants of this part (new functions start with PUBLIC's EXECUTE: revoked)
REVOKE ALL ON FUNCTION microcred._register_context(text, jsonb, name), microcred.purge_issuer_roles() FROM PUBLIC;
REVOKE ALL ON microcred.issuer_roles FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred._register_context(text, jsonb, name), microcred.purge_issuer_roles() TO microcred_admin;
GRANT SELECT ON microcred.issuer_roles TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.version()
    TO microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;
GRANT EXECUTE ON FUNCTION microcred.acts_for(uuid, name) TO microcred_verifier, microcred_reader;

-- what each column of the reporting views means (pg_extension/scripts/99_comments.sql)
COMMENT ON COLUMN microcred.issuers_report.id IS 'id of the awarding body';
COMMENT ON COLUMN microcred.issuers_report.handle IS 'short name of the awarding body, used in URLs and as issuer argument';
COMMENT ON COLUMN microcred.issuers_report.legal_name IS 'EU element "awarding body": its legal name';
COMMENT ON COLUMN microcred.issuers_report.country IS 'EU element "country/region of the issuer": ISO 3166-1 alpha-2 code';
COMMENT ON COLUMN microcred.issuers_report.country_name IS 'English name of the country';
COMMENT ON COLUMN microcred.issuers_report.region IS 'region of the awarding body, where given';
COMMENT ON COLUMN microcred.issuers_report.url IS 'web site of the awarding body';
COMMENT ON COLUMN microcred.issuers_report.public_id IS 'the issuer id (URI) written into its credentials';
COMMENT ON COLUMN microcred.issuers_report.legal_identifiers IS 'legal identifiers by scheme (register number, VAT, EUID, DEQAR id, ...) as a JSON object';
COMMENT ON COLUMN microcred.issuers_report.created_at IS 'when the awarding body was added';

COMMENT ON COLUMN microcred.credential_types_report.id IS 'id of the credential type';
COMMENT ON COLUMN microcred.credential_types_report.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.credential_types_report.awarding_body IS 'EU element "awarding body": legal name';
COMMENT ON COLUMN microcred.credential_types_report.country IS 'EU element "country/region of the issuer": country code';
COMMENT ON COLUMN microcred.credential_types_report.region IS 'region of the awarding body';
COMMENT ON COLUMN microcred.credential_types_report.code IS 'the type''s code, unique per awarding body (issuer/CODE names it)';
COMMENT ON COLUMN microcred.credential_types_report.title IS 'EU element "title of the micro-credential"';
COMMENT ON COLUMN microcred.credential_types_report.description IS 'what the learner did and can now do';
COMMENT ON COLUMN microcred.credential_types_report.learning_outcomes IS 'EU element "learning outcomes", in order';
COMMENT ON COLUMN microcred.credential_types_report.esco_skills IS 'ESCO skill URIs the outcomes are aligned to';
COMMENT ON COLUMN microcred.credential_types_report.ects IS 'EU element "notional workload" in ECTS credits';
COMMENT ON COLUMN microcred.credential_types_report.workload_hours IS 'notional workload in hours, where ECTS does not apply';
COMMENT ON COLUMN microcred.credential_types_report.eqf_level IS 'EU element "level": EQF level 1 to 8';
COMMENT ON COLUMN microcred.credential_types_report.qf_ehea_cycle IS 'QF-EHEA cycle (short, first, second, third) for higher education';
COMMENT ON COLUMN microcred.credential_types_report.assessment IS 'EU element "type of assessment"';
COMMENT ON COLUMN microcred.credential_types_report.participation IS 'EU element "form of participation" (online, onsite, blended)';
COMMENT ON COLUMN microcred.credential_types_report.synchronous IS 'synchronous (true) or asynchronous (false) participation, where known';
COMMENT ON COLUMN microcred.credential_types_report.quality_assurance IS 'EU element "type of quality assurance"';
COMMENT ON COLUMN microcred.credential_types_report.quality_assurance_body IS 'body responsible for quality assurance';
COMMENT ON COLUMN microcred.credential_types_report.prerequisites IS 'EU optional element "prerequisites needed to enrol"';
COMMENT ON COLUMN microcred.credential_types_report.supervision IS 'EU optional element "supervision and identity verification during assessment"';
COMMENT ON COLUMN microcred.credential_types_report.integration IS 'EU optional element "integration / stackability options"';
COMMENT ON COLUMN microcred.credential_types_report.stackable_towards IS 'what the micro-credential stacks towards';
COMMENT ON COLUMN microcred.credential_types_report.languages IS 'languages of instruction and assessment (BCP 47)';
COMMENT ON COLUMN microcred.credential_types_report.validity_period IS 'credentials expire this long after issue; NULL: no expiry';
COMMENT ON COLUMN microcred.credential_types_report.grading_scheme IS 'grading scheme of the grades credentials carry';
COMMENT ON COLUMN microcred.credential_types_report.further_information IS 'EU optional element "further information"';
COMMENT ON COLUMN microcred.credential_types_report.info_url IS 'web page about the micro-credential';
COMMENT ON COLUMN microcred.credential_types_report.achievement_type IS 'Open Badges 3.0 achievementType';
COMMENT ON COLUMN microcred.credential_types_report.created_at IS 'when the type was defined';
COMMENT ON COLUMN microcred.credential_types_report.retired_at IS 'when the type was retired (no longer issued); NULL: current';

COMMENT ON COLUMN microcred.issued_credentials_report.id IS 'id of the issued credential (its URL ends with it)';
COMMENT ON COLUMN microcred.issued_credentials_report.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issued_credentials_report.credential_code IS 'code of the credential type';
COMMENT ON COLUMN microcred.issued_credentials_report.title IS 'title of the micro-credential';
COMMENT ON COLUMN microcred.issued_credentials_report.learner_id IS 'the learner, by opaque id only (no personal data here)';
COMMENT ON COLUMN microcred.issued_credentials_report.issued_at IS 'when the credential was issued (validFrom)';
COMMENT ON COLUMN microcred.issued_credentials_report.awarded_date IS 'EU element "date of issuing": when it was awarded';
COMMENT ON COLUMN microcred.issued_credentials_report.valid_from IS 'start of validity';
COMMENT ON COLUMN microcred.issued_credentials_report.valid_until IS 'end of validity (validUntil); NULL: no expiry';
COMMENT ON COLUMN microcred.issued_credentials_report.expired IS 'valid_until has passed';
COMMENT ON COLUMN microcred.issued_credentials_report.status IS 'active, suspended or revoked (as the status lists publish it)';
COMMENT ON COLUMN microcred.issued_credentials_report.status_changed_at IS 'when the status last changed';
COMMENT ON COLUMN microcred.issued_credentials_report.proof_format IS 'the Data Integrity cryptosuite of its proof';
COMMENT ON COLUMN microcred.issued_credentials_report.ects IS 'ECTS credits of the type';
COMMENT ON COLUMN microcred.issued_credentials_report.eqf_level IS 'EQF level of the type';
COMMENT ON COLUMN microcred.issued_credentials_report.supersedes IS 'the credential this one corrects, if any';
COMMENT ON COLUMN microcred.issued_credentials_report.superseded_by IS 'the credential that corrects this one, if any (this one is then revoked)';
COMMENT ON COLUMN microcred.issued_credentials_report.signing_key_state IS 'state of the key its proof names: active or standby (verifies), retired (no longer verifies: supersede it), NULL when the stored document was dropped at erasure';

COMMENT ON COLUMN microcred.expiring_credentials.id IS 'id of the issued credential';
COMMENT ON COLUMN microcred.expiring_credentials.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.expiring_credentials.credential_code IS 'code of the credential type';
COMMENT ON COLUMN microcred.expiring_credentials.title IS 'title of the micro-credential';
COMMENT ON COLUMN microcred.expiring_credentials.learner_id IS 'the learner, by opaque id only';
COMMENT ON COLUMN microcred.expiring_credentials.valid_until IS 'end of validity (validUntil)';
COMMENT ON COLUMN microcred.expiring_credentials.days_left IS 'days until valid_until';
COMMENT ON COLUMN microcred.expiring_credentials.signing_key_state IS 'state of the key its proof names: retired means it no longer verifies already';

COMMENT ON COLUMN microcred.issuer_keys.id IS 'id of the key';
COMMENT ON COLUMN microcred.issuer_keys.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issuer_keys.algorithm IS 'Ed25519, P-256 or RSA';
COMMENT ON COLUMN microcred.issuer_keys.state IS 'active (signs), standby (verifies, no longer signs) or retired (neither)';
COMMENT ON COLUMN microcred.issuer_keys.verification_method IS 'the verificationMethod proofs name';
COMMENT ON COLUMN microcred.issuer_keys.public_key_multibase IS 'public key as Multikey publicKeyMultibase';
COMMENT ON COLUMN microcred.issuer_keys.public_jwk IS 'public key as a JWK';
COMMENT ON COLUMN microcred.issuer_keys.did_key IS 'the key as a did:key';
COMMENT ON COLUMN microcred.issuer_keys.created_at IS 'when the key was generated';
COMMENT ON COLUMN microcred.issuer_keys.retired_at IS 'when the key was retired';

COMMENT ON COLUMN microcred.pathway_progress.pathway_id IS 'id of the pathway';
COMMENT ON COLUMN microcred.pathway_progress.pathway IS 'issuer/CODE of the pathway';
COMMENT ON COLUMN microcred.pathway_progress.learner_id IS 'the learner, by opaque id only';
COMMENT ON COLUMN microcred.pathway_progress.satisfied IS 'the learner meets the pathway''s rule (its target can be issued)';
COMMENT ON COLUMN microcred.pathway_progress.percent IS 'share of the rule''s components met, 0 to 100';
COMMENT ON COLUMN microcred.pathway_progress.missing IS 'the components not yet met';
COMMENT ON COLUMN microcred.pathway_progress.ects_total IS 'ECTS credits counted towards the pathway';

COMMENT ON COLUMN microcred.lti_tool_keys.kid IS 'key id in the tool''s JWKS';
COMMENT ON COLUMN microcred.lti_tool_keys.state IS 'active (signs), standby (published) or retired';
COMMENT ON COLUMN microcred.lti_tool_keys.public_jwk IS 'public key as a JWK';
COMMENT ON COLUMN microcred.lti_tool_keys.created_at IS 'when the key was generated';
COMMENT ON COLUMN microcred.lti_tool_keys.retired_at IS 'when the key was retired';

COMMENT ON COLUMN microcred.event_report.source IS 'name of the event source';
COMMENT ON COLUMN microcred.event_report.kind IS 'xapi, canvas or moodle';
COMMENT ON COLUMN microcred.event_report.state IS 'state of the events: issued, pending, ignored, failed, received';
COMMENT ON COLUMN microcred.event_report.events IS 'how many events of this source are in this state';
COMMENT ON COLUMN microcred.event_report.oldest IS 'when the oldest of them arrived';
COMMENT ON COLUMN microcred.event_report.newest IS 'when the newest of them arrived';

COMMENT ON COLUMN microcred.event_polls.source IS 'name of the event source polled';
COMMENT ON COLUMN microcred.event_polls.api IS 'the LMS API polled';
COMMENT ON COLUMN microcred.event_polls.api_base_url IS 'base URL of the LMS API';
COMMENT ON COLUMN microcred.event_polls.every IS 'polling interval';
COMMENT ON COLUMN microcred.event_polls.last_polled_at IS 'when it was last polled';
COMMENT ON COLUMN microcred.event_polls.last_ok_at IS 'when a poll last succeeded';
COMMENT ON COLUMN microcred.event_polls.last_error IS 'the last poll''s error, if it failed';
COMMENT ON COLUMN microcred.event_polls.completions_found IS 'completions the polls found that no event had reported';

-- what pg_dump backs up (pg_extension/scripts/99_backup.sql): every table and
-- sequence but the seeded reference data and the document cache
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS rel, c.relname FROM pg_class c
              WHERE c.relnamespace = 'microcred'::regnamespace AND c.relkind IN ('r', 'p', 'S')
                AND c.relname NOT IN ('country', 'vocabulary', 'document_part')
              ORDER BY c.relname LOOP
        PERFORM pg_extension_config_dump(r.rel,
            CASE r.relname WHEN 'jsonld_context' THEN 'WHERE NOT bundled' ELSE '' END);
    END LOOP;
END
$$;
