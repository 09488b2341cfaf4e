-- microcred demo data: one awarding body, two micro-credential types, a learner.
-- Loaded once by `make run` into the database "microcred".
\set ON_ERROR_STOP on
CREATE EXTENSION IF NOT EXISTS microcred;

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
