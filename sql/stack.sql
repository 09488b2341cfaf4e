-- stack: learning pathways, their checks and explanations, recognition of other
-- issuers' credentials and prior learning, stacked credentials.
-- (runs after catalog, roles, issue, rdfc and lifecycle in the same database)
\set suite stack
\i sql/fixtures/standalone.sql
\set SHOW_CONTEXT never
CREATE FUNCTION pg_temp.def(code text, title text, ects numeric, eqf integer, validity interval DEFAULT NULL) RETURNS void
LANGUAGE sql AS $$
    SELECT microcred.define_credential(issuer => 'th-beispiel', code => code, title => title,
        description => title || ' (course)', learning_outcomes => ARRAY['Applies ' || title],
        esco_skills => CASE WHEN code = 'STATS' THEN ARRAY['http://data.europa.eu/esco/skill/stats-demo'] END,
        assessment => ARRAY['project_work'], participation => 'online', quality_assurance => 'internal',
        ects => ects, eqf_level => eqf, validity_period => validity) IS NOT NULL $$;
SELECT pg_temp.def('PY', 'Python Programming', 5, 5), pg_temp.def('STATS', 'Applied Statistics', 3, 6),
       pg_temp.def('ML', 'Machine Learning Basics', 3, 6), pg_temp.def('OLD', 'Spreadsheet Basics', 2, 4, interval '1 year'),
       pg_temp.def('DS-CERT', 'Certificate in Data Science', 10, 6);

-- a pathway: Python, then 2 of (statistics, machine learning, data protection at EQF 6+), at least 10 ECTS
SELECT microcred.define_pathway('th-beispiel', 'DS', 'Data Science pathway', 'DS-CERT',
    '{"all_of": [{"credential_type": "PY"},
                 {"n_of": 2, "of": [{"credential_type": "STATS"}, {"credential_type": "ML"},
                                    {"credential_type": "DPN-101", "min_eqf": 6}]}]}',
    min_ects => 10) IS NOT NULL AS defined;
SELECT kind, n, label, min_eqf FROM microcred.pathway_node ORDER BY id;

-- learners and their component credentials (dates fixed for the explanations)
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'ann@example.org') AS ann \gset
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'ben@example.org') AS ben \gset
SELECT microcred.issue('th-beispiel/PY', :'ann', grade => '1.3', issued_at => '2026-01-15 10:00Z') IS NOT NULL,
       microcred.issue('th-beispiel/STATS', :'ann', grade => '2.0', issued_at => '2026-03-01 10:00Z') IS NOT NULL,
       microcred.issue('th-beispiel/ML', :'ann', grade => '1.0', issued_at => '2026-06-30 10:00Z') IS NOT NULL,
       microcred.issue('th-beispiel/PY', :'ben', issued_at => '2026-02-01 10:00Z') IS NOT NULL,
       microcred.issue('th-beispiel/STATS', :'ben', issued_at => '2026-02-02 10:00Z') IS NOT NULL;

-- satisfied, and why, word for word
SELECT satisfied, ects_total, explanation FROM microcred.stack_check(:'ann', 'th-beispiel/DS');
-- not satisfied: what is missing
SELECT satisfied, ects_total, explanation FROM microcred.stack_check(:'ben', 'th-beispiel/DS');

-- ECTS minimum not met by one hundredth
UPDATE microcred.pathway SET min_ects = 11.01 WHERE code = 'DS';
SELECT satisfied, (regexp_match(explanation, 'ECTS: .*'))[1] AS ects_line FROM microcred.stack_check(:'ann', 'th-beispiel/DS');
UPDATE microcred.pathway SET min_ects = 10 WHERE code = 'DS';

-- only valid credentials count: a revoked component, an expired component
SELECT microcred.revoke(c.id, 'plagiarism') FROM microcred.issued_credential c JOIN microcred.credential_type t ON t.id = c.credential_type_id
 WHERE c.learner_id = :'ann' AND t.code = 'ML';
SELECT satisfied, explanation FROM microcred.stack_check(:'ann', 'th-beispiel/DS');
SELECT microcred.issue('th-beispiel/OLD', :'ann', issued_at => now() - interval '2 years') IS NOT NULL AS old_issued;
SELECT microcred.define_pathway('th-beispiel', 'SHEETS', 'Spreadsheets', 'DS-CERT',
    '{"credential_type": "OLD"}') IS NOT NULL AS defined;
