/*
 * microcred install script, 82_verify.sql: expiry and verification.
 *
 *   expiry           credentials nearing validUntil
 *   verification     verify() is C (15_bindings.sql): proofs and our own lists;
 *                    _with_status here checks any other status, and a
 *                    trigger empties the C cache of our lists
 * and the grants of the audit and lifecycle parts (50, 68, 80 to 82).
 */

-- expiry --------------------------------------------------------------------------

CREATE VIEW microcred.expiring_credentials AS
SELECT c.id, i.handle AS issuer, t.code AS credential_code, t.title, c.learner_id, c.valid_until,
       (c.valid_until::date - current_date) AS days_left,
       (SELECT k.state FROM microcred.signing_key k
         WHERE k.issuer_id = c.issuer_id
           AND i.public_id || '#' || k.fragment = coalesce(c.document -> 'proof' ->> 'verificationMethod',
                                                           c.document -> 'proof' -> 0 ->> 'verificationMethod')) AS signing_key_state
  FROM microcred.issued_credential c
  JOIN microcred.credential_type t ON t.id = c.credential_type_id
  JOIN microcred.issuer i ON i.id = c.issuer_id
 WHERE c.status = 'active' AND c.superseded_by IS NULL AND c.valid_until > now()
   AND (microcred.acts_for(i.id, current_user) OR pg_has_role('microcred_reader_all', 'MEMBER'));
COMMENT ON VIEW microcred.expiring_credentials IS
    'active credentials that have a validUntil still ahead, with the days left (filter: WHERE days_left <= 30)';

-- verification with status ----------------------------------------------------------

-- add the status checks of a credential's credentialStatus entries to a verification.
-- VOLATILE: it must see status rows written earlier in the same statement
-- (verify(document(issue(...))) in one SELECT); a STABLE function reads the
-- statement's snapshot and would not find them.
CREATE FUNCTION microcred._with_status(v microcred.verification, status_lists jsonb[], controller_documents jsonb[])
RETURNS microcred.verification
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    entry   jsonb;
    list_url     text;
    entry_idx     integer;
    purpose text;
    own     record;
    list    jsonb;
    lv      microcred.verification;
    chk     record;
    checks  jsonb := '[]';
    failed  boolean := false;
