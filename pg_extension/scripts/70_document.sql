/*
 * microcred install script, 70_document.sql: the Open Badges 3.0 document
 * builder.
 *
 * SQL orchestrates, C computes: the document is built here from the catalog
 * (every EU element mapped as in docs/ARCHITECTURE.md), the C module
 * canonicalizes and signs it.  The issuer profile and achievement parts are
 * cached in document_part, dropped when the catalog rows they come from change.
 */

-- ISO 8601 in UTC with seconds, as credentials write date-times
CREATE FUNCTION microcred._datetime(t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$ SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;

-- the Achievement and issuer Profile of each credential type, built once and
-- reused by every issue; any change to what they are built from drops the row
CREATE TABLE microcred.document_part (
    credential_type_id  uuid PRIMARY KEY REFERENCES microcred.credential_type (id) ON DELETE CASCADE,
    issuer_id           uuid NOT NULL,
    achievement         jsonb NOT NULL,
    profile             jsonb NOT NULL
);
ALTER TABLE microcred.document_part ALTER COLUMN achievement SET COMPRESSION lz4;
COMMENT ON TABLE microcred.document_part IS
    'cache: the Achievement and Profile parts of credential documents per credential type (rebuilt on demand)';

-- SECURITY DEFINER: the cache is the owner's, and an admin defining or changing
-- a credential type (learning_outcome rows) must be able to drop its entry
CREATE FUNCTION microcred._document_part_drop()
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
CREATE TRIGGER document_part_drop AFTER UPDATE OR DELETE ON microcred.credential_type
    FOR EACH ROW EXECUTE FUNCTION microcred._document_part_drop();
CREATE TRIGGER document_part_drop AFTER INSERT OR UPDATE OR DELETE ON microcred.learning_outcome
    FOR EACH ROW EXECUTE FUNCTION microcred._document_part_drop();
CREATE TRIGGER document_part_drop AFTER UPDATE OR DELETE ON microcred.issuer
    FOR EACH ROW EXECUTE FUNCTION microcred._document_part_drop();
CREATE TRIGGER document_part_drop AFTER INSERT OR UPDATE OR DELETE ON microcred.issuer_identifier
    FOR EACH ROW EXECUTE FUNCTION microcred._document_part_drop();
CREATE TRIGGER document_part_drop AFTER INSERT OR UPDATE OR DELETE ON microcred.vocabulary
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._document_part_drop();
