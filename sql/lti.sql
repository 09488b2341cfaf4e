-- lti: LTI 1.3 platform registrations, deployments, login states and nonces
-- (what the bridge keeps in the database), their errors and their grants.
\set suite lti
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
SELECT microcred.add_issuer(legal_name => 'LTI Test College', country => 'FI', handle => 'lti-college') IS NOT NULL AS issuer;

-- registering a platform
SELECT microcred.lti_register_platform('lti-college', 'Moodle (test)', 'https://moodle.lti-college.example',
    'tool-client-1', 'https://moodle.lti-college.example/mod/lti/auth.php',
    'https://moodle.lti-college.example/mod/lti/certs.php',
    auth_token_url => 'https://moodle.lti-college.example/mod/lti/token.php',
    deployment_ids => '{1}', algorithms => '{RS256,ES256,RS256}') AS moodle \gset
SELECT name, platform_issuer, client_id, algorithms, i.handle
  FROM microcred.lti_platform p JOIN microcred.issuer i ON i.id = p.issuer_id;
SELECT deployment_id FROM microcred.lti_deployment WHERE platform_id = :'moodle';
-- loopback http is accepted (tests, make run)
SELECT microcred.lti_register_platform('lti-college', 'Local mock', 'http://127.0.0.1:9001', 'c1',
    'http://127.0.0.1:9001/auth', 'http://127.0.0.1:9001/jwks') IS NOT NULL AS loopback;

-- bad registrations: each names the field and says what to do
SELECT microcred.lti_register_platform('lti-college', 'x', 'http://moodle.example', 'c', 'https://a.example/auth', 'https://a.example/jwks');
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://b.example', 'c', 'https://a.example/auth', 'ftp://a.example/jwks');
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://b.example', 'c', NULL, 'https://a.example/jwks');
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://b.example', ' ', 'https://a.example/auth', 'https://a.example/jwks');
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://b.example', 'c', 'https://a.example/auth', 'https://a.example/jwks', algorithms => '{HS256}');
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://b.example', 'c', 'https://a.example/auth', 'https://a.example/jwks', algorithms => '{RS256,none}');
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://b.example', 'c', 'https://a.example/auth', 'https://a.example/jwks', algorithms => '{}');
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://moodle.lti-college.example', 'tool-client-1', 'https://a.example/auth', 'https://a.example/jwks');
SELECT microcred.lti_register_platform('no-such-college', 'x', 'https://b.example', 'c', 'https://a.example/auth', 'https://a.example/jwks');
SELECT count(*) AS platforms_after_errors FROM microcred.lti_platform;

-- deployments
SELECT microcred.lti_add_deployment(:'moodle', '2');
SELECT microcred.lti_add_deployment(:'moodle', '2');   -- again: no error, no duplicate
SELECT microcred.lti_add_deployment(:'moodle', '');
SELECT microcred.lti_add_deployment('00000000-0000-0000-0000-000000000000', '3');
SELECT array_agg(deployment_id ORDER BY deployment_id) FROM microcred.lti_deployment WHERE platform_id = :'moodle';
SELECT microcred.lti_deployment_known(:'moodle', '2') AS known, microcred.lti_deployment_known(:'moodle', '9') AS unknown;

-- login initiation: a state and a nonce of 256 random bits each
SELECT state, nonce, auth_login_url, registered_client_id
  FROM microcred.lti_begin_login('https://moodle.lti-college.example', 'tool-client-1', 'https://tool.example/lti/launch') \gset l1_
SELECT length(:'l1_state') AS state_len, :'l1_state' ~ '^[A-Za-z0-9_-]{43}$' AS state_b64url,
       :'l1_nonce' ~ '^[A-Za-z0-9_-]{43}$' AS nonce_b64url, :'l1_state' <> :'l1_nonce' AS distinct_values,
       :'l1_auth_login_url' AS auth_login_url, :'l1_registered_client_id' AS client_id;
SELECT expires_at - created_at AS ttl, consumed_at IS NULL AS unused, target_link_uri
  FROM microcred.lti_login_state WHERE state = :'l1_state';
-- without client_id: fine while the platform has one registration
SELECT registered_client_id FROM microcred.lti_begin_login('http://127.0.0.1:9001', NULL, 'https://tool.example/lti/launch');
SELECT microcred.lti_register_platform('lti-college', 'Local mock, second key', 'http://127.0.0.1:9001', 'c2',
    'http://127.0.0.1:9001/auth', 'http://127.0.0.1:9001/jwks') IS NOT NULL AS second;
