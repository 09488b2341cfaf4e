-- cleanup: the last suite.  The regression roles are cluster-wide: drop them
-- (make installcheck runs again), and purge the mappings they leave behind.
\set suite cleanup
\i sql/fixtures/standalone.sql
DROP ROLE regress_mc_admin, regress_mc_issuer, regress_mc_other_issuer, regress_mc_reader,
    regress_mc_nobody, regress_mc_verifier;
SELECT count(*) AS dropped_mappings FROM microcred.issuer_roles WHERE role_dropped;
SELECT microcred.purge_issuer_roles() > 0 AS purged;
SELECT count(*) AS left_behind FROM microcred.issuer_roles WHERE role_dropped;
