-- A 0.2 database with data in every area, for tests/t/upgrade.sh.  Uses only
-- the API of 0.2 (its install script is frozen, so this file stays valid):
-- two issuers, credential types, learners, Ed25519 and P-256 keys, credentials
-- in both Data Integrity suites and as JWTs, a revocation, a suspension, a
-- correction, a pathway with a stacked credential, LTI registrations, a
-- course mapping and completion events.
\set ON_ERROR_STOP on
\set QUIET on
-- the demo of tests/demo.sql as it was in 0.2 (copied: demo.sql follows the current API)
SELECT microcred.add_issuer(
    legal_name  => 'Demo University of Applied Sciences',
    handle      => 'demo-uas',
    country     => 'IE', region => 'Leinster',
    url         => 'https://www.demo-uas.example',
    email       => 'credentials@demo-uas.example',
    base_url    => 'http://127.0.0.1:8080',
    identifiers => '{"deqar": "DEQARINST9999", "erasmus_code": "IRL DEMO01"}');

SELECT microcred.define_credential(
    issuer            => 'demo-uas',
    code              => 'GDPR-NURSE',
    title             => 'Data Protection in Clinical Practice',
    description       => 'Applying the GDPR to patient records and reporting data breaches on a hospital ward.',
    learning_outcomes => ARRAY['Applies the GDPR principles to patient records',
                               'Recognises a personal data breach and reports it within 72 hours'],
    ects              => 2, workload_hours => 50,
    eqf_level         => 6, qf_ehea_cycle => 'first',
    assessment        => ARRAY['online_quiz', 'practical_demonstration'],
    participation     => 'blended', synchronous => false,
    quality_assurance => 'external', quality_assurance_body => 'Quality and Qualifications Ireland',
    supervision       => 'supervised_online_id_verification',
    integration       => 'stackable', stackable_towards => 'Certificate in Digital Health',
    languages         => ARRAY['en', 'ga'],
    validity_period   => interval '3 years',
    grading_scheme    => 'Pass / Merit / Distinction');

SELECT microcred.define_credential(
    issuer            => 'demo-uas',
    code              => 'PY-DATA',
    title             => 'Python for Data Analysis',
    description       => 'Cleaning, analysing and visualising tabular data with Python.',
    learning_outcomes => ARRAY['Loads and cleans tabular data with pandas',
                               'Builds and explains a reproducible analysis notebook'],
    ects              => 5,
    eqf_level         => 5,
    assessment        => ARRAY['project_work'],
    participation     => 'online',
    quality_assurance => 'internal',
    prerequisites     => 'Basic programming in any language');

SELECT microcred.add_learner(
    issuer       => 'demo-uas',
    email        => 'aoife.murphy@student.demo-uas.example',
    given_name   => 'Aoife', family_name => 'Murphy',
    student_id   => 'D2026-0042',
    name_in_credential => true);