SELECT microcred.lti_begin_login('http://127.0.0.1:9001', NULL, 'https://tool.example/lti/launch');
SELECT microcred.lti_begin_login('https://unknown.example', 'tool-client-1', 'https://tool.example/lti/launch');
SELECT microcred.lti_begin_login('https://moodle.lti-college.example', 'other-client', 'https://tool.example/lti/launch');
SELECT microcred.lti_begin_login('https://moodle.lti-college.example', 'tool-client-1', NULL);
SELECT microcred.lti_begin_login('https://moodle.lti-college.example', 'tool-client-1', 'https://tool.example/lti/launch', interval '2 hours');

-- the launch: the state is spent once, with the right nonce, before it expires
SELECT problem, platform_id = :'moodle' AS right_platform, platform_issuer, client_id, jwks_url, algorithms, target_link_uri,
       deployment_ids
  FROM microcred.lti_consume_login(:'l1_state', :'l1_nonce');
SELECT problem, platform_id FROM microcred.lti_consume_login(:'l1_state', :'l1_nonce');          -- replay
SELECT problem, platform_id FROM microcred.lti_consume_login('no-such-state', :'l1_nonce');
SELECT problem, platform_id FROM microcred.lti_consume_login(NULL, :'l1_nonce');
SELECT state AS s2, nonce AS n2 FROM microcred.lti_begin_login('https://moodle.lti-college.example', 'tool-client-1', 'https://tool.example/lti/launch') \gset
-- a wrong nonce spends the state, and still names the platform (the bridge reports the token's own faults first)
SELECT problem, platform_id = :'moodle' AS right_platform FROM microcred.lti_consume_login(:'s2', 'a-nonce-from-another-login');
SELECT consumed_at IS NOT NULL AS spent_by_the_wrong_nonce FROM microcred.lti_login_state WHERE state = :'s2';
SELECT problem, platform_id FROM microcred.lti_consume_login(:'s2', :'n2');   -- spent: the right nonce comes too late
SELECT state AS s3, nonce AS n3 FROM microcred.lti_begin_login('https://moodle.lti-college.example', 'tool-client-1', 'https://tool.example/lti/launch') \gset
UPDATE microcred.lti_login_state SET expires_at = now() - interval '1 second' WHERE state = :'s3';
SELECT problem, platform_id FROM microcred.lti_consume_login(:'s3', :'n3');

-- purging: states spent or expired more than a day ago
UPDATE microcred.lti_login_state SET consumed_at = now() - interval '2 days' WHERE state = :'l1_state';
UPDATE microcred.lti_login_state SET expires_at = now() - interval '2 days' WHERE state = :'s3';
SELECT microcred.lti_purge_login_states() AS purged;
SELECT count(*) FILTER (WHERE state IN (:'l1_state', :'s3')) AS purged_left,
       count(*) FILTER (WHERE state = :'s2') AS recent_kept FROM microcred.lti_login_state;

-- random bytes
SELECT length(microcred._random_bytes(32)) AS len, microcred._random_bytes(16) <> microcred._random_bytes(16) AS differ;
SELECT microcred._random_bytes(0);
SELECT microcred._random_bytes(4096);

-- grants: the bridge may start and finish logins, nothing else; issuers may not register
CREATE ROLE regress_mc_lti_bridge LOGIN IN ROLE microcred_bridge;
SET ROLE regress_mc_lti_bridge;
SELECT length(state) FROM microcred.lti_begin_login('https://moodle.lti-college.example', 'tool-client-1', 'https://tool.example/lti/launch');
SELECT microcred.lti_deployment_known(:'moodle', '1') AS known;
SELECT problem FROM microcred.lti_consume_login('no-such-state', 'n');
SELECT count(*) FROM microcred.lti_platform;
SELECT count(*) FROM microcred.lti_login_state;
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://c.example', 'c', 'https://c.example/auth', 'https://c.example/jwks');
SELECT microcred.lti_purge_login_states();
RESET ROLE;
SET ROLE regress_mc_issuer;
SELECT microcred.lti_register_platform('lti-college', 'x', 'https://c.example', 'c', 'https://c.example/auth', 'https://c.example/jwks');
RESET ROLE;
SET ROLE regress_mc_admin;
SELECT microcred.lti_register_platform('lti-college', 'Canvas (test)', 'https://canvas.instructure.com', '10000000000001',
    'https://sso.canvaslms.com/api/lti/authorize_redirect', 'https://sso.canvaslms.com/api/lti/security/jwks') IS NOT NULL AS admin_registers;
RESET ROLE;
DROP ROLE regress_mc_lti_bridge;
