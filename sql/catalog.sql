-- catalog: awarding bodies, credential types with every EU standard element,
-- learners, issued credentials; every bad input with its exact error.
CREATE EXTENSION microcred;
\set SHOW_CONTEXT never
SELECT microcred.version() ~ ('^microcred ' || replace(extversion, '.', '\.') || ' \(OpenSSL 3\.') AS version_ok FROM pg_extension WHERE extname = 'microcred';

-- an awarding body
SELECT microcred.add_issuer(
    legal_name => 'Technische Hochschule Beispiel',
    country => 'DE', region => 'Bayern', handle => 'th-beispiel',
    url => 'https://www.th-beispiel.de', email => 'credentials@th-beispiel.de',
    base_url => 'https://credentials.th-beispiel.de',
    identifiers => '{"vat": "DE123456789", "deqar": "DEQARINST0001"}') IS NOT NULL AS issuer_added;
SELECT handle, legal_name, country, region, public_id FROM microcred.issuer;
SELECT scheme, value FROM microcred.issuer_identifier ORDER BY scheme;

-- country: lower case is refused (not normalised), unknown codes are refused
SELECT microcred.add_issuer(legal_name => 'X', country => 'de', handle => 'x1');
SELECT microcred.add_issuer(legal_name => 'X', country => 'XX', handle => 'x2');
SELECT microcred.add_issuer(legal_name => 'X', country => NULL, handle => 'x3');
SELECT microcred.add_issuer(legal_name => '  ', country => 'FR', handle => 'x4');
SELECT microcred.add_issuer(legal_name => 'X', country => 'FR', handle => 'Bad Handle');
SELECT microcred.add_issuer(legal_name => 'X', country => 'FR', handle => 'x5', base_url => 'https://x.eu/');
-- base_url prefixes every id: markup, quotes, spaces, queries and plain http elsewhere than loopback are refused
SELECT microcred.add_issuer(legal_name => 'X', country => 'FR', handle => 'x5', base_url => 'https://x.example/"><script>');
SELECT microcred.add_issuer(legal_name => 'X', country => 'FR', handle => 'x5', base_url => 'https://x.example/a b');
SELECT microcred.add_issuer(legal_name => 'X', country => 'FR', handle => 'x5', base_url => 'https://x.example/a?b=1');
SELECT microcred.add_issuer(legal_name => 'X', country => 'FR', handle => 'x5', base_url => 'http://x.example');
SELECT microcred.add_issuer(legal_name => 'X', country => 'FR', handle => 'x5', base_url => 'https://x.example/' || repeat('a', 300) || '''');
\set VERBOSITY terse
UPDATE microcred.issuer SET base_url = 'https://x.example/''' WHERE handle = 'th-beispiel';
\set VERBOSITY default
SELECT microcred.add_issuer(legal_name => 'X', country => 'FR', handle => 'x6', identifiers => '{"tax": "1"}');
-- raw INSERTs are held to the same rules by the table
INSERT INTO microcred.issuer (handle, legal_name, country, public_id) VALUES ('raw', 'Raw', 'de', 'urn:x:1');
INSERT INTO microcred.issuer (handle, legal_name, country, public_id) VALUES ('raw', 'Raw', 'XX', 'urn:x:1');
SELECT count(*) AS issuers FROM microcred.issuer;

-- a complete micro-credential type
SELECT microcred.define_credential(
    issuer => 'th-beispiel', code => 'DPN-101',
    title => 'Data Protection for Nurses',
    description => 'Applying the GDPR to patient records in hospital wards.',
    learning_outcomes => ARRAY['Applies the GDPR principles to patient records',
                               'Recognises and reports a personal data breach'],
    esco_skills => ARRAY['http://data.europa.eu/esco/skill/5a5e5c26-7c26-4a0f-8e4b-5d6c8e7c9a01', NULL],
    assessment => ARRAY['written_exam', 'practical_demonstration'],
    participation => 'blended', synchronous => false,
    quality_assurance => 'external', quality_assurance_body => 'ACQUIN',
    ects => 2.5, workload_hours => 62.5, eqf_level => 6, qf_ehea_cycle => 'first',
    prerequisites => 'Registered nurse', supervision => 'supervised_onsite_id_verification',
    integration => 'stackable', stackable_towards => 'Certificate in Health Informatics',
    languages => ARRAY['de', 'en'], validity_period => interval '3 years',
    grading_scheme => 'German 1.0-5.0 scale', further_information => 'https://th-beispiel.de/dpn',
    info_url => 'https://th-beispiel.de/dpn') IS NOT NULL AS type_defined;
SELECT code, title, ects, workload_hours, eqf_level, qf_ehea_cycle, assessment, participation,
       quality_assurance, supervision, integration, languages, validity_period, achievement_type
  FROM microcred.credential_type;
SELECT position, description, esco_uri FROM microcred.learning_outcome ORDER BY position;

-- each missing or wrong element, with its error
\set base 'issuer => ''th-beispiel'', description => ''d'', learning_outcomes => ARRAY[''o''], assessment => ARRAY[''oral_exam''], participation => ''online'', quality_assurance => ''internal'''
SELECT microcred.define_credential(:base, code => 'T1', title => NULL, ects => 1, eqf_level => 5);
SELECT microcred.define_credential(:base, code => 'T2', title => '', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(:base, code => 'T3', title => 't', eqf_level => 5);
SELECT microcred.define_credential(:base, code => 'T4', title => 't', ects => 1);
SELECT microcred.define_credential(:base, code => 'T5', title => 't', ects => 1, eqf_level => 0);
SELECT microcred.define_credential(:base, code => 'T6', title => 't', ects => 1, eqf_level => 9);
SELECT microcred.define_credential(:base, code => 'T7', title => 't', ects => -1, eqf_level => 5);
SELECT microcred.define_credential(:base, code => 'T8', title => 't', ects => 1.255, eqf_level => 5);
SELECT microcred.define_credential(:base, code => 'T9', title => 't', ects => 1, qf_ehea_cycle => 'fourth');
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'T10', title => 't', description => 'd',
    learning_outcomes => ARRAY[]::text[], assessment => ARRAY['oral_exam'], participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'T11', title => 't', description => 'd',
    learning_outcomes => ARRAY['  '], assessment => ARRAY['oral_exam'], participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'T12', title => 't', description => 'd',
    learning_outcomes => ARRAY['o'], assessment => ARRAY['telepathy'], participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'T13', title => 't', description => 'd',
    learning_outcomes => ARRAY['o'], assessment => ARRAY['oral_exam'], participation => 'by post',
    quality_assurance => 'internal', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'T14', title => 't', description => 'd',
    learning_outcomes => ARRAY['o'], assessment => ARRAY['oral_exam'], participation => 'online',
    quality_assurance => 'accreditation', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'T15', title => 't', description => 'd',
    learning_outcomes => ARRAY['o'], assessment => NULL, participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(:base, code => 'T16', title => 't', ects => 1, eqf_level => 5, supervision => 'proctored');
SELECT microcred.define_credential(:base, code => 'T17', title => 't', ects => 1, eqf_level => 5, languages => ARRAY['English']);
SELECT microcred.define_credential(:base, code => 'T18', title => 't', ects => 1, eqf_level => 5, validity_period => interval '-1 day');
SELECT microcred.define_credential(issuer => 'th-beispiel', code => 'T19', title => 't', description => 'd',
    learning_outcomes => ARRAY['a', 'b'], esco_skills => ARRAY['http://data.europa.eu/esco/skill/x'],
    assessment => ARRAY['oral_exam'], participation => 'online', quality_assurance => 'internal', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(issuer => 'nobody', code => 'T20', title => 't', description => 'd',
    learning_outcomes => ARRAY['a'], assessment => ARRAY['oral_exam'], participation => 'online',
    quality_assurance => 'internal', ects => 1, eqf_level => 5);
SELECT microcred.define_credential(:base, code => 'DPN-101', title => 't', ects => 1, eqf_level => 5);
-- raw INSERTs: the domain and the table triggers refuse the same things
INSERT INTO microcred.credential_type (issuer_id, code, title, description, ects, eqf_level, assessment, participation, quality_assurance)
SELECT id, 'R1', 't', 'd', 1, 9, '{oral_exam}', 'online', 'internal' FROM microcred.issuer;
INSERT INTO microcred.credential_type (issuer_id, code, title, description, ects, eqf_level, assessment, participation, quality_assurance)
SELECT id, 'R2', 't', 'd', 1.234, 5, '{oral_exam}', 'online', 'internal' FROM microcred.issuer;
INSERT INTO microcred.credential_type (issuer_id, code, title, description, ects, eqf_level, assessment, participation, quality_assurance)
SELECT id, 'R3', 't', 'd', 1, 5, '{oral_exam}', 'on the moon', 'internal' FROM microcred.issuer;
INSERT INTO microcred.credential_type (issuer_id, code, title, description, eqf_level, assessment, participation, quality_assurance)
SELECT id, 'R4', 't', 'd', 5, '{oral_exam}', 'online', 'internal' FROM microcred.issuer;
-- a type without learning outcomes is refused at commit
INSERT INTO microcred.credential_type (issuer_id, code, title, description, ects, eqf_level, assessment, participation, quality_assurance)
SELECT id, 'R5', 't', 'd', 1, 5, '{oral_exam}', 'online', 'internal' FROM microcred.issuer;
-- and its last outcome cannot be removed
DELETE FROM microcred.learning_outcome;
SELECT count(*) AS credential_types, (SELECT count(*) FROM microcred.learning_outcome) AS outcomes
  FROM microcred.credential_type;

-- learners
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'Ada.Lovelace@example.org',
    given_name => 'Ada', family_name => 'Lovelace', student_id => 'S-1001',
    lms_platform => 'https://moodle.th-beispiel.de', lms_user_id => '42') IS NOT NULL AS learner_added;
SELECT email, given_name, student_id FROM microcred.learner;
SELECT kind, platform, value FROM microcred.learner_identifier;
SELECT microcred.add_learner(issuer => 'th-beispiel', given_name => 'No', family_name => 'Identifier');
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'not-an-email');
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'ada.lovelace@example.org');
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'x@example.org', name_in_credential => true);
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'y@example.org', lms_user_id => '7');

