-- lti_tool: the LTI tool's own key and JWKS, client assertions, course
-- mappings, deep linking, launch pages and dynamic registration invitations.
\set suite lti_tool
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
-- the JWT payload (second part) as jsonb
CREATE FUNCTION pg_temp.jwt_claims(t text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT convert_from(decode(rpad(translate(split_part(t, '.', 2), '-_', '+/'),
                                    (length(split_part(t, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb $$;
CREATE FUNCTION pg_temp.jwt_header(t text) RETURNS jsonb LANGUAGE sql AS $$
    SELECT convert_from(decode(rpad(translate(split_part(t, '.', 1), '-_', '+/'),
                                    (length(split_part(t, '.', 1)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb $$;

SELECT microcred.lti_register_platform('th-beispiel', 'Mock LMS', 'http://127.0.0.1:9100', 'tool-9',
    'http://127.0.0.1:9100/auth', 'http://127.0.0.1:9100/jwks', 'http://127.0.0.1:9100/token', '{dep-a}') AS pf \gset

-- the tool key: made on first need, one RSA key, public parts only in the JWKS
SELECT jsonb_array_length(j->'keys') AS n, j->'keys'->0->>'kty' AS kty, j->'keys'->0->>'alg' AS alg,
       j->'keys'->0->>'use' AS use, j->'keys'->0 ? 'd' AS has_private, length(j->'keys'->0->>'n') AS n_len
  FROM microcred.lti_tool_jwks() j;
SELECT count(*) AS tool_keys FROM microcred.lti_tool_key;
SELECT microcred.lti_tool_jwks()->'keys'->0->>'kid' AS kid1 \gset

-- a client assertion (RFC 7523)
SELECT microcred.lti_client_assertion(:'pf') AS ca \gset
SELECT h->>'alg' AS alg, h->>'typ' AS typ, h->>'kid' = :'kid1' AS kid_is_tool_key,
       c->>'iss' AS iss, c->>'sub' AS sub, c->>'aud' AS aud, (c->>'exp')::bigint - (c->>'iat')::bigint AS lifetime,
       length(c->>'jti') AS jti_len, abs((c->>'iat')::bigint - extract(epoch FROM now())::bigint) < 5 AS iat_now
  FROM pg_temp.jwt_header(:'ca') h, pg_temp.jwt_claims(:'ca') c;
SELECT pg_temp.jwt_claims(microcred.lti_client_assertion(:'pf'))->>'jti' <> pg_temp.jwt_claims(:'ca')->>'jti' AS jti_fresh;
SELECT microcred.lti_client_assertion('00000000-0000-0000-0000-000000000000');
SELECT microcred.lti_register_platform('th-beispiel', 'No token URL', 'http://127.0.0.1:9101', 'tool-9',
    'http://127.0.0.1:9101/auth', 'http://127.0.0.1:9101/jwks') AS pf_nt \gset
SELECT microcred.lti_client_assertion(:'pf_nt');

-- course mappings
SELECT microcred.lti_map_course(:'pf', 'course-101', 'DPN-101', 'Data protection 101');
SELECT microcred.lti_map_course(:'pf', 'course-101', 'th-beispiel/DPN-101');   -- same: kept once, title kept
SELECT context_id, context_title, created_by FROM microcred.lti_course_mapping WHERE platform_id = :'pf';
SELECT microcred.lti_map_course(:'pf', '', 'DPN-101');
SELECT microcred.lti_map_course(:'pf', 'course-101', 'NO-SUCH-TYPE');
SELECT microcred.lti_map_course('00000000-0000-0000-0000-000000000000', 'c', 'DPN-101');

-- what the instructor may choose
SELECT code, title, eqf_level FROM microcred.lti_credential_choices(:'pf') WHERE code = 'DPN-101';

-- random tokens (states, nonces, handles, invites): 256 bits, base64url without padding, never twice
SELECT count(*) AS tokens, count(DISTINCT t) AS distinct_tokens, min(length(t)) AS min_len, max(length(t)) AS max_len,
       bool_and(t ~ '^[A-Za-z0-9_-]{43}$') AS base64url
  FROM (SELECT microcred._random_token() AS t FROM generate_series(1, 1000)) x;

-- deep linking: a handle, then the signed response; the mapping is stored
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-a', 'course-202', 'Course 202', 'http://127.0.0.1:9100/dl-return', 'opaque-data') AS dl \gset
SELECT length(:'dl') AS handle_len;
SELECT problem FROM microcred.lti_finish_deep_link(:'dl', 'NO-SUCH-TYPE', 'https://tool.example/lti/launch');
SELECT problem IS NULL AS no_problem, return_url, title, length(jwt) > 500 AS signed
  FROM microcred.lti_finish_deep_link(:'dl', 'DPN-101', 'https://tool.example/lti/launch');
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-a', 'course-303', NULL, 'http://127.0.0.1:9100/dl-return', NULL) AS dl2 \gset
SELECT jwt AS dljwt FROM microcred.lti_finish_deep_link(:'dl2', 'DPN-101', 'https://tool.example/lti/launch') \gset
SELECT pg_temp.jwt_header(:'dljwt')->>'kid' = :'kid1' AS signed_by_tool_key,
       c->>'iss' AS iss, c->>'aud' AS aud,
       c->>'https://purl.imsglobal.org/spec/lti/claim/message_type' AS message_type,
       c->>'https://purl.imsglobal.org/spec/lti/claim/version' AS version,
       c->>'https://purl.imsglobal.org/spec/lti/claim/deployment_id' AS deployment_id,
       c ? 'https://purl.imsglobal.org/spec/lti-dl/claim/data' AS has_data,
       c->'https://purl.imsglobal.org/spec/lti-dl/claim/content_items'->0->>'type' AS item_type,
       c->'https://purl.imsglobal.org/spec/lti-dl/claim/content_items'->0->>'url' AS item_url,
       c->'https://purl.imsglobal.org/spec/lti-dl/claim/content_items'->0->'custom'->>'microcred_credential_type'
           = (SELECT id::text FROM microcred.credential_type WHERE code = 'DPN-101') AS custom_names_type,
       length(c->>'nonce') AS nonce_len
  FROM pg_temp.jwt_claims(:'dljwt') c;
SELECT problem FROM microcred.lti_finish_deep_link(:'dl2', 'DPN-101', 'https://tool.example/lti/launch');   -- replay
SELECT problem FROM microcred.lti_finish_deep_link('nope', 'DPN-101', 'https://tool.example/lti/launch');
SELECT problem FROM microcred.lti_finish_deep_link(NULL, 'DPN-101', 'https://tool.example/lti/launch');
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-a', 'course-404', NULL, 'http://127.0.0.1:9100/dl-return', NULL) AS dl3 \gset
UPDATE microcred.lti_deep_link SET expires_at = now() - interval '1 second' WHERE handle = :'dl3';
SELECT problem FROM microcred.lti_finish_deep_link(:'dl3', 'DPN-101', 'https://tool.example/lti/launch');
-- the LMS's own course id (Canvas $Canvas.course.id) is mapped too, for its completion events,
-- only for a platform trusted with them (Canvas: custom fields come from the developer key)
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-a', 'course-515', NULL, 'http://127.0.0.1:9100/dl-return', NULL,
    lms_course_id => '7009') AS dl5 \gset
SELECT problem IS NULL AS no_problem FROM microcred.lti_finish_deep_link(:'dl5', 'DPN-101', 'https://tool.example/lti/launch');
SELECT count(*) AS untrusted_ids_ignored FROM microcred.lti_course_mapping WHERE context_id = '7009';
SELECT microcred.lti_trust_lms_ids(:'pf');
SELECT microcred.lti_trust_lms_ids('00000000-0000-0000-0000-000000000000');
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-a', 'course-505', 'Course 505', 'http://127.0.0.1:9100/dl-return', NULL,
    lms_course_id => '7001') AS dl4 \gset
SELECT problem IS NULL AS no_problem FROM microcred.lti_finish_deep_link(:'dl4', 'DPN-101', 'https://tool.example/lti/launch');
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-a', 'course-606', NULL, 'http://127.0.0.1:9100/dl-return', NULL,
    lms_course_id => '$Canvas.course.id');
SELECT context_id, created_by FROM microcred.lti_course_mapping WHERE platform_id = :'pf' ORDER BY context_id;
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-unknown', 'c', NULL, 'http://127.0.0.1:9100/r', NULL);
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-a', NULL, NULL, 'http://127.0.0.1:9100/r', NULL);
SELECT microcred.lti_begin_deep_link(:'pf', 'dep-a', 'c', NULL, 'http://evil.example/r', NULL);

-- launch pages: never issue; find the learner by sub, else by email (then linked)
SELECT count(*) AS credentials_before FROM microcred.issued_credential \gset
SELECT l.id AS grace_id, l.email AS grace_email FROM microcred.learner l
  JOIN microcred.issued_credential ic ON ic.learner_id = l.id
  JOIN microcred.credential_type ct ON ct.id = ic.credential_type_id
 WHERE ct.code = 'DPN-101' AND ic.superseded_by IS NULL AND ic.status = 'active' AND l.email IS NOT NULL
 ORDER BY ic.issued_at LIMIT 1 \gset
SELECT v->>'view' AS view, v->'credential_type'->>'code' AS code
  FROM microcred.lti_launch_view(:'pf', 'course-999', NULL, 'u-1', NULL, false) v;
SELECT v->>'view' AS view, (v->>'issued')::int = (SELECT count(*) FROM microcred.issued_credential ic
        JOIN microcred.credential_type ct ON ct.id = ic.credential_type_id
       WHERE ct.code = 'DPN-101' AND ic.superseded_by IS NULL) AS issued_count_right
  FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'teacher-1', NULL, true) v;
SELECT v->>'view' AS view, v->>'known_learner' AS known
  FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'grace-sub', NULL, false) v;
-- an e-mail claim links nothing while the platform is not marked as verifying e-mails
SELECT v->>'view' AS view, v->>'known_learner' AS known, v->>'link' AS link
  FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'grace-sub', upper(:'grace_email'), false) v;
SELECT count(*) AS linked FROM microcred.learner_identifier WHERE kind = 'lms' AND value = 'grace-sub';
SELECT lower(email) = lower(:'grace_email') AS request_for_admin FROM microcred.lti_link_request WHERE platform_id = :'pf' AND sub = 'grace-sub';
SELECT microcred.lti_trust_emails(:'pf');
SELECT v->>'view' AS view, v->'credential'->>'status' AS status,
       v->'credential'->>'url' LIKE '%/credentials/' || (v->'credential'->>'id') AS url_is_public
  FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'grace-sub', upper(:'grace_email'), false) v;
SELECT how, learner_id = :'grace_id' AS grace FROM microcred.lti_account_link WHERE platform_id = :'pf' AND sub = 'grace-sub';
SELECT count(*) AS request_left FROM microcred.lti_link_request WHERE platform_id = :'pf' AND sub = 'grace-sub';
SELECT action, details->>'how' AS how FROM microcred.audit_log WHERE subject = :'grace_id' AND action = 'link_lms_account';
-- a second account of the same platform with the same e-mail is not linked: it waits for an admin
SELECT v->>'view' AS view, v->>'link' AS link
  FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'mallory-sub', :'grace_email', false) v;
SELECT count(*) AS mallory_linked FROM microcred.learner_identifier WHERE kind = 'lms' AND value = 'mallory-sub';
-- nor by an admin: one LMS account per learner per platform
SELECT microcred.lti_link_account(:'pf', 'mallory-sub', :'grace_id');
\set VERBOSITY terse
INSERT INTO microcred.lti_account_link (platform_id, sub, issuer_id, learner_id, how, linked_by)
SELECT :'pf', 'mallory-sub', issuer_id, id, 'admin', current_user FROM microcred.learner WHERE id = :'grace_id';
\set VERBOSITY default
SELECT learner_id = :'grace_id' AS linked FROM microcred.learner_identifier
 WHERE kind = 'lms' AND platform = 'http://127.0.0.1:9100' AND value = 'grace-sub';
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'grace-sub', NULL, false) v;
-- a launch with the LMS's own ids links them: the course's mappings, the learner
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', 'course-202', NULL, 'teacher-1', NULL, true, '7002', NULL) v;
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', 'course-303', NULL, 'teacher-1', NULL, true, '$Canvas.course.id', '$Canvas.user.id') v;
SELECT context_id, created_by FROM microcred.lti_course_mapping WHERE platform_id = :'pf' AND context_id ~ '^[0-9]+$' ORDER BY context_id;
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'grace-sub', NULL, false, NULL, '9001') v;
SELECT learner_id = :'grace_id' AS linked FROM microcred.learner_identifier
 WHERE kind = 'lms' AND platform = 'http://127.0.0.1:9100' AND value = '9001';
-- another account with the same LMS user id is not linked: one account per learner per platform
SELECT v->>'view' AS view, v->>'link' AS link FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'grace-other-sub', NULL, false, NULL, '9001') v;
-- the link's custom parameter wins over the course mapping; another body's type is ignored
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', 'course-999',
    (SELECT id::text FROM microcred.credential_type WHERE code = 'DPN-101'), 'grace-sub', NULL, false) v;
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', 'course-999',
    (SELECT ct.id::text FROM microcred.credential_type ct JOIN microcred.issuer i ON i.id = ct.issuer_id
      WHERE i.handle <> 'th-beispiel' LIMIT 1), 'grace-sub', NULL, false) v;
