/*
 * microcred install script, 40_security.sql: roles, row-level security, grants.
 *
 *   microcred_admin     issuers, credential types, role mapping, keys (later)
 *   microcred_issuer    learners and issuing, only for the issuers it is mapped to
 *   microcred_verifier  verification functions and public reference data
 *   microcred_reader    reporting views without personal data, of the issuers it
 *                       is mapped to (grant_issuer)
 *   microcred_reader_all  an admin's explicit choice: its members see the
 *                       reporting views of every issuer (grant it to a reader)
 *
 * Roles are NOLOGIN groups: grant them to login roles.  Nothing is granted to
 * PUBLIC.  Policies call a STABLE function and contain no subquery, so they
 * also work when the tables are distributed by issuer_id with Citus.
 */

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['microcred_admin', 'microcred_issuer', 'microcred_verifier', 'microcred_reader',
                             'microcred_reader_all'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;

CREATE TABLE microcred.issuer_role (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id) ON DELETE CASCADE,
    role        regrole NOT NULL,
    PRIMARY KEY (issuer_id, role)
);
COMMENT ON TABLE microcred.issuer_role IS
    'which database roles act for which awarding body (row-level security); members of microcred_admin act for all';
COMMENT ON COLUMN microcred.issuer_role.role IS
    'the role by OID: a renamed role keeps its mapping, a new role with a dropped role''s name gets none (list with issuer_roles, purge with purge_issuer_roles); pg_dump writes it by name, so restore the roles (pg_dumpall --roles-only) first';

-- may this role act for this issuer?  Policies pass current_user: inside a
-- SECURITY DEFINER function current_user would be the owner.
CREATE FUNCTION microcred.acts_for(issuer uuid, role_name name)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_has_role(role_name, 'microcred_admin', 'MEMBER')
        OR EXISTS (SELECT FROM microcred.issuer_role r
                    WHERE r.issuer_id OPERATOR(pg_catalog.=) issuer
                      AND pg_has_role(acts_for.role_name, r.role::oid, 'MEMBER'))
$$;
COMMENT ON FUNCTION microcred.acts_for(uuid, name) IS
    'true when the role is a microcred admin or is mapped to the issuer (microcred.grant_issuer); used by the row-level security policies';

-- who called the API: the role in effect outside any SECURITY DEFINER
-- function (SET ROLE, else the session user).  The public API functions are
-- SECURITY DEFINER, so inside them current_user is the owner; they pass this
-- as the actor to the internal functions, which only the owner may execute.
-- The role setting can only name a role the session user is a member of
-- (PostgreSQL checks that on SET ROLE), and _check_actor checks it again.
CREATE FUNCTION microcred._caller()
RETURNS name
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE WHEN current_setting('role') = 'none' THEN session_user
                ELSE current_setting('role')::name END
$$;
COMMENT ON FUNCTION microcred._caller() IS
    'internal: the calling role of a SECURITY DEFINER API function (SET ROLE, else the session user)';

CREATE FUNCTION microcred.grant_issuer(issuer text, role_name name)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname OPERATOR(pg_catalog.=) role_name) THEN
        PERFORM microcred._fail('42704', format('role "%s" does not exist', role_name), NULL,
            'Create the role first (CREATE ROLE ... LOGIN IN ROLE microcred_issuer).');
    END IF;
    INSERT INTO microcred.issuer_role (issuer_id, role)
    VALUES (microcred._resolve_issuer(issuer), (SELECT r.oid FROM pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) role_name)::regrole)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION microcred.grant_issuer(text, name) IS
    'let a database role act for an awarding body (see its learners, issue its credentials, read its reports); a microcred_reader is granted per issuer this way';

-- the mappings, with the roles' current names; a dropped role shows by OID
CREATE VIEW microcred.issuer_roles AS
SELECT i.handle AS issuer, r.role::oid AS role_oid, pr.rolname AS role_name, pr.oid IS NULL AS role_dropped
  FROM microcred.issuer_role r
  JOIN microcred.issuer i ON i.id = r.issuer_id
  LEFT JOIN pg_catalog.pg_roles pr ON pr.oid = r.role::oid;
COMMENT ON VIEW microcred.issuer_roles IS
    'which roles act for which awarding body; role_dropped marks mappings of dropped roles (microcred.purge_issuer_roles() removes them)';
