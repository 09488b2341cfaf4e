/*
 * microcred install script, 94_mail_settings.sql: what admins and issuers set and see:
 * sender, templates, learners' opt-out and language, failed e-mails and their
 * retry; and the grants of the 94_mail parts.
 */

-- admin API ------------------------------------------------------------------

CREATE FUNCTION microcred.set_mail_settings(issuer text, sender text, enabled boolean DEFAULT true,
                                            sender_name text DEFAULT NULL, reply_to text DEFAULT NULL,
                                            language text DEFAULT 'en', learner_page_url text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss uuid := microcred._resolve_issuer(issuer);
BEGIN
    IF sender IS NULL OR sender !~ '^[^@\s<>"]+@[^@\s<>"]+$' THEN
        PERFORM microcred._fail('22023', 'sender of credential e-mails must be an e-mail address',
            format('The value given was %s.', coalesce('"' || sender || '"', 'NULL')),
            'For example ''credentials@university.example''; the SMTP server must accept it as sender.');
    END IF;
    IF reply_to IS NOT NULL AND reply_to !~ '^[^@\s<>"]+@[^@\s<>"]+$' THEN
        PERFORM microcred._fail('22023', 'reply-to of credential e-mails must be an e-mail address',
            format('The value given was "%s".', reply_to), NULL);
    END IF;
    IF sender_name ~ '[\r\n<>"]' THEN
        PERFORM microcred._fail('22023', 'sender name of credential e-mails must be one line without <, > or "', NULL, NULL);
    END IF;
    IF language IS NULL OR language NOT IN ('en', 'de', 'fr') THEN
        PERFORM microcred._fail('22023', format('e-mail language "%s" is not available', language), NULL,
            'Use ''en'', ''de'' or ''fr''.');
    END IF;
    IF learner_page_url IS NOT NULL AND learner_page_url !~ '^https?://\S+$' THEN
        PERFORM microcred._fail('22023', 'learner page URL must be an http(s) URL', format('The value given was "%s".', learner_page_url), NULL);
    END IF;
    IF enabled IS NULL THEN
        PERFORM microcred._fail('22004', 'enabled must be true or false', NULL, NULL);
    END IF;
    INSERT INTO microcred.mail_setting AS ms (issuer_id, enabled, sender, sender_name, reply_to, language, learner_page_url)
    VALUES (iss, enabled, sender, sender_name, reply_to, language, learner_page_url)
    ON CONFLICT (issuer_id) DO UPDATE
       SET enabled = EXCLUDED.enabled, sender = EXCLUDED.sender, sender_name = EXCLUDED.sender_name,
           reply_to = EXCLUDED.reply_to, language = EXCLUDED.language,
           learner_page_url = EXCLUDED.learner_page_url, updated_at = now();
END
$$;
COMMENT ON FUNCTION microcred.set_mail_settings(text, text, boolean, text, text, text, text) IS
    'send learners an e-mail when a credential is issued (enabled => false: the issuer opts out): sender, sender name, reply-to, default language (en, de, fr), learner page URL';

CREATE FUNCTION microcred.set_mail_template(issuer text, language text, subject text, body_text text, body_html text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF language IS NULL OR language NOT IN ('en', 'de', 'fr') THEN
        PERFORM microcred._fail('22023', format('e-mail language "%s" is not available', language), NULL,
            'Use ''en'', ''de'' or ''fr''.');
    END IF;
    IF subject IS NULL OR body_text IS NULL OR body_html IS NULL THEN
        PERFORM microcred._fail('23502', 'an e-mail template needs a subject, a plain text and an HTML body', NULL,
            'Placeholders: {{title}} {{issuer}} {{learner_name}} {{verify_url}} {{wallet_offer_url}} {{learner_page_url}}.');
    END IF;
    INSERT INTO microcred.mail_template AS mt (issuer_id, language, subject, body_text, body_html)
    VALUES (microcred._resolve_issuer(issuer), language, subject, body_text, body_html)
    ON CONFLICT ON CONSTRAINT mail_template_pkey DO UPDATE
       SET subject = EXCLUDED.subject, body_text = EXCLUDED.body_text, body_html = EXCLUDED.body_html;
END
$$;
COMMENT ON FUNCTION microcred.set_mail_template(text, text, text, text, text) IS
    'an issuer''s own credential e-mail template for a language (values are HTML-escaped in the HTML body)';

CREATE FUNCTION microcred.set_learner_mail_preference(learner uuid, opted_out boolean DEFAULT true, language text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    iss uuid;
BEGIN
    SELECT l.issuer_id INTO iss FROM microcred.learner l WHERE l.id = learner;
    IF iss IS NULL THEN
        PERFORM microcred._fail('42704', format('learner %s does not exist', learner), NULL, NULL);
    END IF;
    IF opted_out IS NULL THEN
        PERFORM microcred._fail('22004', 'opted_out must be true or false', NULL, NULL);
    END IF;
    IF language IS NOT NULL AND language NOT IN ('en', 'de', 'fr') THEN
        PERFORM microcred._fail('22023', format('e-mail language "%s" is not available', language), NULL,
            'Use ''en'', ''de'' or ''fr'', or NULL for the issuer''s language.');
    END IF;
    INSERT INTO microcred.learner_mail_preference AS p (issuer_id, learner_id, opted_out, language)
    VALUES (iss, learner, opted_out, language)
    ON CONFLICT (issuer_id, learner_id) DO UPDATE SET opted_out = EXCLUDED.opted_out, language = EXCLUDED.language;
    IF opted_out THEN
        UPDATE microcred.mail_outbox mo SET state = 'cancelled', done_at = now(), last_error = 'the learner opted out'
         WHERE mo.issuer_id = iss AND mo.learner_id = learner AND mo.state = 'queued';
    END IF;
END
$$;
COMMENT ON FUNCTION microcred.set_learner_mail_preference(uuid, boolean, text) IS
    'a learner''s choice about credential e-mails: opt out (queued ones are cancelled) and language (en, de, fr; NULL: the issuer''s)';

-- failed and waiting e-mails, for admins and issuers (their own only)
CREATE VIEW microcred.mail_failures WITH (security_invoker = true) AS
SELECT mo.id, i.handle AS issuer, mo.credential_id, mo.learner_id, mo.state, mo.attempts,
       mo.last_error, mo.created_at, mo.next_attempt_at, mo.done_at
  FROM microcred.mail_outbox mo JOIN microcred.issuer i ON i.id = mo.issuer_id
 WHERE mo.state = 'failed' OR (mo.state IN ('queued', 'sending') AND mo.last_error IS NOT NULL);
COMMENT ON VIEW microcred.mail_failures IS
    'credential e-mails that failed for good (state failed) or are waiting for a retry after an error, with the last error';
COMMENT ON COLUMN microcred.mail_failures.id IS 'id of the outbox row';
COMMENT ON COLUMN microcred.mail_failures.issuer IS 'handle of the awarding body';
COMMENT ON COLUMN microcred.mail_failures.credential_id IS 'the credential the e-mail announces';
COMMENT ON COLUMN microcred.mail_failures.learner_id IS 'the learner it goes to';
COMMENT ON COLUMN microcred.mail_failures.state IS 'failed (given up) or queued/sending (to be retried)';
COMMENT ON COLUMN microcred.mail_failures.attempts IS 'attempts made so far';
COMMENT ON COLUMN microcred.mail_failures.last_error IS 'the last SMTP error';
COMMENT ON COLUMN microcred.mail_failures.created_at IS 'when the credential was issued and the e-mail queued';
COMMENT ON COLUMN microcred.mail_failures.next_attempt_at IS 'when it is tried again (queued ones)';
COMMENT ON COLUMN microcred.mail_failures.done_at IS 'when it was given up (failed ones)';

CREATE FUNCTION microcred.mail_retry(mail bigint)
RETURNS boolean
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE microcred.mail_outbox mo SET state = 'queued', attempts = 0, next_attempt_at = now(), done_at = NULL
     WHERE mo.id = mail AND mo.state = 'failed'
    RETURNING true
$$;
COMMENT ON FUNCTION microcred.mail_retry(bigint) IS
    'queue a failed credential e-mail again (after fixing its cause); false/NULL when it is not a failed one of an issuer you act for';

REVOKE ALL ON microcred.mail_setting, microcred.mail_template, microcred.learner_mail_preference,
    microcred.mail_outbox, microcred.mail_failures FROM PUBLIC;
REVOKE ALL ON FUNCTION microcred._mail_cancel_erased(), microcred._mail_wallet_offer_url(uuid),
    microcred._mail_builtin_template(text), microcred._html_escape(text), microcred._mail_render(text, jsonb, boolean),
    microcred.mail_claim(integer, integer), microcred.mail_sent(bigint),
    microcred.mail_failed(bigint, text, text, integer, integer), microcred.mail_backlog(),
    microcred.set_mail_settings(text, text, boolean, text, text, text, text),
    microcred.set_mail_template(text, text, text, text, text),
    microcred.set_learner_mail_preference(uuid, boolean, text), microcred.mail_retry(bigint) FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON microcred.mail_setting, microcred.mail_template TO microcred_admin;
GRANT SELECT, INSERT, UPDATE ON microcred.learner_mail_preference TO microcred_admin, microcred_issuer;
GRANT SELECT, UPDATE ON microcred.mail_outbox TO microcred_admin, microcred_issuer;
GRANT SELECT ON microcred.mail_failures TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.set_mail_settings(text, text, boolean, text, text, text, text),
    microcred.set_mail_template(text, text, text, text, text) TO microcred_admin;
GRANT EXECUTE ON FUNCTION microcred.set_learner_mail_preference(uuid, boolean, text), microcred.mail_retry(bigint)
    TO microcred_admin, microcred_issuer;
GRANT EXECUTE ON FUNCTION microcred.mail_claim(integer, integer), microcred.mail_sent(bigint),
    microcred.mail_failed(bigint, text, text, integer, integer), microcred.mail_backlog() TO microcred_bridge;