SELECT v->>'view' AS view, v->>'known_learner' AS known
  FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, NULL, NULL, false) v;   -- anonymous
SELECT count(*) = :credentials_before AS nothing_issued FROM microcred.issued_credential;

-- dynamic registration invitations: single use, only a hash kept
SELECT invite, url FROM microcred.lti_registration_invite('th-beispiel') \gset
SELECT length(:'invite') AS invite_len, :'url' LIKE '%/lti/register?invite=' || :'invite' AS url_ok,
       (SELECT count(*) FROM microcred.lti_registration_invite WHERE token_hash = convert_to(:'invite', 'UTF8')) AS plain_stored;
SELECT microcred.lti_check_invite(:'invite') IS NULL AS usable, microcred.lti_check_invite('x') AS unknown,
       microcred.lti_check_invite('') AS missing;
SELECT problem, platform_id IS NOT NULL AS registered
  FROM microcred.lti_complete_registration(:'invite', 'Moodle dyn', 'https://moodle.dyn.example', 'dyn-client',
       'https://moodle.dyn.example/mod/lti/auth.php', 'https://moodle.dyn.example/mod/lti/certs.php',
       'https://moodle.dyn.example/mod/lti/token.php', '7');
SELECT p.name, p.client_id, i.handle, array_agg(d.deployment_id) AS deployments
  FROM microcred.lti_platform p JOIN microcred.issuer i ON i.id = p.issuer_id
  JOIN microcred.lti_deployment d ON d.platform_id = p.id
 WHERE p.platform_issuer = 'https://moodle.dyn.example' GROUP BY 1, 2, 3;
