-- e-mail to learners (scripts/94_mail.sql): the outbox, settings, templates and
-- preferences, their policies, triggers, view and grants; the functions'
-- bodies come with the replay (stubs here so triggers and grants can name them)
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

-- stubs of the new functions, so the triggers and grants below can name
-- them; the replay (99_replay.sql) replaces every body and keeps the grants
DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        '_mail_cancel_erased() RETURNS trigger',
        '_mail_wallet_offer_url(credential uuid) RETURNS text',
        '_mail_builtin_template(language text, OUT subject text, OUT body_text text, OUT body_html text) RETURNS record',
        '_html_escape(s text) RETURNS text',
        '_mail_render(template text, vals jsonb, html boolean) RETURNS text',
        'mail_claim(max_mails integer DEFAULT 20, lease_s integer DEFAULT 120) RETURNS TABLE (id bigint, mail_from text, from_name text, reply_to text, rcpt text, subject text, body_text text, body_html text, message_id text)',
        'mail_sent(mail bigint) RETURNS void',
        'mail_failed(mail bigint, error text, kind text DEFAULT ''temporary'', retry_base_s integer DEFAULT 60, max_attempts integer DEFAULT 10) RETURNS text',
        'mail_backlog(OUT queued bigint, OUT oldest_s double precision, OUT failed bigint) RETURNS record',
        'set_mail_settings(issuer text, sender text, enabled boolean DEFAULT true, sender_name text DEFAULT NULL, reply_to text DEFAULT NULL, language text DEFAULT ''en'', learner_page_url text DEFAULT NULL) RETURNS void',
        'set_mail_template(issuer text, language text, subject text, body_text text, body_html text) RETURNS void',
        'set_learner_mail_preference(learner uuid, opted_out boolean DEFAULT true, language text DEFAULT NULL) RETURNS void',
        'mail_retry(mail bigint) RETURNS boolean'] LOOP
        EXECUTE format('CREATE FUNCTION microcred.%s LANGUAGE plpgsql AS $b$BEGIN RAISE EXCEPTION ''replaced by the replay''; END$b$', f);
    END LOOP;
END
$$;
CREATE TRIGGER mail_setting_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON microcred.mail_setting
    FOR EACH STATEMENT EXECUTE FUNCTION microcred._invalidate_caches();
CREATE TRIGGER mail_cancel_erased AFTER UPDATE OF erased_at ON microcred.learner
    FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL)
    EXECUTE FUNCTION microcred._mail_cancel_erased();
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
SELECT pg_catalog.pg_extension_config_dump('microcred.mail_setting', '');
SELECT pg_catalog.pg_extension_config_dump('microcred.mail_template', '');
SELECT pg_catalog.pg_extension_config_dump('microcred.learner_mail_preference', '');
SELECT pg_catalog.pg_extension_config_dump('microcred.mail_outbox', '');
SELECT pg_catalog.pg_extension_config_dump('microcred.mail_outbox_id_seq', '');
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