BEGIN
    IF v.credential_status IS NULL THEN
        v.checks := v.checks || jsonb_build_object('check', 'status', 'result', 'skip',
                                                   'reason', 'the credential has no credentialStatus');
        RETURN v;
    END IF;
    IF NOT v.valid THEN
        -- what a credential that failed says about its own status is not worth reading
        v.checks := v.checks || jsonb_build_object('check', 'status', 'result', 'skip',
            'reason', format('%s credentialStatus %s not checked: the credential already failed verification',
                             CASE jsonb_typeof(v.credential_status) WHEN 'array' THEN jsonb_array_length(v.credential_status) ELSE 1 END,
                             CASE WHEN jsonb_typeof(v.credential_status) = 'array' AND jsonb_array_length(v.credential_status) <> 1
                                  THEN 'entries were' ELSE 'entry was' END));
        RETURN v;
    END IF;
    FOR entry IN SELECT e FROM jsonb_array_elements(CASE jsonb_typeof(v.credential_status)
                               WHEN 'array' THEN v.credential_status ELSE jsonb_build_array(v.credential_status) END) e
    LOOP
        IF entry ->> 'type' IS DISTINCT FROM 'BitstringStatusListEntry' THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'warn',
                'reason', format('status method %s is not supported', coalesce(entry ->> 'type', '(none)')));
            CONTINUE;
        END IF;
        list_url := entry ->> 'statusListCredential';
        purpose := entry ->> 'statusPurpose';
        -- our own list: the list, its issuer and the entry in one statement
        -- (unique lookups by url and by (list, index))
        SELECT sl.id, sl.purpose, sl.size, i.public_id, i.id AS issuer_id, e.list_id IS NOT NULL AS entry_found,
               e.set AS entry_set, e.purpose AS entry_purpose INTO own
          FROM microcred.status_list sl JOIN microcred.issuer i ON i.id = sl.issuer_id
          LEFT JOIN microcred.status_entry e ON e.list_id = sl.id
               AND e.idx = CASE WHEN coalesce(entry ->> 'statusListIndex', '') ~ '^[0-9]{1,9}$'
                                THEN (entry ->> 'statusListIndex')::integer END
         WHERE sl.url = list_url;
        IF own.id IS NOT NULL THEN
            -- the issuer's id, or one it had (did:web, 91_didweb)
            IF own.issuer_id IS DISTINCT FROM microcred._issuer_of_id(v.issuer) THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('the status list %s belongs to %s, not to the credential''s issuer', list_url, own.public_id));
                failed := true;
                CONTINUE;
            END IF;
            IF coalesce(entry ->> 'statusListIndex', '') !~ '^[0-9]{1,9}$' OR (entry ->> 'statusListIndex')::integer >= own.size THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('status list index %s is out of range for %s (%s entries)', entry ->> 'statusListIndex', list_url, own.size));
                failed := true;
                CONTINUE;
            END IF;
            entry_idx := (entry ->> 'statusListIndex')::integer;
            IF NOT own.entry_found OR own.entry_purpose IS DISTINCT FROM purpose OR own.purpose IS DISTINCT FROM purpose THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('%s entry %s of %s was not issued by this list', purpose, entry_idx, list_url));
                failed := true;
            ELSIF own.entry_set THEN
                checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                    'reason', format('%s: bit %s of %s is set', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END, entry_idx, list_url));
                failed := true;
            ELSE
                checks := checks || jsonb_build_object('check', 'status', 'result', 'pass',
                    'reason', format('not %s (bit %s of %s)', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END, entry_idx, list_url));
            END IF;
            CONTINUE;
        END IF;
        -- a foreign list: only from what the caller passed, and only if it
        -- verifies under the same rule as the credential, for the credential's
        -- issuer (a key bound to that issuer signed it)
        SELECT s INTO list FROM unnest(coalesce(status_lists, '{}')) s WHERE s ->> 'id' = list_url LIMIT 1;
        IF list IS NULL THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'warn',
                'reason', format('%s status list %s was not given; pass it in status_lists to check it', purpose, list_url));
            CONTINUE;
        END IF;
        lv := microcred._verify_document(list, coalesce(controller_documents, '{}'));
        IF lv.issuer IS DISTINCT FROM v.issuer THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('the status list %s was issued by %s, not by the credential''s issuer', list_url, coalesce(lv.issuer, '(no issuer)')));
            failed := true;
            CONTINUE;
        END IF;
        IF NOT lv.valid THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('the status list credential %s is not the issuer''s: %s', list_url,
                                 (SELECT string_agg((c ->> 'check') || ': ' || (c ->> 'reason'), '; ')
                                    FROM jsonb_array_elements(lv.checks) c WHERE c ->> 'result' = 'fail')));
            failed := true;
            CONTINUE;
        END IF;
        SELECT * INTO chk FROM microcred._status_check(entry, list);
        IF chk.problem IS NOT NULL THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail', 'reason', chk.problem);
            failed := true;
        ELSIF chk.is_set THEN
            checks := checks || jsonb_build_object('check', 'status', 'result', 'fail',
                'reason', format('%s: bit %s of %s is set', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END,
                                 entry ->> 'statusListIndex', list_url));
            failed := true;
        ELSE
            checks := checks || jsonb_build_object('check', 'status', 'result', 'pass',
                'reason', format('not %s (bit %s of %s)', CASE purpose WHEN 'revocation' THEN 'revoked' ELSE 'suspended' END,
                                 entry ->> 'statusListIndex', list_url));
        END IF;
    END LOOP;
    v.checks := v.checks || checks;
    IF failed THEN
        v.valid := false;
    END IF;
    RETURN v;
END
$$;
COMMENT ON FUNCTION microcred._with_status(microcred.verification, jsonb[], jsonb[]) IS
    'internal: check the credentialStatus entries of a verified credential against our lists or the given ones (which must verify for the credential''s issuer)';

-- verify(), verify(text) and verify_jwt() are C (15_bindings.sql, proof_sql.c):
-- the proofs, then the status of our own lists as _with_status checks it
-- (verify_status_sql.c); every other status goes through _with_status above.

-- our lists are cached per backend by URL (verify_status_sql.c): a change of what
-- the cache holds must reach every backend (bits are never cached)
CREATE TRIGGER status_list_changed AFTER UPDATE OF url, issuer_id, purpose, size OR DELETE OR TRUNCATE
    ON microcred.status_list
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();

-- grants for this part
REVOKE ALL ON ALL TABLES IN SCHEMA microcred FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA microcred FROM PUBLIC;
GRANT SELECT ON microcred.audit_log TO microcred_admin;
GRANT SELECT ON microcred.expiring_credentials TO microcred_admin, microcred_issuer, microcred_reader;
GRANT EXECUTE ON FUNCTION
    microcred.revoke(uuid, text), microcred.revoke_all(uuid[], text),
    microcred.suspend(uuid, text), microcred.suspend_all(uuid[], text),
    microcred.reinstate(uuid, text), microcred.reinstate_all(uuid[], text),
    microcred.supersede(uuid, text, jsonb, text),
    microcred.erase_learner(uuid, text)
    TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.audit_verify(text, bigint, text), microcred.audit_anchor(text) TO microcred_admin;
GRANT EXECUTE ON FUNCTION
    microcred.verify(jsonb, jsonb[], jsonb[]), microcred.verify(text, jsonb[], jsonb[]),
    microcred.verify_jwt(text, jsonb[], jsonb[]), microcred.status_list_credential(uuid)
    TO microcred_admin, microcred_issuer, microcred_verifier;
