-- 45_verify_fast: verify() in C with the status check of our own lists
-- (issue 19, item 2).  The functions are replayed (99_replay.sql); the
-- trigger that empties the per-backend cache of our status lists is not.
CREATE TRIGGER status_list_changed AFTER UPDATE OF url, issuer_id, purpose, size OR DELETE OR TRUNCATE
    ON microcred.status_list
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
