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

-- an unused, unpredictable index in the issuer's open list of a purpose, a
-- new list when 90% are taken: microcred._allocate_status (C:
-- status_alloc_sql.c, declared in 15_bindings.sql; its header describes the
-- locking that lets two connections issue concurrently without handing out
-- an index twice)