SELECT problem FROM microcred.lti_complete_registration(:'invite', 'again', 'https://x.example', 'x',
       'https://x.example/a', 'https://x.example/j', NULL, '1');
SELECT invite AS inv2 FROM microcred.lti_registration_invite('th-beispiel', interval '1 hour') \gset
SELECT microcred.lti_complete_registration(:'inv2', 'Bad', 'http://moodle.bad.example', 'b',
       'https://b.example/a', 'https://b.example/j', NULL, '1');
SELECT microcred.lti_check_invite(:'inv2') IS NULL AS still_usable_after_error;
UPDATE microcred.lti_registration_invite SET expires_at = now() - interval '1 second'
 WHERE token_hash = sha256(convert_to(:'inv2', 'UTF8'));
SELECT microcred.lti_check_invite(:'inv2') AS expired;
SELECT microcred.lti_registration_invite('th-beispiel', interval '90 days');

-- key rotation: the old key stays published until retired
SELECT microcred.lti_tool_key_rotate() AS kid2 \gset
SELECT :'kid2' <> :'kid1' AS new_kid,
       (SELECT array_agg(k->>'kid' ORDER BY ord) FROM jsonb_array_elements(microcred.lti_tool_jwks()->'keys') WITH ORDINALITY a(k, ord))
           = ARRAY[:'kid2', :'kid1'] AS active_first;
