-- roles: what each microcred role may do; nothing useful for PUBLIC.
-- (runs after catalog.sql in the same database)
\set suite roles
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
CREATE ROLE regress_mc_admin LOGIN IN ROLE microcred_admin;
CREATE ROLE regress_mc_issuer LOGIN IN ROLE microcred_issuer;
CREATE ROLE regress_mc_other_issuer LOGIN IN ROLE microcred_issuer;
CREATE ROLE regress_mc_reader LOGIN IN ROLE microcred_reader;
CREATE ROLE regress_mc_nobody LOGIN;
SELECT microcred.grant_issuer('th-beispiel', 'regress_mc_issuer');
SELECT microcred.grant_issuer('th-beispiel', 'no_such_role');

-- PUBLIC gets nothing: not the schema, not the admin functions
SET ROLE regress_mc_nobody;
SELECT microcred.add_issuer(legal_name => 'Evil', country => 'DE', handle => 'evil');
SELECT count(*) FROM microcred.learner;
RESET ROLE;
SELECT count(*) AS public_grants FROM information_schema.role_routine_grants
 WHERE routine_schema = 'microcred' AND grantee = 'PUBLIC';
SELECT count(*) AS public_table_grants FROM information_schema.role_table_grants
 WHERE table_schema = 'microcred' AND grantee = 'PUBLIC';

-- an admin manages the catalog
SET ROLE regress_mc_admin;
SELECT microcred.add_issuer(legal_name => 'Université Exemple', country => 'FR', handle => 'u-exemple') IS NOT NULL AS second_issuer;
SELECT microcred.add_learner(issuer => 'u-exemple', email => 'marie@example.fr') IS NOT NULL AS learner_of_second;
RESET ROLE;

-- an issuer sees only its own issuer's rows and cannot define credentials
SELECT id AS other_issuer FROM microcred.issuer WHERE handle = 'u-exemple' \gset
SET ROLE regress_mc_issuer;
SELECT handle FROM microcred.issuer ORDER BY handle;
SELECT count(*) AS own_learners FROM microcred.learner;
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'grace@example.org') IS NOT NULL AS learner_added;
SELECT microcred.add_learner(issuer => 'u-exemple', email => 'intruder@example.org');
INSERT INTO microcred.learner (issuer_id, email) VALUES (:'other_issuer', 'intruder@example.org');
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'X', title => 't', description => 'd',
    learning_outcomes => ARRAY['o'], assessment => ARRAY['oral_exam'], participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5);
UPDATE microcred.credential_type SET title = 'changed';
RESET ROLE;

SET ROLE regress_mc_other_issuer;
SELECT count(*) AS sees_no_issuer FROM microcred.issuer;
SELECT count(*) AS sees_no_learner FROM microcred.learner;
RESET ROLE;

-- a reader sees the reports of the issuers it is mapped to: none yet
SET ROLE regress_mc_reader;
SELECT count(*) AS types_unmapped FROM microcred.credential_types_report;
RESET ROLE;
SELECT microcred.grant_issuer('th-beispiel', 'regress_mc_reader');
-- a reader gets the reports but no personal data
SET ROLE regress_mc_reader;
SELECT count(*) AS types FROM microcred.credential_types_report;
SELECT count(*) AS issued FROM microcred.issued_credentials_report;
SELECT email FROM microcred.learner;
SELECT learner_id FROM microcred.issued_credential;
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'r@example.org');
RESET ROLE;
