-- microcred install script, 99_public_last.sql: the last part.  Whatever the parts above created, PUBLIC
-- gets nothing in this schema (functions default to EXECUTE for PUBLIC, so a
-- part that forgets its own REVOKE would otherwise leak one).  Grants to the
-- microcred_* roles, made by each part, are untouched.
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA microcred FROM PUBLIC;