-- an Ed25519 key (sealed under the cluster's key-encryption key) and a credential
SELECT microcred.generate_key('demo-uas');
SELECT microcred.issue('demo-uas/GDPR-NURSE',
    (SELECT id FROM microcred.learner WHERE email = 'aoife.murphy@student.demo-uas.example'),
    grade => 'Distinction',
    evidence => '[{"id": "https://lms.demo-uas.example/mod/assign/view.php?id=17", "name": "Ward data-protection audit"}]',
    idempotency_key => 'demo:GDPR-NURSE:D2026-0042');
SELECT microcred.add_issuer(legal_name => 'Second Upgrade College', handle => 'up-two', country => 'FR',
       region => 'Occitanie', url => 'https://two.example', base_url => 'https://two.example') AS two \gset
SELECT microcred.define_credential(issuer => 'up-two', code => 'SQL-1', title => 'SQL basics',
       description => 'Queries and joins.', learning_outcomes => ARRAY['Writes joins'], ects => 1, eqf_level => 4,
       assessment => ARRAY['online_quiz'], participation => 'online', quality_assurance => 'internal');
SELECT microcred.define_credential(issuer => 'demo-uas', code => 'DH-CERT', title => 'Certificate in Digital Health',
       description => 'Stacked from two micro-credentials.', learning_outcomes => ARRAY['Combines both'], ects => 7,
       eqf_level => 6, assessment => ARRAY['portfolio'], participation => 'online', quality_assurance => 'internal');
SELECT microcred.generate_key('up-two');
SELECT microcred.generate_key('demo-uas', 'P-256');
SELECT microcred.add_learner(issuer => 'demo-uas', email => 'ben@example.org', given_name => 'Ben', family_name => 'Byrne') AS ben \gset
SELECT microcred.add_learner(issuer => 'demo-uas', student_id => 'D2026-0100') AS cara \gset
SELECT microcred.add_learner(issuer => 'up-two', email => 'zoe@example.fr', given_name => 'Zoé', family_name => 'Roux') AS zoe \gset
SELECT microcred.issue('demo-uas/PY-DATA', :'ben', idempotency_key => 'up:ben:py') AS ben_py \gset
SELECT microcred.issue('demo-uas/GDPR-NURSE', :'ben', grade => 'Merit') AS ben_gdpr \gset
SELECT microcred.issue('demo-uas/PY-DATA', :'cara') AS cara_py \gset
UPDATE microcred.credential_type SET suspendable = true WHERE code = 'SQL-1';  -- 0.2: suspension is per type
SELECT microcred.issue('up-two/SQL-1', :'zoe') AS zoe_sql \gset
SELECT microcred.document(:'ben_py', 'vc-jwt') IS NOT NULL AS jwt1,
       microcred.document(:'ben_py', 'ob-jwt', 'ES256') IS NOT NULL AS jwt2;
SELECT microcred.revoke(:'cara_py', 'issued in error');
SELECT microcred.suspend(:'zoe_sql', 'identity check pending');
SELECT microcred.supersede(:'ben_gdpr', grade => 'Distinction') AS ben_gdpr2 \gset
SELECT microcred.define_pathway('demo-uas', 'DH', 'Digital Health pathway', 'DH-CERT',
       '{"all_of": [{"credential_type": "PY-DATA"}, {"credential_type": "GDPR-NURSE"}]}');
SELECT microcred.stack_issue(:'ben', 'demo-uas/DH') IS NOT NULL AS stacked;
SELECT microcred.lti_register_platform('demo-uas', 'Moodle (upgrade)', 'https://moodle.up.example', 'up-client',
       'https://moodle.up.example/mod/lti/auth.php', 'https://moodle.up.example/mod/lti/certs.php', NULL, '{1}') AS pf \gset
SELECT microcred.lti_map_course(:'pf', '42', 'PY-DATA');
SELECT source_id AS xs, secret AS xpw FROM microcred.event_source_add('demo-uas', 'xapi', 'up-lrs', :'pf') \gset
SELECT state FROM microcred.ingest_xapi('up-lrs', :'xpw', '{"id": "6a0b5b4e-0000-4000-8000-0000000000aa",
    "actor": {"name": "Dana Event", "mbox": "mailto:dana.event@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://moodle.up.example/course/view.php?id=42",
               "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"}},
    "timestamp": "2026-11-20T10:00:00Z"}');
SELECT state FROM microcred.ingest_xapi('up-lrs', :'xpw', '{"id": "6a0b5b4e-0000-4000-8000-0000000000ab",
    "actor": {"name": "Eve Pending", "mbox": "mailto:eve@example.org"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "https://moodle.up.example/course/view.php?id=43",
               "definition": {"type": "http://id.tincanapi.com/activitytype/lms/course"}},
    "timestamp": "2026-11-20T10:00:00Z"}');
-- 0.2 additions: a suspendable credential type (a second status entry), a
-- trusted foreign key, and a credential issued, suspended and reinstated on it
SELECT microcred.define_credential(
    issuer => 'demo-uas', code => 'SUSP-02', title => 'Suspendable at 0.2',
    description => 'A type whose credentials carry a suspension status entry.',
    learning_outcomes => ARRAY['Checks the upgrade of a suspendable type'],
    ects => 1, workload_hours => 25, eqf_level => 5,
    assessment => ARRAY['online_quiz'], participation => 'online',
    quality_assurance => 'internal', suspendable => true);
SELECT microcred.suspend(microcred.issue('demo-uas/SUSP-02',
    microcred.add_learner(issuer => 'demo-uas', student_id => 'FILL-02-SUSP')), 'fill 0.2');
SELECT microcred.issue('demo-uas/SUSP-02',
    microcred.add_learner(issuer => 'demo-uas', student_id => 'FILL-02-ACTIVE')) IS NOT NULL AS active_suspendable;
