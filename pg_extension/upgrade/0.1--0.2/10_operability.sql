
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


-- functions changed by this part (complete definitions, as in pg_extension/scripts/)

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

-- grants of this part (new functions start without PUBLIC's EXECUTE)
REVOKE ALL ON FUNCTION microcred._register_context(text, jsonb, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION microcred._register_context(text, jsonb, name) TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.version()
    TO microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;

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
