/*
 * microcred install script, 81_erase.sql: erasure of a learner's personal
 * data; the credentials stay valid.
 */

-- erasure -------------------------------------------------------------------------

CREATE FUNCTION microcred._erase_learner(learner uuid, reason text, actor name)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    l       microcred.learner;
BEGIN
    SELECT * INTO l FROM microcred.learner lr WHERE lr.id = learner FOR UPDATE;
    IF l.id IS NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    PERFORM microcred._check_actor(l.issuer_id, actor);
    IF l.erased_at IS NOT NULL THEN
        PERFORM microcred._fail('55000', 'learner was already erased', format('Learner %s was erased at %s.', learner, l.erased_at), NULL);
    END IF;
    -- every copy: completion events that name the learner (by learner, e-mail,
    -- student id or LMS account) lose user, e-mail, name and payload, and a
    -- key that contains them is replaced by its hash; open ones are closed
    UPDATE microcred.completion_event e
       SET user_key = NULL, user_email = NULL, user_name = NULL, payload = NULL,
           event_key = CASE WHEN (l.email IS NOT NULL AND strpos(lower(e.event_key), lower(l.email)) > 0)
                              OR (l.student_id IS NOT NULL AND strpos(e.event_key, l.student_id) > 0)
                              OR (e.user_key IS NOT NULL AND strpos(e.event_key, e.user_key) > 0)
                            THEN 'erased:' || encode(sha256(convert_to(e.event_key, 'UTF8')), 'hex')
                            ELSE e.event_key END,
           state = CASE WHEN e.state IN ('received', 'pending', 'failed') THEN 'ignored' ELSE e.state END,
           reason = CASE WHEN e.state IN ('received', 'pending', 'failed') THEN 'the learner''s personal data were erased'
                         ELSE e.reason END
     WHERE e.source_id IN (SELECT s.id FROM microcred.event_source s WHERE s.issuer_id = l.issuer_id)
       AND (e.learner_id = l.id
            OR lower(e.user_email) = lower(l.email) OR lower(e.user_key) = lower(l.email)
            OR e.user_key = l.student_id
            OR e.user_key IN (SELECT li.value FROM microcred.learner_identifier li
                               WHERE li.learner_id = l.id AND li.kind = 'lms'));
    DELETE FROM microcred.lti_link_request r
     WHERE lower(r.email) = lower(l.email)
       AND r.platform_id IN (SELECT p.id FROM microcred.lti_platform p WHERE p.issuer_id = l.issuer_id);
    DELETE FROM microcred.lti_account_link a WHERE a.learner_id = l.id;
    UPDATE microcred.learner lr SET given_name = NULL, family_name = NULL, email = NULL, student_id = NULL,
           date_of_birth = NULL, holder_did = NULL, name_in_credential = false, erased_at = now()
     WHERE lr.id = l.id;
    DELETE FROM microcred.learner_identifier li WHERE li.learner_id = l.id;
    -- stored documents that name the learner go; their ids and status bits stay
    UPDATE microcred.issued_credential c SET document = NULL
     WHERE c.learner_id = l.id AND c.document IS NOT NULL
       AND jsonb_path_exists(c.document, '$.credentialSubject.identifier[*] ? (@.hashed == false)');
    DELETE FROM microcred.credential_envelope e
     WHERE e.credential_id IN (SELECT c.id FROM microcred.issued_credential c WHERE c.learner_id = l.id);
    PERFORM microcred._audit(l.issuer_id, 'erase', l.id, coalesce(reason, 'erasure requested'), '{}', actor);
END
$$;
CREATE FUNCTION microcred.erase_learner(learner uuid, reason text DEFAULT 'erasure requested')
RETURNS void LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT microcred._erase_learner(learner, reason, microcred._caller() COLLATE "default") $$;
COMMENT ON FUNCTION microcred.erase_learner(uuid, text) IS
    'erase a learner''s personal data (GDPR art. 17): the row becomes a tombstone, stored documents that show the name are dropped, credentials and their status bits stay valid';