SELECT satisfied, explanation FROM microcred.stack_check(:'ann', 'th-beispiel/SHEETS');
-- a pathway's rule can be replaced (and is validated like define_pathway's)
SELECT microcred.set_pathway_rule((SELECT id FROM microcred.pathway WHERE code = 'SHEETS'), '{"credential_type": "PY"}');
SELECT satisfied, explanation FROM microcred.stack_check(:'ann', 'th-beispiel/SHEETS');
SELECT microcred.set_pathway_rule((SELECT id FROM microcred.pathway WHERE code = 'SHEETS'), '{"credential_type": "NO-SUCH"}');
SELECT microcred.set_pathway_rule((SELECT id FROM microcred.pathway WHERE code = 'SHEETS'), '{"credential_type": "OLD"}');

-- one credential cannot meet two components; grades and time constraints
SELECT microcred.define_pathway('th-beispiel', 'TWICE', 'Python twice', 'DS-CERT',
    '{"all_of": [{"credential_type": "PY", "label": "first Python"}, {"credential_type": "PY", "label": "second Python"}]}') IS NOT NULL;
SELECT satisfied, explanation FROM microcred.stack_check(:'ben', 'th-beispiel/TWICE');
SELECT microcred.define_pathway('th-beispiel', 'GRADED', 'With good grades', 'DS-CERT',
    '{"all_of": [{"credential_type": "PY", "grades": ["1.0", "1.3"]}, {"credential_type": "STATS", "grades": ["1.0", "1.3", "1.7"]}]}',
    within_months => 1) IS NOT NULL;
SELECT satisfied, explanation FROM microcred.stack_check(:'ann', 'th-beispiel/GRADED');

-- any_of, and the time window before the award
SELECT microcred.define_pathway('th-beispiel', 'ANY', 'Either course', 'DS-CERT',
    '{"any_of": [{"credential_type": "ML"}, {"credential_type": "STATS", "min_eqf": 6}]}',
    within_months_of_issue => 1200) IS NOT NULL;
SELECT satisfied, explanation FROM microcred.stack_check(:'ben', 'th-beispiel/ANY');
UPDATE microcred.pathway SET within_months_of_issue = 1 WHERE code = 'ANY';
SELECT satisfied, (regexp_match(explanation, 'Components earned within .*'))[1] AS window_line FROM microcred.stack_check(:'ben', 'th-beispiel/ANY');
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'nobody@example.org') AS nobody \gset
SELECT satisfied, explanation FROM microcred.stack_check(:'nobody', 'th-beispiel/ANY');

-- rules that cannot be: n out of range, a cycle, unknown components, malformed rules
SELECT microcred.define_pathway('th-beispiel', 'BAD1', 'x', 'DS-CERT',
    '{"n_of": 5, "of": [{"credential_type": "PY"}, {"credential_type": "ML"}, {"credential_type": "STATS"}]}');
SELECT microcred.define_pathway('th-beispiel', 'BAD2', 'x', 'DS-CERT', '{"all_of": [{"credential_type": "DS-CERT"}]}');
SELECT microcred.define_pathway('th-beispiel', 'BAD3', 'x', 'PY', '{"credential_type": "DS-CERT"}');
SELECT microcred.define_pathway('th-beispiel', 'BAD4', 'x', 'DS-CERT', '{"credential_type": "NOPE"}');
SELECT microcred.define_pathway('th-beispiel', 'BAD5', 'x', 'DS-CERT', '{"all_of": []}');
SELECT microcred.define_pathway('th-beispiel', 'BAD6', 'x', 'DS-CERT', '{"credential_type": "PY", "any_of": []}');
SELECT microcred.define_pathway('th-beispiel', 'BAD7', 'x', 'DS-CERT', '{"alignment": "not a uri"}');
SELECT microcred.define_pathway('th-beispiel', 'BAD8', 'x', 'DS-CERT', '{"credential_type": "PY", "colour": "red"}');
SELECT count(*) AS no_half_written_pathways FROM microcred.pathway WHERE code LIKE 'BAD%';

-- recognition: another issuer's credential about this learner, prior learning
SELECT microcred.add_learner(issuer => 'u-exemple', email => 'cleo@example.org') AS cleo_fr \gset
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'cleo@example.org') AS cleo \gset
SELECT microcred.issue('u-exemple/FR-1', :'cleo_fr', issued_at => '2026-04-01 10:00Z') AS fr_cred \gset
SELECT document AS fr_doc FROM microcred.issued_credential WHERE id = :'fr_cred' \gset
SELECT microcred.recognise(:'cleo', :'fr_doc'::jsonb) IS NOT NULL AS recognised;
SELECT kind, title, ects, eqf_level, foreign_issuer = (SELECT public_id FROM microcred.issuer WHERE handle = 'u-exemple') AS from_u_exemple
  FROM microcred.recognition WHERE learner_id = :'cleo';
SELECT microcred.recognise(:'cleo', :'fr_doc'::jsonb) IS NOT NULL AS recognised_again_same_row,
       (SELECT count(*) FROM microcred.recognition WHERE learner_id = :'cleo') AS rows;
