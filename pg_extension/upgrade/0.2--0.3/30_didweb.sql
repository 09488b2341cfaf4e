-- did:web issuers (scripts/91_didweb.sql): the ids an issuer had before it
-- switched; its functions come with the replay
CREATE TABLE microcred.issuer_former_id (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id) ON DELETE CASCADE,
    public_id   text NOT NULL CONSTRAINT issuer_former_id_is_uri CHECK (public_id ~ '^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$'),
    replaced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (public_id),
    UNIQUE (issuer_id, public_id)
);
COMMENT ON TABLE microcred.issuer_former_id IS
    'ids an issuer had before (set_issuer_did_web): credentials issued under them stay unchanged and still verify';
SELECT pg_catalog.pg_extension_config_dump('microcred.issuer_former_id', '');
REVOKE ALL ON microcred.issuer_former_id FROM PUBLIC;

-- the new functions exist before the replay defines them (so their grants
-- can be made here); the replay then replaces each body, keeping the grants
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        '_did_web_id(base_url text, handle text) RETURNS text',
        '_issuer_of_id(public_id text) RETURNS uuid',
        '_set_issuer_did_web(issuer text, enabled boolean, actor name) RETURNS text',
        'set_issuer_did_web(issuer text, enabled boolean DEFAULT true) RETURNS text',
        '_issuer_methods(issuer_id uuid, doc_id text) RETURNS jsonb',
        'did_document(issuer text) RETURNS jsonb'] LOOP
        EXECUTE format('CREATE FUNCTION microcred.%s LANGUAGE plpgsql AS $b$BEGIN RAISE EXCEPTION ''replaced by the replay''; END$b$', f);
        EXECUTE format('REVOKE ALL ON FUNCTION microcred.%s FROM PUBLIC',
                       regexp_replace(regexp_replace(f, ' RETURNS .*$', ''), ' DEFAULT [^,)]*', '', 'g'));
    END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION microcred.set_issuer_did_web(text, boolean) TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.did_document(text) TO microcred_admin, microcred_issuer, microcred_verifier;
