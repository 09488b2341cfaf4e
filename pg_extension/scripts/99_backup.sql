/*
 * microcred install script, 99_backup.sql: what pg_dump backs up.
 *
 * The rows of an extension's tables are not dumped unless the extension says
 * so (pg_extension_config_dump); without this, pg_dump writes only
 * CREATE EXTENSION and a restore holds no issuer, key or credential.  Every
 * table and sequence of the schema is registered, except:
 *   country, vocabulary   reference data the install script seeds (the same in
 *                         every database of a version, updated by upgrades)
 *   document_part         a cache, rebuilt on the next issue
 * and jsonld_context only with its rows added by register_context (the bundled
 * contexts come with the install script).  Restore with pg_restore
 * --single-transaction (README "Backup and restore"); tests/t/backup_restore.sh
 * dumps, restores and uses a filled database.
 */

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