SELECT pg_temp.jwt_header(microcred.lti_client_assertion(:'pf'))->>'kid' = :'kid2' AS signs_with_new;
DO $$ BEGIN
    PERFORM microcred.lti_tool_key_retire((SELECT kid FROM microcred.lti_tool_key WHERE state = 'active'));
    RAISE NOTICE 'the active key was retired';
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE 'the active key cannot be retired';
END $$;
SELECT microcred.lti_tool_key_retire('not-a-kid');
SELECT microcred.lti_tool_key_retire(:'kid1');
SELECT jsonb_array_length(microcred.lti_tool_jwks()->'keys') AS published;

-- grants: the bridge calls the functions, reads no table; issuers may not map or invite
CREATE ROLE regress_mc_lti_tool_bridge LOGIN IN ROLE microcred_bridge;
SET ROLE regress_mc_lti_tool_bridge;
SELECT jsonb_array_length(microcred.lti_tool_jwks()->'keys') AS bridge_jwks;
SELECT length(microcred.lti_client_assertion(:'pf')) > 100 AS bridge_assertion;
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', 'course-101', NULL, 'grace-sub', NULL, false) v;
SELECT count(*) FROM microcred.lti_tool_key;
SELECT count(*) FROM microcred.lti_course_mapping;
SELECT microcred.lti_map_course(:'pf', 'c', 'DPN-101');
SELECT microcred.lti_tool_key_rotate();
SELECT microcred.lti_registration_invite('th-beispiel');
RESET ROLE;
SET ROLE regress_mc_issuer;
SELECT microcred.lti_tool_key_rotate();
SELECT microcred.lti_registration_invite('th-beispiel');
RESET ROLE;
DROP ROLE regress_mc_lti_tool_bridge;
