-- events: course completion events (xAPI, Canvas Live Events, Moodle) stored
-- once and issued once; pending learners; errors; grants.
\set suite events
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
SELECT microcred.lti_register_platform('th-beispiel', 'Moodle (events)', 'https://moodle.events.example', 'ev-client',
    'https://moodle.events.example/mod/lti/auth.php', 'https://moodle.events.example/mod/lti/certs.php',
    NULL, '{1}') AS pf \gset
SELECT microcred.lti_map_course(:'pf', '42', 'DPN-101');
-- this LMS verifies its users' e-mails: launches may link accounts by e-mail
SELECT microcred.lti_trust_emails(:'pf');

-- sources: the secret is made here and shown once; only its HMAC is kept
SELECT source_id AS xs, secret AS xpw FROM microcred.event_source_add('th-beispiel', 'xapi', 'ev-lrs', :'pf') \gset
SELECT source_id AS ms, secret AS mkey FROM microcred.event_source_add('th-beispiel', 'moodle', 'ev-moodle', :'pf') \gset
SELECT source_id AS cs FROM microcred.event_source_add('th-beispiel', 'canvas', 'ev-canvas', :'pf',
    canvas_account => 'acct-7', jwks_url => 'http://127.0.0.1:9300/jwks') \gset
SELECT length(:'xpw') AS secret_len, secret_hash <> convert_to(:'xpw', 'UTF8') AS hashed, length(secret_hash) AS hash_len
  FROM microcred.event_source WHERE name = 'ev-lrs';
SELECT microcred.event_source_add('th-beispiel', 'smtp', 'x');
SELECT microcred.event_source_add('th-beispiel', 'xapi', 'bad name');
SELECT microcred.event_source_add('th-beispiel', 'xapi', 'ev-lrs', :'pf');
SELECT microcred.event_source_add('th-beispiel', 'canvas', 'ev-canvas2', :'pf');
SELECT microcred.event_source_add('th-beispiel', 'canvas', 'ev-canvas3', :'pf', canvas_account => 'a', jwks_url => 'http://evil.example/jwks');
SELECT microcred.event_source_add('th-beispiel', 'xapi', 'ev-noplatform') IS NOT NULL AS added_with_warning;

-- xAPI: a Moodle course completion issues; the same statement again changes nothing
SELECT count(*) AS credentials_before FROM microcred.issued_credential \gset
SELECT * FROM microcred.ingest_xapi('ev-lrs', :'xpw', '{"id": "6a0b5b4e-0000-4000-8000-000000000001",
    "actor": {"name": "Grace Hopper", "mbox": "mailto:grace.events@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://moodle.events.example/course/view.php?id=42",
               "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"}},
    "timestamp": "2026-11-20T10:00:00Z"}');
SELECT * FROM microcred.ingest_xapi('ev-lrs', :'xpw', '{"id": "6a0b5b4e-0000-4000-8000-000000000001",
    "actor": {"name": "Grace Hopper", "mbox": "mailto:grace.events@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://moodle.events.example/course/view.php?id=42",
               "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"}}}');
SELECT count(*) - :credentials_before AS new_credentials FROM microcred.issued_credential;
SELECT e.state, e.course_key, e.user_key, e.user_email IS NULL AS email_dropped, e.payload IS NULL AS payload_dropped,
       cardinality(e.credential_ids) AS credentials, l.given_name, l.family_name, l.email,
       ic.awarded_date = '2026-11-20T10:00:00Z' AS awarded_on_completion, (microcred.verify(ic.document)).valid
  FROM microcred.completion_event e JOIN microcred.learner l ON l.id = e.learner_id
  JOIN microcred.issued_credential ic ON ic.id = e.credential_ids[1]
 WHERE e.event_key = '6a0b5b4e-0000-4000-8000-000000000001';
-- another statement for the same learner and course: no second credential
SELECT state, duplicate FROM microcred.ingest_xapi('ev-lrs', :'xpw', '{"id": "6a0b5b4e-0000-4000-8000-000000000002",
    "actor": {"name": "Grace Hopper", "mbox": "mailto:grace.events@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://moodle.events.example/course/view.php?id=42",
               "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"}}}');
SELECT count(DISTINCT credential_ids[1]) AS one_credential FROM microcred.completion_event
 WHERE event_key IN ('6a0b5b4e-0000-4000-8000-000000000001', '6a0b5b4e-0000-4000-8000-000000000002');
