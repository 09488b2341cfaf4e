/*
 * microcred install script, 94_mail.sql: e-mail to learners when a credential is issued.
 *
 * An outbox written in the issuing transaction: a row trigger on
 * issued_credential queues one mail per credential (unique per credential),
 * so a rolled-back issue queues nothing and a committed one cannot be lost;
 * pg_notify('microcred_mail') in the same transaction wakes the bridge at
 * commit.  The bridge (lti_bridge/mailer.c) claims due rows with
 * mail_claim() (FOR UPDATE SKIP LOCKED, so several bridges share the work),
 * sends them over SMTP and reports mail_sent() or mail_failed(): a
 * temporary failure retries with exponential back-off, a permanent one (or
 * the last attempt) is recorded and shown to admins in mail_failures; an
 * unreachable server costs no attempt.  Nothing personal is stored in the
 * outbox: address, name and text are read and rendered at claim time, so an
 * erased learner's mail cannot go out (erasure also cancels it).
 *
 * Per issuer (mail_setting, set by an admin): whether mail is sent at all,
 * sender, reply-to, default language, learner page URL; templates per
 * language (built-in en, de, fr; an issuer may override them in
 * mail_template).  Per learner (learner_mail_preference): opt-out and
 * language.  The wallet offer link (_mail_wallet_offer_url: a new
 * single-use OpenID4VCI offer, 93_oid4vci) is left out when the credential
 * cannot be offered.
 */

-- the bridge's role (95_public.sql makes it too): it claims and reports e-mails
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'microcred_bridge') THEN
        CREATE ROLE microcred_bridge NOLOGIN;
    END IF;
END
$$;

