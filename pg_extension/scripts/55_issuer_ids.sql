/*
 * microcred install script, 55_issuer_ids.sql: an issuer's ids.
 *
 * An issuer's public id is https (<base_url>/issuers/<handle>) or, once
 * switched (91_didweb.sql), did:web:<host>[%3A<port>][:<path>]:issuers:<handle>.
 * The ids it had before are kept in issuer_former_id, so credentials issued
 * under them keep verifying: the key lookup (60_keys) and the status check
 * (82_verify) resolve any of an issuer's ids through _issuer_of_id.
 */

CREATE TABLE microcred.issuer_former_id (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id) ON DELETE CASCADE,
    public_id   text NOT NULL CONSTRAINT issuer_former_id_is_uri CHECK (public_id ~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$'),
    replaced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (public_id),
    UNIQUE (issuer_id, public_id)
);
COMMENT ON TABLE microcred.issuer_former_id IS
    'ids an issuer had before (set_issuer_did_web): credentials issued under them stay unchanged and still verify';

/*
 * The did:web id of an issuer served under base_url: host (lower case),
 * %3A and the port when one is given, the path segments of base_url, then
 * issuers:<handle>.  Characters a DID segment may not hold are
 * percent-encoded.  NULL when base_url is not an http(s) URL.  The one place
 * the did:web form is computed.
 */
CREATE FUNCTION microcred._did_web_id(base_url text, handle text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m       text[];
    seg     text;
    ch      text;
    did     text;
BEGIN
    m := regexp_match(base_url, '^https?://([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?((?:/[^/?#]+)*)$');
    IF m IS NULL OR handle IS NULL OR handle !~ '^[a-z0-9][a-z0-9-]{0,62}$' THEN
        RETURN NULL;
    END IF;
    did := 'did:web:' || lower(m[1]) || coalesce('%3A' || m[2], '');
    FOREACH seg IN ARRAY coalesce(string_to_array(nullif(ltrim(m[3], '/'), ''), '/'), '{}') LOOP
        did := did || ':';
        FOREACH ch IN ARRAY regexp_split_to_array(seg, '') LOOP
            did := did || CASE WHEN ch ~ '^[A-Za-z0-9._-]$' OR ch = '%' THEN ch
                               ELSE upper(regexp_replace(encode(convert_to(ch, 'UTF8'), 'hex'), '(..)', '%\1', 'g')) END;
        END LOOP;
    END LOOP;
    RETURN did || ':issuers:' || handle;
END
$$;
COMMENT ON FUNCTION microcred._did_web_id(text, text) IS
    'internal: the did:web id of an issuer with this base URL and handle (did:web:<host>[%3A<port>][:<path>]:issuers:<handle>)';

-- the issuer whose current or former id this is, or NULL
CREATE FUNCTION microcred._issuer_of_id(public_id text)
RETURNS uuid
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT i.id FROM microcred.issuer i WHERE i.public_id = _issuer_of_id.public_id
    UNION ALL
    SELECT f.issuer_id FROM microcred.issuer_former_id f WHERE f.public_id = _issuer_of_id.public_id
    LIMIT 1
$$;
COMMENT ON FUNCTION microcred._issuer_of_id(text) IS
    'internal: the issuer that has, or had, this public id';

REVOKE ALL ON microcred.issuer_former_id FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._did_web_id(text, text), microcred._issuer_of_id(text) FROM PUBLIC;