-- a batch: a cmi5 satisfied course (unknown learner, no email: pending), a page view (ignored), an unmapped course (ignored)
SELECT * FROM microcred.ingest_xapi('ev-lrs', :'xpw', '[
  {"id": "6a0b5b4e-0000-4000-8000-000000000003", "actor": {"account": {"homePage": "https://moodle.events.example", "name": "77"}},
   "verb": {"id": "https://w3id.org/xapi/adl/verbs/satisfied"},
   "object": {"id": "https://moodle.events.example/course/view.php?id=42", "definition": {"type": "https://w3id.org/xapi/cmi5/activitytype/course"}}},
  {"id": "6a0b5b4e-0000-4000-8000-000000000004", "actor": {"mbox": "mailto:x@example.org"},
   "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://moodle.events.example/mod/page/view.php?id=3"}},
  {"id": "6a0b5b4e-0000-4000-8000-000000000005", "actor": {"name": "B C", "mbox": "mailto:bc@example.org"},
   "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
   "object": {"id": "https://moodle.events.example/course/view.php?id=99", "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"}}}]');
SELECT event_key, state, reason, course_key, user_key FROM microcred.completion_event
 WHERE event_key IN ('6a0b5b4e-0000-4000-8000-000000000003', '6a0b5b4e-0000-4000-8000-000000000004', '6a0b5b4e-0000-4000-8000-000000000005')
 ORDER BY event_key;
-- refused: bad credentials, bad shapes; nothing stored
SELECT count(*) AS events_before FROM microcred.completion_event \gset
SELECT * FROM microcred.ingest_xapi('ev-lrs', 'wrong', '[]');
SELECT * FROM microcred.ingest_xapi('no-such-source', :'xpw', '[]');
SELECT * FROM microcred.ingest_xapi('ev-lrs', :'xpw', '[{"id": "6a0b5b4e-0000-4000-8000-000000000009", "verb": {"id": "v"}, "object": {"id": "o"}}]');
SELECT * FROM microcred.ingest_xapi('ev-lrs', :'xpw', '"text"');
SELECT count(*) = :events_before AS nothing_stored FROM microcred.completion_event;

-- Moodle: HMAC over the raw body with the site's key
SELECT '{"eventname": "\\core\\event\\course_completed", "courseid": 42, "relateduserid": 77, "objectid": 501, "timecreated": 1764000000}' AS mbody \gset
SELECT 'sha256=' || encode(microcred._hmac_sha256(convert_to(:'mkey', 'UTF8'), convert_to(:'mbody', 'UTF8')), 'hex') AS msig \gset
SELECT state, duplicate FROM microcred.ingest_moodle('ev-moodle', :'mbody', :'msig');   -- user 77 is still unknown
SELECT state, duplicate FROM microcred.ingest_moodle('ev-moodle', :'mbody', :'msig');
SELECT microcred.ingest_moodle('ev-moodle', :'mbody', 'sha256=' || repeat('0', 64));
SELECT microcred.ingest_moodle('ev-moodle', :'mbody' || ' ', :'msig');
SELECT microcred.ingest_moodle('ev-moodle', :'mbody', NULL);
SELECT microcred.ingest_moodle('ev-lrs', :'mbody', :'msig');
SELECT microcred.ingest_moodle('ev-moodle', '{not json', 'sha256=' || encode(microcred._hmac_sha256(convert_to(:'mkey', 'UTF8'), convert_to('{not json', 'UTF8')), 'hex'));

-- pending events of user 77: an admin says who it is, and both issue (one credential)
SELECT event_id AS p77 FROM microcred.pending_events('0 seconds') WHERE user_key = '77' ORDER BY event_id LIMIT 1 \gset
SELECT source, state, reason, course_key, user_key FROM microcred.pending_events('0 seconds') ORDER BY event_id;
SELECT count(*) AS none_older_than_an_hour FROM microcred.pending_events();
SELECT microcred.add_learner('th-beispiel', email => 'user77@example.org', given_name => 'Sieben', family_name => 'Siebzig') AS l77 \gset
SELECT microcred.event_assign_learner(:'p77', :'l77');
SELECT microcred.event_retry(event_id) FROM microcred.pending_events('0 seconds') WHERE user_key = '77';
SELECT count(*) AS credentials_of_77 FROM microcred.issued_credential WHERE learner_id = :'l77';
SELECT microcred.event_assign_learner(:'p77', :'l77');
SELECT microcred.event_retry(-1);
-- a completion that came before its course was mapped is kept; once mapped, a retry processes it
SELECT id AS unmapped FROM microcred.completion_event WHERE event_key = '6a0b5b4e-0000-4000-8000-000000000005' \gset
SELECT microcred.event_retry(:unmapped) AS before_mapping;
SELECT microcred.lti_map_course(:'pf', '99', 'DPN-101');
SELECT microcred.event_retry(:unmapped) AS after_mapping;
SELECT state, reason FROM microcred.completion_event WHERE id = :unmapped;
SELECT microcred.lti_unmap_course(:'pf', '99', 'DPN-101');