CREATE TABLE microcred.mail_setting (
    issuer_id       uuid PRIMARY KEY REFERENCES microcred.issuer (id) ON DELETE CASCADE,
    enabled         boolean NOT NULL DEFAULT true,
    sender          text NOT NULL CONSTRAINT mail_setting_sender_format CHECK (sender ~ '^[^@\s<>"]+@[^@\s<>"]+$'),
    sender_name     text CONSTRAINT mail_setting_sender_name_plain CHECK (sender_name !~ '[\r\n<>"]'),
    reply_to        text CONSTRAINT mail_setting_reply_to_format CHECK (reply_to ~ '^[^@\s<>"]+@[^@\s<>"]+$'),
    language        text NOT NULL DEFAULT 'en' CONSTRAINT mail_setting_language CHECK (language IN ('en', 'de', 'fr')),
    learner_page_url text CONSTRAINT mail_setting_learner_page_https CHECK (learner_page_url ~ '^https?://\S+$'),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE microcred.mail_setting IS
    'per issuer: whether learners get an e-mail when a credential is issued (no row or enabled = false: none), sender, reply-to, default language, learner page';

CREATE TABLE microcred.mail_template (
    issuer_id   uuid NOT NULL REFERENCES microcred.issuer (id) ON DELETE CASCADE,
    language    text NOT NULL CONSTRAINT mail_template_language CHECK (language IN ('en', 'de', 'fr')),
    subject     text NOT NULL CONSTRAINT mail_template_subject_one_line CHECK (subject !~ '[\r\n]' AND btrim(subject) <> ''),
    body_text   text NOT NULL CONSTRAINT mail_template_text_not_blank CHECK (btrim(body_text) <> ''),
    body_html   text NOT NULL CONSTRAINT mail_template_html_not_blank CHECK (btrim(body_html) <> ''),
    PRIMARY KEY (issuer_id, language)
);
COMMENT ON TABLE microcred.mail_template IS
    'an issuer''s own e-mail templates per language (else the built-in ones); placeholders {{title}} {{issuer}} {{learner_name}} {{verify_url}} {{wallet_offer_url}} {{learner_page_url}}, sections {{#name}}...{{/name}} left out when the value is empty';

CREATE TABLE microcred.learner_mail_preference (
    issuer_id   uuid NOT NULL,
    learner_id  uuid NOT NULL,
    opted_out   boolean NOT NULL DEFAULT false,
    language    text CONSTRAINT learner_mail_preference_language CHECK (language IN ('en', 'de', 'fr')),
    PRIMARY KEY (issuer_id, learner_id),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE microcred.learner_mail_preference IS
    'per learner: opt-out of credential e-mails and the language of them (NULL: the issuer''s)';

CREATE TABLE microcred.mail_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issuer_id       uuid NOT NULL,
    credential_id   uuid NOT NULL REFERENCES microcred.issued_credential (id),
    learner_id      uuid NOT NULL,
    state           text NOT NULL DEFAULT 'queued'
                    CONSTRAINT mail_outbox_state CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_until   timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    UNIQUE (issuer_id, credential_id),
    FOREIGN KEY (issuer_id, learner_id) REFERENCES microcred.learner (issuer_id, id)
);
CREATE INDEX mail_outbox_due ON microcred.mail_outbox (next_attempt_at) WHERE state IN ('queued', 'sending');
CREATE INDEX mail_outbox_learner ON microcred.mail_outbox (issuer_id, learner_id);
COMMENT ON TABLE microcred.mail_outbox IS
    'credential e-mails to send, written in the issuing transaction (no address or text: rendered when the bridge claims them)';

ALTER TABLE microcred.mail_setting ENABLE ROW LEVEL SECURITY;
ALTER TABLE microcred.mail_template ENABLE ROW LEVEL SECURITY;
ALTER TABLE microcred.learner_mail_preference ENABLE ROW LEVEL SECURITY;
ALTER TABLE microcred.mail_outbox ENABLE ROW LEVEL SECURITY;
CREATE POLICY per_issuer ON microcred.mail_setting USING (microcred.acts_for(issuer_id, current_user));
CREATE POLICY per_issuer ON microcred.mail_template USING (microcred.acts_for(issuer_id, current_user));
CREATE POLICY per_issuer ON microcred.learner_mail_preference USING (microcred.acts_for(issuer_id, current_user));
CREATE POLICY per_issuer ON microcred.mail_outbox USING (microcred.acts_for(issuer_id, current_user));

-- queue the credential e-mail in the issuing transaction (row trigger)
CREATE FUNCTION microcred._mail_enqueue()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO microcred.mail_outbox (issuer_id, credential_id, learner_id)
    SELECT NEW.issuer_id, NEW.id, NEW.learner_id
      FROM microcred.mail_setting s
      JOIN microcred.learner l ON l.issuer_id = s.issuer_id AND l.id = NEW.learner_id
     WHERE s.issuer_id = NEW.issuer_id AND s.enabled AND l.email IS NOT NULL AND l.erased_at IS NULL
       AND NOT EXISTS (SELECT FROM microcred.learner_mail_preference p
                        WHERE p.issuer_id = NEW.issuer_id AND p.learner_id = NEW.learner_id AND p.opted_out)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        PERFORM pg_notify('microcred_mail', '');
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred._mail_enqueue() IS
    'internal: row trigger that queues the credential e-mail of a new credential (and wakes the bridge at commit)';
CREATE TRIGGER mail_enqueue AFTER INSERT ON microcred.issued_credential
    FOR EACH ROW EXECUTE FUNCTION microcred._mail_enqueue();

-- an erased learner's queued mail is cancelled (row trigger)
CREATE FUNCTION microcred._mail_cancel_erased()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE microcred.mail_outbox o SET state = 'cancelled', done_at = now(), last_error = 'the learner was erased'
     WHERE o.issuer_id = NEW.issuer_id AND o.learner_id = NEW.id AND o.state IN ('queued', 'sending');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred._mail_cancel_erased() IS
    'internal: row trigger that cancels the queued e-mails of an erased learner';
CREATE TRIGGER mail_cancel_erased AFTER UPDATE OF erased_at ON microcred.learner
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION microcred._mail_cancel_erased();

/*
 * The wallet offer link of a credential for its e-mail: NULL until
 * OpenID4VCI delivery (issue 18, item 2) provides one; the templates'
 * {{#wallet_offer_url}} section is left out while it is NULL.
 */
-- a new single-use offer (93_oid4vci) valid for a week, made when the e-mail
-- is rendered; NULL when the credential cannot be offered (no base_url, no
-- longer active)
CREATE FUNCTION microcred._mail_wallet_offer_url(credential uuid)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN (SELECT o.offer_uri FROM microcred._oid4vci_new_offer(credential, false, interval '7 days', NULL) o);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION microcred._mail_wallet_offer_url(uuid) IS
    'internal: the wallet (OpenID4VCI) offer link of a credential e-mail: a new single-use offer valid for 7 days, NULL when the credential cannot be offered';

-- the built-in templates
CREATE FUNCTION microcred._mail_builtin_template(language text,
    OUT subject text, OUT body_text text, OUT body_html text)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- the plain texts write a line break as \n (replaced below)
    SELECT t.subject, replace(t.body_text, '\n', E'\n'), t.body_html FROM (VALUES
      ('en', 'Your credential: {{title}}',
       'Hello {{learner_name}},\n\n{{issuer}} has issued you the micro-credential "{{title}}".\n\n'
       'See and verify it: {{verify_url}}\n'
       '{{#wallet_offer_url}}Add it to your wallet: {{wallet_offer_url}}\n{{/wallet_offer_url}}'
       '{{#learner_page_url}}All your credentials: {{learner_page_url}}\n{{/learner_page_url}}'
       '\nThis message was sent by {{issuer}} because a credential was issued to this address.\n',
       '<!DOCTYPE html><html lang="en"><body><p>Hello {{learner_name}},</p>'
       '<p>{{issuer}} has issued you the micro-credential <strong>{{title}}</strong>.</p>'
       '<p><a href="{{verify_url}}">See and verify it</a></p>'
       '{{#wallet_offer_url}}<p><a href="{{wallet_offer_url}}">Add it to your wallet</a></p>{{/wallet_offer_url}}'
       '{{#learner_page_url}}<p><a href="{{learner_page_url}}">All your credentials</a></p>{{/learner_page_url}}'
       '<p><small>This message was sent by {{issuer}} because a credential was issued to this address.</small></p></body></html>'),
      ('de', 'Ihr Nachweis: {{title}}',
       'Guten Tag {{learner_name}},\n\n{{issuer}} hat Ihnen den Microcredential-Nachweis „{{title}}“ ausgestellt.\n\n'
       'Ansehen und prüfen: {{verify_url}}\n'
       '{{#wallet_offer_url}}In Ihre Wallet übernehmen: {{wallet_offer_url}}\n{{/wallet_offer_url}}'
       '{{#learner_page_url}}Alle Ihre Nachweise: {{learner_page_url}}\n{{/learner_page_url}}'
       '\nDiese Nachricht kommt von {{issuer}}, weil an diese Adresse ein Nachweis ausgestellt wurde.\n',
       '<!DOCTYPE html><html lang="de"><body><p>Guten Tag {{learner_name}},</p>'
       '<p>{{issuer}} hat Ihnen den Microcredential-Nachweis <strong>{{title}}</strong> ausgestellt.</p>'
       '<p><a href="{{verify_url}}">Ansehen und prüfen</a></p>'
       '{{#wallet_offer_url}}<p><a href="{{wallet_offer_url}}">In Ihre Wallet übernehmen</a></p>{{/wallet_offer_url}}'
       '{{#learner_page_url}}<p><a href="{{learner_page_url}}">Alle Ihre Nachweise</a></p>{{/learner_page_url}}'
       '<p><small>Diese Nachricht kommt von {{issuer}}, weil an diese Adresse ein Nachweis ausgestellt wurde.</small></p></body></html>'),
      ('fr', 'Votre certification : {{title}}',
       'Bonjour {{learner_name}},\n\n{{issuer}} vous a délivré la micro-certification « {{title}} ».\n\n'
       'La consulter et la vérifier : {{verify_url}}\n'
       '{{#wallet_offer_url}}L''ajouter à votre portefeuille : {{wallet_offer_url}}\n{{/wallet_offer_url}}'
       '{{#learner_page_url}}Toutes vos certifications : {{learner_page_url}}\n{{/learner_page_url}}'
       '\nCe message vous est envoyé par {{issuer}} car une certification a été délivrée à cette adresse.\n',
       '<!DOCTYPE html><html lang="fr"><body><p>Bonjour {{learner_name}},</p>'
       '<p>{{issuer}} vous a délivré la micro-certification <strong>{{title}}</strong>.</p>'
       '<p><a href="{{verify_url}}">La consulter et la vérifier</a></p>'
       '{{#wallet_offer_url}}<p><a href="{{wallet_offer_url}}">L''ajouter à votre portefeuille</a></p>{{/wallet_offer_url}}'
       '{{#learner_page_url}}<p><a href="{{learner_page_url}}">Toutes vos certifications</a></p>{{/learner_page_url}}'
       '<p><small>Ce message vous est envoyé par {{issuer}} car une certification a été délivrée à cette adresse.</small></p></body></html>')
    ) AS t(language, subject, body_text, body_html)
    WHERE t.language = coalesce(_mail_builtin_template.language, 'en')
$$;
COMMENT ON FUNCTION microcred._mail_builtin_template(text) IS
    'internal: the built-in credential e-mail template of a language (en, de, fr)';

CREATE FUNCTION microcred._html_escape(s text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT replace(replace(replace(replace(replace(s, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), '''', '&#39;')
$$;
COMMENT ON FUNCTION microcred._html_escape(text) IS 'internal: text escaped for HTML element content and attribute values';

/*
 * Fill a template: sections {{#name}}...{{/name}} stay (without their
 * markers) when the value is not empty and go otherwise; then {{name}}
 * becomes the value, HTML-escaped when html.  Values never pass through a
 * second substitution (a learner name holding "{{title}}" stays as typed).
 */
CREATE FUNCTION microcred._mail_render(template text, vals jsonb, html boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k       text;
    out     text := '';
    rest    text := template;
    m       text[];
    v       text;
BEGIN
    FOR k IN SELECT jsonb_object_keys(vals) LOOP
        rest := regexp_replace(rest, '\{\{#' || k || '\}\}(.*?)\{\{/' || k || '\}\}',
                               CASE WHEN coalesce(vals ->> k, '') <> '' THEN '\1' ELSE '' END, 'gs');
    END LOOP;
    -- one pass from left to right: what a value brings is not looked at again
    LOOP
        m := regexp_match(rest, '^(.*?)\{\{([a-z_]+)\}\}(.*)$', 's');
        EXIT WHEN m IS NULL;
        v := coalesce(vals ->> m[2], '');
        out := out || m[1] || CASE WHEN html THEN microcred._html_escape(v) ELSE v END;
        rest := m[3];
    END LOOP;
    RETURN out || rest;
END
$$;
COMMENT ON FUNCTION microcred._mail_render(text, jsonb, boolean) IS
    'internal: a mail template filled with values (sections for optional values, HTML escaping)';

/*
 * For the bridge: claim up to max_mails due e-mails (FOR UPDATE SKIP
 * LOCKED: concurrent bridges get different rows) for lease_s seconds, each
 * rendered: envelope and header addresses, subject, plain text and HTML.
 * A row whose learner was erased, lost the address or opted out meanwhile,
 * or whose issuer turned mail off, is cancelled instead.  A claim whose
 * lease ran out (a bridge that died while sending) is claimed again.
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
REVOKE ALL ON FUNCTION microcred._mail_enqueue(), microcred._mail_cancel_erased(), microcred._mail_wallet_offer_url(uuid),
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
