/*
 * microcred install script, 50_audit.sql: the audit chain.
 *
 * Every issue, revoke, suspend, reinstate, supersede, key event and erasure,
 * hash-chained per issuer; append-only; audit_verify walks it.
 */

-- audit chain ---------------------------------------------------------------------

CREATE TABLE microcred.audit_log (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id),
    seq         bigint NOT NULL,
    at          timestamptz NOT NULL,
    actor       name NOT NULL,
    action      text NOT NULL CONSTRAINT audit_log_action CHECK (action IN (
                    'issue', 'revoke', 'suspend', 'reinstate', 'supersede',
                    'key_create', 'key_retire', 'erase', 'recognise', 'link_lms_account')),
    subject     uuid,
    reason      text,
    details     jsonb NOT NULL DEFAULT '{}',
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    PRIMARY KEY (issuer_id, seq)
);
COMMENT ON TABLE microcred.audit_log IS
    'append-only log of every lifecycle event, per issuer a hash chain: hash = SHA-256(prev_hash || the row''s fields); check it with microcred.audit_verify()';
COMMENT ON COLUMN microcred.audit_log.prev_hash IS 'the hash of the previous link of the same issuer (SHA-256 of the empty string for the first)';

-- the hash of one audit row (microcred._audit_hash, C: audit_sql.c, declared in
-- 15_bindings.sql): SHA-256 over the previous hash and every field

-- append one event to the issuer's chain (caller is SECURITY DEFINER).  A
-- transaction-scoped advisory lock per issuer makes appends one at a time;
-- no row is updated, so a transaction issuing 100,000 credentials builds no
-- version chain.  (Runs at READ COMMITTED: the last link is read after the lock.)
CREATE FUNCTION microcred._audit(issuer uuid, action text, subject uuid, reason text, details jsonb, actor name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s       bigint;
    prev    bytea;
    t       timestamptz := clock_timestamp();
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(issuer::text));
    SELECT a.seq, a.hash INTO s, prev FROM microcred.audit_log a
     WHERE a.issuer_id = issuer ORDER BY a.seq DESC LIMIT 1;
    s := coalesce(s, 0) + 1;
    prev := coalesce(prev, sha256(''::bytea));
    INSERT INTO microcred.audit_log (issuer_id, seq, at, actor, action, subject, reason, details, prev_hash, hash)
    VALUES (issuer, s, t, actor, action, subject, reason, coalesce(details, '{}'), prev,
            microcred._audit_hash(issuer, s, t, actor, action, subject, reason, coalesce(details, '{}'), prev));
END
$$;
COMMENT ON FUNCTION microcred._audit(uuid, text, uuid, text, jsonb, name) IS 'internal: append an event to the audit chain';

-- the last link of an issuer's chain: keep it outside the database (a log, a
-- ticket, another system) to detect later removal of links from the end
CREATE FUNCTION microcred.audit_anchor(issuer text, OUT seq bigint, OUT hash text)
RETURNS record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.seq, encode(a.hash, 'hex') FROM microcred.audit_log a
     WHERE a.issuer_id = microcred._resolve_issuer(issuer) ORDER BY a.seq DESC LIMIT 1
$$;
COMMENT ON FUNCTION microcred.audit_anchor(text) IS
    'the last link (seq, hash) of an issuer''s audit chain, to keep outside the database; audit_verify(issuer, seq, hash) then also detects links removed from the end';

CREATE FUNCTION microcred._audit_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM microcred._fail('55000', 'the audit log is append-only',
        format('%s on microcred.audit_log is refused.', TG_OP),
        'Audit rows are never changed or removed; microcred.audit_verify() detects any attempt.');
    RETURN NULL;
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON microcred.audit_log
    FOR EACH ROW EXECUTE FUNCTION microcred._audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON microcred.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._audit_append_only();

-- walk an issuer's chain; the first broken link, if any
CREATE FUNCTION microcred.audit_verify(issuer text, anchor_seq bigint DEFAULT NULL, anchor_hash text DEFAULT NULL,
    OUT ok boolean, OUT links bigint, OUT first_bad_seq bigint, OUT problem text)
RETURNS record
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    issuer_uuid uuid := microcred._resolve_issuer(issuer);
    r           microcred.audit_log;
    expect_seq  bigint := 1;
    prev        bytea := sha256(''::bytea);
    anchored    boolean := false;
BEGIN
    ok := true;
    links := 0;
    FOR r IN SELECT * FROM microcred.audit_log a WHERE a.issuer_id = issuer_uuid ORDER BY a.seq LOOP
        IF r.seq <> expect_seq THEN
            ok := false; first_bad_seq := expect_seq;
            problem := format('link %s is missing (the next link is %s): a row was deleted or renumbered', expect_seq, r.seq);
            RETURN;
        END IF;
        IF r.prev_hash <> prev THEN
            ok := false; first_bad_seq := r.seq;
            problem := format('link %s does not carry the hash of link %s: a row was inserted, removed or changed before it', r.seq, r.seq - 1);
            RETURN;
        END IF;
        IF microcred._audit_hash(r.issuer_id, r.seq, r.at, r.actor, r.action, r.subject, r.reason, r.details, r.prev_hash) <> r.hash THEN
            ok := false; first_bad_seq := r.seq;
            problem := format('link %s was changed after it was written (its hash does not match its content)', r.seq);
            RETURN;
        END IF;
        IF r.seq = anchor_seq THEN
            IF encode(r.hash, 'hex') <> lower(anchor_hash) THEN
                ok := false; first_bad_seq := r.seq;
                problem := format('link %s does not match the anchor kept outside the database', r.seq);
                RETURN;
            END IF;
            anchored := true;
        END IF;
        prev := r.hash;
        expect_seq := r.seq + 1;
        links := links + 1;
    END LOOP;
    IF anchor_seq IS NOT NULL AND NOT anchored THEN
        ok := false; first_bad_seq := links + 1;
        problem := format('the chain ends at link %s, before the anchor''s link %s: links were removed from its end', links, anchor_seq);
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.audit_verify(text, bigint, text) IS
    'walk an issuer''s audit chain and report the first broken link (a changed, deleted or inserted row); with an anchor from audit_anchor(), also links removed from the end';