SELECT microcred.recognise_prior_learning(:'cleo', 'Statistics at work', 'RPL-2026-0042',
    alignments => ARRAY['http://data.europa.eu/esco/skill/stats-demo'], ects => 3, eqf_level => 6,
    earned_at => '2026-05-01 10:00Z') IS NOT NULL AS rpl;
SELECT microcred.issue('th-beispiel/PY', :'cleo', issued_at => '2026-05-15 10:00Z') IS NOT NULL AS py;
SELECT microcred.define_pathway('th-beispiel', 'EU', 'European pathway', 'DS-CERT',
    format('{"all_of": [{"credential_type": "PY"}, {"achievement": "%s"}, {"alignment": "http://data.europa.eu/esco/skill/stats-demo"}]}',
           :'fr_doc'::jsonb -> 'credentialSubject' -> 'achievement' ->> 'id')::jsonb,
    min_ects => 10) IS NOT NULL AS defined;
SELECT satisfied, ects_total,
       regexp_replace(explanation, '\(https?://[^)]*\)|urn:uuid:[0-9a-f-]+', '<issuer>', 'g') AS explanation
  FROM microcred.stack_check(:'cleo', 'th-beispiel/EU');
-- not recognised: a bad proof, an untrusted issuer, a credential about someone else, prior learning without assessment
SELECT microcred.recognise(:'cleo', jsonb_set(:'fr_doc'::jsonb, '{name}', '"Tampered"'));
\set ob `cat tests/data/ob-v3p0/signed-credential.json`
SELECT microcred.recognise(:'cleo', :'ob'::jsonb);
SELECT microcred.recognise(:'ann', :'fr_doc'::jsonb);
SELECT microcred.recognise_prior_learning(:'cleo', 'Something', NULL);

-- the stacked credential: issued only when satisfied, lists its components, earns their ECTS
SELECT microcred.stack_issue(:'ben', 'th-beispiel/DS');
SELECT microcred.stack_issue(:'cleo', 'th-beispiel/EU') AS stacked \gset
SELECT microcred.stack_issue(:'cleo', 'th-beispiel/EU') = :'stacked' AS idempotent;
SELECT document -> 'credentialSubject' ->> 'creditsEarned' AS credits_earned,
       document -> 'credentialSubject' -> 'achievement' ->> 'name' AS target,
       regexp_replace(jsonb_path_query_array(document, '$.evidence[*].name')::text, '(urn:uuid:|https://\S+/achievements/)[0-9a-f-]+', '<id>', 'g') AS evidence_names,
       regexp_replace(jsonb_path_query_array(document, '$.evidence[*].description')::text, '(urn:uuid:|https://\S+/achievements/)[0-9a-f-]+', '<id>', 'g') AS evidence_descriptions
  FROM microcred.issued_credential WHERE id = :'stacked';
SELECT valid FROM microcred.issued_credential c, microcred.verify(c.document) v WHERE c.id = :'stacked';

-- batch: who satisfies a pathway now
SELECT microcred.issue('th-beispiel/ML', :'ben', issued_at => '2026-02-03 10:00Z') IS NOT NULL AS ben_ml;
SELECT learner = :'ben' AS is_ben, ects_total FROM microcred.stack_eligible('th-beispiel/DS');

-- automatic award: the last component completes the pathway
SELECT microcred.add_learner(issuer => 'th-beispiel', email => 'dora@example.org') AS dora \gset
SELECT microcred.define_pathway('th-beispiel', 'AUTO', 'Automatic', 'DS-CERT',
    '{"all_of": [{"credential_type": "PY"}, {"credential_type": "ML"}]}', auto_award => true) IS NOT NULL;
SELECT microcred.issue('th-beispiel/PY', :'dora') IS NOT NULL AS py;
SELECT count(*) AS targets_before FROM microcred.issued_credential c JOIN microcred.credential_type t ON t.id = c.credential_type_id
 WHERE c.learner_id = :'dora' AND t.code = 'DS-CERT';
SELECT microcred.issue('th-beispiel/ML', :'dora') IS NOT NULL AS ml;
SELECT count(*) AS targets_after, min(c.idempotency_key) LIKE 'pathway:%' AS by_pathway
  FROM microcred.issued_credential c JOIN microcred.credential_type t ON t.id = c.credential_type_id
 WHERE c.learner_id = :'dora' AND t.code = 'DS-CERT';

-- reporting: progress without personal data
SELECT pathway, satisfied, percent, missing FROM microcred.pathway_progress
 WHERE learner_id IN (:'ann', :'ben') AND pathway = 'th-beispiel/DS' ORDER BY learner_id = :'ann' DESC;
SET ROLE regress_mc_reader;
SELECT count(*) > 0 AS reader_sees_progress FROM microcred.pathway_progress;
RESET ROLE;
