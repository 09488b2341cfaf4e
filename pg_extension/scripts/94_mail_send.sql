/*
 * microcred install script, 94_mail_send.sql: what the bridge's sender calls: claim
 * due e-mails (rendered), report them sent or failed (back-off), the backlog.
 */

CREATE FUNCTION microcred.mail_claim(max_mails integer DEFAULT 20, lease_s integer DEFAULT 120)
RETURNS TABLE (id bigint, mail_from text, from_name text, reply_to text, rcpt text,
               subject text, body_text text, body_html text, message_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o       record;
    s       microcred.mail_setting;
    l       microcred.learner;
    tpl     record;
    vals    jsonb;
    lang    text;
BEGIN
    IF max_mails IS NULL OR max_mails < 1 OR max_mails > 1000 THEN
        PERFORM microcred._fail('22023', 'max_mails must be between 1 and 1000', NULL, NULL);
    END IF;
    IF lease_s IS NULL OR lease_s < 5 OR lease_s > 3600 THEN
        PERFORM microcred._fail('22023', 'lease_s must be between 5 and 3600 seconds', NULL, NULL);
    END IF;
    FOR o IN
        SELECT mo.* FROM microcred.mail_outbox mo
         WHERE mo.state IN ('queued', 'sending') AND mo.next_attempt_at <= now()
           AND (mo.state = 'queued' OR mo.claimed_until < now())
         ORDER BY mo.next_attempt_at, mo.id
         LIMIT max_mails
           FOR UPDATE SKIP LOCKED
    LOOP
        SELECT * INTO s FROM microcred.mail_setting ms WHERE ms.issuer_id = o.issuer_id;
        SELECT * INTO l FROM microcred.learner lr WHERE lr.id = o.learner_id;
        IF s.issuer_id IS NULL OR NOT s.enabled OR l.email IS NULL OR l.erased_at IS NOT NULL
           OR EXISTS (SELECT FROM microcred.learner_mail_preference p
                       WHERE p.issuer_id = o.issuer_id AND p.learner_id = o.learner_id AND p.opted_out) THEN
            UPDATE microcred.mail_outbox mo SET state = 'cancelled', done_at = now(),
                   last_error = CASE WHEN l.erased_at IS NOT NULL OR l.email IS NULL THEN 'the learner was erased or has no e-mail address'
                                     WHEN s.issuer_id IS NULL OR NOT s.enabled THEN 'the issuer turned credential e-mails off'
                                     ELSE 'the learner opted out' END
             WHERE mo.id = o.id;
            CONTINUE;
        END IF;
        lang := coalesce((SELECT p.language FROM microcred.learner_mail_preference p
                           WHERE p.issuer_id = o.issuer_id AND p.learner_id = o.learner_id), s.language, 'en');
        SELECT t.subject, t.body_text, t.body_html INTO tpl FROM microcred.mail_template t
         WHERE t.issuer_id = o.issuer_id AND t.language = lang;
        IF NOT FOUND THEN
            SELECT * INTO tpl FROM microcred._mail_builtin_template(lang);
        END IF;
        SELECT jsonb_build_object(
                   'title', ct.title,
                   'issuer', i.legal_name,
                   'learner_name', coalesce(nullif(btrim(concat_ws(' ', l.given_name, l.family_name)), ''), l.email),
                   'verify_url', i.base_url || '/credentials/' || o.credential_id,
                   'wallet_offer_url', microcred._mail_wallet_offer_url(o.credential_id),
                   'learner_page_url', s.learner_page_url)
          INTO vals
          FROM microcred.issued_credential c
          JOIN microcred.credential_type ct ON ct.id = c.credential_type_id
          JOIN microcred.issuer i ON i.id = c.issuer_id
         WHERE c.id = o.credential_id;
        UPDATE microcred.mail_outbox mo SET state = 'sending', attempts = mo.attempts + 1,
               claimed_until = now() + make_interval(secs => lease_s)
         WHERE mo.id = o.id;
        id := o.id;
        mail_from := s.sender;
        from_name := coalesce(s.sender_name, (SELECT i.legal_name FROM microcred.issuer i WHERE i.id = o.issuer_id));
        reply_to := s.reply_to;
        rcpt := l.email;
        -- one line, whatever the title holds
        subject := regexp_replace(microcred._mail_render(tpl.subject, vals, false), '[\r\n]+', ' ', 'g');
        body_text := microcred._mail_render(tpl.body_text, vals, false);
        body_html := microcred._mail_render(tpl.body_html, vals, true);
        message_id := '<mail-' || o.id || '.' || o.credential_id || '@' || split_part(s.sender, '@', 2) || '>';
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION microcred.mail_claim(integer, integer) IS
    'for the bridge: claim due credential e-mails (skipping rows another bridge holds) for lease_s seconds, rendered in the learner''s language; cancels those whose learner was erased or opted out';

CREATE FUNCTION microcred.mail_sent(mail bigint)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE microcred.mail_outbox mo SET state = 'sent', done_at = now(), claimed_until = NULL, last_error = NULL
     WHERE mo.id = mail AND mo.state = 'sending'
$$;
COMMENT ON FUNCTION microcred.mail_sent(bigint) IS 'for the bridge: a claimed e-mail was accepted by the SMTP server';

/*
 * For the bridge: a claimed e-mail was not sent.  kind 'temporary' (a 4xx
 * answer, a time-out mid-message): retry after retry_base_s * 2^(attempts-1),
 * at most 6 hours, until max_attempts; 'permanent' (a 5xx answer, a refused
 * address): recorded as failed at once; 'unreachable' (no connection to the
 * server): the attempt does not count, retry after retry_base_s.
 */
CREATE FUNCTION microcred.mail_failed(mail bigint, error text, kind text DEFAULT 'temporary',
                                      retry_base_s integer DEFAULT 60, max_attempts integer DEFAULT 10)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o   microcred.mail_outbox;
BEGIN
    IF kind IS NULL OR kind NOT IN ('temporary', 'permanent', 'unreachable') THEN
        PERFORM microcred._fail('22023', format('failure kind "%s" is not known', kind), NULL,
            'Use ''temporary'', ''permanent'' or ''unreachable''.');
    END IF;
    IF retry_base_s IS NULL OR retry_base_s < 1 OR max_attempts IS NULL OR max_attempts < 1 THEN
        PERFORM microcred._fail('22023', 'retry_base_s and max_attempts must be positive', NULL, NULL);
    END IF;
    SELECT * INTO o FROM microcred.mail_outbox mo WHERE mo.id = mail AND mo.state = 'sending' FOR UPDATE;
    IF o.id IS NULL THEN
        RETURN NULL;
    END IF;
    error := left(error, 500);
    IF kind = 'permanent' OR (kind = 'temporary' AND o.attempts >= max_attempts) THEN
        UPDATE microcred.mail_outbox mo SET state = 'failed', done_at = now(), claimed_until = NULL, last_error = error
         WHERE mo.id = o.id;
        RETURN 'failed';
    END IF;
    UPDATE microcred.mail_outbox mo
       SET state = 'queued', claimed_until = NULL, last_error = error,
           attempts = CASE WHEN kind = 'unreachable' THEN greatest(mo.attempts - 1, 0) ELSE mo.attempts END,
           next_attempt_at = now() + make_interval(secs => CASE WHEN kind = 'unreachable' THEN retry_base_s
                                 ELSE least(retry_base_s * power(2, least(o.attempts - 1, 20)), 21600) END)
     WHERE mo.id = o.id;
    RETURN 'queued';
END
$$;
COMMENT ON FUNCTION microcred.mail_failed(bigint, text, text, integer, integer) IS
    'for the bridge: a claimed e-mail failed (temporary: retried with exponential back-off; permanent or the last attempt: recorded as failed; unreachable: retried without counting); returns the new state';

-- the backlog, for the bridge's /metrics (no issuer, no address)
CREATE FUNCTION microcred.mail_backlog(OUT queued bigint, OUT oldest_s double precision, OUT failed bigint)
RETURNS record
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(*) FILTER (WHERE mo.state IN ('queued', 'sending')),
           coalesce(extract(epoch FROM now() - min(mo.created_at) FILTER (WHERE mo.state IN ('queued', 'sending'))), 0)::double precision,
           count(*) FILTER (WHERE mo.state = 'failed')
      FROM microcred.mail_outbox mo
     WHERE mo.state IN ('queued', 'sending', 'failed')
$$;
COMMENT ON FUNCTION microcred.mail_backlog() IS
    'for the bridge''s /metrics: e-mails waiting to be sent, the age of the oldest in seconds, and permanent failures';
