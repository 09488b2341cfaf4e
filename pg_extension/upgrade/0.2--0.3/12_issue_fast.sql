
-- 12_issue_fast: issuing in one C call (issue_sql.c).  microcred._issue and
-- microcred._audit_hash become C functions (the replay that ends this script
-- gives them their 0.3 definitions: CREATE OR REPLACE changes the language).
-- The row trigger that followed every insert into issued_credential to award
-- auto-award pathways is gone: _issue calls microcred._stack_auto_award
-- itself, and only when such a pathway has the type as a component; rows
-- loaded by pg_restore or by hand award nothing.  (The credential e-mail,
-- new in 0.3, is queued by _issue the same way: 35_mail.sql.)
DROP TRIGGER stack_auto_award ON microcred.issued_credential;
DROP FUNCTION microcred._stack_auto_award();
-- a stub the replay replaces, created here so that it can be revoked
CREATE FUNCTION microcred._stack_auto_award(issuer uuid, credential_type uuid, learner uuid)
RETURNS void LANGUAGE plpgsql AS $b$BEGIN RAISE EXCEPTION 'replaced by the replay'; END$b$;
REVOKE ALL ON FUNCTION microcred._stack_auto_award(uuid, uuid, uuid) FROM PUBLIC;
-- what _issue reads about a type is cached per backend (issue_type_sql.c):
-- the tables it reads empty that cache when they change
CREATE TRIGGER credential_type_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.credential_type
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER document_part_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.document_part
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER issuer_role_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.issuer_role
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER pathway_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.pathway
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER pathway_node_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.pathway_node
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