-- Canvas: the verified claims; another account is refused
SELECT state, duplicate FROM microcred.ingest_canvas(:'cs', '{"metadata": {"root_account_uuid": "acct-7", "event_name": "course_completed"},
    "body": {"user": {"id": "5001", "name": "Ada Lovelace", "email": "ada.events@example.org"}, "course": {"id": "42"},
             "progress": {"completed_at": "2026-11-21T09:00:00Z"}}}');
SELECT event_key, state FROM microcred.completion_event WHERE source_id = :'cs';
SELECT microcred.ingest_canvas(:'cs', '{"metadata": {"root_account_uuid": "acct-8", "event_name": "course_completed"},
    "body": {"user": {"id": "5002"}, "course": {"id": "42"}}}');
SELECT state FROM microcred.ingest_canvas(:'cs', '{"metadata": {"root_account_uuid": "acct-7", "event_name": "grade_change"},
    "body": {"user": {"id": "5003"}, "course": {"id": "42"}}}');
SELECT source_id = :'cs' AS found, jwks_url FROM microcred.event_source_for_canvas('acct-7');

-- the report
SELECT source, kind, state, events FROM microcred.event_report ORDER BY source, state;

-- a pending learner is issued when they launch the tool (Moodle's LTI sub is the user id)
SELECT state FROM microcred.ingest_moodle('ev-moodle',
    '{"eventname": "\\core\\event\\course_completed", "courseid": 42, "relateduserid": 88, "objectid": 502}',
    'sha256=' || encode(microcred._hmac_sha256(convert_to(:'mkey', 'UTF8'),
    convert_to('{"eventname": "\\core\\event\\course_completed", "courseid": 42, "relateduserid": 88, "objectid": 502}', 'UTF8')), 'hex'));
SELECT microcred.add_learner('th-beispiel', email => 'user88@example.org') IS NOT NULL AS l88;
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', '42', NULL, '88', 'user88@example.org', false) v;
SELECT state FROM microcred.completion_event WHERE event_key = 'ev-moodle:502';

-- Canvas names its own user id, not the LTI sub: a launch carrying lms_user_id ($Canvas.user.id) links it
-- (on a platform trusted with the LMS's ids; untrusted, they are ignored)
SELECT state FROM microcred.ingest_canvas(:'cs', '{"metadata": {"root_account_uuid": "acct-7", "event_name": "course_completed"},
    "body": {"user": {"id": "5009"}, "course": {"id": "42"}}}');
SELECT microcred.add_learner('th-beispiel', email => 'user5009@example.org') IS NOT NULL AS l5009;
SELECT microcred.lti_trust_lms_ids(:'pf', false);
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', '42', NULL, 'opaque-sub-5009', 'user5009@example.org', false, '42', '5009') v;
SELECT count(*) AS lms_id_not_linked FROM microcred.learner_identifier WHERE value = '5009';
SELECT state FROM microcred.completion_event WHERE event_key = 'acct-7:42:5009';
SELECT microcred.lti_trust_lms_ids(:'pf');
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', 'lti-ctx-42', NULL, 'opaque-sub-5009', 'user5009@example.org', false, '42', '5009') v;
SELECT v->>'view' AS view FROM microcred.lti_launch_view(:'pf', '42', NULL, 'opaque-sub-5009', 'user5009@example.org', false, NULL, '5009') v;
SELECT state, cardinality(credential_ids) AS credentials FROM microcred.completion_event WHERE event_key = 'acct-7:42:5009';
-- Canvas's global ids (shard * 10^13 + local id) meet the local ids LTI gives
SELECT microcred._lms_local_id('21070000000000042') AS course, microcred._lms_local_id('42') AS small,
       microcred._lms_local_id('lti-ctx') AS opaque;
SELECT event_id AS gev, state FROM microcred.ingest_canvas(:'cs', '{"metadata": {"root_account_uuid": "acct-7", "event_name": "course_completed"},
    "body": {"user": {"id": "21070000000005010", "name": "Grace Hopper", "email": "grace.events@example.org"}, "course": {"id": "21070000000000042"}}}') \gset
SELECT :'state' AS state, event_key, course_key, user_key FROM microcred.completion_event WHERE id = :gev;

-- sealed secrets: AES-256-GCM under the KEK, bound to their row (aad), tamper-evident
SELECT microcred._seal_secret('s3cret', '\x01') AS sealed \gset
SELECT length(:'sealed'::bytea) = 1 + 12 + 6 + 16 AS layout,
       microcred._unseal_secret(:'sealed', '\x01') AS opened,
       microcred._seal_secret('s3cret', '\x01') <> :'sealed'::bytea AS fresh_nonce;
SELECT microcred._unseal_secret(:'sealed', '\x02');
SELECT microcred._unseal_secret(overlay(:'sealed'::bytea PLACING '\xff' FROM 15 FOR 1), '\x01');
SELECT microcred._unseal_secret('\x0102', '\x01');
SELECT microcred._seal_secret('', '\x01');
SELECT microcred._equal_ct('\x0102', '\x0102') AS same, microcred._equal_ct('\x0102', '\x0103') AS differ,
       microcred._equal_ct('\x0102', '\x010203') AS longer;

-- reconciliation polls: the token sealed, shown by nothing but event_poll_due (for the bridge)
SELECT microcred.event_poll_set('ev-moodle', 'http://127.0.0.1:9200/', 'tok-moodle-1', '1 minute');
SELECT microcred.event_poll_set('ev-canvas', 'https://canvas.example.edu', 'tok-canvas-1');
SELECT microcred.event_poll_set('no-such', 'https://x.example', 't');
SELECT microcred.event_poll_set('ev-moodle', 'http://evil.example', 't');
SELECT microcred.event_poll_set('ev-moodle', 'https://moodle.example.edu?x=1', 't');
SELECT microcred.event_poll_set('ev-moodle', 'https://moodle.example.edu', 'has space');
SELECT microcred.event_poll_set('ev-moodle', 'https://moodle.example.edu', 't', '0 seconds');
SELECT source, api, api_base_url, every, last_error FROM microcred.event_polls ORDER BY source;
SELECT position('tok-moodle-1' IN encode(sealed_token, 'escape')) = 0 AS sealed FROM microcred.event_poll
 WHERE source_id = :'ms';
SELECT api, api_base_url, token, course_keys FROM microcred.event_poll_due() ORDER BY api;
SELECT count(*) AS leased_not_due_again FROM microcred.event_poll_due();
-- a sealed token does not open for another source
UPDATE microcred.event_poll SET sealed_token = (SELECT sealed_token FROM microcred.event_poll WHERE source_id = :'cs'),
       last_polled_at = NULL WHERE source_id = :'ms';
SELECT token FROM microcred.event_poll_due();
SELECT source, last_error FROM microcred.event_polls WHERE source = 'ev-moodle';
SELECT microcred.event_poll_set('ev-moodle', 'http://127.0.0.1:9200', 'tok-moodle-2', '1 minute');
SELECT token FROM microcred.event_poll_due();
SELECT microcred.event_poll_done(:'ms', 'canvas api: 401 (token rejected)');
SELECT source, last_ok_at IS NULL AS never_ok, last_error FROM microcred.event_polls WHERE source = 'ev-moodle';
SELECT microcred.event_poll_done(:'ms', NULL);
SELECT source, last_ok_at IS NOT NULL AS ok, last_error FROM microcred.event_polls WHERE source = 'ev-moodle';
-- poll results come through the bridge's role: by default (learners 'linked') an account
-- that is not linked issues nothing and creates no learner, even with a learner's e-mail
SELECT state, duplicate FROM microcred.ingest_poll(:'ms', '42', '6660', 'user88@example.org', 'Mallory Forger', now());
SELECT count(*) AS forged_learners FROM microcred.learner WHERE family_name = 'Forger';
SELECT user_email, user_name, state FROM microcred.completion_event WHERE event_key = 'poll:42:6660';
SELECT microcred.event_poll_policy('ev-moodle', 'anyone');
-- this source's admin trusts the bridge with e-mails and names
SELECT microcred.event_poll_policy('ev-moodle', 'by_email');
-- found completions: issued once; nothing stored when the learner already has the credential
SELECT state, duplicate FROM microcred.ingest_poll(:'ms', '42', '6001', 'poll6001@example.org', 'Poll Learner', now());
SELECT state, duplicate FROM microcred.ingest_poll(:'ms', '42', '6001', 'poll6001@example.org', 'Poll Learner', now());
SELECT event_key, via, state FROM microcred.completion_event WHERE event_key LIKE 'poll:%';
SELECT state FROM microcred.ingest_poll(:'ms', '42', '88', NULL, NULL, now());
SELECT state, duplicate FROM microcred.ingest_poll(:'cs', '21070000000000042', '21070000000005010', NULL, NULL, now());
SELECT state FROM microcred.ingest_poll(:'cs', '42', '5999', NULL, NULL, now());
SELECT event_key, via, state, reason FROM microcred.completion_event WHERE event_key = 'acct-7:42:5999';
SELECT microcred.ingest_poll(:'ms', 'course-x', '1', NULL, NULL, now());
SELECT microcred.ingest_poll(gen_random_uuid(), '42', '1', NULL, NULL, now());
SELECT source, completions_found FROM microcred.event_polls ORDER BY source;
SELECT microcred.event_poll_clear('ev-canvas'), microcred.event_poll_clear('ev-canvas');

-- grants: the bridge ingests and reads nothing; issuers cannot add sources
CREATE ROLE regress_mc_ev_bridge LOGIN IN ROLE microcred_bridge;
SET ROLE regress_mc_ev_bridge;
SELECT state, duplicate FROM microcred.ingest_moodle('ev-moodle', :'mbody', :'msig');
SELECT count(*) FROM microcred.completion_event;
SELECT hmac_key FROM microcred.event_source;
SELECT microcred.event_retry(1);
SELECT sealed_token FROM microcred.event_poll;
SELECT microcred.event_poll_set('ev-moodle', 'https://m.example', 'x');
RESET ROLE;
SET ROLE regress_mc_admin;
SELECT count(*) > 0 AS admin_reads_events FROM microcred.completion_event;
SELECT hmac_key FROM microcred.event_source;
RESET ROLE;
SET ROLE regress_mc_issuer;
SELECT microcred.event_source_add('th-beispiel', 'xapi', 'ev-issuer');
RESET ROLE;
DROP ROLE regress_mc_ev_bridge;

-- xAPI from any LMS or LRS: "completed" on the ADL course activity type
-- (LRS-forwarding LMSs, cmi5 tooling); a course that is not a Moodle
-- .../course/view.php?id=N is mapped by its full activity IRI
SELECT microcred.lti_map_course(:'pf', 'https://lms.other.example/courses/data-protection', 'DPN-101');
SELECT state, duplicate FROM microcred.ingest_xapi('ev-lrs', :'xpw', '[
  {"id": "6a0b5b4e-0000-4000-8000-0000000000a1", "actor": {"name": "Alan Turing", "mbox": "mailto:alan.adl@example.org"},
   "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
   "object": {"id": "https://lms.other.example/courses/data-protection",
              "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}},
  {"id": "6a0b5b4e-0000-4000-8000-0000000000a2", "actor": {"name": "Alan Turing", "mbox": "mailto:alan.adl@example.org"},
   "verb": {"id": "http://adlnet.gov/expapi/verbs/attempted"},
   "object": {"id": "https://lms.other.example/courses/data-protection",
              "definition": {"type": "http://adlnet.gov/expapi/activities/course"}}},
  {"id": "6a0b5b4e-0000-4000-8000-0000000000a3", "actor": {"name": "Alan Turing", "mbox": "mailto:alan.adl@example.org"},
   "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
   "object": {"id": "https://lms.other.example/courses/data-protection/module-1",
              "definition": {"type": "http://adlnet.gov/expapi/activities/module"}}}]');
SELECT e.event_key, e.state, e.reason, e.course_key,
       CASE WHEN ic.document IS NOT NULL THEN (microcred.verify(ic.document)).valid END AS valid, l.email
  FROM microcred.completion_event e LEFT JOIN microcred.issued_credential ic ON ic.id = e.credential_ids[1]
  LEFT JOIN microcred.learner l ON l.id = e.learner_id
 WHERE e.event_key LIKE '6a0b5b4e-0000-4000-8000-0000000000a_' ORDER BY e.event_key;
