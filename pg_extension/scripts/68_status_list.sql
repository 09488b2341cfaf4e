/*
 * microcred install script, 68_status_list.sql: the status lists
 * (W3C Bitstring Status List v1.0) and the allocation of a credential's
 * entry at issue: one open list per issuer and purpose at a time, random
 * (permuted) indexes.  Publishing and changing them: 80_lifecycle.sql.
 */

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
    bits            bytea,                       -- the bitstring (size / 8 bytes; NULL: no bit set)
    UNIQUE (issuer_id, id)
);
CREATE UNIQUE INDEX status_list_open ON microcred.status_list (issuer_id, purpose) WHERE NOT closed;
COMMENT ON TABLE microcred.status_list IS
    'Bitstring Status Lists (W3C): one open list per issuer and purpose; a new one starts when 90% of its entries are taken';
COMMENT ON COLUMN microcred.status_list.permutation_key IS
    'key of the pseudo-random permutation from position to index, so the index says nothing about the order of issue';
COMMENT ON COLUMN microcred.status_list.bits IS
    'the bitstring as published (index 0 the first byte''s high bit; NULL while no bit was ever set): status_entry.set of every entry, written once per list by each status change';
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
) WITH (fillfactor = 50);
-- No index names "set" or "changed_at" and every page keeps half its space
-- free, so a status change is a HOT update (no new index entries); the set
-- bits of a list are read from status_list.bits, not from an index here.
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
