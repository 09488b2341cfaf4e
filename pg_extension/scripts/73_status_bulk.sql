/*
 * microcred install script, 73_status_bulk.sql: set-based status changes.
 *
 *   _audit_many        many audit links of one issuer, hashed in one loop and
 *                      written by one multi-row INSERT (same chain, same hashes
 *                      as one _audit call per link)
 *   _set_status_many   revoke / suspend / reinstate many credentials: one pass
 *                      over the entries (HOT updates), each list's bitstring
 *                      written once (_status_bits, in C), one UPDATE of the
 *                      credentials, one audit INSERT per issuer (same checks
 *                      and errors as before)
 *   _issued_credential_document_fixed
 *                      the "document never changes" rule as its own trigger,
 *                      fired only by an UPDATE that sets the document: a status
 *                      change no longer compares two 5 KB documents per row
 * The set-based pathways (_stack_set) are in 89_stack_set.sql.
 */

-- many links of one issuer's audit chain: the same link per subject, in the
-- order given, as one microcred._audit call per subject would append
CREATE FUNCTION microcred._audit_many(issuer uuid, action text, subjects uuid[], reason text, details jsonb, actor name)
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
CREATE FUNCTION microcred._set_status_many(credentials uuid[], op text, reason text, actor name)
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
    -- each credential once, in the order of the audit (issuer, id); NULLs name nothing.
    -- One pass over the credentials gives a given id that does not exist,
    -- the issuers, the credentials per issuer and the first credential the
    -- operation does not accept (the issuer of a credential never changes,
    -- so the audit can use these lists later)
    SELECT (array_agg(x.u) FILTER (WHERE x.id IS NULL))[1],
           array_agg(x.issuer_id ORDER BY x.issuer_id, x.id) FILTER (WHERE x.id IS NOT NULL),
           array_agg(x.id ORDER BY x.issuer_id, x.id) FILTER (WHERE x.id IS NOT NULL),
           (array_agg(x.id) FILTER (WHERE x.refused))[1], (array_agg(x.status) FILTER (WHERE x.refused))[1]
      INTO missing, issuers, ids, bad_id, bad_status
      FROM (SELECT DISTINCT u, c.issuer_id, c.id, c.status,
                   CASE op WHEN 'revoke' THEN c.status = 'revoked'
                           WHEN 'suspend' THEN c.status <> 'active'
                           WHEN 'reinstate' THEN c.status <> 'suspended' END AS refused
              FROM unnest(credentials) u LEFT JOIN microcred.issued_credential c ON c.id = u
             WHERE u IS NOT NULL) x;
    IF missing IS NOT NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', missing), NULL,
            'Check the id: SELECT id FROM microcred.issued_credentials_report WHERE ...;');
    END IF;
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
    -- the entries in one pass (a join on the (credential, purpose) key; no
    -- index names "set", so each is a HOT update), then each list they are
    -- in once: its bitstring, changed in one pass over its indexes in C, and
    -- its version.  A concurrent change of the same list waits for this row
    -- and applies its own bits to these (READ COMMITTED re-reads the row)
    WITH changed AS (
        UPDATE microcred.status_entry e SET set = (op <> 'reinstate'), changed_at = now()
          FROM unnest(ids) u
         WHERE e.credential_id = u AND e.purpose = status_purpose
        RETURNING e.list_id, e.idx),
    bumped AS (
        UPDATE microcred.status_list l
           SET bits_version = l.bits_version + 1,
               bits = microcred._status_bits(l.bits, l.size, c.idxs, op <> 'reinstate')
          FROM (SELECT list_id, array_agg(idx) AS idxs FROM changed GROUP BY list_id) c
         WHERE l.id = c.list_id
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
CREATE FUNCTION microcred._issued_credential_document_fixed()
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

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
