/*
 * microcred install script, 66_jsonld.sql: registering JSON-LD contexts (after
 * 65_contexts.sql, generated: the bundled ones) and the cache they feed.
 */

-- SECURITY DEFINER: admins may not write the table (the bundled contexts must
-- stay as shipped); the function checks the actor and refuses bundled URLs
CREATE FUNCTION microcred._register_context(url text, document jsonb, actor name)
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

CREATE FUNCTION microcred.register_context(url text, document jsonb)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._register_context(url, document, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.register_context(text, jsonb) IS
    'register an additional JSON-LD context document (e.g. an issuer''s extension) under its exact URL';

-- processed contexts are cached per backend; a change must reach every backend
CREATE TRIGGER jsonld_context_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.jsonld_context
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();

CREATE FUNCTION microcred._context_document(url text)
RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT document FROM microcred.jsonld_context c WHERE c.url = _context_document.url $$;
COMMENT ON FUNCTION microcred._context_document(text) IS 'internal: the registered document of a context URL';

GRANT SELECT ON microcred.jsonld_context TO microcred_admin, microcred_issuer, microcred_verifier;
GRANT EXECUTE ON FUNCTION microcred.register_context(text, jsonb) TO microcred_admin;
-- to_nquads and canonicalize are SECURITY DEFINER: they read the bundled
-- contexts through the owner's _context_document
GRANT EXECUTE ON FUNCTION microcred.to_nquads(jsonb)
    TO microcred_admin, microcred_issuer, microcred_verifier;
