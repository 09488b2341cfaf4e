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

-- _issue caches whether an issuer sends mail (issue_type_sql.c)
CREATE TRIGGER mail_setting_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.mail_setting
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();

-- the credential e-mail is queued in the issuing transaction by
-- microcred._issue (issue_sql.c: an INSERT into mail_outbox when the issuer
-- sends mail, the learner has an address and has not opted out, then
-- NOTIFY microcred_mail); a row trigger until 0.3

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
