/*
 * microcred install script, part 8: the credential lifecycle.
 *
 *   audit chain      every issue, revoke, suspend, reinstate, supersede, key
 *                    event and erasure, hash-chained per issuer
 *   status lists     W3C Bitstring Status List v1.0, one list per issuer and
 *                    purpose at a time, random indexes, published signed
 *   operations       revoke, suspend, reinstate, supersede (one and many)
 *   erasure          a learner's personal data removed, credentials kept valid
 *   expiry           credentials nearing validUntil
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

-- the hash of one audit row: SHA-256 over the previous hash and every field
-- (no SET clause, so the body is inlined where it is called instead of being
-- planned again on every call; every name in it is schema-qualified or pg_catalog's)
CREATE FUNCTION microcred._audit_hash(issuer_id uuid, seq bigint, at timestamptz, actor name, action text,
                                      subject uuid, reason text, details jsonb, prev_hash bytea)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.sha256(prev_hash OPERATOR(pg_catalog.||) pg_catalog.convert_to(pg_catalog.concat_ws(E'\x1f',
        issuer_id::text, seq::text,
        pg_catalog.to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), actor::text, action,
        coalesce(subject::text, ''), coalesce(reason, ''),
        microcred.canonicalize(details, 'jcs')), 'UTF8'))
$$;
COMMENT ON FUNCTION microcred._audit_hash(uuid, bigint, timestamptz, name, text, uuid, text, jsonb, bytea) IS
    'internal: the chained hash of one audit row';

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

-- status lists ------------------------------------------------------------------

-- suspension is a per-type opt-in (after 60_keys' proof_format: the column
-- order of a fresh install equals that of an updated 0.1 database)
ALTER TABLE microcred.credential_type ADD COLUMN suspendable boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN microcred.credential_type.suspendable IS
    'credentials of this type issued from now on can be suspended: they carry a second credentialStatus entry (suspension), which leaves Open Badges 3.0''s credentialStatus 0..1; by default only revocation';

CREATE TABLE microcred.status_list (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    issuer_id       uuid NOT NULL REFERENCES microcred.issuer (id),
    purpose         text NOT NULL CONSTRAINT status_list_purpose CHECK (purpose IN ('revocation', 'suspension')),
    url             text NOT NULL UNIQUE,
    size            integer NOT NULL DEFAULT 131072
                    CONSTRAINT status_list_size CHECK (size >= 131072 AND size % 8 = 0),
    permutation_key bytea NOT NULL,
    closed          boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    published       jsonb,
    bits_version    bigint NOT NULL DEFAULT 0,   -- bumped whenever a bit of the list changes
    published_version bigint,                    -- bits_version the published credential shows
    published_at    timestamptz,
    UNIQUE (issuer_id, id)
);
CREATE UNIQUE INDEX status_list_open ON microcred.status_list (issuer_id, purpose) WHERE NOT closed;
COMMENT ON TABLE microcred.status_list IS
    'Bitstring Status Lists (W3C): one open list per issuer and purpose; a new one starts when 90% of its entries are taken';
COMMENT ON COLUMN microcred.status_list.permutation_key IS
    'key of the pseudo-random permutation from position to index, so the index says nothing about the order of issue';
COMMENT ON COLUMN microcred.status_list.published IS
    'the last signed BitstringStatusListCredential; served again until a bit changes';

CREATE TABLE microcred.status_entry (
    issuer_id       uuid NOT NULL,
    list_id         uuid NOT NULL,
    idx             integer NOT NULL CHECK (idx >= 0),
    credential_id   uuid NOT NULL REFERENCES microcred.issued_credential (id) DEFERRABLE INITIALLY DEFERRED,
    purpose         text NOT NULL,
    set             boolean NOT NULL DEFAULT false,
    changed_at      timestamptz,
    position        integer CONSTRAINT status_entry_position_positive CHECK (position > 0),
    PRIMARY KEY (list_id, idx),
    UNIQUE (credential_id, purpose),
    FOREIGN KEY (issuer_id, list_id) REFERENCES microcred.status_list (issuer_id, id)
);
CREATE INDEX status_entry_set ON microcred.status_entry (list_id, idx) WHERE set;
CREATE UNIQUE INDEX status_entry_position ON microcred.status_entry (list_id, position);
COMMENT ON TABLE microcred.status_entry IS
    'the status list index of each credential per purpose, and whether its bit is set (revoked / suspended)';
COMMENT ON COLUMN microcred.status_entry.position IS
    'the position (1, 2, 3, ... in order of allocation) the index was computed from; the next allocation takes the highest plus one, so the counter is data that pg_dump restores';

-- the public URL of a status list credential
CREATE FUNCTION microcred._status_list_url(list_id uuid, base_url text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT coalesce(base_url || '/status/' || list_id, 'urn:uuid:' || list_id) $$;

CREATE FUNCTION microcred._status_permute(key bytea, size integer, n bigint)
RETURNS integer
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_permute';
COMMENT ON FUNCTION microcred._status_permute(bytea, integer, bigint) IS
    'internal: the index of position n of a status list (keyed Feistel permutation of [0, size))';

-- a new open list for an issuer and purpose
CREATE FUNCTION microcred._new_status_list(issuer uuid, base_url text, purpose text)
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
-- 90% are taken.  The next position is the list's highest committed position
-- plus one (status_entry.position, an index-only lookup), skipping positions
-- that running transactions hold; the counter is table data, so pg_dump
-- carries it (no sequence created at run time).  Issuing no longer takes the
-- issuer's audit lock here, so two connections sign concurrently and only
-- their audit links (microcred._audit) are one at a time:
--  * a transaction's first 16 allocations each hold a transaction-scoped
--    advisory lock on (list, position): a concurrent allocation skips a held
--    position (a gap if its holder rolls back: harmless, the index is never
--    handed out twice because status_entry is unique on (list, position));
--  * beyond 16 (set-based issuing) the transaction takes the issuer's audit
--    lock, which its first audit link holds anyway, and only tests each
--    position's lock (held for the duration of the insert), so the lock
--    table does not grow with the set.  A set-based transaction never waits
--    for a lock-holding one (it skips their positions) and only one per
--    issuer runs, so a waiting cycle cannot form;
--  * opening or closing a list takes the issuer's audit lock (rare).
CREATE FUNCTION microcred._allocate_status(issuer uuid, base_url text, credential uuid, purpose text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.status_list;
    n       bigint;
    i       integer;
    lk      integer;
    bulk    boolean;
    done    boolean;
    k       integer := coalesce(nullif(current_setting('microcred_status.allocations', true), ''), '0')::integer;
BEGIN
    bulk := k >= 16;
    PERFORM set_config('microcred_status.allocations', (k + 1)::text, true);
    IF bulk THEN
        PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(issuer::text));
    END IF;
    LOOP
        SELECT * INTO l FROM microcred.status_list sl
         WHERE sl.issuer_id = issuer AND sl.purpose = _allocate_status.purpose AND NOT sl.closed;
        IF l.id IS NULL THEN
            PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(issuer::text));
            SELECT * INTO l FROM microcred.status_list sl
             WHERE sl.issuer_id = issuer AND sl.purpose = _allocate_status.purpose AND NOT sl.closed;
            IF l.id IS NULL THEN
                l := microcred._new_status_list(issuer, base_url, purpose);
            END IF;
        END IF;
        lk := hashtext('microcred.status:' || l.id::text);
        SELECT coalesce(max(e.position), 0) + 1 INTO n FROM microcred.status_entry e WHERE e.list_id = l.id;
        -- the first position from n on that no running allocation holds
        IF bulk THEN
            WHILE n <= l.size * 0.9 AND NOT pg_try_advisory_lock(lk, n::integer) LOOP
                n := n + 1;
            END LOOP;
        ELSE
            WHILE n <= l.size * 0.9 AND NOT pg_try_advisory_xact_lock(lk, n::integer) LOOP
                n := n + 1;
            END LOOP;
        END IF;
        IF n > l.size * 0.9 THEN
            PERFORM pg_advisory_xact_lock(hashtext('microcred.audit'), hashtext(issuer::text));
            UPDATE microcred.status_list sl SET closed = true WHERE sl.id = l.id AND NOT sl.closed;
            CONTINUE;
        END IF;
        i := microcred._status_permute(l.permutation_key, l.size, n - 1);
        INSERT INTO microcred.status_entry (issuer_id, list_id, idx, credential_id, purpose, position)
        VALUES (issuer, l.id, i, credential, purpose, n)
        ON CONFLICT (list_id, position) DO NOTHING;
        done := FOUND;
        IF bulk THEN
            PERFORM pg_advisory_unlock(lk, n::integer);
        END IF;
        -- not done: a transaction that committed after max() was read took it
        EXIT WHEN done;
    END LOOP;
    RETURN jsonb_build_object('id', l.url || '#' || i, 'type', 'BitstringStatusListEntry',
                              'statusPurpose', purpose, 'statusListIndex', i::text,
                              'statusListCredential', l.url);
END
$$;
COMMENT ON FUNCTION microcred._allocate_status(uuid, text, uuid, text) IS
    'internal: allocate an unused, unpredictable status list index for a credential';

CREATE FUNCTION microcred._status_encode(size integer, set_indexes integer[])
RETURNS text
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_encode';
COMMENT ON FUNCTION microcred._status_encode(integer, integer[]) IS
    'internal: the encodedList (multibase base64url of the GZIP-compressed bitstring) with these bits set';

CREATE FUNCTION microcred._status_check(entry jsonb, list_credential jsonb, OUT is_set boolean, OUT problem text)
RETURNS record
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'microcred_status_check';
COMMENT ON FUNCTION microcred._status_check(jsonb, jsonb) IS
    'internal: the bit of a BitstringStatusListEntry in a status list credential, or the problem that prevents reading it';

-- the signed status list credential of a list, re-signed only when a bit changed
CREATE FUNCTION microcred.status_list_credential(list uuid)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.status_list;
    i       microcred.issuer;
    k       microcred.signing_key;
    bits    integer[];
    version bigint;
    url     text;
    doc     jsonb;
BEGIN
    SELECT * INTO l FROM microcred.status_list WHERE id = list;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('status list %s does not exist', list), NULL,
            'List them with: SELECT id, purpose FROM microcred.status_list;');
    END IF;
    -- current: nothing changed since it was signed (one row read, however many bits are set)
    IF l.published IS NOT NULL AND l.published_version = l.bits_version THEN
        RETURN l.published;
    END IF;
    -- the version read with the bits: a change committed after this statement bumps it again
    SELECT sl.bits_version INTO version FROM microcred.status_list sl WHERE sl.id = l.id;
    SELECT array_agg(e.idx ORDER BY e.idx) INTO bits FROM microcred.status_entry e WHERE e.list_id = l.id AND e.set;
    SELECT * INTO i FROM microcred.issuer WHERE id = l.issuer_id;
    SELECT * INTO k FROM microcred.signing_key sk
     WHERE sk.issuer_id = l.issuer_id AND sk.algorithm = 'Ed25519' AND sk.state = 'active';
    IF k.id IS NULL THEN
        PERFORM microcred._fail('55000', format('issuer "%s" has no active Ed25519 signing key to sign its status list', i.handle), NULL,
            format('Create one with: SELECT microcred.generate_key(%L);', i.handle));
    END IF;
    url := l.url;
    doc := jsonb_build_object(
        '@context', jsonb_build_array('https://www.w3.org/ns/credentials/v2'),
        'id', url,
        'type', jsonb_build_array('VerifiableCredential', 'BitstringStatusListCredential'),
        'issuer', i.public_id,
        'validFrom', microcred._datetime(now()),
        'credentialSubject', jsonb_build_object(
            'id', url || '#list',
            'type', 'BitstringStatusList',
            'statusPurpose', l.purpose,
            'encodedList', microcred._status_encode(l.size, coalesce(bits, '{}'))));
    doc := microcred._sign_di(doc, i.proof_format, k.id, k.issuer_id,
                              i.public_id || '#' || k.fragment, now());
    UPDATE microcred.status_list SET published = doc, published_version = version, published_at = now() WHERE id = l.id;
    RETURN doc;
END
$$;
COMMENT ON FUNCTION microcred.status_list_credential(uuid) IS
    'the signed BitstringStatusListCredential of a status list (cached; re-signed only when a bit changed)';

-- operations ------------------------------------------------------------------------

-- set or clear the status bits of many credentials, with the status and the audit
CREATE FUNCTION microcred._set_status(credentials uuid[], op text, reason text, actor name)
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
    -- suspension needs the credential's suspension entry (suspendable types only)
    IF op = 'suspend' THEN
        SELECT u INTO missing FROM unnest(credentials) u
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

CREATE FUNCTION microcred.revoke(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'revoke', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.revoke_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'revoke', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.suspend(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'suspend', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.suspend_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'suspend', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.reinstate(credential uuid, reason text) RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(ARRAY[credential], 'reinstate', reason, microcred._caller() COLLATE "default") $$;
CREATE FUNCTION microcred.reinstate_all(credentials uuid[], reason text) RETURNS integer LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._set_status(credentials, 'reinstate', reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.revoke(uuid, text) IS 'revoke a credential (final): its revocation bit is set, verification fails';
COMMENT ON FUNCTION microcred.revoke_all(uuid[], text) IS 'revoke many credentials in one statement; returns how many';
COMMENT ON FUNCTION microcred.suspend(uuid, text) IS 'suspend an active credential: its suspension bit is set until reinstated';
COMMENT ON FUNCTION microcred.suspend_all(uuid[], text) IS 'suspend many credentials in one statement; returns how many';
COMMENT ON FUNCTION microcred.reinstate(uuid, text) IS 'reinstate a suspended credential';
COMMENT ON FUNCTION microcred.reinstate_all(uuid[], text) IS 'reinstate many suspended credentials in one statement; returns how many';

-- corrections: a new credential (same awardedDate, corrected values), the old one revoked and linked
CREATE FUNCTION microcred._supersede(credential uuid, grade text, evidence jsonb, reason text, actor name)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old     microcred.issued_credential;
    new_id  uuid;
BEGIN
    SELECT * INTO old FROM microcred.issued_credential c WHERE c.id = credential FOR UPDATE;
    IF old.id IS NULL THEN
        PERFORM microcred._fail('42704', format('credential %s does not exist', credential), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(old.issuer_id, actor);
    IF old.status = 'revoked' THEN
        PERFORM microcred._fail('55000', 'a revoked credential cannot be superseded',
            format('Credential %s is revoked', credential)
            || CASE WHEN old.superseded_by IS NOT NULL THEN format('; it was superseded by %s.', old.superseded_by) ELSE '.' END,
            'Supersede the credential that replaced it, or issue a new one.');
    END IF;
    new_id := microcred._issue(old.credential_type_id::text, old.learner_id, coalesce(grade, old.grade),
                               coalesce(evidence, old.evidence), now(), NULL, actor,
                               awarded_date => old.awarded_date, supersedes => old.id);
    UPDATE microcred.issued_credential c SET superseded_by = new_id WHERE c.id = old.id;
    PERFORM microcred._set_status(ARRAY[old.id], 'revoke', 'superseded', actor);
    PERFORM microcred._audit(old.issuer_id, 'supersede', old.id, coalesce(reason, 'corrected'),
                             jsonb_build_object('superseded_by', new_id), actor);
    RETURN new_id;
END
$$;
CREATE FUNCTION microcred.supersede(credential uuid, grade text DEFAULT NULL, evidence jsonb DEFAULT NULL,
                                    reason text DEFAULT 'corrected')
RETURNS uuid LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._supersede(credential, grade, evidence, reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.supersede(uuid, text, jsonb, text) IS
    'issue a corrected credential (new id, same awardedDate, current learner data, the given grade/evidence or the old ones) and revoke the old one as superseded; returns the new id';

-- erasure -------------------------------------------------------------------------

CREATE FUNCTION microcred._erase_learner(learner uuid, reason text, actor name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
BEGIN
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner FOR UPDATE;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    IF l.erased_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', 'learner was already erased', format('Learner %s was erased at %s.', learner, l.erased_at), NULL);
    END IF;
    -- every copy: completion events that name the learner (by learner, e-mail,
    -- student id or LMS account) lose user, e-mail, name and payload, and a
    -- key that contains them is replaced by its hash; open ones are closed
    UPDATE microcred.completion_event e
       SET user_key = NULL, user_email = NULL, user_name = NULL, payload = NULL,
           event_key = CASE WHEN (l.email IS NOT NULL AND strpos(lower(e.event_key), lower(l.email)) > 0)
                              OR (l.student_id IS NOT NULL AND strpos(e.event_key, l.student_id) > 0)
                              OR (e.user_key IS NOT NULL AND strpos(e.event_key, e.user_key) > 0)
                            THEN 'erased:' || encode(sha256(convert_to(e.event_key, 'UTF8')), 'hex')
                            ELSE e.event_key END,
           state = CASE WHEN e.state IN ('received', 'pending', 'failed') THEN 'ignored' ELSE e.state END,
           reason = CASE WHEN e.state IN ('received', 'pending', 'failed') THEN 'the learner''s personal data were erased'
                         ELSE e.reason END
     WHERE e.source_id IN (SELECT s.id FROM microcred.event_source s WHERE s.issuer_id = l.issuer_id)
       AND (e.learner_id = l.id
            OR lower(e.user_email) = lower(l.email) OR lower(e.user_key) = lower(l.email)
            OR e.user_key = l.student_id
            OR e.user_key IN (SELECT li.value FROM microcred.learner_identifier li
                               WHERE li.learner_id = l.id AND li.kind = 'lms'));
    DELETE FROM microcred.lti_link_request r
     WHERE lower(r.email) = lower(l.email)
       AND r.platform_id IN (SELECT p.id FROM microcred.lti_platform p WHERE p.issuer_id = l.issuer_id);
    DELETE FROM microcred.lti_account_link a WHERE a.learner_id = l.id;
    UPDATE microcred.learner lr SET given_name = NULL, family_name = NULL, email = NULL, student_id = NULL,
           date_of_birth = NULL, holder_did = NULL, name_in_credential = false, erased_at = now()
     WHERE lr.id = l.id;
    DELETE FROM microcred.learner_identifier li WHERE li.learner_id = l.id;
    -- stored documents that name the learner go; their ids and status bits stay
    UPDATE microcred.issued_credential c SET document = NULL
     WHERE c.learner_id = l.id AND c.document IS NOT NULL
       AND jsonb_path_exists(c.document, '$.credentialSubject.identifier[*] ? (@.hashed == false)');
    DELETE FROM microcred.credential_envelope e
     WHERE e.credential_id IN (SELECT c.id FROM microcred.issued_credential c WHERE c.learner_id = l.id);
    PERFORM microcred._audit(l.issuer_id, 'erase', l.id, coalesce(reason, 'erasure requested'), '{}', actor);
END
$$;
CREATE FUNCTION microcred.erase_learner(learner uuid, reason text DEFAULT 'erasure requested')
RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._erase_learner(learner, reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.erase_learner(uuid, text) IS
    'erase a learner''s personal data (GDPR art. 17): the row becomes a tombstone, stored documents that show the name are dropped, credentials and their status bits stay valid';

-- expiry --------------------------------------------------------------------------

CREATE VIEW microcred.expiring_credentials AS
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

-- verification with status ----------------------------------------------------------

-- add the status checks of a credential's credentialStatus entries to a verification.
-- VOLATILE: it must see status rows written earlier in the same statement
-- (verify(document(issue(...))) in one SELECT); a STABLE function reads the
-- statement's snapshot and would not find them.
CREATE FUNCTION microcred._with_status(v microcred.verification, status_lists jsonb[], controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    entry   jsonb;
    list_url     text;
    entry_idx     integer;
    purpose text;
    own     record;
    list    jsonb;
    lv      microcred.verification;
    chk     record;
    checks  jsonb := '[]';
    failed  boolean := false;
BEGIN
    IF v.credential_status IS NULL THEN
        v.checks := v.checks || jsonb_build_object('check', 'status', 'result', 'skip',
                                                   'reason', 'the credential has no credentialStatus');
        RETURN v;
    END IF;
    IF NOT v.valid THEN
        -- what a credential that failed says about its own status is not worth reading
        v.checks := v.checks || jsonb_build_object('check', 'status', 'result', 'skip',
            'reason', format('%s credentialStatus %s not checked: the credential already failed verification',
                             CASE jsonb_typeof(v.credential_status) WHEN 'array' THEN jsonb_array_length(v.credential_status) ELSE 1 END,
                             CASE WHEN jsonb_typeof(v.credential_status) = 'array' AND jsonb_array_length(v.credential_status) <> 1
                                  THEN 'entries were' ELSE 'entry was' END));
        RETURN v;
    END IF;
    FOR entry IN SELECT e FROM jsonb_array_elements(CASE jsonb_typeof(v.credential_status)
                               WHEN 'array' THEN v.credential_status ELSE jsonb_build_array(v.credential_status) END) e
    LOOP
        IF entry ->> 'type' IS DISTINCT FROM 'BitstringStatusListEntry' THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'warn',
                'reason', format('status method %s is not supported', coalesce(entry ->> 'type', '(none)')));
            CONTINUE;
        END IF;
        list_url := entry ->> 'statusListCredential';
        purpose := entry ->> 'statusPurpose';
        -- our own list: the list, its issuer and the entry in one statement
        -- (unique lookups by url and by (list, index))
        SELECT sl.id, sl.purpose, sl.size, i.public_id, e.list_id IS NOT NULL AS entry_found,
               e.set AS entry_set, e.purpose AS entry_purpose INTO own
          FROM microcred.status_list sl JOIN microcred.issuer i ON i.id = sl.issuer_id
          LEFT JOIN microcred.status_entry e ON e.list_id = sl.id
               AND e.idx = CASE WHEN coalesce(entry ->> 'statusListIndex', '') ~ '^[0-9]{1,9}$'
                                THEN (entry ->> 'statusListIndex')::integer END
         WHERE sl.url = list_url;
        IF own.id IS NOT NULL THEN
            IF own.public_id IS DISTINCT FROM v.issuer THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('the status list %s belongs to %s, not to the credential''s issuer', list_url, own.public_id));
                failed := true;
                CONTINUE;
            END IF;
            IF coalesce(entry ->> 'statusListIndex', '') !~ '^[0-9]{1,9}$' OR (entry ->> 'statusListIndex')::integer >= own.size THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('status list index %s is out of range for %s (%s entries)', entry ->> 'statusListIndex', list_url, own.size));
                failed := true;
                CONTINUE;
            END IF;
            entry_idx := (entry ->> 'statusListIndex')::integer;
            IF NOT own.entry_found OR own.entry_purpose IS DISTINCT FROM purpose OR own.purpose IS DISTINCT FROM purpose THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('%s entry %s of %s was not issued by this list', purpose, entry_idx, list_url));
                failed := true;
            ELSIF own.entry_set THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('%s: bit %s of %s is set', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END, entry_idx, list_url));
                failed := true;
            ELSE
                checks := checks || jsonb_build_object('check', 'status', 'result', 'pass',
                    'reason', format('not %s (bit %s of %s)', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END, entry_idx, list_url));
            END IF;
            CONTINUE;
        END IF;
        -- a foreign list: only from what the caller passed, and only if it
        -- verifies under the same rule as the credential, for the credential's
        -- issuer (a key bound to that issuer signed it)
        SELECT s INTO list FROM unnest(coalesce(status_lists, '{}')) s WHERE s ->> 'id' = list_url LIMIT 1;
        IF list IS NULL THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'warn',
                'reason', format('%s status list %s was not given; pass it in status_lists to check it', purpose, list_url));
            CONTINUE;
        END IF;
        lv := microcred._verify_document(list, coalesce(controller_documents, '{}'));
        IF lv.issuer IS DISTINCT FROM v.issuer THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('the status list %s was issued by %s, not by the credential''s issuer', list_url, coalesce(lv.issuer, '(no issuer)')));
            failed := true;
            CONTINUE;
        END IF;
        IF NOT lv.valid THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('the status list credential %s is not the issuer''s: %s', list_url,
                                 (SELECT string_agg((c ->> 'check') || ': ' || (c ->> 'reason'), '; ')
                                    FROM jsonb_array_elements(lv.checks) c WHERE c ->> 'result' = 'fail')));
            failed := true;
            CONTINUE;
        END IF;
        SELECT * INTO chk FROM microcred._status_check(entry, list);
        IF chk.problem IS NOT NULL THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail', 'reason', chk.problem);
            failed := true;
        ELSIF chk.is_set THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('%s: bit %s of %s is set', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END,
                                 entry ->> 'statusListIndex', list_url));
            failed := true;
        ELSE
            checks := checks || jsonb_build_object('check', 'status', 'result', 'pass',
                'reason', format('not %s (bit %s of %s)', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END,
                                 entry ->> 'statusListIndex', list_url));
        END IF;
    END LOOP;
    v.checks := v.checks || checks;
    IF failed THEN
        v.valid := false;
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION microcred._with_status(microcred.verification, jsonb[], jsonb[]) IS
    'internal: check the credentialStatus entries of a verified credential against our lists or the given ones (which must verify for the credential''s issuer)';

-- SECURITY DEFINER: the internal functions they call are the owner's alone;
-- VOLATILE: verify(document(issue(...))) in one statement sees the new rows
CREATE FUNCTION microcred.verify(credential jsonb, status_lists jsonb[] DEFAULT NULL,
                                 controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._with_status(microcred._verify_document(microcred._not_null('credential', credential),
                                                               coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify(jsonb, jsonb[], jsonb[]) IS
    'verify a credential secured with Data Integrity (eddsa-rdfc-2022, eddsa-jcs-2022, Ed25519Signature2020; proof sets and chains), ours or another issuer''s: valid only if a key bound to its issuer signed it (registered, or in a controller document given), including its status: our own lists directly, another issuer''s from the status list credentials given';

CREATE FUNCTION microcred.verify(credential text, status_lists jsonb[] DEFAULT NULL,
                                 controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._with_status(microcred._verify_text(microcred._not_null('credential', credential),
                                                           coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify(text, jsonb[], jsonb[]) IS
    'verify a credential given as text: strict I-JSON (duplicate members refused) with a Data Integrity proof, or a compact JWT; keys and status as for verify(jsonb)';

CREATE FUNCTION microcred.verify_jwt(token text, status_lists jsonb[] DEFAULT NULL,
                                     controller_documents jsonb[] DEFAULT NULL)
RETURNS microcred.verification
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._with_status(microcred._verify_token(microcred._not_null('token', token),
                                                            coalesce(controller_documents, '{}')),
                                    status_lists, controller_documents) $$;
COMMENT ON FUNCTION microcred.verify_jwt(text, jsonb[], jsonb[]) IS
    'verify a credential secured as a JWT: Open Badges 3.0 VC-JWT (typ JWT) or W3C VC-JOSE (typ vc+jwt); keys and status as for verify(jsonb)';

-- grants for this part
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
GRANT SELECT ON microcred.audit_log TO microcred_admin;
GRANT SELECT ON microcred.expiring_credentials TO microcred_admin, microcred_issuer, microcred_reader;
GRANT EXECUTE ON FUNCTION
    microcred.revoke(uuid, text), microcred.revoke_all(uuid[], text),
    microcred.suspend(uuid, text), microcred.suspend_all(uuid[], text),
    microcred.reinstate(uuid, text), microcred.reinstate_all(uuid[], text),
    microcred.supersede(uuid, text, jsonb, text),
    microcred.erase_learner(uuid, text)
    TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.audit_verify(text, bigint, text), microcred.audit_anchor(text) TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.verify(jsonb, jsonb[], jsonb[]), microcred.verify(text, jsonb[], jsonb[]),
    microcred.verify_jwt(text, jsonb[], jsonb[]), microcred.status_list_credential(uuid)
    TO microcred_admin, microcred_issuer, microcred_verifier;
