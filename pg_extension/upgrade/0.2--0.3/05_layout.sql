
-- 05_layout: the install script reorganised by object (issue 16).  One
-- resolver of "uuid or issuer-handle/CODE" references, microcred._resolve_code
-- (30_api.sql), replaces the copies in _resolve_type, _resolve_pathway and
-- _lti_platform_type; the replay below gives it, and its callers, their
-- bodies.  It is declared here so that it can be granted as a fresh install
-- grants it (the replay comes after the parts).
DROP FUNCTION microcred._resolve_type(text);
DROP FUNCTION microcred._resolve_pathway(text);
CREATE FUNCTION microcred._resolve_code(tbl regclass, ref text, within_issuer uuid DEFAULT NULL)
RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';
REVOKE ALL ON FUNCTION microcred._resolve_code(regclass, text, uuid) FROM PUBLIC;
-- the admin's course mappings resolve types through it (_lti_platform_type)
GRANT EXECUTE ON FUNCTION microcred._resolve_code(regclass, text, uuid) TO microcred_admin;