COMMENT ON COLUMN microcred.issuer_roles.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.issuer_roles.role_oid IS 'OID of the mapped role (mappings follow the role, not its name)';
COMMENT ON COLUMN microcred.issuer_roles.role_name IS 'current name of the role; NULL when it was dropped';
COMMENT ON COLUMN microcred.issuer_roles.role_dropped IS 'the role no longer exists: the mapping acts for nobody and can be purged';

-- remove the mappings of dropped roles; how many
CREATE FUNCTION microcred.purge_issuer_roles()
RETURNS integer
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM microcred.issuer_role r
         WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_roles pr WHERE pr.oid OPERATOR(pg_catalog.=) r.role::oid)
        RETURNING 1)
    SELECT count(*)::integer FROM gone
$$;
COMMENT ON FUNCTION microcred.purge_issuer_roles() IS
    'delete the issuer mappings of roles that were dropped (see microcred.issuer_roles); returns how many';

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['issuer_identifier', 'learner', 'learner_identifier', 'credential_type',
                             'learning_outcome', 'issued_credential', 'issuer_role'] LOOP
        EXECUTE format('ALTER TABLE microcred.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY per_issuer ON microcred.%I USING (microcred.acts_for(issuer_id, current_user))', t);
    END LOOP;
END
$$;
ALTER TABLE microcred.issuer ENABLE ROW LEVEL SECURITY;
CREATE POLICY per_issuer ON microcred.issuer
    USING (microcred.acts_for(id, current_user))
    WITH CHECK (pg_has_role(current_user, 'microcred_admin', 'MEMBER'));

-- nothing for PUBLIC
REVOKE ALL ON SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA microcred FROM PUBLIC;

GRANT USAGE ON SCHEMA microcred TO microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;
GRANT SELECT ON microcred.country, microcred.vocabulary
    TO microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;

-- validation helpers are needed by every role that writes
GRANT EXECUTE ON FUNCTION
    microcred._fail(text, text, text, text),
    microcred._required_text(text, text, text),
    microcred._check_nfc(text, text),
    microcred._check_eqf_level(integer),
    microcred._check_qf_ehea_cycle(text),
    microcred._check_ects(numeric),
    microcred._check_country(text),
    microcred._vocab(regtype, text, text),
    microcred._resolve_issuer(text),
    microcred._require_outcomes(uuid),
    microcred.acts_for(uuid, name)
    TO microcred_admin, microcred_issuer;

-- admin: the catalog
GRANT SELECT, INSERT, UPDATE ON microcred.issuer, microcred.issuer_identifier, microcred.credential_type,
    microcred.learning_outcome, microcred.learner, microcred.learner_identifier TO microcred_admin;
GRANT DELETE ON microcred.issuer_identifier, microcred.learning_outcome, microcred.learner_identifier TO microcred_admin;
GRANT SELECT, INSERT, DELETE ON microcred.issuer_role TO microcred_admin;
GRANT SELECT ON microcred.issuer_roles TO microcred_admin;
GRANT SELECT ON microcred.issued_credential TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.add_issuer(text, text, text, text, text, text, text, text, text, jsonb),
    microcred.add_issuer_identifier(text, text, text),
    microcred.define_credential(text, text, text, text, text[], text[], text, text, numeric, numeric, integer, text, text[], text, text, boolean, text, text, text, text, text[], interval, text, text, text, text, text, boolean, boolean, bytea),
    microcred.grant_issuer(text, name),
    microcred.purge_issuer_roles(),
    microcred.add_learner(text, text, text, text, text, date, text, boolean, text, text)
    TO microcred_admin;

-- issuer: its own learners and credentials (row-level security)
GRANT SELECT ON microcred.issuer, microcred.issuer_identifier, microcred.credential_type,
    microcred.learning_outcome, microcred.issued_credential TO microcred_issuer;
GRANT SELECT, INSERT, UPDATE ON microcred.learner, microcred.learner_identifier TO microcred_issuer;
GRANT EXECUTE ON FUNCTION
    microcred.add_learner(text, text, text, text, text, date, text, boolean, text, text)
    TO microcred_issuer;

-- reports filter rows with acts_for (a reader sees the issuers it is mapped to)
GRANT EXECUTE ON FUNCTION microcred.acts_for(uuid, name) TO microcred_verifier, microcred_reader;

-- the library's version, for every role (support questions start with it)
GRANT EXECUTE ON FUNCTION microcred.version()
    TO microcred_admin, microcred_issuer, microcred_verifier, microcred_reader;