-- issued credentials: the idempotency key is unique per issuer; content is immutable
-- (terse: the details of these errors name random ids)
\set VERBOSITY terse
INSERT INTO microcred.issued_credential (issuer_id, credential_type_id, learner_id, idempotency_key, grade)
SELECT t.issuer_id, t.id, l.id, 'moodle:course-7:user-42', '1.3'
  FROM microcred.credential_type t, microcred.learner l;
INSERT INTO microcred.issued_credential (issuer_id, credential_type_id, learner_id, idempotency_key)
SELECT t.issuer_id, t.id, l.id, 'moodle:course-7:user-42'
  FROM microcred.credential_type t, microcred.learner l;
INSERT INTO microcred.issued_credential (issuer_id, credential_type_id, learner_id, valid_from, valid_until)
SELECT t.issuer_id, t.id, l.id, '2026-01-01', '2025-01-01'
  FROM microcred.credential_type t, microcred.learner l;
UPDATE microcred.issued_credential SET grade = '1.0';
DELETE FROM microcred.issued_credential;
\set VERBOSITY default
UPDATE microcred.issued_credential SET status = 'suspended', status_reason = 'under review';
SELECT grade, status, status_reason FROM microcred.issued_credential;

-- reporting views
SELECT issuer, code, title, learning_outcomes, ects, eqf_level, assessment, participation
  FROM microcred.credential_types_report;
SELECT issuer, credential_code, status, expired FROM microcred.issued_credentials_report;
SELECT handle, country_name, legal_identifiers FROM microcred.issuers_report;

-- every enum value has a vocabulary row (the document builder relies on it)
SELECT t.typname, e.enumlabel
  FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
  JOIN pg_namespace n ON n.oid = t.typnamespace AND n.nspname = 'microcred'
 WHERE t.typname IN ('assessment_type', 'participation_form', 'supervision', 'integration', 'quality_assurance')
   AND NOT EXISTS (SELECT FROM microcred.vocabulary v WHERE v.vocabulary = t.typname AND v.value = e.enumlabel);
SELECT count(*) AS countries, count(*) FILTER (WHERE code IN ('DE', 'FR', 'GR', 'IE', 'GB')) AS known
  FROM microcred.country;
