/*
 * microcred install script, 94_mail_render.sql: a credential e-mail's text: the built-in
 * templates (en, de, fr; text and HTML) and their rendering, values escaped in HTML.
 */

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
